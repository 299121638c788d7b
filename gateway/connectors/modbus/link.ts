/**
 * One Modbus link and its request queue: a Modbus TCP connection (host:port), a serial port with
 * RTU framing (RS-485), or RTU frames over TCP to a serial device server. Every device on the same
 * link (several unit ids on one bus, or behind one gateway) shares it, and requests go out strictly
 * one at a time. modbus-serial has no reconnect and no default timeout (docs/libraries.md §2): each
 * request gets the device's timeout plus a guard of our own, and after a lost connection a fresh
 * client is built with exponential backoff and jitter.
 *
 * On RTU links a request goes out only after the line has been silent for 3.5 characters
 * (rtu.ts). On any link shared by several unit ids, a unit that misses two requests in a row is
 * backed off (asked again after `reconnectDelay`, doubling up to `reconnectMaxDelay`), so that one
 * dead unit costs the bus one timeout per backoff period, not one per poll.
 */
import type { EventEmitter } from 'node:events';
import ModbusPkg from 'modbus-serial';
import type { ModbusRTU as ModbusClient } from 'modbus-serial/ModbusRTU.js';
import { Errors } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { Backoff } from '../../core/backoff.js';
import { TimeoutError, describeError, sleep, withTimeout } from '../common/timers.js';
import { linkKey, type LinkTarget } from './config.js';
import type { Table } from './plan.js';
import { silentIntervalMs } from './rtu.js';

// The package's typings declare `export default` on a CommonJS module; at run time the default
// import is the class itself.
const ModbusRTU = ModbusPkg as unknown as typeof ModbusClient;

const EXCEPTION_TEXT: Record<number, string> = {
  1: 'Illegal function',
  2: 'Illegal data address',
  3: 'Illegal data value',
  4: 'Server device failure',
  5: 'Acknowledge',
  6: 'Server device busy',
  8: 'Memory parity error',
  10: 'Gateway path unavailable',
  11: 'Gateway target device failed to respond',
};

/** The device answered with a Modbus exception: the connection is fine, these addresses are not. */
export class ModbusException extends Error {
  constructor(readonly code: number) {
    super(Errors.MODBUS_EXCEPTION(code, EXCEPTION_TEXT[code] ?? 'Unknown exception').message);
    this.name = 'ModbusException';
  }
}

/** No usable connection (refused, closed, still connecting...). */
export class NotConnected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotConnected';
  }
}

/** The request went out but no answer came back in time. */
export class NoResponse extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoResponse';
  }
}

/** What to write: bits to coils (FC5/FC15) or words to holding registers (FC6/FC16). */
export type WriteRequest =
  | { table: 'coil'; address: number; bits: boolean[]; multiple: boolean }
  | { table: 'holding'; address: number; words: number[]; multiple: boolean };

/** Function code a write request goes out with. */
export function writeFunctionCode(req: WriteRequest): 5 | 6 | 15 | 16 {
  if (req.table === 'coil') return req.multiple || req.bits.length > 1 ? 15 : 5;
  return req.multiple || req.words.length > 1 ? 16 : 6;
}

export interface LinkOptions {
  target: LinkTarget;
  /** Unit ids of the devices on this link: with more than one, silent units are backed off. */
  unitIds: number[];
  /** Deadline of one TCP connect or serial port open, ms. */
  connectTimeout: number;
  reconnectDelay: number;
  reconnectMaxDelay: number;
  log: Logger;
}

type State = 'idle' | 'connecting' | 'up' | 'down' | 'closed';

/** Timeouts in a row after which the connection counts as dead (half-open TCP, hung gateway). */
const DEAD_AFTER_TIMEOUTS = 3;
/** Extra time our own guard grants over modbus-serial's request timeout before giving up. */
const GUARD_MS = 500;
/** Timeouts in a row after which a unit on a shared link is backed off. */
const UNIT_SILENT_AFTER = 2;

/** A unit on a shared link that stopped answering: when it may be asked again. */
interface SilentUnit {
  missed: number;
  until: number;
  backoff: Backoff;
}

export class ModbusLink {
  readonly key: string;
  private client: ModbusClient | undefined;
  private state: State = 'idle';
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private retryAt = 0;
  private readonly backoff: Backoff;
  private queue: Promise<unknown> = Promise.resolve();
  private lastError = 'not connected yet';
  private timeoutsInRow = 0;
  private lastAnswerAt = 0;
  private readonly log: Logger;
  /** Silence the line needs between two frames, ms (0 on Modbus TCP). */
  private readonly gapMs: number;
  /** When the last frame on the line ended (answer, exception or timeout), performance.now() ms. */
  private lineQuietSince = 0;
  /** More than one unit id on this link: silent units are backed off. */
  private readonly shared: boolean;
  private readonly silent = new Map<number, SilentUnit>();
  /**
   * Requests sent on this link since it was created (reads and writes), how they ended, and how
   * many were not sent because their unit was backed off.
   */
  readonly stats = { reads: 0, writes: 0, exceptions: 0, timeouts: 0, skipped: 0 };

