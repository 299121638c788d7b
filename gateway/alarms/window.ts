/**
 * The samples of a rate rule's window, oldest first, as a ring over two Float64Arrays.
 *
 * A rate rule keeps every changed value of its window (for `per: 1h` on a point that moves each
 * second, 3,600 samples per device). As `{ ts, v }` objects that is about 56 bytes a sample on the
 * heap, each one promoted to the old generation before it expires; here it is 16 bytes and no
 * garbage. The capacity doubles when full and never shrinks: the window's own length bounds it.
 */
export class SampleWindow {
  private ts: Float64Array;
  private vs: Float64Array;
  /** Index of the oldest sample. */
  private head = 0;
  length = 0;

  constructor(capacity = 8) {
    this.ts = new Float64Array(capacity);
    this.vs = new Float64Array(capacity);
  }

  push(ts: number, v: number): void {
    const cap = this.ts.length;
    if (this.length === cap) this.grow(cap * 2);
    const i = (this.head + this.length) % this.ts.length;
    this.ts[i] = ts;
    this.vs[i] = v;
    this.length++;
  }

  /** Adds a sample in time order: after every sample not newer than it (a reading delivered late). */
  insert(ts: number, v: number): void {
    let k = this.length;
    while (k > 0 && this.tsAt(k - 1) > ts) k--;
    this.push(ts, v);
    for (let j = this.length - 1; j > k; j--) this.set(j, this.tsAt(j - 1), this.valueAt(j - 1));
    this.set(k, ts, v);
  }

  /** Drops the oldest sample. */
  shift(): void {
    if (this.length === 0) return;
    this.head = (this.head + 1) % this.ts.length;
    this.length--;
  }

  /** Timestamp of the k-th oldest sample (0 = oldest); k < length. */
  tsAt(k: number): number {
    return this.ts[(this.head + k) % this.ts.length]!;
  }

  /** Value of the k-th oldest sample (0 = oldest); k < length. */
  valueAt(k: number): number {
    return this.vs[(this.head + k) % this.vs.length]!;
  }

  private set(k: number, ts: number, v: number): void {
    const i = (this.head + k) % this.ts.length;
    this.ts[i] = ts;
    this.vs[i] = v;
  }

  private grow(capacity: number): void {
    const ts = new Float64Array(capacity);
    const vs = new Float64Array(capacity);
    for (let k = 0; k < this.length; k++) {
      ts[k] = this.tsAt(k);
      vs[k] = this.valueAt(k);
    }
    this.ts = ts;
    this.vs = vs;
    this.head = 0;
  }
}
