/**
 * What the predict room shows (`GET /api/predict/...`, the dashboard's planning and device pages):
 * declared view types, and the functions that build them from the predictor's state.
 */
import type { EquipmentType } from '../core/vocabulary.js';
import { fmt, type Forecast } from './forecaster.js';
import type { MeterName, ResolvedPlan } from './config.js';
import { H, type Detectors, type DeviceRt, type SeriesState } from './series.js';
import type { BaselineRow, PmRow } from './store.js';

/** Where a plan's cycle starts: its last PM (time and meter reading). */
export interface PlanState {
  lastDoneAt: number;
  lastDoneUnits: number | null;
}

export type { Forecast };

/** `GET /api/predict/meters`: the derived meters of one device. */
export interface MeterView {
  device: string;
  type: EquipmentType;
  run_hours: number;
  starts: number;
  starts_per_hour: number;
  trips: number;
  door_cycles: number;
  updatedAt: number | null;
}

/** `GET /api/predict/baselines`: one series with its learned baseline and detectors. */
export interface BaselineView {
  device: string;
  series: string;
  point: string;
  state: SeriesState;
  limit: number;
  baseline: BaselineRow | null;
  learningHours: number;
  detectors: Pick<Detectors, 'z' | 'cusum' | 'drift' | 'anomaly'> & { ewma: number };
}

/** One indicator's contribution to a device's health. */
export interface HealthDriver {
  indicator: string;
  score: number;
  reasons: string[];
}

/** `GET /api/predict/health`: one row per device; score 0–100 (null while learning). */
export interface HealthView {
  device: string;
  type: EquipmentType;
  score: number | null;
  learning: boolean;
  drivers: HealthDriver[];
}

/** `GET /api/predict/plans`: a preventive plan on one device (its resolved settings, `every`/`grace`/`lead` in ms or meter units). */
export interface PlanView extends Pick<ResolvedPlan, 'device' | 'title' | 'kind' | 'every' | 'grace' | 'lead'> {
  plan: string;
  meter: MeterName | null;
  meterNow: number | null;
  lastDoneAt: number | null;
  lastDoneUnits: number | null;
  dueAt: number | null;
  dueUnits: number | null;
  open: PmRow | null;
}

/** PM compliance of one plan (SMRP 5.4). */
export interface PlanCompliance {
  plan: string;
  due: number;
  onTime: number;
  late: number;
  overdue: number;
}

/** `GET /api/predict/compliance`. */
export interface ComplianceView {
  due: number;
  onTime: number;
  compliance: number | null;
  byPlan: PlanCompliance[];
  cycles: PmRow[];
}

export function meterView(rt: DeviceRt): MeterView {
  const m = rt.meters.values;
  return {
    device: rt.cfg.id, type: rt.cfg.type, run_hours: fmt(m.run_hours, 3), starts: m.starts, starts_per_hour: rt.meters.perHour(rt.meters.lastTs),
    trips: m.trips, door_cycles: m.door_cycles, updatedAt: rt.meters.lastTs || null,
  };
}

export function baselineViews(rt: DeviceRt): BaselineView[] {
  return [...rt.series.values()].map((s) => ({
    device: rt.cfg.id, series: s.key, point: s.point, state: s.state, limit: s.spec.limit, baseline: s.baseline, learningHours: s.hourly.length,
    detectors: { z: s.det.z, ewma: s.det.ewma.value, cusum: s.det.cusum, drift: s.det.drift, anomaly: s.det.anomaly },
  }));
}

/**
 * Health 0–100 per device: each indicator scores 100 at its baseline and 0 at its alarm limit
 * (linear in the current level), capped at 50·(time to limit / horizon) when a significant trend
 * crosses within the horizon, at 85 while a drift detector signals and at 75 on an anomaly.
 * The device scores its weakest indicator; the drivers list says which and why.
 */
export function healthView(rt: DeviceRt, horizonMs: number): HealthView {
  const drivers: HealthDriver[] = [];
  for (const s of rt.series.values()) {
    if (!s.baseline || s.state === 'idle') continue;
    const b = s.baseline;
    const level = s.forecast && s.forecast.at >= (s.hourly[s.hourly.length - 1]?.t ?? 0) ? s.forecast.level : s.hourly[s.hourly.length - 1]?.v ?? b.median;
    const span = s.spec.limit - b.median;
    const u = span === 0 ? 1 : Math.min(1, Math.max(0, (level - b.median) / span));
    let score = 100 * (1 - u);
    const reasons = [`level ${fmt(level, 2)} vs baseline ${fmt(b.median, 2)} and limit ${s.spec.limit}`];
    const f = s.forecast;
    if (f && f.significant && f.hoursToLimit !== null && f.hoursToLimit * H <= horizonMs) {
      score = Math.min(score, (50 * f.hoursToLimit * H) / horizonMs);
      reasons.push(`limit forecast in ${f.hoursToLimit} h`);
    }
    if (s.det.drift) {
      score = Math.min(score, 85);
      reasons.push('drift (EWMA/CUSUM)');
    }
    if (s.det.anomaly) {
      score = Math.min(score, 75);
      reasons.push(`anomaly (robust z ${fmt(s.det.z ?? 0, 1)})`);
    }
    drivers.push({ indicator: s.key, score: Math.round(score), reasons });
  }
  drivers.sort((a, b) => a.score - b.score);
  return { device: rt.cfg.id, type: rt.cfg.type, score: drivers.length ? drivers[0]!.score : null, learning: drivers.length === 0, drivers };
}

/** One plan of a device with its state: last done, due point, and the open cycle if any. */
export function planView(rt: DeviceRt, p: ResolvedPlan, st: PlanState | null, open: PmRow | null): PlanView {
  return {
    plan: p.id, device: rt.cfg.id, title: p.title, kind: p.kind, every: p.every, grace: p.grace, lead: p.lead, meter: p.meter ?? null,
    meterNow: p.meter ? fmt(rt.meters.values[p.meter], 2) : null, lastDoneAt: st?.lastDoneAt ?? null, lastDoneUnits: st?.lastDoneUnits ?? null,
    dueAt: st && p.kind === 'calendar' ? st.lastDoneAt + p.every : null,
    dueUnits: st && p.kind === 'meter' ? (st.lastDoneUnits ?? 0) + p.every : null, open,
  };
}