  constructor(private readonly opts: LinkOptions) {
    this.key = linkKey(opts.target);
    this.gapMs = opts.target.transport === 'tcp' ? 0 : silentIntervalMs(opts.target.line);
    this.shared = new Set(opts.unitIds).size > 1;
    this.backoff = this.newBackoff();
    this.log = opts.log.child({ link: this.key });
  }

  get isUp(): boolean {
    return this.state === 'up';
  }

  start(): void {
    if (this.state === 'idle') void this.connect();
  }

  /** Drop the connection and stop reconnecting. Returns at once; queued requests fail. */
  close(): void {
    this.state = 'closed';
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    if (client) destroy(client);
  }

  /**
   * Read `count` registers or bits of `table` from `unitId`. Queued behind the link's other
   * requests; settles within about `timeout` once it is its turn. Rejects with ModbusException,
   * NoResponse or NotConnected.
   */
  read(unitId: number, table: Table, start: number, count: number, timeout: number): Promise<number[] | boolean[]> {
    return this.enqueue(unitId, timeout, false, (client) => {
      this.stats.reads++;
      return call(client, table, start, count).then((res) => res.data);
    });
  }

  /**
   * Write coils (FC5/FC15) or holding registers (FC6/FC16) of `unitId`, queued like a read.
   * Resolves when the device confirmed the write; rejects with ModbusException, NoResponse or
   * NotConnected.
   */
  write(unitId: number, req: WriteRequest, timeout: number): Promise<void> {
    // A write is asked for by a person: it goes out even to a backed-off unit (one timeout, once).
    return this.enqueue(unitId, timeout, true, async (client) => {
      this.stats.writes++;
      if (req.table === 'coil') {
        if (writeFunctionCode(req) === 15) await client.writeCoils(req.address, req.bits);
        else await client.writeCoil(req.address, req.bits[0]!);
      } else if (writeFunctionCode(req) === 16) await client.writeRegisters(req.address, req.words);
      else await client.writeRegister(req.address, req.words[0]!);
    });
  }

  private enqueue<T>(unitId: number, timeout: number, evenIfSilent: boolean, fn: (client: ModbusClient) => Promise<T>): Promise<T> {
    const job = this.queue.then(() => this.exec(unitId, timeout, evenIfSilent, fn));
    this.queue = job.catch(() => undefined);
    return job;
  }

  private async exec<T>(unitId: number, timeout: number, evenIfSilent: boolean, fn: (client: ModbusClient) => Promise<T>): Promise<T> {
    if (this.state === 'connecting' && this.connecting) await this.connecting;
    const client = this.client;
    if (this.state !== 'up' || !client) throw new NotConnected(this.notConnectedReason());
    const silent = this.silent.get(unitId);
    if (silent && !evenIfSilent && Date.now() < silent.until) {
      this.stats.skipped++;
      throw new NoResponse(`no response within ${timeout} ms`);
    }
    if (this.gapMs > 0) {
      await this.quietLine();
      if (this.state !== 'up' || client !== this.client) throw new NotConnected(this.notConnectedReason());
    }
    client.setID(unitId);
    client.setTimeout(timeout);
    try {
      const res = await withTimeout(fn(client), timeout + GUARD_MS, `no response within ${timeout} ms`);
      this.answered(unitId);
      return res;
    } catch (err) {
      const e = err as { modbusCode?: unknown; errno?: unknown };
      if (typeof e.modbusCode === 'number') {
        this.answered(unitId);
        this.stats.exceptions++;
        throw new ModbusException(e.modbusCode);
      }
      if (e.errno === 'ETIMEDOUT' || err instanceof TimeoutError) {
        this.lineQuietSince = performance.now();
        this.stats.timeouts++;
        this.timeoutsInRow++;
        this.missed(unitId);
        // A serial port cannot be half open: timeouts there are silent units, not a dead link.
        const canHang = this.opts.target.transport !== 'rtu';
        if (canHang && this.timeoutsInRow >= DEAD_AFTER_TIMEOUTS && Date.now() - this.lastAnswerAt > DEAD_AFTER_TIMEOUTS * timeout) {
          this.lost(client, `${this.timeoutsInRow} requests in a row got no answer`);
        }
        throw new NoResponse(`no response within ${timeout} ms`);
      }
      // "Port Not Open" and the like: say which link was lost (the first loss reported sets it).
      this.lost(client, describeError(err));
      throw new NotConnected(this.notConnectedReason());
    }
  }

  /**
   * On RTU links: wait until the line has been silent for 3.5 characters since the last frame, and
   * drop bytes left in modbus-serial's receive buffer (a late answer to a request that timed out),
   * which would otherwise be taken for the answer to the next request of the same unit.
   */
  private async quietLine(): Promise<void> {
    const wait = this.lineQuietSince + this.gapMs - performance.now();
    if (wait > 0) await sleep(Math.ceil(wait));
    const port = (this.client as unknown as { _port?: { _buffer?: unknown } } | undefined)?._port;
    if (port && Buffer.isBuffer(port._buffer) && port._buffer.length > 0) port._buffer = Buffer.alloc(0);
  }

