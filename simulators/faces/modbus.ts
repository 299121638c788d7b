/**
 * Modbus TCP face: a modbus-serial ServerTCP per device (unit id 1), or one server fronting up to
 * 247 devices by unit id (scale mode). A register image is rebuilt from the model on the first
 * read after a clock tick, so all registers of one request come from one instant (a float32
 * never mixes words of two readings) and unpolled devices cost nothing. Addresses outside the
 * point map answer exception 2 (illegal data address); a `silent` device does not answer at
 * all, `exception` answers exception 4, `slow` answers late.
 */
import net from 'node:net';
import { ServerTCP, type FCallback, type FCallbackVal, type IServiceVector } from 'modbus-serial';
import type { Logger } from 'pino';
import type { SimDevice } from '../devices.js';
import type { ModbusPointDef, ModbusTable } from '../pointmaps.js';
import { decodeWord, encodeWords, wordCount } from './registers.js';
import { freePort } from '../../tools/ports.js';

export interface ModbusFace {
  /** The first (or only) device served; see `units` for all of them. */
  readonly deviceId: string;
  /** Unit id → device id, for a server that fronts several devices. */
  readonly units: ReadonlyMap<number, string>;
  readonly port: number;
  /** Mark the register images stale (called after each clock tick); they are rebuilt on the next read. */
  refresh(): void;
  stop(): Promise<void>;
}

export interface ModbusFaceOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  unitId?: number;
  logger: Logger;
}

export interface ModbusUnit {
  unitId: number;
  device: SimDevice;
  map: readonly ModbusPointDef[];
}

/** Modbus exception codes a slave answers with. */
const ILLEGAL_DATA_ADDRESS = 2;
const ILLEGAL_DATA_VALUE = 3;
const SLAVE_DEVICE_FAILURE = 4;
/** A gateway's answer for a unit id it has no device for. */
const GATEWAY_TARGET_FAILED = 0x0b;

function modbusError(code: number, msg: string): Error {
  // servertcp.js turns `modbusErrorCode` into an exception response (otherwise code 4).
  return Object.assign(new Error(msg), { modbusErrorCode: code });
}

/** One device on its own server (unit id 1 by default; other unit ids are ignored). */
export function startModbusFace(device: SimDevice, map: readonly ModbusPointDef[], opts: ModbusFaceOptions): Promise<ModbusFace> {
  return startModbusServer([{ unitId: opts.unitId ?? 1, device, map }], { ...opts, singleUnit: true });
}

interface UnitState extends ModbusUnit {
  words: Map<number, number>; // (tableIndex << 16 | address) → register word
  bits: Map<number, boolean>;
  dirty: boolean;
  log: Logger;
}

const TABLE_INDEX: Record<ModbusTable, number> = { coil: 0, discrete: 1, holding: 2, input: 3 };
const key = (table: ModbusTable, address: number) => (TABLE_INDEX[table] << 16) | address;

/**
 * A Modbus TCP server for one or more devices, told apart by unit id, like a Modbus TCP gateway
 * with RS-485 devices behind it (scale mode). Answers exception 0x0B (gateway target device
 * failed to respond) for a unit id it has no device for. Communication faults per device:
 * `silent` (no answer), `exception` (exception 4 to every request), `slow` (answer after delay).
 */
