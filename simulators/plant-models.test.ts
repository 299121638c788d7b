/**
 * The generator, water tank, sump pump and chiller of the demo site on simulated time: plausible
 * when healthy, and every fault shows the signature a technician (and the default rules) look for.
 */
import { describe, expect, it } from 'vitest';
import type { ChillerValues } from './models/chiller.js';
import { CRANK, type GeneratorValues } from './models/generator.js';
import type { SumpPumpValues } from './models/sumpPump.js';
import { TANK, type WaterTankValues } from './models/waterTank.js';
import { demoSite as site, secondsUntil, valuesOf as v } from './testkit.js';

describe('generator', () => {
  it('stands by warm and floating, and a remote start runs it at 1500 rpm, 50 Hz, 230 V', () => {
    const s = site(11);
    const gen = s.dev('gen-1');
    s.run(30);
    expect(v<GeneratorValues>(gen)).toMatchObject({ running: false, engine_speed: 0, output_voltage: 0, fail_to_start: false });
    expect(v<GeneratorValues>(gen).battery_voltage).toBeCloseTo(27.2, 0);
    expect(v<GeneratorValues>(gen).coolant_temp).toBeGreaterThan(35);
    const attempts = v<GeneratorValues>(gen).start_attempts;
    expect(gen.write('start_command', true)).toBe(true);
    const hours = v<GeneratorValues>(gen).run_hours;
    expect(secondsUntil(s.run, () => v<GeneratorValues>(gen).running, 5)).toBeLessThan(3);
    s.run(20);
    const g = v<GeneratorValues>(gen);
    expect(g.engine_speed).toBeGreaterThan(1480);
    expect(g.output_frequency).toBeCloseTo(50, 0);
    expect(g.output_voltage).toBeGreaterThan(225);
    expect(g.oil_pressure).toBeGreaterThan(350);
    expect(g.start_attempts).toBe(attempts + 1);
    expect(g.run_hours).toBeGreaterThan(hours);
    gen.write('start_command', false);
    s.run(10);
    expect(v<GeneratorValues>(gen).running).toBe(false);
    expect(gen.write('engine_speed', 3000)).toBe(false);
  });

  it('fails_to_start: three crank attempts with the battery dipping, then the latched alarm', () => {
    const s = site(12);
    const gen = s.dev('gen-1');
    s.run(5);
    const attempts = v<GeneratorValues>(gen).start_attempts;
    gen.inject('fails_to_start');
    let minBattery = Infinity;
    const t = secondsUntil(s.run, () => ((minBattery = Math.min(minBattery, v<GeneratorValues>(gen).battery_voltage)), v<GeneratorValues>(gen).fail_to_start), 60);
    expect(t).toBeCloseTo(CRANK.attempts * CRANK.crankS + (CRANK.attempts - 1) * CRANK.restS, 0);
    expect(minBattery).toBeLessThan(21);
    expect(v<GeneratorValues>(gen)).toMatchObject({ running: false, start_attempts: attempts + 3 });
    s.run(30);
    expect(v<GeneratorValues>(gen).start_attempts).toBe(attempts + 3); // latched: no more cranking
    gen.clearAll();
    s.run(1);
    expect(v<GeneratorValues>(gen).fail_to_start).toBe(false);
  });

  it('battery_low, low_fuel and over_temperature reach their alarm regions within a minute', () => {
    const s = site(13);
    const gen = s.dev('gen-1');
    gen.inject('battery_low');
    gen.inject('low_fuel');
    expect(secondsUntil(s.run, () => v<GeneratorValues>(gen).battery_voltage < 24, 30)).toBeLessThan(10);
    expect(secondsUntil(s.run, () => v<GeneratorValues>(gen).fuel_level < 25, 60)).toBeLessThan(60);
    gen.clearAll();
    gen.inject('over_temperature'); // starts the set, as a test run would
    expect(secondsUntil(s.run, () => v<GeneratorValues>(gen).coolant_temp > 98, 120)).toBeLessThan(90);
    expect(v<GeneratorValues>(gen).running).toBe(true);
  });
});

