/**
 * 1-minute telemetry rollups for head office (docs/design.md §7): a pipeline sink that folds every good
 * numeric reading into min/mean/max/count per device, point and minute (by the reading's time)
 * and, once a minute is over (plus `graceMs` for late readings), writes it to the outbox as one
 * batch per minute (split into parts of at most `maxRows`). A reading for a minute already sent is
 * counted as late and dropped: head office gets one row per point and minute.
 */
import type { RollupBatch, RollupRow } from '../core/envelope.js';
import { ENVELOPE_SCHEMA } from '../core/envelope.js';
import type { Reading } from '../core/reading.js';
import type { PipelineSink } from '../pipeline/pipeline.js';

const MINUTE = 60_000;

interface Bucket { min: number; max: number; sum: number; count: number }

export interface RollupSinkOptions {
  site: string;
  equipmentOf: (device: string) => string | undefined;
  write: (batch: RollupBatch) => void;
  now?: () => number;
  graceMs?: number;
  maxRows?: number;
}

export class RollupSink implements PipelineSink {
  readonly name = 'uplink-rollups';
  /** minute → device → point → bucket (no key string made per reading). */
  private readonly minutes = new Map<number, Map<string, Map<string, Bucket>>>();
  private flushedUpTo = -Infinity;
  late = 0;
  rowsWritten = 0;
  private readonly now: () => number;
  private readonly grace: number;
  private readonly maxRows: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: RollupSinkOptions) {
    this.now = opts.now ?? Date.now;
    this.grace = opts.graceMs ?? 5_000;
    this.maxRows = opts.maxRows ?? 2_000;
  }

  onReadings(batch: readonly Reading[]): void {
    for (const r of batch) {
      if (r.quality !== 'good' || typeof r.value !== 'number' || !Number.isFinite(r.value)) continue;
      const minute = Math.floor(r.ts / MINUTE) * MINUTE;
      if (minute <= this.flushedUpTo) { this.late++; continue; }
      let devices = this.minutes.get(minute);
      if (!devices) this.minutes.set(minute, (devices = new Map()));
      let points = devices.get(r.device);
      if (!points) devices.set(r.device, (points = new Map()));
      const b = points.get(r.point);
      if (b) {
        if (r.value < b.min) b.min = r.value;
        if (r.value > b.max) b.max = r.value;
        b.sum += r.value;
        b.count++;
      } else points.set(r.point, { min: r.value, max: r.value, sum: r.value, count: 1 });
    }
  }

  /** Writes every minute that ended more than the grace ago (or all, with `all`). */
  flush(all = false): number {
    const cut = this.now() - MINUTE - this.grace;
    let n = 0;
    for (const minute of [...this.minutes.keys()].sort((a, b) => a - b)) {
      if (!all && minute > cut) continue;
      const devices = this.minutes.get(minute)!;
      this.minutes.delete(minute);
      this.flushedUpTo = Math.max(this.flushedUpTo, minute);
      const rows: RollupRow[] = [];
      for (const [device, points] of devices) {
        const equipment = this.opts.equipmentOf(device) ?? 'unknown';
        for (const [point, b] of points) rows.push({ device, equipment, point, minute, min: b.min, mean: b.sum / b.count, max: b.max, count: b.count });
      }
      for (let part = 0; part * this.maxRows < rows.length; part++) {
        this.opts.write({ id: `${this.opts.site}:r:${minute}:${part}`, site: this.opts.site, schema: ENVELOPE_SCHEMA, minute, rows: rows.slice(part * this.maxRows, (part + 1) * this.maxRows) });
      }
      n += rows.length;
    }
    this.rowsWritten += n;
    return n;
  }

  start(everyMs = 5_000): void {
    this.timer ??= setInterval(() => this.flush(), everyMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
