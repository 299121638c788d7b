/**
 * History in InfluxDB 1.x, composed of four parts under `influx/` (./README.md has the schema and
 * the write behaviour):
 * - `schema.ts`: database, retention policies, rollup continuous queries, rollup refresh;
 * - `writer.ts`: readings and events to line protocol, in batches of `batchSize` lines or
 *   `flushInterval` ms;
 * - `forward.ts`: store-and-forward of the batches (at most `maxInFlight` requests, the spool while
 *   InfluxDB is away, replay at `replayRate`);
 * - `queries.ts`: trends and events in InfluxQL.
 * `connection.ts` is the server they share. The counters (`written`, `spooled`, ...) count points
 * (lines); `writtenFields` counts the reading values in them.
 */
import { join } from 'node:path';
import type { InfluxConfig } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import type { Reading } from '../core/reading.js';
import { InfluxConnection } from './influx/connection.js';
import { StoreAndForward } from './influx/forward.js';
import { InfluxQueries } from './influx/queries.js';
import { InfluxSchema } from './influx/schema.js';
import { LineWriter, type InfluxDeviceInfo } from './influx/writer.js';
import { DiskSpool, MemorySpool, type Spool } from './spool.js';
import {
  type HistoryEvent,
  type HistoryQuery,
  type HistoryRetention,
  type HistorySample,
  type HistoryStats,
  type HistoryStore,
  retentionOf,
} from './store.js';


export interface InfluxHistoryOptions {
  config: InfluxConfig;
  /** Site id, written as the `site` tag (several sites can share one database). */
  site: string;
  /** Look up a device of the site config; `undefined` for an unknown id. */
  deviceInfo: (id: string) => InfluxDeviceInfo | undefined;
  log: Logger;
  /** Duration of the retention policy `raw` (default 30 days). */
  retentionDays?: number;
  /** Durations of `rollup_1m` / `rollup_1h` (default 90 / 1095 days). */
  rollupRetentionDays?: { '1m'?: number; '1h'?: number };
  /** Folder of the store-and-forward queue (e.g. `<dataDir>/spool`); in memory when absent. */
  spoolDir?: string;
  /** Bound of the queue in bytes (default 512 MiB); the oldest points are dropped beyond it. */
  spoolMaxBytes?: number;
  /** Points per second replayed from the queue after an outage (default 50,000). */
  replayRate?: number;
  /** Points per write request (default 5000, InfluxData's recommendation). */
  batchSize?: number;
  /** Max ms between the first buffered point and its write (default 1000). */
  flushInterval?: number;
  /** Concurrent live write requests (default 4; with 2, InfluxDB waited between requests under 12-field load); the replay adds one more. */
  maxInFlight?: number;
  /** Points waiting in memory for a slow server before the oldest batches spill to the queue (default 200 000). */
  maxBuffered?: number;
  /** Timeout of one write request, ms (default 10 000). */
  requestTimeout?: number;
  /** Timeout of one query, ms (default 15 000); a query's own `signal` can cut it shorter. */
  queryTimeout?: number;
  /**
   * Largest raw result reduced in the gateway by `downsample()` when a query has a `limit`;
   * beyond it InfluxDB aggregates with `LAST() ... GROUP BY time()` (default 100 000).
   */
  maxRawRows?: number;
  /** First retry delay while offline, ms; doubles up to `maxRetryDelay` (default 500). */
  retryDelay?: number;
  /** Cap of the retry delay, ms (default 30 000). */
  maxRetryDelay?: number;
}

export class InfluxHistory implements HistoryStore {
  readonly backend = 'influx' as const;
  readonly retention: HistoryRetention;

  private readonly log: Logger;
  private readonly conn: InfluxConnection;
  private readonly spool: Spool;
  private readonly schema: InfluxSchema;
  private readonly writer: LineWriter;
  private readonly forward: StoreAndForward;
  private readonly queries: InfluxQueries;
  private closing = false;

