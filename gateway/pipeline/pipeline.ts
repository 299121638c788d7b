/**
 * The pipeline: every connector's readings enter here, are checked against the config, update the
 * live state and fan out to the sinks (history, alarms, realtime) in registration order. Sinks
 * never call back upstream. A sink that throws is logged and does not stop the others.
 */
import type { DeviceConfig } from '../config/schema.js';
import type { DeviceStatusEvent } from '../core/model.js';
import type { Logger } from '../core/log.js';
import type { CommStatus, Reading } from '../core/reading.js';
import { LiveState } from './live.js';
import { NumericGuard } from './numeric.js';

export interface PipelineSink {
  readonly name: string;
  onReadings?(batch: readonly Reading[]): void;
  onStatus?(event: DeviceStatusEvent): void;
}

export interface PipelineOptions {
  /**
   * How far a reading's own time may run ahead of the gateway's clock (docs/design.md §9). A reading
   * dated later is stamped with its arrival time and counted: a fast device clock must never date
   * a reading into the future, where it would hide the readings after it.
   */
  futureToleranceMs?: number;
}

/** Default of `deviceClock.futureTolerance` (gateway/config/schema.ts). */
export const FUTURE_TOLERANCE_MS = 5_000;

export class Pipeline {
  readonly live: LiveState;
  private readonly sinks: PipelineSink[] = [];
  /** Readings for devices or points that the config does not know. */
  unknownReadings = 0;
  totalReadings = 0;
  /** Readings dated beyond the tolerance after the gateway's clock, stamped with their arrival time. */
  futureReadings = 0;
  private readonly futureToleranceMs: number;
  private readonly staleTimer: NodeJS.Timeout;
  private readonly numeric: NumericGuard;

  constructor(
    private readonly devices: readonly DeviceConfig[],
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    opts: PipelineOptions = {},
  ) {
    this.futureToleranceMs = opts.futureToleranceMs ?? FUTURE_TOLERANCE_MS;
    this.live = new LiveState(devices);
    this.numeric = new NumericGuard(devices);
    this.staleTimer = setInterval(() => this.checkStale(), 1000);
    this.staleTimer.unref();
  }

  use(sink: PipelineSink): void {
    this.sinks.push(sink);
  }

  ingest(batch: readonly Reading[]): void {
    let accepted: Reading[] | undefined;
    const arrival = this.now();
    const latest = arrival + this.futureToleranceMs;
    for (let i = 0; i < batch.length; i++) {
      let r = batch[i]!;
      this.numeric.check(r);
      if (r.ts > latest) {
        // A device clock ahead of ours: keep the reading, at its arrival time (docs/design.md §9).
        if (this.live.clockAhead(r.device, r.ts - arrival, arrival)) {
          if (this.futureReadings++ === 0 || this.futureReadings % 1000 === 0) {
            this.log.warn({ device: r.device, point: r.point, aheadMs: r.ts - arrival, count: this.futureReadings }, 'reading dated after the gateway clock; stamped with its arrival time');
          }
          r = { ...r, ts: arrival };
          accepted ??= batch.slice(0, i);
        }
      }
      const comm = this.live.apply(r, arrival);
      if (comm !== undefined) {
        if (accepted) accepted.push(r);
        // Data is the best proof of life: a device marked stale comes back online with it.
        if (r.quality === 'good' && comm !== 'online') this.status(r.device, 'online');
      } else {
        // Copy-on-first-reject keeps the common path allocation-free.
        accepted ??= batch.slice(0, i);
        this.unknownReadings++;
      }
    }
    const out = accepted ?? batch;
    if (out.length === 0) return;
    this.totalReadings += out.length;
    for (const s of this.sinks) {
      if (!s.onReadings) continue;
      try {
        s.onReadings(out);
      } catch (err) {
        this.log.error({ err, sink: s.name }, 'sink failed on readings');
      }
    }
  }

  status(device: string, comm: CommStatus, reason?: string): void {
    if (!this.live.setComm(device, comm, reason)) return;
    const event: DeviceStatusEvent = { device, comm, ts: this.now(), ...(reason ? { reason } : {}) };
    for (const s of this.sinks) {
      try {
        s.onStatus?.(event);
      } catch (err) {
        this.log.error({ err, sink: s.name }, 'sink failed on status');
      }
    }
  }

  /** A device that sends nothing for `staleAfter` seconds (default 30 s) is offline. */
  private checkStale(): void {
    const now = this.now();
    for (const d of this.devices) {
      const seen = this.live.lastSeen(d.id);
      if (seen === null || this.live.comm(d.id) === 'offline') continue;
      const limit = (d.staleAfter ?? 30) * 1000;
      if (now - seen > limit) this.status(d.id, 'offline', `no data for ${Math.round((now - seen) / 1000)} s`);
    }
  }

  close(): void {
    clearInterval(this.staleTimer);
  }
}
