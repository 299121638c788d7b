/**
 * A device's `connection` and `points` with every default filled in and the rules the JSON schema
 * cannot express checked (bit tables are boolean, `bit` needs a 16-bit register, a value must fit
 * the address space and one request).
 */
import type { DeviceConfig } from '../../config/schema.js';
import { Errors } from '../../core/errors.js';
import { toReportPolicy, type ReportPolicy } from '../common/filter.js';
import { BYTE_ORDERS, DATA_TYPES, registerCount, type ByteOrder, type DataType } from './decode.js';
import { TABLES, isBitTable, type Placed, type Table } from './plan.js';
import type { ModbusConnection, ModbusPoint } from './schema.js';

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

export interface DeviceSpec {
  id: string;
  host: string;
  port: number;
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
  if (typeof c.host !== 'string' || !c.host) problems.push('connection.host: missing');
  const spec: DeviceSpec = {
    id: device.id,
    host: String(c.host ?? ''),
    port: c.port ?? 502,
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
