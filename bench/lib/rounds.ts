/**
 * Interleaved rounds (A B C A B C …): a slow minute of a shared host lands on every contender,
 * not on one. A figure is reported as the median of its rounds with their min–max; a ratio only
 * as the median of the per-round ratios, with their spread.
 */
import { percentile, round } from './stats.js';

export interface Spread {
  median: number | null;
  min: number | null;
  max: number | null;
}

const finite = (v: readonly (number | null)[]) => v.filter((x): x is number => x !== null && Number.isFinite(x));

/** Median (the lower middle one for an even count: a figure that was measured) and min–max. */
export function spreadOf(values: readonly (number | null)[], digits = 0): Spread {
  const v = finite(values);
  if (!v.length) return { median: null, min: null, max: null };
  return { median: round(percentile(v, 50), digits), min: round(Math.min(...v), digits), max: round(Math.max(...v), digits) };
}

/** a[i] / b[i] of each round where both were measured, summarised. */
export function ratioPerRound(a: readonly (number | null)[], b: readonly (number | null)[]): Spread & { per_round: (number | null)[] } {
  const per = a.map((x, i) => {
    const y = b[i];
    return x === null || y === null || y === undefined || !y ? null : round(x / y, 2);
  });
  return { per_round: per, ...spreadOf(per, 2) };
}

/** "12,345 (11,000–13,000)" for a report line. */
export function showSpread(s: Spread, unit = ''): string {
  const f = (x: number | null) => (x === null ? '—' : x.toLocaleString('en-US'));
  return `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)})`;
}

/**
 * Runs `rounds` rounds of every contender in turn, each contender's run fresh (its own processes).
 * A failed run is recorded as null and told to `onError`; the other runs go on.
 */
export async function interleave<T>(
  rounds: number,
  contenders: Record<string, () => Promise<T>>,
  onRun: (name: string, round: number, result: T | null, err?: unknown) => void,
): Promise<Record<string, (T | null)[]>> {
  const out: Record<string, (T | null)[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of Object.entries(contenders)) {
      try {
        const x = await run();
        out[name]!.push(x);
        onRun(name, r + 1, x);
      } catch (err) {
        out[name]!.push(null);
        onRun(name, r + 1, null, err);
      }
    }
  }
  return out;
}

/** Flat figures of one run (numbers; nested objects such as core shares are kept from the median run only). */
export type Figures = Record<string, number | null>;

/** Every numeric key of the runs: its median and min–max over the rounds in which it was measured. */
export function mediansOf(runs: readonly (Figures | null)[], digits: Record<string, number> = {}): { median: Figures; spread: Record<string, Spread> } {
  const keys = new Set(runs.flatMap((r) => (r ? Object.keys(r) : [])));
  const median: Figures = {};
  const spread: Record<string, Spread> = {};
  for (const k of keys) {
    const s = spreadOf(runs.map((r) => r?.[k] ?? null), digits[k] ?? 0);
    median[k] = s.median;
    spread[k] = s;
  }
  return { median, spread };
}
