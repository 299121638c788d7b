/**
 * Modbus RTU against real parts: a socat pty pair as the RS-485 cable and a pymodbus RTU server
 * (fixtures/rtu_server.py) with units 1 and 2 on the far end; unit 9 is on the config but switched
 * off. Then RTU over TCP through socat playing a serial device server, and the config errors a
 * site gets for a wrong serial setting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../config/schema.js';
import { validateConfig } from '../../site/load.js';
import { GatewayError } from '../../core/errors.js';
import { Recorder } from '../../../test/helpers/connectors.js';
import { freePort } from '../../../tools/ports.js';
import { waitFor } from '../../../tools/wait.js';
import { startDeviceServer, startRtuBus, type RtuBus } from './fixtures/serial-line.js';
import { ModbusConnector, modbus } from './index.js';
import { bitsPerChar, maxPollsPerSecond, silentIntervalMs } from './rtu.js';

const LINE = { transport: 'rtu', baudRate: 19200, parity: 'even', stopBits: 1 };

function rtuDevice(id: string, serialPort: string, unitId: number, points: Record<string, unknown>[], extra: Record<string, unknown> = {}): DeviceConfig {
  return {
    id,
    type: 'pump',
    protocol: 'modbus',
    connection: { ...LINE, serialPort, unitId, pollInterval: 200, timeout: 300, reconnectDelay: 1000, reconnectMaxDelay: 4000, ...extra },
    points,
  };
}

const meterPoints = [
  { name: 'h_u16', table: 'holding', address: 0, type: 'uint16' },
  { name: 'h_i32', table: 'holding', address: 2, type: 'int32' },
  { name: 'h_f32_cdab', table: 'holding', address: 4, type: 'float32', order: 'CDAB' },
  { name: 'i_f32', table: 'input', address: 0, type: 'float32' },
  { name: 'c0', table: 'coil', address: 0 },
  { name: 'setpoint', table: 'holding', address: 20, scale: 0.1, writable: true },
  { name: 'enable', table: 'coil', address: 5, writable: true },
];

/** Reading batches of `device` among the first `since` onward. */
const batchesOf = (rec: Recorder, device: string, since: number) => rec.batches.slice(since).filter((b) => b[0]?.device === device).length;

describe('RTU line timing', () => {
  const line = (baudRate: number, parity: 'none' | 'even' = 'even', stopBits: 1 | 2 = 1) => ({ baudRate, parity, dataBits: 8, stopBits });
  it('counts 11 bits per character for 8E1 and 8N2, 10 for 8N1', () => {
    expect([bitsPerChar(line(9600)), bitsPerChar(line(9600, 'none', 2)), bitsPerChar(line(9600, 'none'))]).toEqual([11, 11, 10]);
  });
  it('waits 3.5 characters between frames, and a fixed 1.75 ms above 19,200 baud', () => {
    expect(silentIntervalMs(line(9600))).toBeCloseTo(4.0104, 3);
    expect(silentIntervalMs(line(19200))).toBeCloseTo(2.0052, 3);
    expect(silentIntervalMs(line(38400))).toBe(1.75);
    expect(silentIntervalMs(line(115200))).toBe(1.75);
  });
  it('gives the poll limit of a line: 8 + 25 bytes and two silences per 10-register read', () => {
    // (33 × 11 / 9600) s = 37.81 ms of frames + 2 × 4.01 ms of silence = 45.83 ms
    expect(maxPollsPerSecond(line(9600), 10)).toBeCloseTo(21.82, 2);
    expect(maxPollsPerSecond(line(9600), 10, 5)).toBeCloseTo(1000 / 50.83, 2);
  });
});

