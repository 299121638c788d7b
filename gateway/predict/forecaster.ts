/**
 * The forecaster, a pure function: from a window of hourly aggregates and the series' baseline,
 * a robust trend (Theil–Sen, Mann–Kendall; linear and exponential P–F) and the time to the alert
 * and alarm limits with their bands. No state, no I/O: the service decides what to do with it.
 */
import type { PredictSettings } from './config.js';
import { H, type Forecast, type HoldingGate, type Series, type SeriesState } from './series.js';
import { alertLevel, crossingTimes, quantile, theilSen, type CrossingTimes } from './stats.js';

/** A figure rounded for views and order texts. */
export const fmt = (n: number, d = 2): number => Number(n.toFixed(d));

export type { Forecast } from './series.js';

/** The series a forecast is fitted for: its limits, baseline and suppression (nothing is changed). */
export type ForecastSeries = Pick<Series, 'key' | 'point' | 'state' | 'spec' | 'baseline' | 'suppressUntil'>;

/** Forecast of series `s` of `device` from window `win` at `now`; null when no trend can be fitted. */
export function fitForecast(cfg: PredictSettings, device: string, s: ForecastSeries, win: ReadonlyArray<{ t: number; v: number }>, now: number, windowMs: number, dir: 1 | -1): Forecast | null {
  const b = s.baseline!;
  const xs = win.map((p) => (p.t + H / 2 - now) / H);
  const fit = theilSen(xs, win.map((p) => p.v), cfg.confidence);
  if (!fit) return null;
  const level = fit.intercept; // x = 0 is now
  const limit = s.spec.limit;
  // The order plans against the alert (ISO 10816-3 zone B/C entry); the alarm (C/D) sets its due date.
  const alertLimit = alertLevel(s.spec.alert, b.median, limit);
  // Band: Sen's slope band and the scatter of the points about the line (the level now is only
  // known to within the residuals' `confidence` quantile); it widens with the extrapolation distance.
  const ys = win.map((p) => p.v);
  const spread = quantile(ys.map((y, i) => Math.abs(y - (fit.intercept + fit.slope * xs[i]!))), cfg.confidence);
  const linear = (target: number) => crossingTimes(level, fit.slope, fit.slopeLow, fit.slopeHigh, spread, target, dir);
  let toAlarm = linear(limit);
  let toAlert = linear(alertLimit);
  // Mann–Kendall decides significance; the Sen band (which ties can pin at 0) is the uncertainty shown.
  const significant = fit.pValue < cfg.alpha && dir * fit.slope > 0;
  const shift = (dir * (level - b.median)) / b.sigma;
  let model: Forecast['model'] = 'linear';
  if (cfg.exponential) {
    // P–F curve: wear grows faster as it advances. Fit ln(excess over baseline) where the excess
    // stands out of the noise; when that trend is significant and crosses the alert earlier, it wins.
    const ex = win.map((p, i) => ({ x: xs[i]!, e: dir * (p.v - b.median) })).filter((p) => p.e > 2 * b.sigma);
    if (ex.length >= Math.max(8, win.length / 3) && dir * (limit - b.median) > 0) {
      const fe = theilSen(ex.map((p) => p.x), ex.map((p) => Math.log(p.e)), cfg.confidence);
      if (fe && fe.slope > 0 && fe.pValue < cfg.alpha) {
        const q = quantile(ex.map((p) => Math.abs(Math.log(p.e) - (fe.intercept + fe.slope * p.x))), cfg.confidence);
        const expo = (target: number) => crossingTimes(fe.intercept, fe.slope, fe.slopeLow, fe.slopeHigh, q, Math.log(dir * (target - b.median)), 1);
        const eAlert = expo(alertLimit);
        if (eAlert.t < toAlert.t) {
          model = 'exponential';
          // The point estimate follows the accelerating model (the earlier, conservative one), but
          // the band spans both models: the window cannot tell whether the final, accelerating stage
          // has begun, and late bearing damage is not monotone (spall edges wear smooth and the
          // broadband level stalls or dips before the final rise), so the linear path stays plausible.
          const span = (e: CrossingTimes, l: CrossingTimes): CrossingTimes => ({ t: e.t, early: Math.min(e.early, l.early), late: Math.max(e.late, l.late) });
          toAlert = span(eAlert, toAlert);
          toAlarm = span(expo(limit), toAlarm);
        }
      }
    }
  }
  const fin = (x: number) => (Number.isFinite(x) ? fmt(x, 1) : null);
  const at = (x: number) => (Number.isFinite(x) ? Math.round(now + x * H) : null);
  // The level must have left the baseline by a meaningful part of the way to the alarm limit (a
  // healthy neighbour's rise far below the limit is no forecast), and the early edge of the alert
  // crossing must be within the horizon. `alert` then also needs the trend to be sustained (analyse()).
  const gapToLimit = Math.abs(limit - b.median);
  const progress = gapToLimit > 0 ? (dir * (level - b.median)) / gapToLimit : 0;
  const heldBy: HoldingGate[] = [];
  if (!significant) heldBy.push('trend');
  if (!(Number.isFinite(toAlert.early) && toAlert.early * H <= cfg.horizonMs)) heldBy.push('horizon');
  if (!(shift >= cfg.minShiftSigma)) heldBy.push('shift');
  if (!(progress >= cfg.minProgress)) heldBy.push('progress');
  if (now < s.suppressUntil) heldBy.push('suppressed');
  const alert = heldBy.length === 0;
  return {
    device, series: s.key, point: s.point, state: s.state, limit, alertLimit: fmt(alertLimit, 4), direction: dir, at: now, points: win.length, windowHours: windowMs / H,
    level: fmt(level, 3), slopePerDay: fmt(fit.slope * 24, 4), slopeBandPerDay: [fmt(fit.slopeLow * 24, 4), fmt(fit.slopeHigh * 24, 4)],
    pValue: Number(fit.pValue.toPrecision(3)), significant, model,
    hoursToLimit: fin(toAlarm.t), hoursBand: [fin(toAlarm.early), fin(toAlarm.late)], crossingAt: at(toAlarm.t), crossingBand: [at(toAlarm.early), at(toAlarm.late)],
    hoursToAlert: fin(toAlert.t), alertHoursBand: [fin(toAlert.early), fin(toAlert.late)], alertCrossingAt: at(toAlert.t), alertCrossingBand: [at(toAlert.early), at(toAlert.late)],
    shiftSigma: fmt(shift, 2), progress: fmt(progress, 3), alert, sustainedHours: 0, heldBy,
  };
}
