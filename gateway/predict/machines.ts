/**
 * Devices of one machine (`devices[].machine`: the bearings of one shaft, a pump and its motor)
 * shake together. When one element fails its neighbours rise with it, weaker with distance, so a
 * rise that a machine neighbour shows at least `ratio` times as strongly is taken for that
 * neighbour's echo, and raises no new prediction order (README, "Machines").
 */
import { H, type DeviceRt, type Series } from './series.js';
import { median } from './stats.js';

export class Machines {
  private readonly byId = new Map<string, DeviceRt[]>();

  add(rt: DeviceRt): void {
    const id = rt.cfg.machine;
    if (id !== undefined) (this.byId.get(id) ?? this.byId.set(id, []).get(id)!).push(rt);
  }

  /**
   * A device of `rt`'s machine whose series of the same key rose over the last `windowMs` at least
   * `ratio` times as much as `s` did, each relative to its own baseline; null when there is none.
   * The rise is taken over the window, not over the baseline, because an echo rises with its
   * source: a second element failing beside one that failed earlier and levelled off is not held.
   */
  louderNeighbour(rt: DeviceRt, s: Series, at: number, windowMs: number, ratio: number): string | null {
    const machine = rt.cfg.machine === undefined ? undefined : this.byId.get(rt.cfg.machine);
    if (!machine) return null;
    const riseOf = (x: Series): number | null => {
      const now = relativeRise(x, at);
      const then = relativeRise(x, at - windowMs);
      return now === null || then === null ? null : now - then;
    };
    const own = riseOf(s);
    if (own === null || own <= 0) return null;
    for (const peer of machine) {
      if (peer === rt) continue;
      const ps = peer.series.get(s.key);
      const rise = ps ? riseOf(ps) : null;
      if (rise !== null && rise >= ratio * own) return peer.cfg.id;
    }
    return null;
  }
}

/**
 * Rise of a series over its own baseline, relative to the baseline level, toward its limit: the
 * median of its hourly aggregates of the 3 hours up to `at` (null without a baseline, with a baseline
 * at 0, or without an aggregate in those hours). Devices of one machine are compared on it.
 */
function relativeRise(s: Pick<Series, 'baseline' | 'hourly' | 'spec'>, at: number): number | null {
  const b = s.baseline;
  if (!b || b.median === 0) return null;
  const recent: number[] = [];
  for (let i = s.hourly.length - 1; i >= 0 && s.hourly[i]!.t > at - 3 * H; i--) if (s.hourly[i]!.t <= at) recent.push(s.hourly[i]!.v);
  if (recent.length === 0) return null;
  const dir = s.spec.limit >= b.median ? 1 : -1;
  return (dir * (median(recent) - b.median)) / Math.abs(b.median);
}
