/**
 * Modbus TCP face: one modbus-serial ServerTCP per device, unit id 1. A register image is rebuilt
 * from the model after every clock tick, so all registers of one request come from one instant
 * (a float32 never mixes words of two readings). Addresses outside the point map answer
 * exception 2 (illegal data address); a `silent` device does not answer at all.
 */
import net from 'node:net';
import { ServerTCP, type FCallback, type FCallbackVal, type IServiceVector } from 'modbus-serial';
import type { Logger } from 'pino';
import type { SimDevice } from '../devices.js';
import type { ModbusPointDef, ModbusTable } from '../pointmaps.js';
import { decodeWord, encodeWords, wordCount } from './registers.js';

export interface ModbusFace {
  readonly deviceId: string;
  readonly port: number;
  /** Rebuild the register image from the model (called after each clock tick). */
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

/** Modbus exception codes a slave answers with. */
const ILLEGAL_DATA_ADDRESS = 2;
const ILLEGAL_DATA_VALUE = 3;

function modbusError(code: number, msg: string): Error {
  // servertcp.js turns `modbusErrorCode` into an exception response (otherwise code 4).
  return Object.assign(new Error(msg), { modbusErrorCode: code });
}

export async function startModbusFace(device: SimDevice, map: readonly ModbusPointDef[], opts: ModbusFaceOptions): Promise<ModbusFace> {
  const log = opts.logger.child({ face: 'modbus', device: device.id });
  const words = new Map<string, number>(); // `${table}:${address}` → register word
  const bits = new Map<string, boolean>();
  const key = (table: ModbusTable, address: number) => `${table}:${address}`;

  const refresh = () => {
    const values = device.model.values() as Record<string, unknown>;
    for (const p of map) {
      const v = values[p.name];
      if (p.type === 'bool') bits.set(key(p.table, p.address), v === true);
      else encodeWords(p, typeof v === 'number' ? v : 0).forEach((w, i) => words.set(key(p.table, p.address + i), w));
    }
  };
  refresh();

  const readBit = (table: ModbusTable) => (addr: number, _unit: number, cb: FCallbackVal<boolean>) => {
    if (device.silent) return; // no answer: the master times out, as with a dead device
    const v = bits.get(key(table, addr));
    if (v === undefined) cb(modbusError(ILLEGAL_DATA_ADDRESS, `no ${table} at ${addr}`), false);
    else cb(null, v);
  };
  const readWord = (table: ModbusTable) => (addr: number, _unit: number, cb: FCallbackVal<number>) => {
    if (device.silent) return;
    const v = words.get(key(table, addr));
    if (v === undefined) cb(modbusError(ILLEGAL_DATA_ADDRESS, `no ${table} register at ${addr}`), 0);
    else cb(null, v);
  };
  const writable = (table: ModbusTable, addr: number) =>
    map.find((p) => p.table === table && p.address === addr && p.writable && wordCount(p) === 1);

  const vector: IServiceVector = {
    getCoil: readBit('coil'),
    getDiscreteInput: readBit('discrete'),
    getHoldingRegister: readWord('holding'),
    getInputRegister: readWord('input'),
    setCoil: (addr: number, value: boolean, _unit: number, cb: FCallback) => {
      if (device.silent) return;
      const p = writable('coil', addr);
      if (!p) return cb(modbusError(ILLEGAL_DATA_ADDRESS, `coil ${addr} is not writable`));
      if (!device.write(p.name, value)) return cb(modbusError(ILLEGAL_DATA_VALUE, `${p.name} rejected ${value}`));
      log.info({ point: p.name, value }, 'written by master');
      refresh();
      cb(null);
    },
    setRegister: (addr: number, value: number, _unit: number, cb: FCallback) => {
      if (device.silent) return;
      const p = writable('holding', addr);
      if (!p) return cb(modbusError(ILLEGAL_DATA_ADDRESS, `holding register ${addr} is not writable`));
      const eng = decodeWord(p, value);
      if (!device.write(p.name, eng)) return cb(modbusError(ILLEGAL_DATA_VALUE, `${p.name} rejected ${eng}`));
      log.info({ point: p.name, value: eng }, 'written by master');
      refresh();
      cb(null);
    },
  };

  const listen = async (port: number) => {
    const server = new ServerTCP(vector, { host: opts.host, port, unitID: opts.unitId ?? 1 });
    await new Promise<void>((resolve, reject) => {
      server.once('initialized', () => resolve());
      server.once('serverError', (err) => reject(Object.assign(new Error(`Modbus server for ${device.id} cannot listen on ${opts.host}:${port}: ${err?.message}`), { cause: err })));
    });
    return { server, port };
  };
  // Port 0: the free port found may be taken by someone else before we bind it; try again.
  let attempt = 0;
  let bound: Awaited<ReturnType<typeof listen>>;
  for (;;) {
    try {
      bound = await listen(opts.port || (await freePort(opts.host)));
      break;
    } catch (err) {
      if (opts.port || ++attempt >= 3) throw err;
    }
  }
  const { server, port } = bound;
  server.on('socketError', (err) => log.debug({ err }, 'client socket error'));
  server.on('error', (err) => log.warn({ err }, 'modbus server error'));
  log.info({ port }, 'Modbus TCP server listening');

  return {
    deviceId: device.id,
    port,
    refresh,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** ServerTCP treats port 0 as "use 502", so ask the OS for a free port first. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
