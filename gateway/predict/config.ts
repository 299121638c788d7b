/**
 * Resolved predict settings: the site's optional `maintenance:` section over built-in defaults.
 * Sources of the defaults (see /work/shared/research/domain.md):
 *  - elevator PM every 15 days: 特种设备安全监察条例 Art. 31 and TSG T5002-2017 (half-monthly maintenance);
 *    3-day grace (SMRP 20 % rule: 2 weeks → 3 d);
 *  - fire panel monthly: MPS Order No. 61 monthly inspection of ordinary units, GB 25201-2010; 6-day grace;
 *  - pump by run hours: no regulation; 2,000 run hours (OEM regreasing interval, a guess) with 10 % grace;
 *  - alarm limits: 7.1 mm/s pump vibration (ISO 10816-3 C/D boundary, group 2 flexible / group 1 rigid [recalled]),
 *    80 °C bearing temperature [guess], 15 starts/h jockey pump [recalled], 6 s door close (controller
 *    door-time protection), 30 cm/s² car vibration (GB/T 10058 [recalled]), 130 °C dry-type transformer
 *    winding alarm (class F, vendor setpoints 120–155 °C). A site rule with `above` on the same point overrides the default limit.
 *  - alert limits (what a prediction order plans against): pump vibration 4.5 mm/s, the ISO 10816-3 zone B/C
 *    boundary of the same machine class as the 7.1 mm/s C/D alarm (zone C: "may be operated for a limited
 *    period until a suitable opportunity arises for remedial action"). Indicators without a standard alert
 *    level plan against their alarm limit (README, "Alert and alarm limits").
 */
import type { DeviceConfig, EquipmentType, MaintenanceConfig, MaintenancePlan, RuleConfig } from '../config/schema.js';
import { toMs } from '../config/durations.js';
import { scaledAlert } from './stats.js';

export type MeterName = 'run_hours' | 'starts' | 'trips' | 'door_cycles';

export interface IndicatorSpec {
  /** Point name, or `starts_per_hour` (derived from the starts meter). */
  point: string;
  /** Alarm (danger) limit: ISO 10816-3 zone C/D for vibration. The alarm rule fires here. */
  limit: number;
  /**
   * Alert limit: the level at which planned remedial work must exist (ISO 10816-3 zone B/C, the entry
   * into "limited period of operation"). A prediction order forecasts the crossing of this level and
   * is due before the forecast alarm crossing. Absent: the alarm limit (no standard alert level).
   */
  alert?: number;
  /** Only samples taken while the device runs count (a running pump is not an idle pump). */
  state: 'running' | 'any';
  /** Floor of the baseline σ, so a perfectly flat baseline does not make every wiggle an anomaly. */
  minSigma: number;
  /**
   * Judge the daily peak, not the typical hour: only the hours of day with the highest aggregates
   * are analysed (a transformer fails at the evening load peak, a leaking pump short-cycles at
   * night while it runs continuously by day).
   */
  peak?: boolean;
}

export interface ResolvedPlan {
  id: string;
  device: string;
  title: string;
  kind: 'calendar' | 'meter';
  /** Calendar: ms; meter: meter units. */
  every: number;
  grace: number;
  lead: number;
  meter?: MeterName;
}