  constructor(opts: InfluxHistoryOptions) {
    this.log = opts.log;
    this.retention = retentionOf(opts.retentionDays, opts.rollupRetentionDays);
    const batchSize = opts.batchSize ?? 5000;

    const spoolMaxBytes = opts.spoolMaxBytes ?? 512 * 1024 * 1024;
    this.spool = opts.spoolDir ? new DiskSpool({ dir: opts.spoolDir, maxBytes: spoolMaxBytes }) : new MemorySpool(spoolMaxBytes);
    if (this.spool.points > 0) {
      this.log.info({ points: this.spool.points, bytes: this.spool.bytes, dir: opts.spoolDir }, 'influx history: store-and-forward queue holds points from before; replaying');
    }

    this.conn = new InfluxConnection(opts.config, opts.requestTimeout ?? 10_000, opts.queryTimeout ?? 15_000);
    this.schema = new InfluxSchema(this.conn, this.retention, opts.site, this.log);
    this.forward = new StoreAndForward({
      conn: this.conn,
      schema: this.schema,
      spool: this.spool,
      log: this.log,
      batchSize,
      maxInFlight: opts.maxInFlight ?? 4,
      maxBuffered: Math.max(opts.maxBuffered ?? 200_000, batchSize),
      replayRate: opts.replayRate ?? 50_000,
      retryDelay: opts.retryDelay ?? 500,
      maxRetryDelay: opts.maxRetryDelay ?? 30_000,
    });
    this.writer = new LineWriter({
      site: opts.site,
      deviceInfo: opts.deviceInfo,
      log: this.log,
      batchSize,
      flushInterval: opts.flushInterval ?? 1000,
      onBatch: (batch) => this.forward.accept(batch),
      onSealed: () => this.forward.pump(),
    });
    this.queries = new InfluxQueries(this.conn, opts.site, opts.deviceInfo, opts.maxRawRows ?? 100_000);
  }

  /**
   * Create the database, retention policies and continuous queries if missing (idempotent). When
   * InfluxDB does not answer, resolves anyway with the store offline: points go to the queue and
   * the schema is created on reconnect.
   */
  async init(): Promise<void> {
    const { host, port, database } = this.conn;
    try {
      await this.schema.ensure();
      this.log.info({ host, port, database }, 'influx history ready');
    } catch (err) {
      this.forward.startOffline(err);
      this.log.warn(
        { host, port, err: this.forward.counters.lastError },
        'influx history: InfluxDB not reachable at start; points go to the store-and-forward queue until it is',
      );
    }
    this.forward.pump();
  }

  refreshRollups(from: number, to: number): Promise<void> {
    return this.schema.refreshRollups(from, to);
  }

  write(readings: readonly Reading[]): void {
    if (!this.closing) this.writer.write(readings);
  }

  writeEvent(e: HistoryEvent): void {
    if (!this.closing) this.writer.writeEvent(e);
  }

  /**
   * Write everything buffered and queued so far (the replay runs at full speed meanwhile).
   * Resolves when it is stored; rejects with `GW_ERR_HISTORY_UNAVAILABLE` if a write fails (the
   * points stay in the queue and are retried).
   */
  async flush(): Promise<void> {
    if (this.forward.closed) return;
    this.writer.seal();
    await this.forward.flush(this.writer.seq);
  }

  query(q: HistoryQuery): Promise<HistorySample[]> {
    return this.queries.query(q);
  }

  events(from: number, to: number, limit?: number): Promise<HistoryEvent[]> {
    return this.queries.events(from, to, limit);
  }

  /**
   * Stop taking points; write what is in memory if InfluxDB is reachable (bounded by the request
   * timeout), otherwise put it in the queue; the queue stays on disk for the next start.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.writer.seal();
    await this.forward.close();
  }

  /** Write requests under way (at most `maxInFlight`, plus one replay). */
  get requestsInFlight(): number {
    return this.forward.requestsInFlight;
  }

  stats(): HistoryStats {
    const c = this.forward.counters;
    return {
      backend: 'influx',
      online: this.forward.online,
      written: c.written,
      writtenFields: c.writtenFields,
      skipped: this.writer.skipped,
      buffered: this.writer.buffered + this.forward.queuedPoints,
      queuePoints: this.spool.points,
      queueBytes: this.spool.bytes,
      spooled: c.spooled,
      replayed: c.replayed,
      dropped: c.dropped,
      failedWrites: c.failedWrites,
      writeLatencyMs: this.forward.latency.stats(),
      lastError: c.lastError,
    };
  }
}

/** Default folder of the queue under a data folder. */
export function spoolDirOf(dataDir: string): string {
  return join(dataDir, 'spool');
}
