/**
 * A device's `connection` and `points` with every default filled in and the rules the JSON schema
 * cannot express checked (which keys go with which transport, bit tables are boolean, `bit` needs
 * a 16-bit register, a value must fit the address space and one request).
 */
import type { DeviceConfig } from '../../config/schema.js';
import { Errors } from '../../core/errors.js';
import { toReportPolicy, type ReportPolicy } from '../common/filter.js';
import { BYTE_ORDERS, DATA_TYPES, registerCount, type ByteOrder, type DataType } from './decode.js';
import { TABLES, isBitTable, type Placed, type Table } from './plan.js';
import { PARITIES, type LineFormat, type Parity } from './rtu.js';
import { BAUD_RATES, MODBUS_TRANSPORTS, SERIAL_KEYS, type ModbusConnection, type ModbusPoint, type ModbusTransport } from './schema.js';

export interface PointSpec extends Placed {
  name: string;
  type: DataType;
  order: ByteOrder;
  bit?: number;
  scale?: number;
  offset?: number;
  /** Writes allowed (coil: FC5/FC15, holding: FC6/FC16). */
  writable: boolean;
  /** Use FC15/FC16 even for one coil/register. */
  writeMultiple: boolean;
  report?: ReportPolicy;
}

/**
 * Where a device is reached. `rtu` and `rtu-tcp` carry the serial line format: for `rtu` it opens
 * the port, for both it sets the silent interval between frames.
 */
export type LinkTarget =
  | { transport: 'tcp'; host: string; port: number }
  | { transport: 'rtu'; serialPort: string; line: LineFormat }
  | { transport: 'rtu-tcp'; host: string; port: number; line: LineFormat };

/** Devices with the same key share one link (one connection or port, one queue). */
export function linkKey(t: LinkTarget): string {
  if (t.transport === 'rtu') return t.serialPort;
  return t.transport === 'tcp' ? `${t.host}:${t.port}` : `${t.host}:${t.port} (RTU over TCP)`;
}

/** The line format as people write it: `9600 8E1`. */
export function describeLine(f: LineFormat): string {
  return `${f.baudRate} ${f.dataBits}${f.parity[0]!.toUpperCase()}${f.stopBits}`;
}

export interface DeviceSpec {
  id: string;
  target: LinkTarget;
  unitId: number;
  pollInterval: number;
  timeout: number;
  maxGap: number;
  maxRegisters: number;
  maxBits: number;
  reconnectDelay: number;
  reconnectMaxDelay: number;
  points: PointSpec[];
}

export function toDeviceSpec(device: DeviceConfig): DeviceSpec {
  const c = device.connection as Partial<ModbusConnection>;
  const problems: string[] = [];
  const spec: DeviceSpec = {
    id: device.id,
    target: toLinkTarget(c, problems),
    unitId: c.unitId ?? 1,
    pollInterval: c.pollInterval ?? 1000,
    timeout: c.timeout ?? 1000,
    maxGap: c.maxGap ?? 10,
    maxRegisters: c.maxRegisters ?? 125,
    maxBits: c.maxBits ?? 2000,
    reconnectDelay: c.reconnectDelay ?? 1000,
    reconnectMaxDelay: Math.max(c.reconnectMaxDelay ?? 30_000, c.reconnectDelay ?? 1000),
    points: [],
  };
  device.points.forEach((raw, i) => {
    const p = raw as Partial<ModbusPoint>;
    const at = `points[${i}]`;
    const table = p.table as Table;
    if (!TABLES.includes(table)) {
      problems.push(`${at}.table: must be one of ${TABLES.join(', ')}`);
      return;
    }
    const address = p.address ?? -1;
    if (!Number.isInteger(address) || address < 0 || address > 65535) {
      problems.push(`${at}.address: must be an integer 0..65535`);
      return;
    }
    // On coil/discrete tables the value is always a boolean, whatever `type` says (it may be the
    // schema default).
    let type = (isBitTable(table) ? 'bool' : (p.type ?? 'uint16')) as DataType;
    if (!DATA_TYPES.includes(type)) {
      problems.push(`${at}.type: must be one of ${DATA_TYPES.join(', ')}`);
      return;
    }
    const order = (p.order ?? 'ABCD') as ByteOrder;
    if (!BYTE_ORDERS.includes(order)) {
      problems.push(`${at}.order: must be one of ${BYTE_ORDERS.join(', ')}`);
      return;
    }
    if (p.bit !== undefined && !isBitTable(table)) {
      if (registerCount(type) !== 1) {
        problems.push(`${at}.bit: only for 16-bit registers (type bool, int16 or uint16), not ${type}`);
        return;
      }
      type = 'bool';
    }
    const writable = p.writable === true;
    if (writable && table !== 'coil' && table !== 'holding') {
      problems.push(`${at}.writable: only coil and holding points can be written, not ${table}`);
      return;
    }
    if (writable && p.bit !== undefined) {
      problems.push(`${at}.writable: a bit inside a register cannot be written (it would need a read-modify-write)`);
      return;
    }
    if (writable && p.scale === 0) {
      problems.push(`${at}.scale: a writable point needs a scale other than 0`);
      return;
    }
    const report = toReportPolicy(p, at, problems);
    const size = isBitTable(table) ? 1 : registerCount(type);
    if (address + size > 65536) {
      problems.push(`${at}.address: ${type} at ${address} runs past register 65535`);
      return;
    }
    if (!isBitTable(table) && size > spec.maxRegisters) {
      problems.push(`${at}.type: ${type} needs ${size} registers but connection.maxRegisters is ${spec.maxRegisters}`);
      return;
    }
    spec.points.push({
      name: String(p.name),
      table,
      address,
      size,
      type,
      order,
      ...(p.bit !== undefined && !isBitTable(table) ? { bit: p.bit } : {}),
      ...(p.scale !== undefined ? { scale: p.scale } : {}),
      ...(p.offset !== undefined ? { offset: p.offset } : {}),
      writable,
      writeMultiple: p.writeMultiple === true,
      ...(report ? { report } : {}),
    });
  });
  if (problems.length) throw Errors.CONFIG_INVALID(`device "${device.id}"`, problems);
  return spec;
}

