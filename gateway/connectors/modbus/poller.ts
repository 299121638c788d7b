/**
 * Polls one device: every `pollInterval` it runs the device's request plan over its link, decodes
 * the answers and emits one batch of readings. Exception answers spoil only their own points; a
 * timeout or a lost connection marks the device offline and ends the poll early so a dead device
 * holds its shared link for at most one timeout per poll.
 */
import type { Logger } from '../../core/log.js';
import type { Reading } from '../../core/reading.js';
import { StatusBoard } from '../common/report.js';
import { describeError } from '../common/timers.js';
import type { DeviceSpec, PointSpec } from './config.js';
import { applyScale, decodeRegisters } from './decode.js';
import { ModbusException, type ModbusLink } from './link.js';
import { isBitTable, planRequests, splitRequest, type PlanLimits, type ReadRequest } from './plan.js';

export class DevicePoller {
  private plan: ReadRequest<PointSpec>[];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** True after a failed poll until the next good one: bad readings are emitted once per outage. */
  private failing = false;
  private readonly log: Logger;
  /** Poll counters: count, summed and largest duration (ms), and the last 64 durations. */
  readonly stats = { polls: 0, totalMs: 0, maxMs: 0, recent: [] as number[] };

  constructor(
    private readonly spec: DeviceSpec,
    private readonly link: ModbusLink,
    private readonly emit: (readings: Reading[]) => void,
    private readonly board: StatusBoard,
    log: Logger,
  ) {
    this.plan = planRequests(spec.points, this.limits);
    this.log = log.child({ device: spec.id });
  }

  private get limits(): PlanLimits {
    return { maxGap: this.spec.maxGap, maxRegisters: this.spec.maxRegisters, maxBits: this.spec.maxBits };
  }

  /** The current request plan (it changes when a merged request had to be split). */
  get requests(): readonly ReadRequest<PointSpec>[] {
    return this.plan;
  }

  start(): void {
    this.board.set(this.spec.id, 'connecting', `connecting to ${this.link.key}`);
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private polling = false;
  private wakeRequested = false;

  /** Poll as soon as possible (after a write), then carry on at the usual rate. */
  wake(): void {
    if (this.stopped) return;
    if (this.polling) this.wakeRequested = true;
    else this.schedule(0);
  }

  private async tick(): Promise<void> {
    const started = Date.now();
    this.polling = true;
    try {
      await this.pollOnce();
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'modbus poll failed unexpectedly');
    } finally {
      this.polling = false;
    }
    const ms = Date.now() - started;
    this.stats.polls++;
    this.stats.totalMs += ms;
    if (ms > this.stats.maxMs) this.stats.maxMs = ms;
    this.stats.recent.push(ms);
    if (this.stats.recent.length > 64) this.stats.recent.shift();
    if (this.wakeRequested) {
      this.wakeRequested = false;
      this.schedule(0);
      return;
    }
    // Fixed rate; a poll that overran its interval is followed by the next one at once.
    this.schedule(Math.max(0, started + this.spec.pollInterval - Date.now()));
  }

  /** One poll of every request in the plan; emits its readings as one batch. */
  async pollOnce(): Promise<void> {
    const { id, unitId, timeout } = this.spec;
    const readings: Reading[] = [];
    const done = new Set<string>();
    let commError: string | undefined;
    for (let i = 0; i < this.plan.length && !commError; i++) {
      const req = this.plan[i]!;
      try {
        const data = await this.link.read(unitId, req.table, req.start, req.count, timeout);
        const ts = Date.now();
        for (const p of req.points) {
          readings.push(this.decode(p, req, data, ts));
          done.add(p.name);
        }
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof ModbusException) {
          const parts = (err.code === 2 || err.code === 3) && req.points.length > 1 ? splitRequest(req, this.limits) : [req];
          if (parts.length > 1) {
            // One missing register spoiled a merged read: from now on read these points one by one.
            this.log.info({ table: req.table, start: req.start, count: req.count, parts: parts.length }, `${err.message}; splitting merged request`);
            this.plan.splice(i, 1, ...parts);
            i--;
            continue;
          }
          const ts = Date.now();
          for (const p of req.points) {
            readings.push(this.bad(p, err.message, ts));
            done.add(p.name);
          }
        } else {
          commError = describeError(err);
        }
      }
    }
    if (this.stopped) return;
    if (commError) {
      if (!this.failing) {
        const ts = Date.now();
        for (const p of this.spec.points) if (!done.has(p.name)) readings.push(this.bad(p, commError, ts));
      }
      this.failing = true;
      this.board.set(id, 'offline', commError);
    } else {
      this.failing = false;
      this.board.set(id, 'online');
    }
    this.emit(readings);
  }

  private decode(p: PointSpec, req: ReadRequest<PointSpec>, data: number[] | boolean[], ts: number): Reading {
    const offset = p.address - req.start;
    try {
      let value: number | boolean;
      if (isBitTable(req.table)) {
        const bit = data[offset];
        if (bit === undefined) throw new RangeError(`short answer: bit ${p.address} missing`);
        value = Boolean(bit);
      } else {
        const words = (data as number[]).slice(offset, offset + p.size);
        value = applyScale(decodeRegisters(words, p.type, p.order, p.bit), p.scale, p.offset);
      }
      if (typeof value === 'number' && !Number.isFinite(value)) {
        return { device: this.spec.id, point: p.name, value: null, quality: 'bad', ts, reason: `not a finite number (${value})` };
      }
      return { device: this.spec.id, point: p.name, value, quality: 'good', ts };
    } catch (err) {
      return this.bad(p, `decode error: ${describeError(err)}`, ts);
    }
  }

  private bad(p: PointSpec, reason: string, ts: number): Reading {
    return { device: this.spec.id, point: p.name, value: null, quality: 'bad', ts, reason };
  }
}
