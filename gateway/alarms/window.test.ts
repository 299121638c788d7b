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
});
