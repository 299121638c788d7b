import { describe, expect, it } from 'vitest';
import { alertLevel, crossingTimes, cusumStep, ewmaLimit, ewmaStep, mad, median, normalCdf, normalQuantile, quantile, robustZ, scaledAlert, theilSen, timeToLimit } from './stats.js';
import { Rng } from '../../simulators/random.js';

describe('robust statistics', () => {
  it('median, quantile and MAD', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.9)).toBeCloseTo(4.6);
    expect(mad([1, 1, 2, 2, 4, 6, 9])).toBe(1);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it('robust z ignores an outlier that would blow up a classic z-score', () => {
    const xs = [10, 10.2, 9.9, 10.1, 10, 9.8, 10.1, 1000];
    const m = median(xs);
    const d = mad(xs, m);
    expect(robustZ(1000, m, d)).toBeGreaterThan(3.5);
    expect(Math.abs(robustZ(10.1, m, d))).toBeLessThan(3.5);
    expect(robustZ(5, 5, 0)).toBe(0);
  });

  it('normal CDF and quantile are inverse', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
  });

  it('EWMA signals a 1σ shift that single points do not; CUSUM accumulates it', () => {
    const rng = new Rng(7);
    let e = { value: 0, n: 0 };
    let s = 0;
    let ewmaAt = -1;
    let cusumAt = -1;
    for (let i = 0; i < 200; i++) {
      const z = rng.gauss(i >= 100 ? 1.5 : 0, 1);
      e = ewmaStep(e, z, 0.2);
      s = cusumStep(s, z, 0.5);
      if (ewmaAt < 0 && e.value > ewmaLimit(e.n, 0.2, 3)) ewmaAt = i;
      if (cusumAt < 0 && s > 5) cusumAt = i;
    }
    expect(ewmaAt).toBeGreaterThanOrEqual(100);
    expect(cusumAt).toBeGreaterThanOrEqual(100);
    expect(cusumAt).toBeLessThan(120);
    expect(ewmaLimit(1000, 0.2, 3)).toBeCloseTo(3 * Math.sqrt(0.2 / 1.8), 6);
  });
});

describe('Theil–Sen trend', () => {
  it('recovers the slope of a noisy line despite 20 % gross outliers, with a band around it', () => {
    const rng = new Rng(42);
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < 120; i++) {
      xs.push(i);
      ys.push(2 + 0.05 * i + rng.gauss(0, 0.2) + (i % 5 === 0 ? 30 : 0));
    }
    const fit = theilSen(xs, ys, 0.95)!;
    expect(fit.slope).toBeCloseTo(0.05, 2);
    expect(fit.slopeLow).toBeLessThan(0.05);
    expect(fit.slopeHigh).toBeGreaterThan(0.05);
    expect(fit.pValue).toBeLessThan(1e-6);
  });

  it('finds no significant trend in stationary noise', () => {
    const rng = new Rng(3);
    const xs = Array.from({ length: 96 }, (_, i) => i);
    const ys = xs.map(() => rng.gauss(5, 1));
    const fit = theilSen(xs, ys)!;
    expect(fit.pValue).toBeGreaterThan(0.05);
    expect(fit.slopeLow).toBeLessThan(0);
    expect(fit.slopeHigh).toBeGreaterThan(0);
  });

  it('widens the band for autocorrelated residuals', () => {
    const rng = new Rng(5);
    const xs = Array.from({ length: 96 }, (_, i) => i);
    let ar = 0;
    const ys = xs.map((x) => (ar = 0.9 * ar + rng.gauss(0, 0.3)) + 0.01 * x);
    const fit = theilSen(xs, ys)!;
    expect(fit.inflation).toBeGreaterThan(3);
  });

  it('time to limit', () => {
    expect(timeToLimit(5, 0.5, 7, 1)).toBe(4);
    expect(timeToLimit(8, 0.5, 7, 1)).toBe(0);
    expect(timeToLimit(5, -0.5, 7, 1)).toBe(Infinity);
    expect(timeToLimit(200, -2, 198, -1)).toBe(1);
    expect(theilSen([1, 2], [1, 2])).toBeNull();
  });

  it('crossing band widens with the extrapolation distance and brackets the estimate', () => {
    // Level 2 ± 0.1, slope 0.1 per hour with Sen band [0.08, 0.12].
    const near = crossingTimes(2, 0.1, 0.08, 0.12, 0.1, 3, 1);
    const far = crossingTimes(2, 0.1, 0.08, 0.12, 0.1, 6, 1);
    expect(near.t).toBeCloseTo(10);
    expect(near.early).toBeCloseTo(0.9 / 0.12);
    expect(near.late).toBeCloseTo(1.1 / 0.08);
    for (const c of [near, far]) {
      expect(c.early).toBeLessThan(c.t);
      expect(c.late).toBeGreaterThan(c.t);
    }
    // Four times the distance: the band is wider in hours (the slope part grows with the distance,
    // only the level part stays fixed), and never narrower, relative to the estimate, than the slope band.
    expect(far.late - far.early).toBeGreaterThan(2.5 * (near.late - near.early));
    expect((far.late - far.early) / far.t).toBeGreaterThanOrEqual(0.1 * (1 / 0.08 - 1 / 0.12));
    // A slope band reaching 0 leaves the late edge open; a falling limit (dir −1) mirrors the rising one.
    expect(crossingTimes(2, 0.1, 0, 0.12, 0.1, 3, 1).late).toBe(Infinity);
    const down = crossingTimes(-2, -0.1, -0.12, -0.08, 0.1, -3, -1);
    expect(down.t).toBeCloseTo(near.t);
    expect(down.early).toBeCloseTo(near.early);
    expect(down.late).toBeCloseTo(near.late);
    // Already past the limit: every edge is 0.
    expect(crossingTimes(4, 0.1, 0.08, 0.12, 0.1, 3, 1)).toEqual({ t: 0, early: 0, late: 0 });
  });

  it('alert vs alarm limit: the alert lies between the baseline and the alarm, and scales with the alarm', () => {
    // ISO 10816-3 group 2 flexible: B/C 4.5, C/D 7.1 mm/s; a healthy pump at 2 mm/s plans against 4.5.
    expect(alertLevel(4.5, 2, 7.1)).toBe(4.5);
    // No alert configured, or a machine whose normal already sits above the alert: judged on the alarm.
    expect(alertLevel(undefined, 2, 7.1)).toBe(7.1);
    expect(alertLevel(4.5, 5, 7.1)).toBe(7.1);
    // An alert beyond the alarm is no alert.
    expect(alertLevel(8, 2, 7.1)).toBe(7.1);
    // Falling indicators (limit below the baseline): the alert must lie between them too.
    expect(alertLevel(40, 50, 30)).toBe(40);
    expect(alertLevel(60, 50, 30)).toBe(30);
    // The alert keeps its ratio to the alarm limit: 4.5 / 7.1 of a 0.3 g alarm.
    expect(scaledAlert(4.5, 7.1, 0.3)).toBeCloseTo((0.3 * 4.5) / 7.1);
    expect(scaledAlert(4.5, 0, 0.3)).toBe(0.3);
  });
});