  /** A unit on a shared link missed a request: after UNIT_SILENT_AFTER in a row it is backed off. */
  private missed(unitId: number): void {
    if (!this.shared) return;
    let s = this.silent.get(unitId);
    if (!s) {
      s = { missed: 0, until: 0, backoff: this.newBackoff() };
      this.silent.set(unitId, s);
    }
    s.missed++;
    if (s.missed < UNIT_SILENT_AFTER) return;
    const delay = s.backoff.next();
    s.until = Date.now() + delay;
    this.log.debug({ unitId, missed: s.missed, retryInMs: delay }, 'modbus unit silent; backed off');
  }

  /** Reconnects and silent units wait `reconnectDelay`, doubling up to `reconnectMaxDelay`. */
  private newBackoff(): Backoff {
    return new Backoff({ initial: this.opts.reconnectDelay, max: this.opts.reconnectMaxDelay, jitter: 0.25 });
  }

  private answered(unitId: number): void {
    this.timeoutsInRow = 0;
    this.lastAnswerAt = Date.now();
    this.lineQuietSince = performance.now();
    if (this.silent.delete(unitId)) this.log.info({ unitId }, 'modbus unit answers again');
  }

  private notConnectedReason(): string {
    return this.state === 'closed' ? 'connector stopped' : this.lastError;
  }

  /** When the next connect attempt is due (epoch ms); 0 while connected. */
  get nextAttemptAt(): number {
    return this.state === 'down' ? this.retryAt : 0;
  }

  private connect(): Promise<void> {
    if (this.connecting) return this.connecting;
    this.state = 'connecting';
    this.connecting = this.doConnect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    const { target, connectTimeout } = this.opts;
    // A fresh client every time: modbus-serial's port drops all its listeners on close.
    const client = new ModbusRTU();
    client.on('error', (err: unknown) => this.lost(client, describeError(err)));
    client.on('close', () => this.lost(client, 'connection closed by peer'));
    try {
      await withTimeout(open(client, target), connectTimeout, `connect timed out after ${connectTimeout} ms`);
    } catch (err) {
      destroy(client);
      if (this.state === 'closed') return;
      this.state = 'down';
      const why = `cannot connect to ${this.key}: ${describeError(err) || 'connection refused'}`;
      if (why !== this.lastError) this.log.debug({ err: describeError(err) }, 'modbus connect failed');
      this.lastError = why;
      this.scheduleReconnect();
      return;
    }
    if (this.state === 'closed') {
      destroy(client);
      return;
    }
    this.client = client;
    this.state = 'up';
    this.timeoutsInRow = 0;
    this.lastAnswerAt = Date.now();
    this.log.info({ attempts: this.backoff.attempts + 1 }, 'modbus connected');
    this.backoff.reset();
  }

  private lost(client: ModbusClient, reason: string): void {
    if (client !== this.client) return;
    this.client = undefined;
    destroy(client);
    if (this.state === 'closed') return;
    this.state = 'down';
    this.lastError = `connection to ${this.key} lost: ${reason}`;
    this.log.warn({ reason }, 'modbus connection lost');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    clearTimeout(this.reconnectTimer);
    if (this.state === 'closed') return;
    const delay = this.backoff.next();
    this.retryAt = Date.now() + delay;
    this.reconnectTimer = setTimeout(() => {
      if (this.state !== 'closed') void this.connect();
    }, delay);
  }
}

/**
 * Opens the client on its transport. RTU over TCP uses modbus-serial's TelnetPort, which sends
 * raw RTU frames (with CRC) over the socket, as transparent serial device servers expect; its
 * `connectTcpRTUBuffered` would wrap them in Modbus TCP headers instead.
 */
function open(client: ModbusClient, target: LinkTarget): Promise<void> {
  switch (target.transport) {
    case 'tcp':
      return client.connectTCP(target.host, { port: target.port });
    case 'rtu':
      return client.connectRTUBuffered(target.serialPort, { ...target.line });
    case 'rtu-tcp':
      return client.connectTelnet(target.host, { port: target.port });
  }
}

function call(client: ModbusClient, table: Table, start: number, count: number): Promise<{ data: number[] | boolean[] }> {
  switch (table) {
    case 'coil':
      return client.readCoils(start, count);
    case 'discrete':
      return client.readDiscreteInputs(start, count);
    case 'holding':
      return client.readHoldingRegisters(start, count);
    case 'input':
      return client.readInputRegisters(start, count);
  }
}

function destroy(client: ModbusClient): void {
  try {
    (client as unknown as EventEmitter).removeAllListeners();
    client.on('error', () => undefined);
    client.destroy(() => undefined);
  } catch {
    // already gone
  }
}
