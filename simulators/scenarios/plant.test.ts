/**
 * The degradation scenarios of the generator, water tank, sump pump and chiller: the indicator
 * sits at its normal level at first and reaches its failure level at the recorded failure time.
 */
import { describe, expect, it } from 'vitest';
import { createDemoDevices } from '../devices.js';
import { createLiveScenario, createScenario, SCENARIOS, type ScenarioName, type ScenarioSample } from './index.js';
import { cleanSamples as clean, DAY_MS as DAY, median, num } from '../testkit.js';

const HOUR = 3_600_000;
const near = (s: ScenarioSample[], t: number, within: number) => s.filter((x) => Math.abs(x.ts - t) <= within);

describe('plant degradation scenarios', () => {
  it('fuel leak: the generator day tank holds its level at first and is at 25 % at the failure time', () => {
    const run = createScenario({ scenario: 'fuel_leak', seed: 4, durationDays: 8, failAfterDays: 6 });
    expect(run.type).toBe('generator');
    expect(run.indicator).toMatchObject({ point: 'fuel_level', failureLevel: 25 });
    expect(run.failureAt).toBe(run.start + 6 * DAY);
    const s = clean(run.samples(300));
    const first = num(s[0]!, 'fuel_level');
    expect(first).toBeGreaterThan(75);
    expect(first - num(near(s, run.start + DAY, 600_000)[0]!, 'fuel_level')).toBeLessThan(2); // lost in a day's reading error
    expect(num(near(s, run.failureAt!, 600_000).at(-1)!, 'fuel_level')).toBeCloseTo(25, 0);
    expect(num(s.at(-1)!, 'fuel_level')).toBeLessThan(25);
  });

  it('valve seat wear: the water tank inlet passes 2.5 m³/h through the closed valve at the failure time', () => {
    const run = createScenario({ scenario: 'valve_seat_wear', seed: 2, durationDays: 7, failAfterDays: 5 });
    expect(run.type).toBe('water_tank');
    const s = clean(run.samples(120));
    const passing = (t0: number, t1: number) => s.filter((x) => x.ts >= t0 && x.ts < t1 && x.values.inlet_valve_open === false).map((x) => num(x, 'inlet_flow'));
    expect(Math.max(...passing(run.start, run.start + DAY))).toBeLessThan(0.1);
    const atFailure = passing(run.failureAt! - 5 * 60_000, run.failureAt! + 5 * 60_000);
    for (const f of atFailure) expect(f).toBeCloseTo(2.5, 1);
    // A passing valve fills the tank to its high-level switch when the draw is smallest.
    expect(s.filter((x) => x.ts > run.failureAt!).some((x) => x.values.high_level === true)).toBe(true);
    expect(s.filter((x) => x.ts < run.start + DAY).some((x) => x.values.high_level === true)).toBe(false);
  });

  it('impeller ragging: the running sump pump draws 8.1 A at the failure time and pumps down slower', () => {
    const run = createScenario({ scenario: 'impeller_ragging', seed: 6, durationDays: 5, failAfterDays: 4 });
    expect(run.type).toBe('sump_pump');
    expect(run.indicator).toMatchObject({ point: 'motor_current', failureLevel: 8.1 });
    const s = clean(run.samples(10));
    const amps = (t0: number, t1: number) => s.filter((x) => x.ts >= t0 && x.ts < t1 && x.values.running === true).map((x) => num(x, 'motor_current'));
    expect(median(amps(run.start, run.start + DAY))).toBeCloseTo(5.3, 0);
    expect(median(amps(run.failureAt! - 6 * HOUR, run.failureAt! + 6 * HOUR))).toBeGreaterThan(7.3);
    const runs = (t0: number, t1: number) => s.filter((x) => x.ts >= t0 && x.ts < t1 && x.values.running === true).length;
    expect(runs(run.start + 4 * DAY, run.start + 5 * DAY)).toBeGreaterThan(runs(run.start, run.start + DAY) * 1.3);
  });

  it('condenser fouling: the chiller condenser pressure reaches 1,100 kPa at an afternoon peak, at the recorded time', () => {
    const run = createScenario({ scenario: 'condenser_fouling', seed: 3, durationDays: 9, failAfterDays: 6 });
    expect(run.type).toBe('chiller');
    expect(Math.abs(run.failureAt! - (run.start + 6 * DAY))).toBeLessThan(1.5 * DAY);
    const s = clean(run.samples(60));
    expect(Math.max(...s.filter((x) => x.ts < run.start + DAY).map((x) => num(x, 'condenser_pressure')))).toBeLessThan(950);
    const first = s.find((x) => num(x, 'condenser_pressure') >= 1100)!;
    expect(Math.abs(first.ts - run.failureAt!)).toBeLessThanOrEqual(60_000);
    const hour = new Date(first.ts).getUTCHours();
    expect(hour).toBeGreaterThanOrEqual(11);
    expect(hour).toBeLessThanOrEqual(19);
  });

  it.each([
    ['gen-1', 'fuel_leak', 'fuel_level', (v: number) => v <= 25.5],
    ['tank-1', 'valve_seat_wear', 'inlet_flow', (v: number, open: unknown) => open === true || v >= 2.4],
    ['sump-1', 'impeller_ragging', 'motor_current', (v: number, running: unknown) => running === false || v > 7.5],
    ['chiller-1', 'condenser_fouling', 'condenser_pressure', (v: number) => v > 900],
  ] as const)('runs live on the demo device %s (%s), its indicator at failure level by failureAt', (id, scenario: ScenarioName, point, atFailure) => {
    const device = createDemoDevices(1).find((d) => d.id === id)!;
    expect(SCENARIOS[scenario].types).toContain(device.type);
    let now = Date.UTC(2026, 2, 2, 0, 0);
    const driver = createLiveScenario({ scenario, seed: 2, model: device.model, now, failAfterDays: 1, tickSeconds: 1, glitchesPerDay: 0, clockNow: () => now });
    device.setScenario(driver);
    const failureAt = driver.info().failureAt!;
    expect(failureAt - now).toBeGreaterThan(0.5 * DAY);
    expect(failureAt - now).toBeLessThan(2.5 * DAY);
    const step = id === 'sump-1' ? 5 : 30;
    while (now < failureAt + 60_000) device.step(step, (now += step * 1000));
    const values = device.model.values() as unknown as Record<string, unknown>;
    const state = id === 'tank-1' ? values.inlet_valve_open : values.running;
    expect(atFailure(values[point] as number, state), `${point} = ${String(values[point])}`).toBe(true);
    expect(driver.info().wear).toBeGreaterThanOrEqual(1);
    device.setScenario(null); // DELETE /devices/:id/scenario: the wear returns to zero
    expect(Object.values((device.model as unknown as { wear: Record<string, number> }).wear)).toEqual([0]);
  });
});
