/**
 * Degradation scenarios in simulated time: repeatable per seed, fast, subtle at first and
 * accelerating, with the indicator reaching its failure level at the recorded failure time.
 */
import { describe, expect, it } from 'vitest';
import { createScenario, DEFAULT_START, SCENARIOS, type ScenarioName, type ScenarioSample } from './index.js';
import { cleanSamples as clean, DAY_MS as DAY, median, num } from '../testkit.js';

const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

describe('degradation scenarios', () => {
  it('runs 14 days at 60 s samples in well under a second, the same for the same seed', () => {
    const run = createScenario({ scenario: 'bearing_wear', seed: 3, durationDays: 14 });
    // CPU time, not wall time: a CI machine shared with other jobs stretches the wall clock.
    const t0 = process.cpuUsage();
    const a = [...run.samples(60)];
    const used = process.cpuUsage(t0);
    const ms = (used.user + used.system) / 1000;
    expect(a).toHaveLength(14 * 1440 + 1);
    expect(a[0]!.ts).toBe(DEFAULT_START);
    // Pumps are the most expensive model (about 0.3–0.5 s of CPU here, a meter about 0.1 s).
    expect(ms).toBeLessThan(1500);
    const b = [...createScenario({ scenario: 'bearing_wear', seed: 3, durationDays: 14 }).samples(60)];
    expect(b).toEqual(a);
    const other = createScenario({ scenario: 'bearing_wear', seed: 4, durationDays: 14 });
    expect(other.failureAt).not.toBe(run.failureAt);
    expect(run.failAfterDays).toBeGreaterThanOrEqual(4);
    expect(run.failAfterDays).toBeLessThanOrEqual(12);
    expect(run.failureAt).toBe(run.start + run.failAfterDays! * DAY);
    expect(run.indicator).toMatchObject({ point: 'vibration', failureLevel: 7.1 });
  });

  it('bearing wear: vibration within noise at first, at 7.1 mm/s by the failure time, bearing heats up', () => {
    const run = createScenario({ scenario: 'bearing_wear', seed: 1, durationDays: 10, failAfterDays: 8 });
    const running = clean(run.samples(60)).filter((s) => s.values.running === true);
    const day = (d0: number, d1: number) => running.filter((s) => s.ts >= run.start + d0 * DAY && s.ts < run.start + d1 * DAY);
    const vib = (a: ScenarioSample[]) => a.map((s) => num(s, 'vibration'));
    expect(Math.abs(mean(vib(day(1, 2))) - mean(vib(day(0, 1))))).toBeLessThan(0.15); // lost in the noise
    expect(mean(vib(day(4, 5)))).toBeLessThan(mean(vib(day(0, 1))) + 0.6);
    const atFailure = running.filter((s) => Math.abs(s.ts - run.failureAt!) < 3 * 3600_000);
    expect(median(vib(atFailure))).toBeGreaterThan(6.3);
    expect(median(vib(atFailure))).toBeLessThan(7.9);
    expect(median(vib(day(9, 10)))).toBeGreaterThan(7.1);
    expect(Math.max(...day(9, 10).map((s) => num(s, 'bearing_temp')))).toBeGreaterThan(80);
    expect(Math.max(...day(0, 1).map((s) => num(s, 'bearing_temp')))).toBeLessThan(65);
  });

  it('door-roller wear: the mean close time reaches 6 s at the failure time', () => {
    const run = createScenario({ scenario: 'door_roller_wear', type: 'elevator', seed: 2, durationDays: 4, failAfterDays: 3 });
    const s = clean(run.samples(30));
    const close = (t0: number, t1: number) => s.filter((x) => x.ts >= t0 && x.ts < t1).map((x) => num(x, 'door_close_time'));
    expect(mean(close(run.start, run.start + DAY / 2))).toBeLessThan(3.3);
    expect(mean(close(run.failureAt! - 2 * 3600_000, run.failureAt! + 2 * 3600_000))).toBeCloseTo(6, 0);
    expect(run.indicator).toMatchObject({ point: 'door_close_time', failureLevel: 6 });
  });

  it('seal leak: the night-time start rate climbs past 15 per hour', () => {
    const run = createScenario({ scenario: 'seal_leak', seed: 5, durationDays: 6, failAfterDays: 4 });
    const s = clean(run.samples(300));
    const maxRate = (d0: number, d1: number) => Math.max(...s.filter((x) => x.ts >= run.start + d0 * DAY && x.ts < run.start + d1 * DAY).map((x) => num(x, 'starts_per_hour')));
    expect(maxRate(0, 1)).toBeLessThanOrEqual(13);
    expect(maxRate(4, 6)).toBeGreaterThanOrEqual(15);
    expect(s.every((x) => typeof x.values.starts === 'number' && typeof x.values.run_hours === 'number')).toBe(true);
  });

  it('transformer cooling loss: the temperature reaches the 130 °C alarm at the recorded time', () => {
    const run = createScenario({ scenario: 'transformer_cooling_loss', seed: 9, durationDays: 8, failAfterDays: 5 });
    expect(run.type).toBe('power');
    expect(run.indicator).toMatchObject({ point: 'transformer_temp', failureLevel: 130 });
    expect(Math.abs(run.failureAt! - (run.start + 5 * DAY))).toBeLessThan(1.5 * DAY);
    const s = clean(run.samples(60));
    const first = s.find((x) => num(x, 'transformer_temp') >= 130)!;
    expect(Math.abs(first.ts - run.failureAt!)).toBeLessThanOrEqual(60_000);
    expect(Math.max(...s.filter((x) => x.ts < run.start + DAY).map((x) => num(x, 'transformer_temp')))).toBeLessThan(90);
  });

  it('healthy controls: no failure, load cycles, and occasional single-sample glitches', () => {
    for (const type of SCENARIOS.healthy.types) {
      const run = createScenario({ scenario: 'healthy', type, seed: 8, durationDays: 7, glitchesPerDay: 2 });
      expect(run.failureAt).toBeNull();
      expect(run.indicator).toBeNull();
      const all = [...run.samples(60)];
      const glitches = all.filter((s) => s.glitch);
      expect(glitches.length).toBeGreaterThan(3);
      expect(glitches.length).toBeLessThan(40);
      // A glitch is one sample: its neighbours read normally.
      const i = all.indexOf(glitches[0]!);
      expect(all[i + 1]!.glitch).toBeUndefined();
    }
    const pump = clean(createScenario({ scenario: 'healthy', seed: 8, durationDays: 3, glitchesPerDay: 0 }).samples(60));
    expect(Math.max(...pump.map((s) => num(s, 'vibration')))).toBeLessThan(4);
    expect(pump.some((s) => s.values.running === true) && pump.some((s) => s.values.running === false)).toBe(true);
  });

  it('every declared scenario samples its indicator on each of its types and has a failure time', () => {
    for (const [scenario, spec] of Object.entries(SCENARIOS) as [ScenarioName, (typeof SCENARIOS)[ScenarioName]][]) {
      for (const type of spec.types) {
        const run = createScenario({ scenario, type, seed: 1, durationDays: 1, failAfterDays: 0.5, glitchesPerDay: 0 });
        if (scenario === 'healthy') {
          expect([run.indicator, run.failureAt]).toEqual([null, null]);
          continue;
        }
        const first = [...run.samples(3600)][0]!;
        expect(typeof first.values[run.indicator!.point], `${scenario} on ${type}: ${run.indicator!.point}`).toBe('number');
        expect(run.failureAt, `${scenario} on ${type}`).toBeGreaterThan(run.start);
      }
    }
    expect(() => createScenario({ scenario: 'no_such_wear' as ScenarioName, seed: 1, durationDays: 1 })).toThrow(/unknown scenario 'no_such_wear'; scenarios: healthy, bearing_wear/);
  });

  it('rejects a scenario on the wrong equipment type', () => {
    expect(() => createScenario({ scenario: 'bearing_wear', type: 'elevator', seed: 1, durationDays: 1 })).toThrow(/runs on pump/);
    expect(() => createScenario({ scenario: 'seal_leak', seed: 1, durationDays: 0 })).toThrow(/durationDays/);
  });
});
