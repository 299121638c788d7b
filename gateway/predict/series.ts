/**
 * Aggregation: per device, per indicator and operating state, the samples of the current hour
 * become one hourly median (`Series.hourly`), with the learned baseline and drift detectors of
 * the series. Daily-peak indicators are judged on their peak-equivalent series.
 */
import { median, type EwmaState } from './stats.js';
import type { Category, DeviceConfig } from '../config/schema.js';
import type { IndicatorSpec, ResolvedPlan } from './config.js';
import type { DeviceMeters } from './meters.js';
import type { BaselineRow } from './store.js';

export const H = 3_600_000;

export type SeriesState = 'running' | 'idle' | 'any';

/** `point@state` keys made once per point: `series()` runs for every sample. */
const stateKeys = new Map<string, Record<SeriesState, string>>();
export function seriesKeyOf(point: string, state: SeriesState): string {
  if (state === 'any') return point;
  let k = stateKeys.get(point);
  if (!k) stateKeys.set(point, (k = { any: point, running: `${point}@running`, idle: `${point}@idle` }));
  return k[state];
}

export interface Detectors {
  ewma: EwmaState;
  cusum: number;
  z: number | null;
  anomaly: boolean;
  drift: boolean;
}

export interface Series {
  key: string;
  point: string;
  state: SeriesState;
  spec: IndicatorSpec;
  bucket: number | null;
  samples: number[];
  hourly: Array<{ t: number; v: number; n: number }>;
  resetAt: number;
  baseline: BaselineRow | null;
  det: Detectors;
  forecast: Forecast | null;
  suppressUntil: number;
  lastPointT: number;
  /** Peak indicators: median per hour of day (UTC) over the baseline window. */
  profile: number[] | null;
  /** Reading time from which the order conditions have held in every analysis (null: they do not hold). */
  sustainedSince: number | null;
}

/** One device as the predictor follows it: its meters, series, indicators and plans. */
export interface DeviceRt {
  cfg: DeviceConfig;
  /** SLA category of the device's type: the equipment category of its prediction orders. */
  category: Category;
  meters: DeviceMeters;
  series: Map<string, Series>;
  specs: Map<string, IndicatorSpec>;
  hasRunning: boolean;
  hour: number | null;
  startsAtHour: number;
  plans: ResolvedPlan[];
}

/** A new, empty series of one indicator in one operating state. */
export function newSeries(key: string, spec: IndicatorSpec, state: SeriesState): Series {
  return { key, point: spec.point, state, spec, bucket: null, samples: [], hourly: [], resetAt: 0, baseline: null, det: freshDetectors(), forecast: null, suppressUntil: 0, lastPointT: 0, profile: null, sustainedSince: null };
}

/** Median aggregate per hour of day (UTC); NaN for an hour never seen. */
export function hourProfile(hourly: ReadonlyArray<{ t: number; v: number }>): number[] {
  const by: number[][] = Array.from({ length: 24 }, () => []);
  for (const p of hourly) by[Math.floor((p.t % 86_400_000) / H)]!.push(p.v);
  return by.map((vs) => (vs.length ? median(vs) : NaN));
}

/**
 * Peak-equivalent series: only the `k` hours of day where the baseline profile peaks, each
 * shifted by its profile offset to the profile's maximum (v − profile[h] + max profile). The daily
 * cycle is gone, and what is left is the level of the daily peak, which is what crosses the limit.
 */
export function peakEquivalent(hourly: ReadonlyArray<{ t: number; v: number; n: number }>, profile: readonly number[], k: number): Array<{ t: number; v: number; n: number }> {
  const ranked = profile.map((v, h) => [h, v] as const).filter(([, v]) => Number.isFinite(v)).sort((a, b) => b[1] - a[1]).slice(0, k);
  const top = ranked[0]?.[1] ?? 0;
  const offset = new Map(ranked.map(([h, v]) => [h, top - v]));
  const out: Array<{ t: number; v: number; n: number }> = [];
  for (const p of hourly) {
    const o = offset.get(Math.floor((p.t % 86_400_000) / H));
    if (o !== undefined) out.push({ t: p.t, v: p.v + o, n: p.n });
  }
  return out;
}

export function freshDetectors(): Detectors {
  return { ewma: { value: 0, n: 0 }, cusum: 0, z: null, anomaly: false, drift: false };
}

/** A fitted trend of one series and its forecast crossing (computed by forecaster.ts). */
export interface Forecast {
  device: string;
  series: string;
  point: string;
  state: SeriesState;
  /** Alarm limit (ISO 10816-3 zone C/D for vibration): the order is due before its forecast crossing. */
  limit: number;
  /**
   * Alert limit the order plans against (zone B/C entry; the alarm limit when the indicator has none):
   * a prediction order is raised when the early edge of its crossing band is within the horizon.
   */
  alertLimit: number;
  /** +1: the indicator fails upward (rises to the limit); −1: downward. */
  direction: 1 | -1;
  at: number;
  points: number;
  /** Trend window the forecast comes from (the full window or its recent part). */
  windowHours: number;
  /** Fitted level now and the slope per day with its confidence band. */
  level: number;
  slopePerDay: number;
  slopeBandPerDay: [number, number];
  pValue: number;
  significant: boolean;
  /** Extrapolation: the Theil–Sen line, or the Theil–Sen line of ln(excess over baseline) (P–F curve). */
  model: 'linear' | 'exponential';
  /** Hours to the alarm limit: estimate and band (early, late); null = not reached on this trend. */
  hoursToLimit: number | null;
  hoursBand: [number | null, number | null];
  crossingAt: number | null;
  crossingBand: [number | null, number | null];
  /** The same for the alert limit: the crossing a prediction order forecasts. */
  hoursToAlert: number | null;
  alertHoursBand: [number | null, number | null];
  alertCrossingAt: number | null;
  alertCrossingBand: [number | null, number | null];
  /** Level shift from the baseline in baseline σ. */
  shiftSigma: number | null;
  /** Share of the way from the baseline median to the limit the fitted level has gone. */
  progress: number;
  /** The forecast calls for a prediction order (conditions held for `sustainHours` analyses in a row; not the alert limit). */
  alert: boolean;
  /** Hours of reading time the order conditions have held in every analysis. */
  sustainedHours: number;
  /** The gates that keep this forecast from calling for an order (empty when `alert`): why there is no order yet. */
  heldBy: HoldingGate[];
  /** Held by `neighbour`: the device of the same machine whose rise this one echoes. */
  echoOf?: string;
}

/**
 * The gates of a prediction order (gateway/predict/README.md, "Forecasts and prediction orders"):
 * `trend` no significant trend toward the limit; `horizon` the early edge of the alert crossing is
 * beyond the horizon; `shift` the level has not left the baseline by `minShiftSigma`; `progress` it
 * has not gone `minProgress` of the way to the limit; `suppressed` a planner cancelled the last
 * prediction of this indicator less than a horizon ago; `neighbour` a device of the same machine
 * shows the same rise at least `neighbourRatio` times as strongly (the rise is its echo); `sustain`
 * the others hold, but not yet for `sustainHours`.
 */
export type HoldingGate = 'trend' | 'horizon' | 'shift' | 'progress' | 'suppressed' | 'neighbour' | 'sustain';
