/** Percentiles and small number helpers for the bench report. */

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  return {
    n,
    p50: round(percentile(values, 50), 1),
    p95: round(percentile(values, 95), 1),
    p99: round(percentile(values, 99), 1),
    max: round(n ? Math.max(...values) : NaN, 1),
    mean: round(n ? values.reduce((a, b) => a + b, 0) / n : NaN, 1),
  };
}

/** Rounded to `digits` decimals; NaN and ±Infinity become null (valid JSON). */
export function round(v: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function finiteOrNull(v: number | null | undefined, digits = 0): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : round(v, digits);
}

/**
 * Time at which a monotone counter sampled as (t, count) first reached `target`, linearly
 * interpolated between samples; undefined when it never did.
 */
export function timeToReach(series: ReadonlyArray<readonly [number, number]>, target: number): number | undefined {
  for (let i = 0; i < series.length; i++) {
    const [t, c] = series[i]!;
    if (c >= target) {
      if (i === 0) return t;
      const [t0, c0] = series[i - 1]!;
      return c === c0 ? t : t0 + ((target - c0) / (c - c0)) * (t - t0);
    }
  }
  return undefined;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
