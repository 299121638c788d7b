/**
 * Small, pure robust statistics used by the predictor. No dependencies, deterministic, each one a
 * few lines so an engineer can check it against the textbook:
 *   - median / MAD / robust z (Iglewicz–Hoaglin: z = 0.6745·(x − median)/MAD, flag |z| > 3.5)
 *   - EWMA control chart (λ ≈ 0.2, L ≈ 3) and one-sided tabular CUSUM (k = 0.5σ, h = 4–5σ)
 *   - Theil–Sen slope with Sen's distribution-free confidence interval (Gilbert 1987, §16.5)
 *     and the Mann–Kendall trend test, both with a lag-1 autocorrelation correction.
 */

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Linear-interpolated quantile (type 7, as R and numpy default). NaN for an empty input. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return quantileSorted(s, q);
}

export function quantileSorted(s: readonly number[], q: number): number {
  if (s.length === 0) return NaN;
  const pos = Math.min(1, Math.max(0, q)) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Median absolute deviation (unscaled). */
export function mad(xs: readonly number[], med = median(xs)): number {
  return median(xs.map((x) => Math.abs(x - med)));
}

/** MAD scaled to estimate σ for normal data (1.4826 = 1 / Φ⁻¹(0.75)). */
export const MAD_TO_SIGMA = 1.4826;

/** Iglewicz–Hoaglin modified z-score. `madValue` is the unscaled MAD; 0 when MAD is 0. */
export function robustZ(x: number, med: number, madValue: number): number {
  if (!(madValue > 0)) return 0;
  return (0.6745 * (x - med)) / madValue;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - pl) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** Exponentially weighted moving average chart on standardised values (z = (x − μ0)/σ0). */
export interface EwmaState {
  value: number;
  n: number;
}

export function ewmaStep(state: EwmaState, z: number, lambda = 0.2): EwmaState {
  return { value: state.n === 0 ? lambda * z : lambda * z + (1 - lambda) * state.value, n: state.n + 1 };
}

/** Control limit of the EWMA statistic in σ units after `n` points (exact, not asymptotic). */
export function ewmaLimit(n: number, lambda = 0.2, L = 3): number {
  return L * Math.sqrt((lambda / (2 - lambda)) * (1 - (1 - lambda) ** (2 * Math.max(1, n))));
}

/** One-sided upper tabular CUSUM on standardised values: S = max(0, S + z − k); signal when S > h. */
export function cusumStep(s: number, z: number, k = 0.5): number {
  return Math.max(0, s + z - k);
}

export interface TrendFit {
  /** Theil–Sen slope (units of y per unit of x). */
  slope: number;
  /** Intercept: median of y − slope·x. */
  intercept: number;
  /** Sen's confidence interval of the slope (distribution-free, from the pairwise-slope ranks). */
  slopeLow: number;
  slopeHigh: number;
  /** Mann–Kendall statistic, its z score and two-sided p-value (autocorrelation-corrected). */
  mkS: number;
  mkZ: number;
  pValue: number;
  /** Variance inflation applied for lag-1 autocorrelation of the residuals (≥ 1). */
  inflation: number;
  n: number;
}

/**
 * Theil–Sen fit with Sen's (1968) confidence interval for the slope at level `confidence`:
 * with N pairwise slopes sorted and C = z(1−α/2)·√Var(S), the bounds are the slopes of rank
 * (N − C)/2 and (N + C)/2 + 1. Var(S) = n(n−1)(2n+5)/18, inflated by (1+ρ₁)/(1−ρ₁) for the lag-1
 * autocorrelation ρ₁ of the residuals (hourly aggregates are not independent), and corrected for ties.
 * Returns null for fewer than 3 points.
 */
export function theilSen(xs: readonly number[], ys: readonly number[], confidence = 0.95): TrendFit | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 3) return null;
  const slopes: number[] = [];
  let s = 0;
  for (let i = 0; i < n - 1; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = xs[j]! - xs[i]!;
      const dy = ys[j]! - ys[i]!;
      if (dx !== 0) slopes.push(dy / dx);
      s += Math.sign(dy) * Math.sign(dx);
    }
  }
  if (slopes.length === 0) return null;
  slopes.sort((a, b) => a - b);
  const slope = quantileSorted(slopes, 0.5);
  const intercept = median(Array.from({ length: n }, (_, i) => ys[i]! - slope * xs[i]!));

  // Lag-1 autocorrelation of residuals (in time order), for the variance inflation.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const res = order.map((i) => ys[i]! - (intercept + slope * xs[i]!));
  const mean = res.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    den += (res[i]! - mean) ** 2;
    if (i > 0) num += (res[i]! - mean) * (res[i - 1]! - mean);
  }
  const rho = den > 0 ? Math.max(0, Math.min(0.95, num / den)) : 0;
  const inflation = Math.min(40, (1 + rho) / (1 - rho));

  // Tie correction (Kendall 1975): integer counts such as starts per hour tie often.
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) counts.set(ys[i]!, (counts.get(ys[i]!) ?? 0) + 1);
  let ties = 0;
  for (const t of counts.values()) if (t > 1) ties += t * (t - 1) * (2 * t + 5);
  const varS = (Math.max(1, n * (n - 1) * (2 * n + 5) - ties) / 18) * inflation;
  const sd = Math.sqrt(varS);
  const mkZ = s > 0 ? (s - 1) / sd : s < 0 ? (s + 1) / sd : 0;
  const pValue = 2 * (1 - normalCdf(Math.abs(mkZ)));
  const N = slopes.length;
  const C = normalQuantile(1 - (1 - confidence) / 2) * sd;
  const lowRank = Math.floor((N - C) / 2); // 1-based rank M1
  const highRank = Math.ceil((N + C) / 2) + 1; // 1-based rank M2 + 1
  const slopeLow = lowRank >= 1 ? slopes[lowRank - 1]! : -Infinity;
  const slopeHigh = highRank <= N ? slopes[highRank - 1]! : Infinity;
  return { slope, intercept, slopeLow, slopeHigh, mkS: s, mkZ, pValue, inflation, n };
}