export interface PredictSettings {
  enabled: boolean;
  horizonMs: number;
  windowMs: number;
  baselineWindowMs: number;
  /** Minimum hours of aggregates before a trend is fitted. */
  minHours: number;
  /** Peak indicators: trend window, hours of day that make the daily peak, minimum points. */
  peakWindowMs: number;
  /** Also fit this recent fraction of the window (0 = off); the earlier significant crossing wins. */
  recentFraction: number;
  /** Also extrapolate an exponential (P–F) trend of the excess over the baseline. */
  exponential: boolean;
  peakHours: number;
  minPeakPoints: number;
  alpha: number;
  confidence: number;
  /** Robust z over which an hourly aggregate is an anomaly (Iglewicz–Hoaglin 3.5). */
  zAnomaly: number;
  ewmaLambda: number;
  ewmaL: number;
  cusumK: number;
  cusumH: number;
  /** A trend must have moved the level at least this many baseline σ to raise an order. */
  minShiftSigma: number;
  /** Minimum samples in an hour for its aggregate to count. */
  minSamplesPerHour: number;
  /** A prediction order is due this long before the early edge of the forecast crossing. */
  dueMarginMs: number;
  /** Baseline σ floor as a fraction of the baseline level (measurement repeatability). */
  relNoise: number;
  /** Baseline σ floor as a fraction of the distance from the baseline to the limit. */
  gapNoise: number;
  /** The fitted level must have gone this share of the way from the baseline to the limit. */
  minProgress: number;
  /** The order conditions must have held in every analysis for this many hours of reading time. */
  sustainHours: number;
}

export const DEFAULT_INDICATORS: Record<EquipmentType, IndicatorSpec[]> = {
  pump: [
    // ISO 10816-3 group 2 flexible / group 1 rigid: B/C 4.5, C/D 7.1 mm/s [recalled, shared/research/domain.md §1.2].
    { point: 'vibration', limit: 7.1, alert: 4.5, state: 'running', minSigma: 0.05 },
    { point: 'bearing_temp', limit: 80, state: 'running', minSigma: 0.5 },
    { point: 'motor_current', limit: 12, state: 'running', minSigma: 0.1 },
    { point: 'starts_per_hour', limit: 15, state: 'any', minSigma: 0.5, peak: true },
  ],
  elevator: [
    { point: 'door_close_time', limit: 6, state: 'any', minSigma: 0.05 },
    { point: 'motor_current', limit: 45, state: 'running', minSigma: 0.3 },
    { point: 'car_vibration', limit: 30, state: 'running', minSigma: 0.3 },
  ],
  power: [{ point: 'transformer_temp', limit: 130, state: 'any', minSigma: 0.5, peak: true }],
  fire_panel: [],
};

export const DEFAULT_PLANS: Record<EquipmentType, Omit<MaintenancePlan, 'id'> & { id: string }> = {
  elevator: { id: 'elevator-15d', title: 'Elevator half-monthly maintenance (TSG T5002-2017, 15 days)', every: '15d', grace: '3d', lead: '3d' },
  fire_panel: { id: 'fire-monthly', title: 'Fire alarm system monthly inspection (GB 25201)', every: '30d', grace: '6d', lead: '5d' },
  pump: { id: 'pump-2000h', title: 'Pump service every 2,000 run hours (bearings, seal)', meter: 'run_hours', everyUnits: 2000, graceUnits: 200, leadUnits: 100 },
  power: { id: 'power-annual', title: 'Distribution board / transformer annual inspection', every: '365d', grace: '28d', lead: '14d' },
};

export function resolveSettings(m: MaintenanceConfig | undefined): PredictSettings {
  const p = m?.prediction ?? {};
  return {
    enabled: p.enabled ?? true,
    horizonMs: toMs(p.horizon ?? '7d'),
    windowMs: toMs(p.window ?? '48h'),
    baselineWindowMs: toMs(p.baselineWindow ?? '2d'),
    minHours: 24,
    peakWindowMs: toMs('3d'),
    recentFraction: 0.5,
    exponential: true,
    peakHours: 6,
    minPeakPoints: 12,
    alpha: p.alpha ?? 0.05,
    confidence: 0.9,
    zAnomaly: 3.5,
    ewmaLambda: 0.2,
    ewmaL: 3,
    cusumK: 0.5,
    cusumH: 5,
    minShiftSigma: 3,
    minSamplesPerHour: 3,
    // One working day to plan and staff the intervention before the earliest forecast crossing [guess].
    dueMarginMs: toMs('24h'),
    relNoise: 0.02,
    gapNoise: 0.01,
    minProgress: 0.1,
    sustainHours: 12,
  };
}