/** The link a `connection` describes; problems get one line each, naming the key to fix. */
function toLinkTarget(c: Partial<ModbusConnection>, problems: string[]): LinkTarget {
  const transport = (c.transport ?? 'tcp') as ModbusTransport;
  if (!MODBUS_TRANSPORTS.includes(transport)) {
    problems.push(`connection.transport: must be one of ${MODBUS_TRANSPORTS.join(', ')}`);
    return { transport: 'tcp', host: '', port: 502 };
  }
  const given = (keys: readonly string[]) => keys.filter((k) => (c as Record<string, unknown>)[k] !== undefined);
  if (transport === 'tcp') {
    for (const k of given(SERIAL_KEYS)) problems.push(`connection.${k}: only for transport rtu or rtu-tcp (this device uses Modbus TCP)`);
  } else {
    const unit = c.unitId ?? 1;
    if (unit < 1 || unit > 247) problems.push(`connection.unitId: on a serial bus unit ids are 1..247 (0 is broadcast and never answers), got ${unit}`);
  }
  if (transport === 'rtu') {
    for (const k of given(['host', 'port'])) problems.push(`connection.${k}: not for transport rtu (use serialPort)`);
    if (typeof c.serialPort !== 'string' || !c.serialPort) problems.push('connection.serialPort: missing (the RS-485 adapter, e.g. /dev/ttyUSB0)');
    return { transport, serialPort: String(c.serialPort ?? ''), line: toLineFormat(c, problems) };
  }
  if (typeof c.host !== 'string' || !c.host) problems.push(`connection.host: missing${transport === 'rtu-tcp' ? ' (the serial device server)' : ''}`);
  const host = String(c.host ?? '');
  const port = c.port ?? 502;
  if (transport === 'tcp') return { transport, host, port };
  if (c.serialPort !== undefined) problems.push('connection.serialPort: not for transport rtu-tcp (the serial port is on the device server; give host and port)');
  return { transport, host, port, line: toLineFormat(c, problems) };
}

function toLineFormat(c: Partial<ModbusConnection>, problems: string[]): LineFormat {
  const baudRate = c.baudRate ?? 9600;
  if (!(BAUD_RATES as readonly number[]).includes(baudRate)) problems.push(`connection.baudRate: must be one of ${BAUD_RATES.join(', ')}, got ${String(baudRate)}`);
  const parity = (c.parity ?? 'even') as Parity;
  if (!PARITIES.includes(parity)) problems.push(`connection.parity: must be none, even or odd, got ${String(parity)}`);
  const dataBits = c.dataBits ?? 8;
  if (dataBits !== 8) problems.push(`connection.dataBits: Modbus RTU characters have 8 data bits, got ${String(dataBits)} (7 bits is Modbus ASCII, not supported)`);
  const stopBits = c.stopBits ?? 1;
  if (stopBits !== 1 && stopBits !== 2) problems.push(`connection.stopBits: must be 1 or 2, got ${String(stopBits)}`);
  return { baudRate, parity, dataBits, stopBits };
}
