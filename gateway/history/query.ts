/**
 * Query planning shared by the API and both stores: which tier answers a range, how rollup
 * buckets are reduced to a point budget, and the caps that keep a query bounded.
 */
import type { HistoryRetention, HistorySample, Resolution } from './store.js';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Bucket width of each rollup tier, ms. */
export const BUCKET_MS: Record<Exclude<Resolution, 'raw'>, number> = { '1m': MINUTE, '1h': HOUR };

/** Ranges up to this are answered from raw samples (when raw data of that age is kept). */
export const RAW_MAX_SPAN = 6 * HOUR;
/** Ranges up to this are answered from 1-minute rollups; longer ones from 1-hour rollups. */
export const ROLLUP_1M_MAX_SPAN = 7 * DAY;
/** Longest range a query may cover; longer requests are cut to the newest 400 days. */
export const MAX_RANGE = 400 * DAY;
/** Longest range an explicit `resolution=raw` request may cover. */
export const RAW_EXPLICIT_MAX_SPAN = 7 * DAY;

/**
 * The tier for a range: raw up to 6 h, 1-minute rollups up to 7 d, 1-hour rollups beyond; a tier
 * whose retention no longer covers `from` is skipped for the next coarser one.
 */
export function pickResolution(from: number, to: number, retention: HistoryRetention, now = Date.now()): Resolution {
  const span = to - from;
  if (span <= RAW_MAX_SPAN && from >= now - retention.raw * DAY) return 'raw';
  if (span <= ROLLUP_1M_MAX_SPAN && from >= now - retention['1m'] * DAY) return '1m';
  return '1h';
}

/**
 * Reduce rollup buckets (value = mean, min, max) to at most `limit` samples: consecutive buckets
 * are merged, keeping the smallest min and the largest max (so spikes stay visible), the mean of
 * the means, and the first bucket's timestamp.
 */
export function reduceRollups(rows: HistorySample[], limit: number | undefined): HistorySample[] {
  if (limit === undefined || limit < 1 || rows.length <= limit) return rows;
  const size = rows.length / limit;
  const out: HistorySample[] = [];
  for (let b = 0; b < limit; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(rows.length, Math.floor((b + 1) * size));
    if (start >= end) continue;
    let sum = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = start; i < end; i++) {
      const r = rows[i]!;
      sum += r.value as number;
      if (r.min! < lo) lo = r.min!;
      if (r.max! > hi) hi = r.max!;
    }
    out.push({ ts: rows[start]!.ts, value: sum / (end - start), min: lo, max: hi });
  }
  return out;
}

/** The start of the bucket holding `ts`. */
export function bucketStart(ts: number, size: number): number {
  return Math.floor(ts / size) * size;
}
