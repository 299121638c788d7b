/**
 * Devices of one machine (`devices[].machine`: the bearings of one shaft, a pump and its motor)
 * shake together. When one element fails its neighbours rise with it, weaker with distance, so a
 * rise that a machine neighbour shows at least `ratio` times as strongly is taken for that
 * neighbour's echo, and raises no new prediction order (README, "Machines").
 */
import { relativeRise, type DeviceRt, type Series } from './series.js';

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
