import { describe, expect, it } from 'vitest';
import { SampleWindow } from './window.js';

describe('SampleWindow', () => {
  it('keeps samples oldest first across wrap-around and growth', () => {
    const w = new SampleWindow(2);
    const ref: Array<[number, number]> = [];
    for (let i = 0; i < 50; i++) {
      w.push(i * 1000, i * 0.5);
      ref.push([i * 1000, i * 0.5]);
      if (i % 3 === 0) {
        w.shift();
        ref.shift();
      }
      expect(w.length).toBe(ref.length);
      for (let k = 0; k < ref.length; k++) expect([w.tsAt(k), w.valueAt(k)]).toEqual(ref[k]);
    }
  });

  it('inserts a late sample in time order, also across wrap-around', () => {
    const w = new SampleWindow(4);
    for (const t of [0, 1, 2, 3]) w.push(t * 1000, t);
    w.shift();
    w.shift(); // head in the middle of the ring
    w.push(5000, 5);
    w.insert(4000, 4);
    w.insert(500, 0.5);
    w.insert(5000, 5.5); // same time as the newest: after it
    const got = Array.from({ length: w.length }, (_, k) => [w.tsAt(k), w.valueAt(k)]);
    expect(got).toEqual([[500, 0.5], [2000, 2], [3000, 3], [4000, 4], [5000, 5], [5000, 5.5]]);
  });
});

