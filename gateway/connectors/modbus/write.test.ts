/**
 * Modbus writes (FC5, FC6, FC15, FC16) and the report policy (deadband, on-change, heartbeat):
 * against a real pymodbus server (fixtures/server.py, read back through the connector) and the
 * repo's pump simulator (writes to `enabled` and `pressure_setpoint`, range checked by the device).
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../config/schema.js';
import { GatewayError } from '../../core/errors.js';
import { FREE_MODBUS_PORTS, startSimulators, type SimulatorStack } from '../../../simulators/index.js';
import { writePoint } from '../common/write.js';
import { Recorder, startProcess, stopProcess } from '../../../test/helpers/connectors.js';
import { freePort } from '../../../tools/ports.js';
import { waitFor } from '../../../tools/wait.js';
import { ModbusConnector, modbus } from './index.js';

const SERVER = fileURLToPath(new URL('./fixtures/server.py', import.meta.url));

function device(id: string, port: number, points: Record<string, unknown>[], extra: Record<string, unknown> = {}): DeviceConfig {
  return {
    id,
    type: 'pump',
    protocol: 'modbus',
    connection: { host: '127.0.0.1', port, unitId: 1, pollInterval: 200, timeout: 500, ...extra },
    points,
  };
}

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe('modbus writes and report policy against pymodbus', () => {
  let server: ChildProcess | undefined;
  let connector: ModbusConnector;
  const rec = new Recorder();
  const points = [
    { name: 'c5', table: 'coil', address: 5, writable: true },
    { name: 'c6', table: 'coil', address: 6, writable: true, writeMultiple: true },
    { name: 'h_f32', table: 'holding', address: 20, type: 'float32', order: 'CDAB', writable: true },
    { name: 'h_temp', table: 'holding', address: 22, type: 'int16', scale: 0.1, offset: -10, writable: true },
    { name: 'h_u16', table: 'holding', address: 23, type: 'uint16', scale: 0.001, writable: true, writeMultiple: true },
    { name: 'h_f64', table: 'holding', address: 24, type: 'float64', order: 'DCBA', writable: true },
    { name: 'h_u32', table: 'holding', address: 28, type: 'uint32', order: 'BADC', writable: true },
    { name: 'h_ro', table: 'holding', address: 30 },
    // constant 1234 at holding 0: reported once, then only as a heartbeat every 600 ms
    { name: 'steady', table: 'holding', address: 0, report: { onChange: true, maxInterval: '600ms' } },
    // 12.5 at 4..5 CDAB, deadband wider than any change made here
    { name: 'banded', table: 'holding', address: 4, type: 'float32', order: 'CDAB', deadband: { type: 'absolute', value: 1 } },
  ];

  beforeAll(async () => {
    const port = await freePort();
    server = await startProcess('/usr/bin/python3', [SERVER, String(port)], /READY/);
    connector = modbus.create([device('plc', port, points)], rec.ctx) as ModbusConnector;
    await connector.start();
    await waitFor(() => rec.latest('plc', 'h_ro'), { what: 'first poll' });
  });

  afterAll(async () => {
    await connector?.stop();
    await stopProcess(server);
  });

  it('writes coils with FC5 and FC15 and reads them back', async () => {
    expect(rec.latest('plc', 'c5')?.value).toBe(false);
    const r5 = await connector.write('plc', 'c5', true);
    expect(r5.detail).toEqual({ fc: 5, address: 5, bits: [true] });
    const r15 = await writePoint([connector], 'plc', 'c6', true);
    expect(r15.detail).toMatchObject({ fc: 15 });
    await waitFor(() => rec.latest('plc', 'c5')?.value === true && rec.latest('plc', 'c6')?.value === true, { what: 'coils read back' });
  });

  it('writes registers with FC6 and FC16 through the inverse of scale, offset, type and order', async () => {
    const writes: [string, number, number][] = [
      ['h_f32', 12.75, 16],
      ['h_temp', 21.5, 6], // raw (21.5 + 10) / 0.1 = 315
      ['h_u16', 0.65, 16], // single register, but writeMultiple
      ['h_f64', -1234.5678, 16],
      ['h_u32', 4_000_000_001, 16],
    ];
    for (const [point, value, fc] of writes) {
      const r = await connector.write('plc', point, value);
      expect(r.detail.fc, point).toBe(fc);
    }
    expect((await connector.write('plc', 'h_temp', 21.5)).detail).toEqual({ fc: 6, address: 22, registers: [315] });
    expect((await connector.write('plc', 'h_f32', 12.75)).detail).toEqual({ fc: 16, address: 20, registers: [0x0000, 0x414c] });
    await waitFor(
      () => writes.every(([point, value]) => rec.latest('plc', point)?.value === value),
      { what: () => `read back ${JSON.stringify(writes.map(([p]) => rec.latest('plc', p)?.value))}` },
    );
    expect(connector.links.values().next().value!.stats.writes).toBeGreaterThanOrEqual(7);
  });

  it('refuses unknown points, read-only points and values that do not fit, with a status for the API', async () => {
    expect((await rejection(connector.write('plc', 'h_ro', 1))).statusCode).toBe(400);
    expect((await rejection(connector.write('plc', 'nope', 1))).statusCode).toBe(404);
    expect((await rejection(connector.write('nobody', 'x', 1))).statusCode).toBe(404);
    expect((await rejection(writePoint([connector], 'nobody', 'x', 1))).statusCode).toBe(404);
    const range = await rejection(connector.write('plc', 'h_temp', 5000));
    expect(range.statusCode).toBe(400);
    expect(range.message).toMatch(/outside int16/);
    expect((await rejection(connector.write('plc', 'c5', 1))).message).toMatch(/true or false/);
    expect((await rejection(connector.write('plc', 'h_f32', 'x'))).statusCode).toBe(400);
  });

  it('emits an unchanged point once plus a heartbeat per maxInterval, not at every poll', async () => {
    const since = rec.mark();
    const t0 = Date.now();
    // wait for two heartbeats of `steady` (600 ms apart) while the device is polled every 200 ms
    await waitFor(() => rec.readings.slice(since).filter((r) => r.point === 'steady').length >= 2, { timeout: 5000, what: 'two heartbeats' });
    const elapsed = Date.now() - t0;
    const polls = rec.readings.slice(since).filter((r) => r.point === 'h_ro').length;
    const steady = rec.readings.slice(since).filter((r) => r.point === 'steady');
    expect(polls).toBeGreaterThanOrEqual(4);
    expect(steady.length).toBeLessThanOrEqual(Math.floor(elapsed / 600) + 1);
    expect(steady.every((r) => r.value === 1234 && r.quality === 'good')).toBe(true);
    // `banded` (deadband 1, value constant) was emitted at the start and never again
    expect(rec.readings.filter((r) => r.point === 'banded').length).toBe(1);
    expect(connector.filter.suppressed).toBeGreaterThan(0);
  });
});

describe('modbus writes to the pump simulator', () => {
  let sims: SimulatorStack;
  let connector: ModbusConnector;
  const rec = new Recorder();

  beforeAll(async () => {
    const pump = await freePort();
    sims = await startSimulators({
      protocols: ['modbus'],
      modbusPorts: { ...FREE_MODBUS_PORTS, 'pump-1': pump },
      controlPort: await freePort(),
      log: pino({ level: 'silent' }),
    });
    connector = modbus.create(
      [
        device('pump-1', pump, [
          { name: 'enabled', table: 'coil', address: 0, writable: true },
          { name: 'pressure_setpoint', table: 'holding', address: 0, type: 'uint16', scale: 0.001, unit: 'MPa', writable: true },
          { name: 'discharge_pressure', table: 'input', address: 0, type: 'uint16', scale: 0.001, unit: 'MPa' },
        ]),
      ],
      rec.ctx,
    ) as ModbusConnector;
    await connector.start();
    await waitFor(() => rec.latest('pump-1', 'pressure_setpoint'), { what: 'first pump poll' });
  });

  afterAll(async () => {
    await connector?.stop();
    await sims?.stop();
  });

  it('sets the pressure setpoint and the enable coil; the pump model takes them', async () => {
    expect(rec.latest('pump-1', 'pressure_setpoint')?.value).toBe(0.5);
    await connector.write('pump-1', 'pressure_setpoint', 0.65);
    await waitFor(() => rec.latest('pump-1', 'pressure_setpoint')?.value === 0.65, { what: 'setpoint read back' });
    expect((sims.device('pump-1').model.values() as Record<string, unknown>).pressure_setpoint).toBe(0.65);

    await connector.write('pump-1', 'enabled', false);
    await waitFor(() => rec.latest('pump-1', 'enabled')?.value === false, { what: 'enable coil read back' });
    expect((sims.device('pump-1').model.values() as Record<string, unknown>).enabled).toBe(false);
    await connector.write('pump-1', 'enabled', true);
  });

  it('passes on the device refusing a setpoint outside 0.2..0.8 MPa as a Modbus exception', async () => {
    const err = await rejection(connector.write('pump-1', 'pressure_setpoint', 0.9));
    expect(err.statusCode).toBe(502);
    expect(err.message).toBe('Modbus exception 3: Illegal data value');
    expect(rec.status('pump-1')?.status).toBe('online');
  });
});
