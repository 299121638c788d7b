/**
 * Resolved predict settings: the site's optional `maintenance:` section over built-in defaults.
 * The default plans and indicators of each equipment type, with the sources of their numbers,
 * live in its descriptor (gateway/equipment/<type>/index.ts). A site rule with `above` on an
 * indicator's point overrides its default limit. Indicators without a standard alert level plan
 * against their alarm limit (README, "Alert and alarm limits").
 */
import type { DeviceConfig, MaintenanceConfig, MaintenancePlan, RuleConfig } from '../config/schema.js';
import { STARTS_PER_HOUR, type MeterName } from '../core/vocabulary.js';
import type { EquipmentDescriptor, IndicatorSpec as DeclaredIndicator } from '../equipment/index.js';
import { toMs } from '../core/durations.js';
import { scaledAlert } from './stats.js';

export type { MeterName };

/** An indicator as the forecaster uses it: the type's (gateway/equipment/descriptor.ts) with its σ floor resolved. */
export type IndicatorSpec = DeclaredIndicator & { minSigma: number };

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
  /**
   * A new order is held when a device of the same machine shows a relative rise (over its own
   * baseline) at least this many times this device's: structure-borne vibration, heat and load
   * spread from the failing element to its neighbours, weaker with distance.
   */
  neighbourRatio: number;
}

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
    // −6 dB: the neighbour's rise is twice this device's [guess; transmission across a bearing
    // housing or coupling loses more than that for defect impacts, less for shaft-borne 1×/2×].
    neighbourRatio: 2,
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
export function indicatorsFor(device: DeviceConfig, type: EquipmentDescriptor | undefined, rules: readonly RuleConfig[], m: MaintenanceConfig | undefined): IndicatorSpec[] {
  const points = new Set(device.points.map((p) => String(p['name'])));
  const out = new Map<string, IndicatorSpec>();
  for (const spec of type?.indicators ?? []) {
    const has = spec.point === STARTS_PER_HOUR ? points.has('starts') || points.has('running') : points.has(spec.point);
    if (has) out.set(spec.point, indicatorOf(spec));
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

/** A descriptor's indicator with its σ floor made explicit (0 when the type gives none). */
function indicatorOf(spec: DeclaredIndicator): IndicatorSpec {
  return { ...spec, minSigma: spec.minSigma ?? 0 };
}

/** Plans that apply to one device: configured plans matching it, else the defaults of its type. */
export function plansFor(device: DeviceConfig, type: EquipmentDescriptor | undefined, m: MaintenanceConfig | undefined): ResolvedPlan[] {
  const configured = (m?.plans ?? []).filter((p) => (p.device ? p.device === device.id : p.equipment === device.type));
  const list: ReadonlyArray<Omit<MaintenancePlan, 'title'> & { title?: string | undefined }> = configured.length ? configured : m?.defaultPlans === false ? [] : type?.plans ?? [];
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