/**
 * A default indicator given another limit keeps its σ floor in proportion to the limit: the floor
 * of 0.05 mm/s next to 7.1 mm/s must not become 0.05 g next to 0.3 g.
 */
function scaleTo(spec: IndicatorSpec, limit: number, alert?: number): { limit: number; minSigma: number; alert?: number } {
  const ratio = spec.limit !== 0 ? Math.abs(limit / spec.limit) : 1;
  // The alert keeps its ratio to the alarm limit (ISO zone boundaries are ratios), unless given.
  const a = alert ?? (spec.alert !== undefined ? scaledAlert(spec.alert, spec.limit, limit) : undefined);
  return { limit, minSigma: spec.minSigma * ratio, ...(a !== undefined ? { alert: a } : {}) };
}

/** Indicators of one device: defaults of its type, limits from matching `above` rules, then overrides. */
export function indicatorsFor(device: DeviceConfig, rules: readonly RuleConfig[], m: MaintenanceConfig | undefined): IndicatorSpec[] {
  const points = new Set(device.points.map((p) => String(p['name'])));
  const out = new Map<string, IndicatorSpec>();
  for (const spec of DEFAULT_INDICATORS[device.type]) {
    const has = spec.point === 'starts_per_hour' ? points.has('starts') || points.has('running') : points.has(spec.point);
    if (has) out.set(spec.point, { ...spec });
  }
  for (const r of rules) {
    if (r.above === undefined || !r.point) continue;
    if (r.device ? r.device !== device.id : r.equipment !== device.type) continue;
    const s = out.get(r.point);
    if (s) Object.assign(s, scaleTo(s, r.above));
  }
  for (const o of m?.prediction?.indicators ?? []) {
    if (o.device ? o.device !== device.id : o.equipment ? o.equipment !== device.type : false) continue;
    if (o.enabled === false) {
      out.delete(o.point);
      continue;
    }
    const prev = out.get(o.point);
    if (!prev && o.limit === undefined) continue;
    const limit = o.limit ?? prev!.limit;
    const scaled = prev ? scaleTo(prev, limit, o.alert) : { minSigma: 0, ...(o.alert !== undefined ? { alert: o.alert } : {}) };
    out.set(o.point, { ...prev, point: o.point, limit, state: o.state ?? prev?.state ?? 'any', ...scaled });
  }
  return [...out.values()];
}

/** Plans that apply to one device: configured plans matching it, else the default of its type. */
export function plansFor(device: DeviceConfig, m: MaintenanceConfig | undefined): ResolvedPlan[] {
  const configured = (m?.plans ?? []).filter((p) => (p.device ? p.device === device.id : p.equipment === device.type));
  const list = configured.length ? configured : m?.defaultPlans === false ? [] : [DEFAULT_PLANS[device.type]];
  const defaultLead = toMs(m?.leadTime ?? '3d');
  const out: ResolvedPlan[] = [];
  for (const p of list) {
    const title = p.title ?? `Preventive maintenance ${p.id}`;
    if (p.meter && p.everyUnits) {
      out.push({ id: p.id, device: device.id, title, kind: 'meter', meter: p.meter, every: p.everyUnits, grace: p.graceUnits ?? p.everyUnits * 0.1, lead: p.leadUnits ?? p.everyUnits * 0.05 });
    } else if (p.every !== undefined) {
      const every = toMs(p.every);
      // SMRP on-time window: 20 % of the frequency, capped at 28 days.
      out.push({ id: p.id, device: device.id, title, kind: 'calendar', every, grace: p.grace !== undefined ? toMs(p.grace) : Math.min(every * 0.2, 28 * 86_400_000), lead: p.lead !== undefined ? toMs(p.lead) : defaultLead });
    }
  }
  return out;
}