describe('modbus RTU on a serial bus (socat pty + pymodbus)', () => {
  let bus: RtuBus;
  let connector: ModbusConnector;
  const rec = new Recorder();

  beforeAll(async () => {
    bus = await startRtuBus();
    connector = modbus.create(
      [
        rtuDevice('meter-1', bus.serialPort, 1, meterPoints),
        rtuDevice('meter-2', bus.serialPort, 2, meterPoints),
        rtuDevice('ghost', bus.serialPort, 9, [{ name: 'x', table: 'holding', address: 0, writable: true }]),
      ],
      rec.ctx,
    ) as ModbusConnector;
    await connector.start();
  });

  afterAll(async () => {
    await connector?.stop();
    await bus?.stop();
  });

  it('polls two unit ids over one serial link and decodes their values', async () => {
    expect([...connector.links.keys()]).toEqual([bus.serialPort]);
    await rec.until(() => rec.latest('meter-1', 'c0') && rec.latest('meter-2', 'c0'));
    for (const [device, first] of [['meter-1', 1234], ['meter-2', 4321]] as const) {
      const value = (point: string) => {
        const r = rec.latest(device, point);
        expect(r?.quality, `${device}.${point}: ${r?.reason}`).toBe('good');
        return r?.value;
      };
      expect(value('h_u16')).toBe(first);
      expect(value('h_i32')).toBe(-100000);
      expect(value('h_f32_cdab')).toBe(12.5);
      expect(value('i_f32')).toBe(230.5);
      expect(value('c0')).toBe(true);
      expect(rec.status(device)?.status).toBe('online');
    }
  });

  it('reports the unit that never answers offline, with the reason', async () => {
    const s = await rec.until(() => rec.status('ghost')?.status === 'offline' && rec.status('ghost'));
    expect(s.reason).toBe('no response within 300 ms');
    expect(rec.latest('ghost', 'x')).toMatchObject({ quality: 'bad', value: null, reason: 'no response within 300 ms' });
  });

  it('keeps the live units at their poll rate while the dead one is backed off', async () => {
    const link = connector.links.get(bus.serialPort)!;
    await rec.until(() => rec.status('ghost')?.status === 'offline');
    const timeoutsBefore = link.stats.timeouts;
    const mark = rec.batches.length;
    const t0 = Date.now();
    await rec.until(() => batchesOf(rec, 'meter-1', mark) >= 15 && batchesOf(rec, 'meter-2', mark) >= 15);
    const elapsed = Date.now() - t0;
    // 15 polls at 200 ms is 3 s on time; each try of the ghost holds the bus for its 300 ms
    // timeout. At least 2/3 of the rate is asked for: without the backoff the ghost's timeout at
    // every one of its polls holds the bus longer than the 200 ms period, and the meters fall to
    // about a sixth of their rate (measured: 15 polls in 18 s).
    expect(elapsed).toBeLessThan(15 * 200 * 1.5);
    // After two misses in a row the ghost is asked only after a backoff (1 s, doubling): a few
    // timeouts in those seconds, and its other polls skip the bus.
    expect(link.stats.timeouts - timeoutsBefore).toBeLessThanOrEqual(3);
    expect(link.stats.skipped).toBeGreaterThan(0);
    expect(rec.status('meter-1')?.status).toBe('online');
    expect(rec.status('meter-2')?.status).toBe('online');
    expect(rec.status('ghost')?.status).toBe('offline');
  });

  it('writes a holding register (FC6) and a coil (FC5) over RTU and reads them back', async () => {
    const res = await connector.write('meter-2', 'setpoint', 42.5);
    expect(res.detail).toEqual({ fc: 6, address: 20, registers: [425] });
    await connector.write('meter-2', 'enable', true);
    await rec.until(() => rec.latest('meter-2', 'setpoint')?.value === 42.5 && rec.latest('meter-2', 'enable')?.value === true);
    // The other unit on the bus is untouched.
    expect(rec.latest('meter-1', 'setpoint')?.value).toBe(0);
  });

  it('sends a write to the backed-off unit anyway and answers it with a timeout error', async () => {
    const link = connector.links.get(bus.serialPort)!;
    const timeouts = link.stats.timeouts;
    const err = await connector.write('ghost', 'x', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'GW_ERR_TIMEOUT', statusCode: 504 });
    expect(link.stats.timeouts).toBeGreaterThan(timeouts);
  });

  it('reports the bus offline when the serial port disappears', async () => {
    await Promise.all(bus.processes.map((p) => new Promise<void>((resolve) => (p.exitCode !== null ? resolve() : (p.once('exit', () => resolve()), p.kill('SIGKILL'))))));
    const s = await rec.until(() => rec.status('meter-1')?.status === 'offline' && rec.status('meter-1'));
    // "connection to <port> lost: ..." or, once reopening fails, "cannot connect to <port>: ..."
    expect(s.reason).toMatch(/^(connection to .* lost|cannot connect to .*): /);
    expect(s.reason).toContain(bus.serialPort);
  });
});

