/**
 * Reduces a series to at most `limit` samples for charting. Numeric series keep the minimum and
 * maximum of each bucket (in time order), so a one-sample spike stays visible; other series keep
 * the first sample of each bucket.
 */
import type { HistorySample } from './store.js';

export function downsample(samples: HistorySample[], limit: number): HistorySample[] {
  if (samples.length <= limit || limit < 1) return samples;
  const numeric = typeof samples[0]?.value === 'number';
  const buckets = numeric ? Math.max(1, Math.floor(limit / 2)) : limit;
  const size = samples.length / buckets;
  const out: HistorySample[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(samples.length, Math.floor((b + 1) * size));
    if (start >= end) continue;
    if (!numeric) {
      out.push(samples[start]!);
      continue;
    }
    let lo = samples[start]!;
    let hi = lo;
    for (let i = start + 1; i < end; i++) {
      const s = samples[i]!;
      if ((s.value as number) < (lo.value as number)) lo = s;
      if ((s.value as number) > (hi.value as number)) hi = s;
    }
    if (lo === hi) out.push(lo);
    else if (lo.ts <= hi.ts) out.push(lo, hi);
    else out.push(hi, lo);
  }
  return out;
}