describe('water tank', () => {
  it('cycles its inlet valve between 2.2 and 2.6 m over a day, never at high or low level', () => {
    const s = site(21);
    const tank = s.dev('tank-1');
    let opened = 0;
    let wasOpen = v<WaterTankValues>(tank).inlet_valve_open;
    for (let i = 0; i < 24 * 60; i++) {
      s.clock.advance((dt, t) => tank.model.step(dt, t), 600); // one minute
      const w = v<WaterTankValues>(tank);
      if (w.inlet_valve_open && !wasOpen) opened++;
      wasOpen = w.inlet_valve_open;
      expect(w.level).toBeGreaterThan(TANK.valveOpen - 0.1);
      expect(w).toMatchObject({ high_level: false, low_level: false, overflow: false });
      expect(w.level_pct).toBeCloseTo((w.level / TANK.depth) * 100, 5);
    }
    expect(opened).toBeGreaterThan(3);
  });

  it('inlet_stuck_open: high level, then overflow; supply_failure: low level with the valve open', () => {
    const s = site(22);
    const tank = s.dev('tank-1');
    tank.inject('inlet_stuck_open');
    expect(secondsUntil(s.run, () => v<WaterTankValues>(tank).high_level, 60)).toBeLessThan(40);
    expect(secondsUntil(s.run, () => v<WaterTankValues>(tank).overflow, 120)).toBeLessThan(90);
    expect(v<WaterTankValues>(tank)).toMatchObject({ inlet_valve_open: true, inlet_flow: 30 });
    tank.clearAll();
    tank.inject('supply_failure');
    expect(secondsUntil(s.run, () => v<WaterTankValues>(tank).low_level, 120)).toBeLessThan(90);
    expect(v<WaterTankValues>(tank)).toMatchObject({ inlet_valve_open: true, inlet_flow: 0, high_level: false });
  });
});

describe('sump pump', () => {
  it('pumps the pit down from 0.9 m to 0.3 m and counts starts and run time', () => {
    const s = site(31);
    const sump = s.dev('sump-1');
    const before = v<SumpPumpValues>(sump);
    s.run(3 * 3600);
    const after = v<SumpPumpValues>(sump);
    expect(after.starts).toBeGreaterThan(before.starts);
    expect(after.run_hours).toBeGreaterThan(before.run_hours);
    expect(after.high_level).toBe(false);
    expect(after.pit_level).toBeLessThan(1);
    secondsUntil(s.run, () => v<SumpPumpValues>(sump).running, 3600);
    s.run(3);
    expect(v<SumpPumpValues>(sump).motor_current).toBeGreaterThan(4.5);
  });

  it('fails_to_start: called, no current, pump_fail after 10 s, then high level', () => {
    const s = site(32);
    const sump = s.dev('sump-1');
    sump.inject('fails_to_start');
    const tFail = secondsUntil(s.run, () => v<SumpPumpValues>(sump).pump_fail, 60);
    expect(v<SumpPumpValues>(sump)).toMatchObject({ pump_call: true, running: false, motor_current: 0 });
    expect(tFail).toBeGreaterThan(10);
    secondsUntil(s.run, () => v<SumpPumpValues>(sump).high_level, 60);
    expect(v<SumpPumpValues>(sump).pit_level).toBeGreaterThan(1.2);
    sump.clearAll();
    secondsUntil(s.run, () => v<SumpPumpValues>(sump).running, 1);
    expect(v<SumpPumpValues>(sump).pump_fail).toBe(false);
  });

  it('high_inflow: the pump runs flat out and the pit still reaches high level', () => {
    const s = site(33);
    const sump = s.dev('sump-1');
    sump.inject('high_inflow');
    secondsUntil(s.run, () => v<SumpPumpValues>(sump).high_level, 90);
    expect(v<SumpPumpValues>(sump)).toMatchObject({ running: true, pump_fail: false });
  });
});

describe('chiller', () => {
  it('holds 7 °C supply with a return that follows the load, at R-134a pressures', () => {
    const s = site(41);
    const ch = s.dev('chiller-1');
    s.run(600);
    const c = v<ChillerValues>(ch);
    expect(c.running).toBe(true);
    expect(c.chw_supply_temp).toBeCloseTo(7, 0);
    expect(c.chw_return_temp - c.chw_supply_temp).toBeCloseTo((5 * c.load_pct) / 100, 0);
    expect(c.evaporator_pressure).toSatisfy((p: number) => p > 220 && p < 270); // ~4.5 °C saturated
    expect(c.condenser_pressure).toSatisfy((p: number) => p > 750 && p < 950); // ~36–40 °C condensing
    expect(c.compressor_current).toSatisfy((a: number) => a > 150 && a < 330);
    expect(ch.write('chw_setpoint', 8)).toBe(true);
    expect(ch.write('chw_setpoint', 2)).toBe(false);
  });

  it('high_discharge_pressure, low_suction_pressure and compressor_trip show their signatures', () => {
    const s = site(42);
    const ch = s.dev('chiller-1');
    s.run(60);
    ch.inject('high_discharge_pressure');
    expect(secondsUntil(s.run, () => v<ChillerValues>(ch).condenser_pressure > 1100, 180)).toBeLessThan(120);
    ch.clearAll();
    ch.inject('low_suction_pressure');
    expect(secondsUntil(s.run, () => v<ChillerValues>(ch).evaporator_pressure < 200, 60)).toBeLessThan(40);
    ch.clearAll();
    ch.inject('compressor_trip');
    s.run(1);
    expect(v<ChillerValues>(ch)).toMatchObject({ running: false, compressor_trip: true, compressor_current: 0 });
    expect(secondsUntil(s.run, () => v<ChillerValues>(ch).chw_supply_temp > 10, 300)).toBeLessThan(200);
    ch.clearAll();
    s.run(1);
    expect(v<ChillerValues>(ch).running).toBe(true);
  });
});
