/**
 * Modbus RTU figures for `npm run bench:connectors`: polls per second that one RS-485 bus carries
 * at 9,600 and 19,200 baud (8E1, 11 bits per character), against the limit of the line.
 *
 * The bus is real parts (gateway/connectors/modbus/fixtures/serial-line.ts): a socat pty pair, the
 * pymodbus RTU server with 3 units, and line.py between them holding every frame for as long as
 * its bytes take on a line at that baud rate (a pty alone moves bytes at once). Each unit is one
 * device with one 10-register FC3 read per poll, polled as fast as the bus allows (50 ms), so the
 * bus is saturated.
 *
 * The limit of the line (gateway/connectors/modbus/rtu.ts): per poll the request (8 bytes), the
 * response (5 + 2 × 10 = 25 bytes), and 3.5 characters of silence after each, at 11 bits per
 * character; plus the server's turnaround, measured as the mean round trip of back-to-back reads
 * with a bare modbus-serial client on the same bus without line.py (where bytes take no time).
 */
import ModbusPkg from 'modbus-serial';
import type { ModbusRTU as ModbusClient } from 'modbus-serial/ModbusRTU.js';
import { pino } from 'pino';
import type { DeviceConfig } from '../gateway/config/schema.js';
import { ModbusConnector } from '../gateway/connectors/modbus/connector.js';
import { startRtuBus } from '../gateway/connectors/modbus/fixtures/serial-line.js';
import { bitsPerChar, maxPollsPerSecond, readFrameBytes, silentIntervalMs, type LineFormat } from '../gateway/connectors/modbus/rtu.js';
import { waitFor } from '../tools/wait.js';
import { round } from './lib/stats.js';

const UNITS = [1, 2, 3];
const REGISTERS = 10;

export interface RtuFigures {
  baudRate: number;
  format: string;
  units: number;
  registersPerRead: number;
  frameBytes: { request: number; response: number };
  silentIntervalMs: number;
  /** Line alone: frames and silences, no turnaround. */
  lineLimitPollsPerSecond: number;
  /** Mean round trip of a read on the bus without line.py: the server's answer time plus the pty's. */
  turnaroundMs: number;
  /** Line + measured turnaround. */
  limitPollsPerSecond: number;
  /** Measured over the paced line, all units of the bus together. */
  pollsPerSecond: number;
  perUnitPollsPerSecond: number[];
  /** Measured ÷ limit with turnaround. */
  ofLimit: number;
  /** Time per poll above the limit: scheduling of the gateway, socat, line.py and the server. */
  overheadMsPerPoll: number;
  timeouts: number;
}

// The package's typings declare `export default` on a CommonJS module (as in modbus/link.ts).
const ModbusRTU = ModbusPkg as unknown as typeof ModbusClient;

/** Mean ms of `count` back-to-back reads by a bare client (no silence between them). */
async function roundTripMs(serialPort: string, count: number): Promise<number> {
  const client = new ModbusRTU();
  await client.connectRTUBuffered(serialPort, { baudRate: 9600 });
  client.setTimeout(1000);
  try {
    for (let i = 0; i < 20; i++) await client.readHoldingRegisters(0, REGISTERS); // warm up
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      client.setID(UNITS[i % UNITS.length]!);
      await client.readHoldingRegisters(0, REGISTERS);
    }
    return (performance.now() - t0) / count;
  } finally {
    await new Promise<void>((resolve) => client.close(() => resolve()));
  }
}

/** Polls/s of a saturated bus over `windowMs` (and the link's timeout count). */
async function measure(serialPort: string, line: LineFormat, windowMs: number): Promise<{ total: number; perUnit: number[]; timeouts: number }> {
  const devices: DeviceConfig[] = UNITS.map((unitId) => ({
    id: `unit-${unitId}`,
    type: 'power',
    protocol: 'modbus',
    connection: { transport: 'rtu', serialPort, unitId, ...line, pollInterval: 50, timeout: 1000 },
    points: [{ name: 'block', table: 'holding', address: 0, type: 'uint16' }, { name: 'last', table: 'holding', address: REGISTERS - 1, type: 'uint16' }],
  }));
  const c = new ModbusConnector(devices, {
    emit: () => undefined,
    status: () => undefined,
    log: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' }),
    dataDir: '/tmp',
  });
  await c.start();
  try {
    const pollers = [...c.pollers.values()];
    const link = [...c.links.values()][0]!;
    await waitFor(() => pollers.every((p) => p.stats.polls >= 2), { timeout: 20_000, what: 'two polls of every RTU unit', interval: 20 });
    const polls0 = pollers.map((p) => p.stats.polls);
    const timeouts0 = link.stats.timeouts;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, windowMs));
    const secs = (performance.now() - t0) / 1000;
    const perUnit = pollers.map((p, i) => (p.stats.polls - polls0[i]!) / secs);
    return { total: perUnit.reduce((a, b) => a + b, 0), perUnit, timeouts: link.stats.timeouts - timeouts0 };
  } finally {
    await c.stop();
  }
}

export async function benchRtu(windowMs: number): Promise<RtuFigures[]> {
  const out: RtuFigures[] = [];
  for (const baudRate of [9600, 19200]) {
    const line: LineFormat = { baudRate, parity: 'even', dataBits: 8, stopBits: 1 };
    const gap = silentIntervalMs(line);
    const instant = await startRtuBus();
    let turnaroundMs: number;
    try {
      turnaroundMs = await roundTripMs(instant.serialPort, 300);
    } finally {
      await instant.stop();
    }
    const paced = await startRtuBus({ pacedBaud: baudRate, bitsPerChar: bitsPerChar(line) });
    try {
      const m = await measure(paced.serialPort, line, windowMs);
      const limit = maxPollsPerSecond(line, REGISTERS, turnaroundMs);
      out.push({
        baudRate,
        format: '8E1',
        units: UNITS.length,
        registersPerRead: REGISTERS,
        frameBytes: readFrameBytes(REGISTERS),
        silentIntervalMs: round(gap, 2),
        lineLimitPollsPerSecond: round(maxPollsPerSecond(line, REGISTERS), 1),
        turnaroundMs: round(turnaroundMs, 2),
        limitPollsPerSecond: round(limit, 1),
        pollsPerSecond: round(m.total, 1),
        perUnitPollsPerSecond: m.perUnit.map((x) => round(x, 1)),
        ofLimit: round(m.total / limit, 2),
        overheadMsPerPoll: round(1000 / m.total - 1000 / limit, 2),
        timeouts: m.timeouts,
      });
    } finally {
      await paced.stop();
    }
  }
  return out;
}