export async function startModbusServer(units: readonly ModbusUnit[], opts: ModbusFaceOptions & { singleUnit?: boolean }): Promise<ModbusFace> {
  const log = opts.logger.child({ face: 'modbus' });
  const byUnit = new Map<number, UnitState>();
  for (const u of units) {
    if (!(u.unitId >= 1 && u.unitId <= 247)) throw new RangeError(`Modbus unit id ${u.unitId} of ${u.device.id} is outside 1..247`);
    if (byUnit.has(u.unitId)) throw new Error(`Modbus unit id ${u.unitId} used twice`);
    byUnit.set(u.unitId, { ...u, words: new Map(), bits: new Map(), dirty: true, log: log.child({ device: u.device.id }) });
  }

  const rebuild = (u: UnitState) => {
    const values = u.device.model.values() as Record<string, unknown>;
    for (const p of u.map) {
      const v = values[p.name];
      if (p.type === 'bool') u.bits.set(key(p.table, p.address), v === true);
      else encodeWords(p, typeof v === 'number' ? v : 0).forEach((w, i) => u.words.set(key(p.table, p.address + i), w));
    }
    u.dirty = false;
  };
  const current = (u: UnitState) => {
    if (u.dirty) rebuild(u);
    return u;
  };

  /**
   * Answer through `reply` with the device's communication faults applied; false when the unit
   * is unknown or silent (the caller has already answered or must not answer).
   */
  const withFaults = <T>(unitId: number, cb: (err: Error | null, v: T) => void, fallback: T, body: (u: UnitState) => [Error | null, T]) => {
    const u = byUnit.get(unitId);
    if (!u) return cb(modbusError(GATEWAY_TARGET_FAILED, `no device at unit ${unitId}`), fallback);
    const d = u.device;
    if (d.silent) return; // no answer: the master times out, as with a dead device
    const [err, v] = d.comm.has('exception') ? [modbusError(SLAVE_DEVICE_FAILURE, `${d.id} reports device failure`), fallback] : body(u);
    if (d.comm.has('slow')) setTimeout(() => cb(err, v), d.slowMs).unref();
    else cb(err, v);
  };

  const readBit = (table: ModbusTable) => (addr: number, unitId: number, cb: FCallbackVal<boolean>) =>
    withFaults(unitId, cb, false, (u) => {
      const v = current(u).bits.get(key(table, addr));
      return v === undefined ? [modbusError(ILLEGAL_DATA_ADDRESS, `no ${table} at ${addr}`), false] : [null, v];
    });
  const readWord = (table: ModbusTable) => (addr: number, unitId: number, cb: FCallbackVal<number>) =>
    withFaults(unitId, cb, 0, (u) => {
      const v = current(u).words.get(key(table, addr));
      return v === undefined ? [modbusError(ILLEGAL_DATA_ADDRESS, `no ${table} register at ${addr}`), 0] : [null, v];
    });
  const writable = (u: UnitState, table: ModbusTable, addr: number) =>
    u.map.find((p) => p.table === table && p.address === addr && p.writable && wordCount(p) === 1);
  const write = (table: 'coil' | 'holding', addr: number, raw: boolean | number, unitId: number, cb: FCallback) =>
    withFaults<undefined>(unitId, (err) => cb(err), undefined, (u) => {
      const p = writable(u, table, addr);
      if (!p) return [modbusError(ILLEGAL_DATA_ADDRESS, `${table} ${addr} is not writable`), undefined];
      const eng = typeof raw === 'number' ? decodeWord(p, raw) : raw;
      if (!u.device.write(p.name, eng)) return [modbusError(ILLEGAL_DATA_VALUE, `${p.name} rejected ${eng}`), undefined];
      u.log.info({ point: p.name, value: eng }, 'written by master');
      u.dirty = true;
      return [null, undefined];
    });

  const vector: IServiceVector = {
    getCoil: readBit('coil'),
    getDiscreteInput: readBit('discrete'),
    getHoldingRegister: readWord('holding'),
    getInputRegister: readWord('input'),
    setCoil: (addr: number, value: boolean, unitId: number, cb: FCallback) => write('coil', addr, value, unitId, cb),
    setRegister: (addr: number, value: number, unitId: number, cb: FCallback) => write('holding', addr, value, unitId, cb),
  };

  const name = units.length === 1 ? units[0]!.device.id : `${units.length} devices`;
  // A single device answers only its own unit id; a gateway answers all (unit id 255 in modbus-serial).
  const serverUnitId = opts.singleUnit ? units[0]!.unitId : 255;
  const listen = async (port: number) => {
    const server = new ServerTCP(vector, { host: opts.host, port, unitID: serverUnitId });
    await new Promise<void>((resolve, reject) => {
      server.once('initialized', () => resolve());
      server.once('serverError', (err) => reject(Object.assign(new Error(`Modbus server for ${name} cannot listen on ${opts.host}:${port}: ${err?.message}`), { cause: err })));
    });
    return { server, port };
  };
  // Port 0: the free port found may be taken by someone else before we bind it; try again.
  let attempt = 0;
  let bound: Awaited<ReturnType<typeof listen>>;
  for (;;) {
    try {
      // ServerTCP treats port 0 as "use 502", so ask the OS for a free port first.
      bound = await listen(opts.port || (await freePort(opts.host)));
      break;
    } catch (err) {
      if (opts.port || ++attempt >= 3) throw err;
    }
  }
  const { server, port } = bound;
  server.on('socketError', (err) => log.debug({ err }, 'client socket error'));
  server.on('error', (err) => log.warn({ err }, 'modbus server error'));
  log.info({ port, devices: units.length }, 'Modbus TCP server listening');

  return {
    deviceId: units[0]!.device.id,
    units: new Map(units.map((u) => [u.unitId, u.device.id])),
    port,
    refresh: () => {
      for (const u of byUnit.values()) u.dirty = true;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
