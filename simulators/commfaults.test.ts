/**
 * Communication faults seen by Debian's mbpoll: exception 4 on demand, slow answers, and a
 * Modbus gateway of scale mode answering several devices by unit id.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FREE_MODBUS_PORTS, startSimulators, type SimulatorStack } from './index.js';
import { mbpoll, post } from './testkit.js';

let sims: SimulatorStack;
let pump2: number;

beforeAll(async () => {
  sims = await startSimulators({ protocols: ['modbus'], modbusPorts: FREE_MODBUS_PORTS, controlPort: 0, log: pino({ level: 'warn' }) });
  pump2 = sims.ports.modbus['pump-2']!;
});
afterAll(() => sims?.stop());

const clear = (id: string) => fetch(`${sims.controlUrl}/devices/${id}/faults`, { method: 'DELETE' });

describe('Modbus communication faults (mbpoll)', () => {
  it('answers exception 4 (slave device failure) while `exception` is active', async () => {
    const res = await post(`${sims.controlUrl}/devices/pump-2/faults`, { fault: 'exception' });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { active: string[] }).active).toEqual(['exception']);
    const r = await mbpoll(pump2, '3', 1, 2);
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/slave device or server failure/i);
    await clear('pump-2');
    expect((await mbpoll(pump2, '3', 1, 2)).ok).toBe(true);
  });

  it('answers after the configured delay while `slow` is active', async () => {
    expect((await post(`${sims.controlUrl}/devices/pump-2/faults`, { fault: 'slow', delayMs: 1500 })).status).toBe(201);
    const quick = await mbpoll(pump2, '3', 1, 1, ['-o', '0.5']);
    expect(quick.ok).toBe(false); // a master with a short timeout gives up
    const t0 = Date.now();
    const patient = await mbpoll(pump2, '3', 1, 1, ['-o', '3']);
    expect(patient.ok).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    await clear('pump-2');
  });

  it('validates fault parameters', async () => {
    const res = await post(`${sims.controlUrl}/devices/pump-2/faults`, { fault: 'slow', delayMs: -5 });
    expect(res.status).toBe(400);
    // `exception` and `slow` are Modbus faults: a lift (OPC UA) does not have them.
    const bad = await post(`${sims.controlUrl}/devices/elev-1/faults`, { fault: 'exception' });
    expect(bad.status).toBe(400);
  });
});

describe('scale mode Modbus gateway (unit ids)', () => {
  let scale: SimulatorStack;
  beforeAll(async () => {
    scale = await startSimulators({ scale: { pump: 250, power: 3 }, protocols: ['modbus'], modbusBasePort: 0, controlPort: 0, log: pino({ level: 'warn' }) });
  });
  afterAll(() => scale?.stop());

  it('puts 247 devices behind each server and answers each by its unit id', async () => {
    expect(scale.devices).toHaveLength(253);
    expect(scale.ports.modbusUnits['pump-0001']).toMatchObject({ unitId: 1 });
    const last = scale.ports.modbusUnits['pump-0250']!;
    expect(last.unitId).toBe(3);
    expect(last.port).not.toBe(scale.ports.modbusUnits['pump-0001']!.port);
    const meter = scale.ports.modbusUnits['power-0003']!;
    expect(meter).toEqual({ port: last.port, unitId: 6 });
    const pressure = await mbpoll(last.port, '3', 1, 1, ['-a', String(last.unitId)]);
    expect(pressure.values.get(1)! * 0.001).toSatisfy((p: number) => p > 0.3 && p < 0.7);
    const volts = await mbpoll(meter.port, '3:float', 1, 1, ['-B', '-a', String(meter.unitId)]);
    expect(volts.values.get(1)).toSatisfy((v: number) => v > 210 && v < 240);
    // A unit id with no device behind the gateway: exception 0x0B, not a hang.
    const none = await mbpoll(meter.port, '3', 1, 1, ['-a', '200']);
    expect(none.ok).toBe(false);
    expect(none.stderr).toMatch(/target device failed to respond|gateway/i);
  });
});
