/**
 * The Modbus TCP face read by a foreign master, Debian's mbpoll: registers, word orders and
 * scales as in demo/site.yaml (pumps, meter, generator, water tank, chiller), exception 2 outside the map, a fault injected over the control
 * API showing up in the registers, and a silent device timing out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { FREE_MODBUS_PORTS, startSimulators, type SimulatorStack } from './index.js';
import { mbpoll, post } from './testkit.js';
import { waitFor } from '../tools/wait.js';

let sims: SimulatorStack;
let pump1: number;
let power: number;

beforeAll(async () => {
  sims = await startSimulators({
    protocols: ['modbus'],
    modbusPorts: FREE_MODBUS_PORTS,
    controlPort: 0,
    seed: 11,
    startTime: new Date('2026-03-02T12:00:00').getTime(),
    log: pino({ level: 'warn' }),
  });
  pump1 = sims.ports.modbus['pump-1']!;
  power = sims.ports.modbus['power-1']!;
});
afterAll(() => sims?.stop());

const pressure = async () => (await mbpoll(pump1, '3', 1)).values.get(1)! * 0.001; // input 0, ×0.001 MPa

describe('Modbus TCP face (read with mbpoll)', () => {
  it('serves a plausible pump-1 discharge pressure and the rest of its map', async () => {
    expect(await pressure()).toSatisfy((p: number) => p > 0.44 && p < 0.56);
    const block = await mbpoll(pump1, '3', 1, 7); // input 0..6
    expect(block.ok).toBe(true);
    expect(block.values.get(2)! * 0.001).toBeCloseTo(0.1, 1); // suction
    expect(block.values.get(7)! * 0.01).toSatisfy((v: number) => v > 1 && v < 3); // vibration mm/s
    const flow = await mbpoll(pump1, '3:float', 3); // CDAB = mbpoll's default word order
    expect(flow.values.get(3)).toSatisfy((q: number) => q > 1 && q < 30);
    const runHours = await mbpoll(pump1, '3:int', 9, 1, ['-B']); // ABCD
    expect(runHours.values.get(9)! * 0.1).toBeGreaterThan(1000);
    expect((await mbpoll(pump1, '4', 1)).values.get(1)).toBe(500); // setpoint 0.5 MPa
    expect((await mbpoll(pump1, '0', 1)).values.get(1)).toBe(1); // enabled coil
    expect((await mbpoll(pump1, '1', 1, 2)).values.get(2)).toBe(1); // auto_mode
  });

  it('serves the power meter in float32 ABCD and energy in uint32 CDAB', async () => {
    const floats = await mbpoll(power, '3:float', 1, 10, ['-B']);
    expect(floats.values.get(1)).toSatisfy((v: number) => v > 215 && v < 235); // voltage_l1
    expect(floats.values.get(17)).toBeCloseTo(50, 0); // frequency
    expect(floats.values.get(15)).toSatisfy((pf: number) => pf > 0.88 && pf < 0.97);
    const kwh = await mbpoll(power, '4:int', 1); // low word first
    expect(kwh.values.get(1)! * 0.1).toBeGreaterThan(100_000);
  });

  it('accepts writes to the pressure setpoint and the enable coil only', async () => {
    expect((await mbpoll(pump1, '4', 1, 1, [], [450])).ok).toBe(true);
    expect((await mbpoll(pump1, '4', 1)).values.get(1)).toBe(450);
    const rejected = await mbpoll(pump1, '4', 1, 1, [], [900]); // 0.9 MPa is outside 0.2–0.8
    expect(rejected.stderr).toMatch(/Illegal data value/i);
    expect((await mbpoll(pump1, '4', 1, 1, [], [500])).ok).toBe(true);
    expect((await mbpoll(power, '4', 3, 1, [], [1])).stderr).toMatch(/Illegal data address/i); // read-only
    expect((await mbpoll(pump1, '0', 1, 1, [], [0])).ok).toBe(true); // disable: the pump stops
    await waitFor(async () => (await mbpoll(pump1, '1', 1)).values.get(1) === 0, { what: 'pump-1 stopped', timeout: 2000 });
    expect((await mbpoll(pump1, '0', 1, 1, [], [1])).ok).toBe(true);
  });

  it('serves the generator, the water tank and the chiller; a write of the generator start coil runs the set', async () => {
    const gen = sims.ports.modbus['gen-1']!;
    const standby = await mbpoll(gen, '3', 1, 7); // input 0..6
    expect(standby.values.get(1)).toBe(0); // oil pressure, stopped
    expect(standby.values.get(2)! * 0.1).toSatisfy((c: number) => c > 35 && c < 45); // coolant, jacket heater
    expect(standby.values.get(4)! * 0.01).toBeCloseTo(27.2, 0); // battery V ×0.01
    expect((await mbpoll(gen, '0', 1, 1, [], [1])).ok).toBe(true); // remote start: the test run
    await waitFor(async () => (await mbpoll(gen, '1', 1)).values.get(1) === 1, { what: 'gen-1 running', timeout: 5000 });
    await waitFor(async () => ((await mbpoll(gen, '3', 5)).values.get(5) ?? 0) > 1400, { what: 'gen-1 at speed', timeout: 8000 });
    expect((await mbpoll(gen, '0', 1, 1, [], [0])).ok).toBe(true);
    const tank = await mbpoll(sims.ports.modbus['tank-1']!, '3', 1, 2);
    expect(tank.values.get(1)! * 0.001).toSatisfy((m: number) => m > 2 && m < 2.7); // level, m
    const chiller = sims.ports.modbus['chiller-1']!;
    expect((await mbpoll(chiller, '3', 1)).values.get(1)! * 0.1).toBeCloseTo(7, 0); // chw supply, int16 ×0.1
    expect((await mbpoll(chiller, '3', 6, 2)).values.get(7)).toSatisfy((kpa: number) => kpa > 700 && kpa < 1000); // condenser
    expect((await mbpoll(chiller, '4', 1, 1, [], [20])).stderr).toMatch(/Illegal data value/i); // 2 °C is outside 5–10
  });

  it('answers exception 2 outside the map', async () => {
    const gap = await mbpoll(pump1, '3', 8); // input register 7 is reserved
    expect(gap.ok).toBe(false);
    expect(gap.stderr).toMatch(/Illegal data address/i);
    expect((await mbpoll(power, '0', 1)).stderr).toMatch(/Illegal data address/i); // no coils
  });

  it('shows low_pressure injected through the control API, and recovers when cleared', async () => {
    const res = await post(`${sims.controlUrl}/devices/pump-1/faults`, { fault: 'low_pressure' });
    expect(res.status).toBe(201);
    const t0 = Date.now();
    await waitFor(async () => (await pressure()) < 0.2, { what: 'discharge pressure below 0.2 MPa', timeout: 3000 });
    expect(Date.now() - t0).toBeLessThan(3000);
    await fetch(`${sims.controlUrl}/devices/pump-1/faults/low_pressure`, { method: 'DELETE' });
    await waitFor(async () => (await pressure()) > 0.3, { what: 'pressure back above 0.3 MPa', timeout: 8000 });
  });

  it('stops answering when silent', async () => {
    await post(`${sims.controlUrl}/devices/pump-1/faults`, { fault: 'silent' });
    const dead = await mbpoll(pump1, '3', 1);
    expect(dead.ok).toBe(false);
    expect(dead.stderr).toMatch(/timed out/i);
    await fetch(`${sims.controlUrl}/devices/pump-1/faults`, { method: 'DELETE' });
    expect((await mbpoll(pump1, '3', 1)).ok).toBe(true);
  });
});
