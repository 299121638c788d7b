/**
 * The history contract: every backend (embedded SQLite, InfluxDB 1.x) implements it, and one
 * contract test suite (`contract.test.ts`) runs against each.
 */
import type { Reading } from '../core/reading.js';

/**
 * Which data a query reads: raw samples, or the 1-minute / 1-hour rollups (mean, min, max per
 * bucket, stamped with the bucket start). `query.ts` picks one from the range.
 */
export type Resolution = 'raw' | '1m' | '1h';

export interface HistoryQuery {
  device: string;
  point: string;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, inclusive. */
  to: number;
  /** Upper bound on returned samples; the store may downsample. */
  limit?: number;
  /**
   * Default `raw`. For `1m`/`1h` the store returns the rollup buckets that overlap [from, to];
   * a point without rollups (booleans, strings, not rolled up yet) is answered from raw data.
   */
  resolution?: Resolution;
  /** Cancels the query (the API passes a timeout). */
  signal?: AbortSignal;
}

export interface HistorySample {
  ts: number;
  /** Raw value; for rollup samples the mean of the bucket. */
  value: number | boolean | string | null;
  /** Rollup samples only: smallest and largest raw value of the bucket. */
  min?: number;
  max?: number;
}

/** An alarm or work-order event, written beside the readings so trends can overlay them. */
export interface HistoryEvent {
  ts: number;
  device: string | null;
  kind: 'alarm' | 'work-order';
  action: string;
  id: string;
  text: string;
}

/** How long each tier is kept, in days. */
export interface HistoryRetention {
  raw: number;
  '1m': number;
  '1h': number;
}

export const DEFAULT_RETENTION: HistoryRetention = { raw: 30, '1m': 90, '1h': 1095 };

/** The retention of a store: the days given, the defaults for the tiers not given. */
export function retentionOf(rawDays: number | undefined, rollupDays: { '1m'?: number; '1h'?: number } = {}): HistoryRetention {
  return {
    raw: rawDays ?? DEFAULT_RETENTION.raw,
    '1m': rollupDays['1m'] ?? DEFAULT_RETENTION['1m'],
    '1h': rollupDays['1h'] ?? DEFAULT_RETENTION['1h'],
  };
}

/** Counters for /metrics. Queue figures are 0 for a backend without a queue. */
export interface HistoryStats {
  backend: 'embedded' | 'influx';
  /** False while the InfluxDB is unreachable (points go to the store-and-forward queue). */
  online: boolean;
  /**
   * Points accepted by the store (live and replayed). A point of InfluxDB holds every value of one
   * device and timestamp; a point of the embedded store is one reading or event.
   */
  written: number;
  /** Reading values in the written points (events not counted). */
  writtenFields: number;
  /** Readings without a value to store (null, NaN, ±Infinity): never written. */
  skipped: number;
  /** Points waiting in memory for their batch. */
  buffered: number;
  /** Store-and-forward queue on disk: points and bytes waiting. */
  queuePoints: number;
  queueBytes: number;
  /** Points that went into the queue / came out of it into the database. */
  spooled: number;
  replayed: number;
  /** Points lost: the queue overflowed (oldest dropped) or the database rejected them (400). */
  dropped: number;
  failedWrites: number;
  /** Latency of the last write request / commit and an exponential moving average, ms. */
  writeLatencyMs: { last: number; avg: number };
  lastError: string | null;
}

/** `writeLatencyMs` of the stats, kept the same way by both backends. */
export class WriteLatency {
  private last = 0;
  private avg = 0;

  /** A write (request or commit) begun at `started` (performance.now()) has completed. */
  noteSince(started: number): void {
    const ms = Math.round((performance.now() - started) * 10) / 10;
    this.last = ms;
    this.avg = this.avg === 0 ? ms : this.avg * 0.9 + ms * 0.1;
  }

  stats(): HistoryStats['writeLatencyMs'] {
    return { last: this.last, avg: Math.round(this.avg * 10) / 10 };
  }
}

export interface HistoryStore {
  readonly backend: 'embedded' | 'influx';
  readonly retention: HistoryRetention;
  /** Create database/tables/rollups if missing. */
  init(): Promise<void>;
  /** Queue readings for writing (batched inside); never throws, never blocks the caller. */
  write(readings: readonly Reading[]): void;
  writeEvent(event: HistoryEvent): void;
  /** Write everything queued so far. */
  flush(): Promise<void>;
  query(q: HistoryQuery): Promise<HistorySample[]>;
  /** Events in [from, to], oldest first, at most `limit` (default 10,000). */
  events(from: number, to: number, limit?: number): Promise<HistoryEvent[]>;
  /**
   * Recompute the 1-minute and 1-hour rollups of [from, to] from raw data (what the continuous
   * queries do for recent data; used after a backfill or a store-and-forward replay).
   */
  refreshRollups(from: number, to: number): Promise<void>;
  stats(): HistoryStats;
  close(): Promise<void>;
}
