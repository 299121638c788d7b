/**
 * Readings and events to line protocol, in batches. The readings of one device and timestamp (a
 * message's readings arrive together) become one line, one InfluxDB point, appended to the current
 * batch already encoded to UTF-8 (`LineBatch`). A batch is sealed at `batchSize` lines or
 * `flushInterval` ms after its first line and handed to `onBatch`.
 */
import { escape } from 'influx';
import type { Logger } from '../../core/log.js';
import type { Reading } from '../../core/reading.js';
import type { HistoryEvent } from '../store.js';
import { LineBatch, fieldValue, quoteField, tagValue } from '../lineproto.js';
import { EVENTS_MEASUREMENT, UNKNOWN_MEASUREMENT } from './schema.js';

export interface InfluxDeviceInfo {
  /** Equipment type: the measurement name (`pump`, `elevator`...). */
  type: string;
  building?: string;
}

/** A sealed batch of lines, numbered in order of sealing. */
export interface Batch {
  seq: number;
  /** The lines, encoded (see LineBatch). */
  body: Buffer<ArrayBuffer>;
  lines: number;
  /** Reading values in the lines (events not counted). */
  fields: number;
}

export interface LineWriterOptions {
  site: string;
  deviceInfo: (id: string) => InfluxDeviceInfo | undefined;
  log: Logger;
  batchSize: number;
  flushInterval: number;
  /** Takes each sealed batch. */
  onBatch: (batch: Batch) => void;
  /** Called after a batch was sealed because it was full or its timer ran out. */
  onSealed: () => void;
}

export class LineWriter {
  /** Readings without a value to store (null, NaN, ±Infinity). */
  skipped = 0;
  /** Number of the last sealed batch. */
  seq = 0;
  /** Per device: `measurement,tag=...` prefix of its lines (tags sorted, escaped). */
  private readonly prefixes = new Map<string, Uint8Array>();
  /** Per point name: escaped field key. */
  private readonly fieldKeys = new Map<string, Uint8Array>();
  private current: LineBatch | undefined;
  /** Bytes of the last sealed batch: the next one starts that large. */
  private lastBatchBytes = 64 * 1024;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: LineWriterOptions) {}

  /** Lines in the batch being filled. */
  get buffered(): number {
    return this.current?.lines ?? 0;
  }

  /**
   * Consecutive readings of one device with the same (rounded) timestamp, as the readings of one
   * message arrive, share one line `<prefix> f1=v1,f2=v2,... <ts>`: one point for InfluxDB to
   * parse and index instead of one per field. A point that repeats within such a run starts a
   * new line, so the later value still overwrites the earlier one.
   */
  write(readings: readonly Reading[]): void {
    // The open line is written into the batch as it grows (no string per line); nothing can seal
    // the batch before `endLine()`.
    let batch: LineBatch | undefined;
    let fields = 0; // values in the open line
    let device = '';
    let ts = 0;
    let first = 0; // index of its first reading
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      const value = fieldValue(r.value);
      if (value === undefined) {
        this.skipped++;
        continue;
      }
      const t = Math.round(r.ts);
      if (batch && t === ts && r.device === device && !repeats(readings, first, i)) {
        batch.field(false, this.fieldKey(r.point), value);
        fields++;
        continue;
      }
      if (batch) this.endLine(batch, ts, fields);
      const prefix = this.prefix(r.device);
      batch = this.current ??= new LineBatch(this.lastBatchBytes);
      batch.open(prefix);
      batch.field(true, this.fieldKey(r.point), value);
      fields = 1;
      device = r.device;
      ts = t;
      first = i;
    }
    if (batch) this.endLine(batch, ts, fields);
  }

  writeEvent(e: HistoryEvent): void {
    // Tag keys in sorted order (InfluxDB's fast path): action, device, kind, site.
    let line = EVENTS_MEASUREMENT;
    if (e.action) line += `,action=${tagValue(e.action)}`;
    if (e.device) line += `,device=${tagValue(e.device)}`;
    line += `,kind=${tagValue(e.kind)},site=${tagValue(this.o.site)} id=${quoteField(e.id)},text=${quoteField(e.text)} ${Math.round(e.ts)}`;
    this.current ??= new LineBatch(this.lastBatchBytes);
    this.current.add(line, 0);
    this.lineAdded();
  }

  /** Hand the current batch to `onBatch` now (nothing when it is empty). */
  seal(): void {
    this.stop();
    const current = this.current;
    if (!current || current.lines === 0) return;
    this.current = undefined;
    this.lastBatchBytes = current.bytes;
    this.o.onBatch({ seq: ++this.seq, body: current.body(), lines: current.lines, fields: current.fields });
  }

  /** Cancel the flush timer of the current batch. */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private endLine(batch: LineBatch, ts: number, fields: number): void {
    batch.close(ts, fields);
    this.lineAdded();
  }

  /** A line is complete in the current batch: seal it when full, or start its timer. */
  private lineAdded(): void {
    if (this.current!.lines >= this.o.batchSize) {
      this.seal();
      this.o.onSealed();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.seal();
        this.o.onSealed();
      }, this.o.flushInterval);
      this.timer.unref();
    }
  }

  /** `measurement,tags` of a device's lines, UTF-8. */
  private prefix(device: string): Uint8Array {
    let p = this.prefixes.get(device);
    if (p === undefined) {
      const info = this.o.deviceInfo(device);
      if (!info) this.o.log.warn({ device }, `reading of a device not in the site config: written to measurement "${UNKNOWN_MEASUREMENT}"`);
      // Tag keys sorted: building, device, site.
      let text = escape.measurement(info?.type ?? UNKNOWN_MEASUREMENT);
      if (info?.building) text += `,building=${tagValue(info.building)}`;
      text += `,device=${tagValue(device)},site=${tagValue(this.o.site)}`;
      p = Buffer.from(text);
      this.prefixes.set(device, p);
    }
    return p;
  }

  /** Escaped field key of a point, UTF-8. */
  private fieldKey(point: string): Uint8Array {
    let k = this.fieldKeys.get(point);
    if (k === undefined) {
      k = Buffer.from(escape.tag(point));
      this.fieldKeys.set(point, k);
    }
    return k;
  }
}

/** Whether the point of `readings[i]` already occurs in `readings[first..i)`. */
function repeats(readings: readonly Reading[], first: number, i: number): boolean {
  const point = readings[i]!.point;
  for (let j = first; j < i; j++) if (readings[j]!.point === point) return true;
  return false;
}
