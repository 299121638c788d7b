/**
 * Numeric points take numbers only. A point is numeric when its config gives a unit (`unit: V`)
 * or when it has carried numbers before (its history is numeric). A text or boolean value on such
 * a point is kept out of the live state, the history and the alarms as it is: the reading becomes
 * quality `bad` with no value and a reason that says what was expected (README.md, "Security").
 */
import type { DeviceConfig } from '../config/schema.js';
import type { Reading } from '../core/reading.js';

export class NumericGuard {
  /** device → point → numeric (true) or not known yet (false); only configured points. */
  private readonly points = new Map<string, Map<string, boolean>>();

  constructor(devices: readonly DeviceConfig[]) {
    for (const d of devices) {
      const m = new Map<string, boolean>();
      for (const p of d.points) m.set(String(p.name), typeof p.unit === 'string' && p.unit !== '');
      this.points.set(d.id, m);
    }
  }

  /** Turns a non-number on a numeric point into a bad reading, in place. */
  check(r: Reading): void {
    if (r.value === null || r.quality === 'bad') return;
    const m = this.points.get(r.device);
    const numeric = m?.get(r.point);
    if (numeric === undefined) return;
    if (typeof r.value === 'number') {
      if (!numeric) m!.set(r.point, true);
      return;
    }
    if (!numeric) return;
    r.reason = `expected a number for ${r.device}/${r.point} (a numeric point), got a ${typeof r.value}`;
    r.value = null;
    r.quality = 'bad';
  }
}
