/**
 * The Modbus connector against a real pymodbus TCP server (fixtures/server.py, Debian's
 * python3-pymodbus under /usr/bin/python3): every data type and byte order, exception answers,
 * unit ids sharing one connection, a dead unit, a dead host, and a server restart.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../config/schema.js';
import { Recorder, silentServer, startProcess, stopProcess, timed } from '../../../test/helpers/connectors.js';
import { freePort } from '../../../tools/ports.js';
import { waitFor } from '../../../tools/wait.js';
import { ModbusConnector, modbus } from './index.js';

const SERVER = fileURLToPath(new URL('./fixtures/server.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

function startServer(port: number): Promise<ChildProcess> {
  return startProcess(PYTHON, [SERVER, String(port)], /READY/);
}

function device(id: string, port: number, unitId: number, points: Record<string, unknown>[], extra: Record<string, unknown> = {}): DeviceConfig {
  return {
    id,
    type: 'pump',
    protocol: 'modbus',
    connection: { host: '127.0.0.1', port, unitId, pollInterval: 200, timeout: 400, reconnectDelay: 200, reconnectMaxDelay: 800, ...extra },
    points,
  };
}

const plcPoints = [
  { name: 'h_u16', table: 'holding', address: 0, type: 'uint16' },
  { name: 'h_scaled', table: 'holding', address: 0, type: 'uint16', scale: 0.1, offset: 1 },
  { name: 'h_i16', table: 'holding', address: 1, type: 'int16' },
  { name: 'h_i32', table: 'holding', address: 2, type: 'int32' },
  { name: 'h_f32_cdab', table: 'holding', address: 4, type: 'float32', order: 'CDAB' },
  { name: 'h_u32', table: 'holding', address: 6, type: 'uint32', order: 'ABCD' },
  { name: 'h_bit0', table: 'holding', address: 8, type: 'bool', bit: 0 },
  { name: 'h_bit1', table: 'holding', address: 8, type: 'bool', bit: 1 },
  { name: 'h_bit2', table: 'holding', address: 8, bit: 2 },
  { name: 'h_f64', table: 'holding', address: 10, type: 'float64' },
  // 98 exists, 100 does not: merged into one request that answers exception 2, then split.
  { name: 'h_last', table: 'holding', address: 98, type: 'uint16' },
  { name: 'h_missing', table: 'holding', address: 100, type: 'uint16' },
  { name: 'h_far', table: 'holding', address: 500, type: 'uint16' },
  { name: 'i_f32', table: 'input', address: 0, type: 'float32' },
  { name: 'i_pressure', table: 'input', address: 2, type: 'uint16', scale: 0.001 },
  { name: 'c0', table: 'coil', address: 0, type: 'bool' },
  { name: 'c1', table: 'coil', address: 1 },
  { name: 'c3', table: 'coil', address: 3, type: 'bool' },
  { name: 'd0', table: 'discrete', address: 0, type: 'bool' },
  { name: 'd1', table: 'discrete', address: 1, type: 'bool' },
];

describe('modbus connector against pymodbus', () => {
  let port: number;
  let deadPort: number;
  let server: ChildProcess | undefined;
  let connector: ModbusConnector;
  const rec = new Recorder();

  beforeAll(async () => {
    port = await freePort();
    deadPort = await freePort();
    server = await startServer(port);
    connector = modbus.create(
      [
        device('plc-1', port, 1, plcPoints),
        device('plc-2', port, 2, [{ name: 'h_u16', table: 'holding', address: 0 }]),
        device('dead-unit', port, 9, [{ name: 'x', table: 'holding', address: 0 }], { pollInterval: 1000, timeout: 300 }),
        device('nobody', deadPort, 1, [{ name: 'x', table: 'holding', address: 0 }]),
      ],
      rec.ctx,
    ) as ModbusConnector;
    await connector.start();
  });

  afterAll(async () => {
    await connector?.stop();
    await stopProcess(server);
  });

  it('reads every type, order, bit and table with scale and offset', async () => {
    await waitFor(() => rec.latest('plc-1', 'd1'), { what: 'first plc-1 poll' });
    const v = (point: string) => rec.latest('plc-1', point);
    const good = (point: string) => {
      const r = v(point);
      expect(r?.quality, `${point}: ${r?.reason}`).toBe('good');
      return r?.value;
    };
    expect(good('h_u16')).toBe(1234);
    expect(good('h_scaled')).toBe(124.4);
    expect(good('h_i16')).toBe(-2);
    expect(good('h_i32')).toBe(-100000);
    expect(good('h_f32_cdab')).toBe(12.5);
    expect(good('h_u32')).toBe(4_000_000_000);
    expect([good('h_bit0'), good('h_bit1'), good('h_bit2')]).toEqual([true, false, true]);
    expect(good('h_f64')).toBe(-1234.5678);
    expect(good('h_last')).toBe(0);
    expect(good('i_f32')).toBe(230.5);
    expect(good('i_pressure')).toBe(0.5);
    expect([good('c0'), good('c1'), good('c3')]).toEqual([true, false, true]);
    expect([good('d0'), good('d1')]).toEqual([true, true]);
    expect(rec.status('plc-1')?.status).toBe('online');
  });

  it('gives exception answers as bad readings for the affected points only', async () => {
    for (const point of ['h_missing', 'h_far']) {
      const r = rec.latest('plc-1', point);
      expect(r).toMatchObject({ quality: 'bad', value: null, reason: 'Modbus exception 2: Illegal data address' });
    }
    // The merged read of 98..100 was split so that 98 keeps working.
    const plan = connector.pollers.get('plc-1')!.requests.map((r) => `${r.table}:${r.start}+${r.count}`);
    expect(plan).toEqual(['coil:0+4', 'discrete:0+2', 'holding:0+14', 'holding:98+1', 'holding:100+1', 'holding:500+1', 'input:0+3']);
  });

  it('emits one batch per poll', async () => {
    const batch = [...rec.batches].reverse().find((b) => b[0]?.device === 'plc-1' && b.length === plcPoints.length);
    expect(batch).toBeDefined();
    expect(new Set(batch!.map((r) => r.point)).size).toBe(plcPoints.length);
  });

  it('shares one connection between unit ids, and a silent unit does not stop the others', async () => {
    expect(connector.links.size).toBe(2);
    await waitFor(() => rec.latest('plc-2', 'h_u16'));
    expect(rec.latest('plc-2', 'h_u16')).toMatchObject({ value: 4321, quality: 'good' });
    const dead = await waitFor(() => rec.status('dead-unit')?.status === 'offline' && rec.status('dead-unit'));
    expect(dead.reason).toBe('no response within 300 ms');
    expect(rec.latest('dead-unit', 'x')).toMatchObject({ quality: 'bad', reason: 'no response within 300 ms' });
    // plc-1 keeps polling at its rate while unit 9 times out.
    const mark = rec.mark();
    await waitFor(() => rec.readings.slice(mark).filter((r) => r.device === 'plc-1' && r.point === 'h_u16').length >= 3, {
      what: 'three more plc-1 polls',
    });
    expect(rec.status('plc-1')?.status).toBe('online');
  });

  it('reports a device on an unreachable host offline without delaying the others', async () => {
    const s = await waitFor(() => rec.status('nobody')?.status === 'offline' && rec.status('nobody'));
    expect(s.reason).toMatch(/cannot connect to 127\.0\.0\.1:\d+/);
    expect(rec.status('plc-1')?.status).toBe('online');
  });

  it('goes offline when the server dies and resumes when it comes back on the same port', async () => {
    await stopProcess(server);
    server = undefined;
    const off = await waitFor(() => rec.status('plc-1')?.status === 'offline' && rec.status('plc-1'), { what: 'plc-1 offline' });
    expect(off.reason).toBeTruthy();
    await waitFor(() => rec.latest('plc-1', 'h_u16')?.quality === 'bad', { what: 'bad reading after server death' });
    // Outage readings are emitted once, not at every failed poll.
    const badBatches = () => rec.batches.filter((b) => b[0]?.device === 'plc-1' && b.every((r) => r.quality === 'bad')).length;
    const before = badBatches();
    const polls = rec.statuses.length;
    await new Promise((r) => setTimeout(r, 1000)); // several failed polls at 200 ms
    expect(badBatches()).toBe(before);
    expect(rec.statuses.length).toBeGreaterThanOrEqual(polls);

    server = await startServer(port);
    const mark = rec.mark();
    const back = await waitFor(() => {
      const r = rec.latest('plc-1', 'h_u16', mark);
      return r?.quality === 'good' && r;
    }, { what: 'readings after restart', timeout: 15_000 });
    expect(back.value).toBe(1234);
    expect(rec.status('plc-1')?.status).toBe('online');
    expect(rec.latest('plc-1', 'h_f32_cdab', mark)?.value).toBe(12.5);
    await waitFor(() => rec.latest('plc-2', 'h_u16', mark)?.quality === 'good');
  });

  it('stops within 2 s with a dead host, a silent unit and requests in flight', async () => {
    const ms = await timed(() => connector.stop());
    expect(ms).toBeLessThan(2000);
    const mark = rec.mark();
    // Nothing may arrive after stop(); an absence can only be checked by waiting a little.
    await new Promise((r) => setTimeout(r, 500));
    expect(rec.readings.length).toBe(mark);
  });
});

describe('modbus connector against a peer that accepts TCP and never answers', () => {
  it('goes offline on timeouts, drops the dead connection, reconnects, and stops within 2 s', async () => {
    const port = await freePort();
    const peer = await silentServer(port);
    const rec = new Recorder();
    const c = modbus.create([device('mute', port, 1, [{ name: 'x', table: 'holding', address: 0 }], { pollInterval: 100, timeout: 150 })], rec.ctx);
    try {
      await c.start();
      const s = await waitFor(() => rec.status('mute')?.status === 'offline' && rec.status('mute'));
      expect(s.reason).toBe('no response within 150 ms');
      // three timeouts in a row without any answer: the connection is rebuilt (a second TCP accept)
      await waitFor(() => peer.accepted() >= 2, { what: 'reconnect after repeated timeouts' });
      expect(await timed(() => c.stop())).toBeLessThan(2000);
    } finally {
      await peer.close();
    }
  });
});

describe('modbus config checks', () => {
  const rec = new Recorder();
  it('rejects a bit on a 32-bit value and a value past register 65535', () => {
    expect(() =>
      modbus.create(
        [
          device('bad', 1, 1, [
            { name: 'a', table: 'holding', address: 0, type: 'float32', bit: 3 },
            { name: 'b', table: 'input', address: 65535, type: 'uint32' },
          ]),
        ],
        rec.ctx,
      ),
    ).toThrow(/points\[0\]\.bit.*\n.*points\[1\]\.address/s);
  });
});