describe('modbus RTU over TCP (socat as a serial device server)', () => {
  it('polls two units behind the device server over one connection, and writes one', async () => {
    const port = await freePort();
    const server = await startDeviceServer(port);
    const rec = new Recorder();
    const remote = (id: string, unitId: number): DeviceConfig => ({
      id,
      type: 'pump',
      protocol: 'modbus',
      connection: { transport: 'rtu-tcp', host: '127.0.0.1', port, unitId, baudRate: 9600, pollInterval: 200, timeout: 500 },
      points: meterPoints,
    });
    const c = modbus.create([remote('remote-1', 1), remote('remote-2', 2)], rec.ctx) as ModbusConnector;
    try {
      await c.start();
      expect([...c.links.keys()]).toEqual([`127.0.0.1:${port} (RTU over TCP)`]);
      await rec.until(() => rec.latest('remote-1', 'c0') && rec.latest('remote-2', 'c0'));
      expect(rec.latest('remote-1', 'h_u16')).toMatchObject({ quality: 'good', value: 1234 });
      expect(rec.latest('remote-2', 'h_u16')).toMatchObject({ quality: 'good', value: 4321 });
      expect(rec.latest('remote-1', 'h_f32_cdab')).toMatchObject({ quality: 'good', value: 12.5 });
      await c.write('remote-1', 'setpoint', 7.5);
      await rec.until(() => rec.latest('remote-1', 'setpoint')?.value === 7.5);
    } finally {
      await c.stop();
      await server.stop();
    }
  });
});

describe('modbus serial config errors', () => {
  const rec = new Recorder();
  const problems = (devices: DeviceConfig[]): string => {
    try {
      modbus.create(devices, rec.ctx);
    } catch (err) {
      expect((err as GatewayError).code).toBe('GW_ERR_CONFIG_INVALID');
      return (err as Error).message;
    }
    throw new Error('config was accepted');
  };
  const dev = (connection: Record<string, unknown>, id = 'm'): DeviceConfig => ({ id, type: 'pump', protocol: 'modbus', connection, points: [{ name: 'x', table: 'holding', address: 0 }] });

  it('names each key that does not fit the transport', () => {
    const rtu = problems([dev({ transport: 'rtu', host: '10.0.0.5', dataBits: 7, unitId: 0 }, 'a')]);
    expect(rtu).toContain('config device "a" is invalid');
    expect(rtu).toContain('connection.serialPort: missing (the RS-485 adapter, e.g. /dev/ttyUSB0)');
    expect(rtu).toContain('connection.host: not for transport rtu (use serialPort)');
    expect(rtu).toContain('connection.dataBits: Modbus RTU characters have 8 data bits, got 7');
    expect(rtu).toContain('connection.unitId: on a serial bus unit ids are 1..247');
    const tcp = problems([dev({ host: '10.0.0.5', baudRate: 9600 }, 'b')]);
    expect(tcp).toContain('connection.baudRate: only for transport rtu or rtu-tcp (this device uses Modbus TCP)');
    const rtuTcp = problems([dev({ transport: 'rtu-tcp', serialPort: '/dev/ttyUSB0' }, 'c')]);
    expect(rtuTcp).toContain('connection.host: missing (the serial device server)');
    expect(rtuTcp).toContain('connection.serialPort: not for transport rtu-tcp');
  });

  it('rejects two devices on one bus with different line formats', () => {
    const msg = problems([
      dev({ transport: 'rtu', serialPort: '/dev/ttyUSB0', unitId: 1 }, 'p1'),
      dev({ transport: 'rtu', serialPort: '/dev/ttyUSB0', unitId: 2, baudRate: 19200, parity: 'none', stopBits: 2 }, 'p2'),
    ]);
    expect(msg).toContain('device "p2": connection is 19200 8N2 but "p1" on the same bus /dev/ttyUSB0 is 9600 8E1');
  });

  it('rejects an unknown baud rate or parity when the site config is loaded', () => {
    const site = {
      site: { id: 'x', name: 'X' },
      devices: [dev({ transport: 'rtu', serialPort: '/dev/ttyUSB0', baudRate: 9601, parity: 'mark' })],
    };
    let message = '';
    try {
      validateConfig(site, 'site.yaml', '/tmp');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/devices\[0\]\.connection\.baudRate: must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200/);
    expect(message).toMatch(/devices\[0\]\.connection\.parity: must be one of "none", "even", "odd"/);
  });

  it('reports a serial port that does not exist as offline, with the reason', async () => {
    const c = modbus.create([dev({ transport: 'rtu', serialPort: '/dev/ttyNOPE9', pollInterval: 100, timeout: 100, reconnectDelay: 100 })], rec.ctx);
    try {
      await c.start();
      const s = await waitFor(() => rec.status('m')?.status === 'offline' && rec.status('m'));
      expect(s.reason).toMatch(/^cannot connect to \/dev\/ttyNOPE9: .*No such file/);
    } finally {
      await c.stop();
    }
  });
});