/**
 * Time (in x units, from `x0`) until the line a + b·x reaches `limit`, going the bad way
 * (`dir` = +1 when exceeding the limit from below is bad, −1 when falling below it is bad).
 * 0 when already past, Infinity when the line never gets there.
 */
export function timeToLimit(level: number, slope: number, limit: number, dir: 1 | -1): number {
  const gap = (limit - level) * dir;
  if (gap <= 0) return 0;
  const rate = slope * dir;
  if (!(rate > 0)) return Infinity;
  return gap / rate;
}

export interface CrossingTimes {
  /** Time to the limit on the fitted trend (x units from now); 0 when already past, Infinity never. */
  t: number;
  /** Early and late edge of the crossing band (x units from now). */
  early: number;
  late: number;
}

/**
 * Crossing time of `limit` by a straight trend, with its band from the fit's own uncertainty.
 * The level now is known to within ±`spread` (a quantile of the absolute residuals) and the slope
 * to within Sen's interval [slopeLow, slopeHigh], so at τ ahead the plausible level lies in
 * [level − spread + slowSlope·τ, level + spread + fastSlope·τ] (toward the limit). Its half-width
 * spread + |fast − slope|·τ grows linearly with the extrapolation distance τ, so the band of a
 * far crossing is wider than the band of a near one, in proportion. Works in any monotone
 * transform of the indicator (the exponential P–F model passes ln(excess) and ln(limit excess)).
 */
export function crossingTimes(level: number, slope: number, slopeLow: number, slopeHigh: number, spread: number, limit: number, dir: 1 | -1): CrossingTimes {
  const fast = dir === 1 ? slopeHigh : slopeLow;
  const slow = dir === 1 ? slopeLow : slopeHigh;
  const s = Math.max(0, spread);
  return {
    t: timeToLimit(level, slope, limit, dir),
    early: timeToLimit(level + dir * s, fast, limit, dir),
    late: timeToLimit(level - dir * s, slow, limit, dir),
  };
}

/**
 * Alert limit of an indicator whose alarm limit is changed: zone boundaries of vibration severity
 * are ratios (ISO 10816-3 / 20816-3: B/C over C/D is 2.8 / 4.5 = 0.62, 4.5 / 7.1 = 0.63,
 * 7.1 / 11 = 0.65), so the alert keeps its ratio to the alarm limit.
 */
export function scaledAlert(alert: number, oldLimit: number, newLimit: number): number {
  return oldLimit === 0 ? newLimit : alert * (newLimit / oldLimit);
}

/**
 * The alert level a series is forecast against: the configured alert when it lies strictly between
 * the healthy baseline and the alarm limit (on the way to the limit), else the alarm limit itself.
 * A machine whose normal already sits beyond the alert has shown its normal; planning against an
 * alert it has always exceeded would raise an order on any trend, so it is judged on its alarm.
 */
export function alertLevel(alert: number | undefined, baseline: number, limit: number): number {
  if (alert === undefined || !Number.isFinite(alert)) return limit;
  const dir = limit >= baseline ? 1 : -1;
  return dir * (alert - baseline) > 0 && dir * (limit - alert) > 0 ? alert : limit;
}
