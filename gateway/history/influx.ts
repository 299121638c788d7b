/**
 * History in InfluxDB 1.x (node-influx). Schema, rollups and write behaviour: ./README.md.
 *
 * Writes are batched: `write()` turns the readings of one device and timestamp (a message's
 * readings arrive together) into one line of line protocol, one InfluxDB point, and appends it to
 * the current batch, encoded to UTF-8 at once (`LineBatch`); a batch is sealed at `batchSize`
 * lines or `flushInterval` ms after its first line, and at most `maxInFlight` batches are being
 * POSTed at once. The counters (`written`, `spooled`, ...) count points (lines); `writtenFields`
 * counts the reading values in them.
 *
 * Store-and-forward: a batch that fails for a reason that may pass (network, timeout, 5xx,
 * auth, missing database) goes to the spool (`spool.ts`, on disk under `spoolDir`), and the
 * store turns offline: sealed batches go straight to the spool until a retry (exponential
 * backoff) gets the oldest spooled chunk written. Then new batches are written live again while
 * the spool is replayed in order beside them, one chunk at a time at no more than `replayRate`
 * points/s. After the spool has drained, the rollups of the replayed range are recomputed
 * (continuous queries only look a few minutes back). A batch InfluxDB rejects with 400 is
 * dropped and counted: resending it cannot succeed.
 */
import { InfluxDB, escape } from 'influx';
import { Agent } from 'node:http';
import { join } from 'node:path';
import type { InfluxConfig } from '../config/schema.js';
import { Errors, GatewayError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Reading } from '../core/reading.js';
import { downsample } from './downsample.js';
import { httpPost } from './http.js';
import { LineBatch, countFields, fieldValue, quoteField, splitLines, tagValue } from './lineproto.js';
import { BUCKET_MS, DAY, bucketStart, reduceRollups } from './query.js';
import { DiskSpool, MemorySpool, type Spool, type SpoolChunk } from './spool.js';
import {
  DEFAULT_RETENTION,
  type HistoryEvent,
  type HistoryQuery,
  type HistoryRetention,
  type HistorySample,
  type HistoryStats,
  type HistoryStore,
} from './store.js';

export interface InfluxDeviceInfo {
  /** Equipment type: the measurement name (`pump`, `elevator`...). */
  type: string;
  building?: string;
}

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

/** Measurement used for readings of a device the site config does not know. */
export const UNKNOWN_MEASUREMENT = 'unknown';
export const EVENTS_MEASUREMENT = 'events';
/** Retention policies `init()` creates: raw data (the default policy) and the two rollup tiers. */
export const RAW_RETENTION_POLICY = 'raw';
export const ROLLUP_POLICIES = { '1m': 'rollup_1m', '1h': 'rollup_1h' } as const;
/** Continuous queries `init()` creates (the suffix is bumped when their text changes). */
export const CONTINUOUS_QUERIES = { '1m': 'cq_rollup_1m_v1', '1h': 'cq_rollup_1h_v1' } as const;
const CQ_PREFIX = 'cq_rollup_';

interface Batch {
  seq: number;
  /** The lines, encoded (see LineBatch). */
  body: Buffer<ArrayBuffer>;
  lines: number;
  /** Reading values in the lines (events not counted). */
  fields: number;
}

/** @deprecated use HistoryStats */
export type InfluxHistoryStats = HistoryStats;

/** A write failure that retrying the same payload cannot fix (InfluxDB answered 400). */
class PermanentWriteError extends Error {}

/** The pool of node-influx disables a failed host for up to 10 s; we do our own retrying. */
interface Backoff {
  getDelay(): number;
  next(): Backoff;
  reset(): Backoff;
}
const NO_BACKOFF: Backoff = { getDelay: () => 50, next: () => NO_BACKOFF, reset: () => NO_BACKOFF };

export class InfluxHistory implements HistoryStore {
  readonly backend = 'influx' as const;
  readonly retention: HistoryRetention;

  private readonly cfg: InfluxConfig & { port: number; database: string };
  private readonly site: string;
  private readonly deviceInfo: (id: string) => InfluxDeviceInfo | undefined;
  private readonly log: Logger;
  private readonly client: InfluxDB;
  private readonly batchSize: number;
  private readonly flushInterval: number;
  private readonly maxInFlight: number;
  private readonly maxBuffered: number;
  private readonly requestTimeout: number;
  private readonly queryTimeout: number;
  private readonly retryDelay: number;
  private readonly maxRetryDelay: number;
  private readonly maxRawRows: number;
  private readonly replayRate: number;
  private readonly writeUrl: string;
  private readonly authHeader: string | undefined;
  /** Keep-alive sockets of the write requests (live and replay). */
  private readonly agent = new Agent({ keepAlive: true });
  private readonly spool: Spool;

  /** Per device: `measurement,tag=...` prefix of its lines (tags sorted, escaped). */
  private readonly prefixes = new Map<string, Uint8Array>();
  /** Per point name: escaped field key. */
  private readonly fieldKeys = new Map<string, Uint8Array>();

  private current: LineBatch | undefined;
  /** Bytes of the last sealed batch: the next one starts that large. */
  private lastBatchBytes = 64 * 1024;
  private currentTimer: NodeJS.Timeout | undefined;
  private readonly queue: Batch[] = [];
  private queuedPoints = 0;
  private readonly inFlight = new Map<number, Promise<void>>();
  private replaying: Promise<void> | null = null;
  private replayTimer: NodeJS.Timeout | undefined;
  private nextReplayAt = 0;
  /** Time span of the points replayed since the spool was last empty (rollups to refresh). */
  private replaySpan: { from: number; to: number } | null = null;
  private seq = 0;
  private online = true;
  private schemaReady = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private nextRetryDelay: number;
  private waiters: Array<() => void> = [];
  private flushing = 0;
  private closing = false;
  private closed = false;
  private readonly counters = {
    written: 0,
    writtenFields: 0,
    skipped: 0,
    spooled: 0,
    replayed: 0,
    dropped: 0,
    failedWrites: 0,
    lastError: null as string | null,
    latencyLast: 0,
    latencyAvg: 0,
  };

  constructor(opts: InfluxHistoryOptions) {
    this.site = opts.site;
    this.deviceInfo = opts.deviceInfo;
    this.log = opts.log;
    this.retention = {
      raw: opts.retentionDays ?? DEFAULT_RETENTION.raw,
      '1m': opts.rollupRetentionDays?.['1m'] ?? DEFAULT_RETENTION['1m'],
      '1h': opts.rollupRetentionDays?.['1h'] ?? DEFAULT_RETENTION['1h'],
    };
    this.batchSize = opts.batchSize ?? 5000;
    this.flushInterval = opts.flushInterval ?? 1000;
    this.maxInFlight = opts.maxInFlight ?? 4;
    this.maxBuffered = Math.max(opts.maxBuffered ?? 200_000, this.batchSize);
    this.requestTimeout = opts.requestTimeout ?? 10_000;
    this.queryTimeout = opts.queryTimeout ?? 15_000;
    this.retryDelay = opts.retryDelay ?? 500;
    this.maxRetryDelay = opts.maxRetryDelay ?? 30_000;
    this.nextRetryDelay = this.retryDelay;
    this.maxRawRows = opts.maxRawRows ?? 100_000;
    this.replayRate = opts.replayRate ?? 50_000;

    const spoolMaxBytes = opts.spoolMaxBytes ?? 512 * 1024 * 1024;
    this.spool = opts.spoolDir ? new DiskSpool({ dir: opts.spoolDir, maxBytes: spoolMaxBytes }) : new MemorySpool(spoolMaxBytes);
    if (this.spool.points > 0) {
      this.log.info({ points: this.spool.points, bytes: this.spool.bytes, dir: opts.spoolDir }, 'influx history: store-and-forward queue holds points from before; replaying');
    }

    const port = opts.config.port ?? 8086;
    const database = opts.config.database ?? 'facility';
    this.cfg = { ...opts.config, port, database };
    this.client = new InfluxDB({
      host: this.cfg.host,
      port,
      database,
      username: this.cfg.username,
      password: this.cfg.password,
      pool: { maxRetries: 0, requestTimeout: Math.max(this.requestTimeout, this.queryTimeout), backoff: NO_BACKOFF },
    });
    const hostPart = this.cfg.host.includes(':') && !this.cfg.host.startsWith('[') ? `[${this.cfg.host}]` : this.cfg.host;
    this.writeUrl = `http://${hostPart}:${port}/write?db=${encodeURIComponent(database)}&rp=${RAW_RETENTION_POLICY}&precision=ms`;
    this.authHeader = this.cfg.username !== undefined
      ? `Basic ${Buffer.from(`${this.cfg.username}:${this.cfg.password ?? ''}`).toString('base64')}`
      : undefined;
  }

  /**
   * Create the database, retention policies and continuous queries if missing (idempotent). When
   * InfluxDB does not answer, resolves anyway with the store offline: points go to the queue and
   * the schema is created on reconnect.
   */
  async init(): Promise<void> {
    try {
      await this.ensureSchema();
      this.log.info({ host: this.cfg.host, port: this.cfg.port, database: this.cfg.database }, 'influx history ready');
    } catch (err) {
      this.counters.lastError = errorText(err);
      this.log.warn(
        { host: this.cfg.host, port: this.cfg.port, err: this.counters.lastError },
        'influx history: InfluxDB not reachable at start; points go to the store-and-forward queue until it is',
      );
      this.goOffline();
    }
    this.pump();
  }

  private async ensureSchema(): Promise<void> {
    const db = this.cfg.database;
    const q = escape.quoted;
    await this.client.createDatabase(db); // idempotent in InfluxDB 1.x
    const policies = await this.client.showRetentionPolicies(db);
    const want: Array<[string, number, boolean]> = [
      [RAW_RETENTION_POLICY, this.retention.raw, true],
      [ROLLUP_POLICIES['1m'], this.retention['1m'], false],
      [ROLLUP_POLICIES['1h'], this.retention['1h'], false],
    ];
    for (const [name, days, isDefault] of want) {
      if (policies.some((p) => p.name === name)) continue; // an operator's change is kept
      await this.client.createRetentionPolicy(name, { database: db, duration: `${days}d`, replication: 1, isDefault });
      this.log.info({ database: db, duration: `${days}d` }, `created retention policy ${name}`);
    }
    const existing = await this.influxql(`SHOW CONTINUOUS QUERIES`);
    const names = new Set<string>();
    for (const s of existing.series ?? []) if (s.name === db) for (const row of s.values ?? []) names.add(String(row[0]));
    for (const name of names) {
      if (name.startsWith(CQ_PREFIX) && !Object.values(CONTINUOUS_QUERIES).includes(name as never)) {
        await this.influxql(`DROP CONTINUOUS QUERY ${q(name)} ON ${q(db)}`);
        this.log.info({ name }, 'dropped outdated continuous query');
      }
    }
    const cqs: Array<[string, string]> = [
      // Every minute: the last 5 complete minutes (late points within 5 min are included).
      [CONTINUOUS_QUERIES['1m'], `RESAMPLE EVERY 1m FOR 5m BEGIN ${this.rollupSelect('1m')} GROUP BY time(1m), * END`],
      // Every 10 minutes: the current and the previous hour.
      [CONTINUOUS_QUERIES['1h'], `RESAMPLE EVERY 10m FOR 2h BEGIN ${this.rollupSelect('1h')} GROUP BY time(1h), * END`],
    ];
    for (const [name, body] of cqs) {
      if (names.has(name)) continue;
      await this.influxql(`CREATE CONTINUOUS QUERY ${q(name)} ON ${q(db)} ${body}`);
      this.log.info({ name }, 'created continuous query');
    }
    this.schemaReady = true;
  }

  /** The SELECT ... INTO of a rollup tier, over every measurement of the raw policy. */
  private rollupSelect(tier: '1m' | '1h', where = ''): string {
    const db = escape.quoted(this.cfg.database);
    return `SELECT mean(*), min(*), max(*) INTO ${db}.${escape.quoted(ROLLUP_POLICIES[tier])}.:MEASUREMENT FROM ${db}.${escape.quoted(RAW_RETENTION_POLICY)}./.*/${where}`;
  }

  async refreshRollups(from: number, to: number): Promise<void> {
    for (const tier of ['1m', '1h'] as const) {
      const size = BUCKET_MS[tier];
      // Chunks of a day (1m) or 30 days (1h) keep each statement small.
      const chunk = tier === '1m' ? DAY : 30 * DAY;
      const end = bucketStart(to, size) + size;
      for (let start = bucketStart(from, size); start < end; start += chunk) {
        const stop = Math.min(end, start + chunk);
        await this.influxql(
          `${this.rollupSelect(tier, ` WHERE "site" = ${escape.stringLit(this.site)} AND time >= ${start}ms AND time < ${stop}ms`)} GROUP BY time(${tier}), *`,
          undefined,
          Math.max(this.queryTimeout, 120_000),
        );
      }
    }
  }

  /**
   * Consecutive readings of one device with the same (rounded) timestamp, as the readings of one
   * message arrive, share one line `<prefix> f1=v1,f2=v2,... <ts>`: one point for InfluxDB to
   * parse and index instead of one per field. A point that repeats within such a run starts a
   * new line, so the later value still overwrites the earlier one.
   */
  write(readings: readonly Reading[]): void {
    if (this.closing) return;
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
        this.counters.skipped++;
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
    if (this.closing) return;
    // Tag keys in sorted order (InfluxDB's fast path): action, device, kind, site.
    let line = EVENTS_MEASUREMENT;
    if (e.action) line += `,action=${tagValue(e.action)}`;
    if (e.device) line += `,device=${tagValue(e.device)}`;
    line += `,kind=${tagValue(e.kind)},site=${tagValue(this.site)} id=${quoteField(e.id)},text=${quoteField(e.text)} ${Math.round(e.ts)}`;
    this.current ??= new LineBatch(this.lastBatchBytes);
    this.current.add(line, 0);
    this.lineAdded();
  }

  /**
   * Write everything buffered and queued so far (the replay runs at full speed meanwhile).
   * Resolves when it is stored; rejects with `GW_ERR_HISTORY_UNAVAILABLE` if a write fails (the
   * points stay in the queue and are retried).
   */
  async flush(): Promise<void> {
    if (this.closed) return;
    this.seal();
    const target = this.seq;
    const failuresAtStart = this.counters.failedWrites;
    this.flushing++;
    try {
      if (!this.online) this.retryNow();
      for (;;) {
        const pending = this.hasPendingUpTo(target);
        if (!pending && this.spool.points === 0 && !this.replaying) return;
        // After a failure, reject once every batch up to `target` is written or queued.
        if ((this.counters.failedWrites > failuresAtStart && !pending) || this.closed) {
          throw Errors.HISTORY_UNAVAILABLE(
            `${this.spool.points} points not yet written to InfluxDB at ${this.cfg.host}:${this.cfg.port} (kept in the store-and-forward queue, retrying): ${this.counters.lastError}`,
          );
        }
        this.pump();
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    } finally {
      this.flushing--;
    }
  }

  async query(q: HistoryQuery): Promise<HistorySample[]> {
    const limit = q.limit !== undefined ? Math.max(0, Math.floor(q.limit)) : undefined;
    if (limit === 0 || q.to < q.from) return [];
    const measurement = this.deviceInfo(q.device)?.type ?? UNKNOWN_MEASUREMENT;
    const db = escape.quoted(this.cfg.database);
    const tags = `"site" = ${escape.stringLit(this.site)} AND "device" = ${escape.stringLit(q.device)}`;
    const signal = q.signal ? AbortSignal.any([q.signal, AbortSignal.timeout(this.queryTimeout)]) : AbortSignal.timeout(this.queryTimeout);
    const what = `query of ${q.device}.${q.point}`;

    try {
      const resolution = q.resolution ?? 'raw';
      if (resolution !== 'raw') {
        const size = BUCKET_MS[resolution];
        const p = q.point;
        const fields = [`mean_${p}`, `min_${p}`, `max_${p}`].map((f) => escape.quoted(f)).join(', ');
        const res = await this.influxql(
          `SELECT ${fields} FROM ${db}.${escape.quoted(ROLLUP_POLICIES[resolution])}.${escape.quoted(measurement)} WHERE ${tags}` +
            ` AND time >= ${bucketStart(Math.floor(q.from), size)}ms AND time <= ${Math.floor(q.to)}ms`,
          signal,
        );
        const rows: HistorySample[] = [];
        for (const s of res.series ?? []) {
          for (const row of s.values ?? []) {
            if (typeof row[1] !== 'number') continue; // booleans have min/max but no mean
            rows.push({ ts: row[0] as number, value: row[1], min: row[2] as number, max: row[3] as number });
          }
        }
        if (rows.length > 0) return reduceRollups(rows, limit);
        // No rollups for this point (not numeric, or not rolled up yet): raw data.
      }

      const from = `${db}.${escape.quoted(RAW_RETENTION_POLICY)}.${escape.quoted(measurement)}`;
      const field = escape.quoted(q.point);
      const where = `${tags} AND time >= ${Math.floor(q.from)}ms AND time <= ${Math.floor(q.to)}ms`;
      const cap = limit === undefined ? undefined : Math.max(limit, this.maxRawRows);
      const raw = samples(await this.influxql(`SELECT ${field} FROM ${from} WHERE ${where}${cap !== undefined ? ` LIMIT ${cap + 1}` : ''}`, signal));
      if (limit === undefined || raw.length <= limit) return raw;
      // Same reduction as the embedded store (min/max per bucket for numbers).
      if (raw.length <= cap!) return downsample(raw, limit);
      // Too many rows to reduce here: let InfluxDB keep one sample per time bucket (the last
      // value, which works for every field type), stamped with the bucket start. Buckets start
      // at `from`.
      const start = Math.floor(q.from);
      const span = Math.floor(q.to) - start + 1;
      const bucket = Math.max(1, Math.ceil(span / limit));
      const offset = ((start % bucket) + bucket) % bucket;
      const down = samples(await this.influxql(`SELECT LAST(${field}) FROM ${from} WHERE ${where} GROUP BY time(${bucket}ms, ${offset}ms) fill(none)`, signal));
      return down.length > limit ? down.slice(0, limit) : down;
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      if (signal.aborted) {
        if (q.signal?.aborted) throw Errors.HISTORY_UNAVAILABLE(`${what} was cancelled`);
        throw Errors.TIMEOUT(`history ${what}`, this.queryTimeout);
      }
      throw Errors.HISTORY_UNAVAILABLE(`${what} failed: ${errorText(err)}`);
    }
  }

  async events(from: number, to: number, limit = 10_000): Promise<HistoryEvent[]> {
    const db = escape.quoted(this.cfg.database);
    try {
      const res = await this.influxql(
        `SELECT "action", "device", "kind", "id", "text" FROM ${db}.${escape.quoted(RAW_RETENTION_POLICY)}.${escape.quoted(EVENTS_MEASUREMENT)}` +
          ` WHERE "site" = ${escape.stringLit(this.site)} AND time >= ${Math.floor(from)}ms AND time <= ${Math.floor(to)}ms LIMIT ${Math.max(1, Math.floor(limit))}`,
        AbortSignal.timeout(this.queryTimeout),
      );
      const out: HistoryEvent[] = [];
      for (const s of res.series ?? []) {
        for (const [ts, action, device, kind, id, text] of s.values ?? []) {
          out.push({ ts: ts as number, device: (device as string | null) ?? null, kind: kind as HistoryEvent['kind'], action: String(action ?? ''), id: String(id), text: String(text) });
        }
      }
      return out;
    } catch (err) {
      throw Errors.HISTORY_UNAVAILABLE(`events query failed: ${errorText(err)}`);
    }
  }

  /**
   * Stop taking points; write what is in memory if InfluxDB is reachable (bounded by the request
   * timeout), otherwise put it in the queue; the queue stays on disk for the next start.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.seal();
    if (this.currentTimer !== undefined) clearTimeout(this.currentTimer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.replayTimer !== undefined) clearTimeout(this.replayTimer);
    this.currentTimer = this.retryTimer = this.replayTimer = undefined;
    if (this.online) {
      const deadline = Date.now() + this.requestTimeout;
      this.pump();
      while (this.online && (this.queue.length > 0 || this.inFlight.size > 0) && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
          this.waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
        this.pump();
      }
    }
    // Whatever did not go out waits in the queue for the next start.
    const left = this.queue.splice(0);
    for (const b of left) this.toSpool(b);
    this.queuedPoints = 0;
    await Promise.allSettled([...this.inFlight.values(), this.replaying]);
    if (this.spool.points > 0) {
      this.log.warn({ points: this.spool.points, bytes: this.spool.bytes }, 'influx history closed with points in the store-and-forward queue (replayed on next start)');
    }
    this.spool.close();
    this.agent.destroy();
    this.closed = true;
    this.wake();
  }

  stats(): HistoryStats {
    const c = this.counters;
    return {
      backend: 'influx',
      online: this.online,
      written: c.written,
      writtenFields: c.writtenFields,
      skipped: c.skipped,
      buffered: (this.current?.lines ?? 0) + this.queuedPoints,
      queuePoints: this.spool.points,
      queueBytes: this.spool.bytes,
      spooled: c.spooled,
      replayed: c.replayed,
      dropped: c.dropped,
      failedWrites: c.failedWrites,
      writeLatencyMs: { last: c.latencyLast, avg: Math.round(c.latencyAvg * 10) / 10 },
      lastError: c.lastError,
    };
  }

  /** @deprecated use stats() */
  getStats(): HistoryStats & { inFlight: number } {
    return { ...this.stats(), inFlight: this.inFlight.size };
  }

  // --- line protocol ------------------------------------------------------------------------

  /** `measurement,tags` of a device's lines, UTF-8. */
  private prefix(device: string): Uint8Array {
    let p = this.prefixes.get(device);
    if (p === undefined) {
      const info = this.deviceInfo(device);
      if (!info) this.log.warn({ device }, `reading of a device not in the site config: written to measurement "${UNKNOWN_MEASUREMENT}"`);
      // Tag keys sorted: building, device, site.
      let text = escape.measurement(info?.type ?? UNKNOWN_MEASUREMENT);
      if (info?.building) text += `,building=${tagValue(info.building)}`;
      text += `,device=${tagValue(device)},site=${tagValue(this.site)}`;
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

  // --- batching and store-and-forward -------------------------------------------------------

  private endLine(batch: LineBatch, ts: number, fields: number): void {
    batch.close(ts, fields);
    this.lineAdded();
  }

  /** A line is complete in the current batch: seal it when full, or start its timer. */
  private lineAdded(): void {
    if (this.current!.lines >= this.batchSize) {
      this.seal();
      this.pump();
    } else if (this.currentTimer === undefined) {
      this.currentTimer = setTimeout(() => {
        this.currentTimer = undefined;
        this.seal();
        this.pump();
      }, this.flushInterval);
      this.currentTimer.unref();
    }
  }

  /** Move the current batch to the send queue, or to the spool while offline. */
  private seal(): void {
    if (this.currentTimer !== undefined) {
      clearTimeout(this.currentTimer);
      this.currentTimer = undefined;
    }
    const current = this.current;
    if (!current || current.lines === 0) return;
    this.current = undefined;
    this.lastBatchBytes = current.bytes;
    const batch: Batch = { seq: ++this.seq, body: current.body(), lines: current.lines, fields: current.fields };
    if (!this.online) {
      this.toSpool(batch);
      return;
    }
    this.queue.push(batch);
    this.queuedPoints += batch.lines;
    // A server that is slow but up: spill the oldest batches to disk instead of growing memory.
    while (this.queuedPoints > this.maxBuffered && this.queue.length > 1) {
      const old = this.queue.shift()!;
      this.queuedPoints -= old.lines;
      this.toSpool(old);
    }
  }

  /** The queue keeps lines (a rare path: InfluxDB away or slow), so the batch is split back. */
  private toSpool(batch: Batch): void {
    this.counters.spooled += batch.lines;
    let dropped = 0;
    try {
      dropped = this.spool.append(splitLines(batch.body.toString('utf8')));
    } catch (err) {
      dropped = batch.lines;
      this.log.error({ err: errorText(err), points: batch.lines }, 'cannot append to the store-and-forward queue: points lost');
    }
    if (dropped > 0) {
      this.counters.dropped += dropped;
      this.log.warn(
        { dropped, totalDropped: this.counters.dropped, queueBytes: this.spool.bytes, lastError: this.counters.lastError },
        'influx history: store-and-forward queue full, oldest points dropped',
      );
    }
    this.wake();
  }

  private pump(): void {
    if (this.closed) return;
    if (this.online) {
      while (this.inFlight.size < this.maxInFlight && this.queue.length > 0) {
        const batch = this.queue.shift()!;
        this.queuedPoints -= batch.lines;
        const p = this.sendLive(batch).finally(() => {
          this.inFlight.delete(batch.seq);
          this.wake();
          this.pump();
        });
        this.inFlight.set(batch.seq, p);
      }
      this.scheduleReplay();
    } else if (this.retryTimer === undefined && !this.replaying && !this.closing) {
      const delay = this.nextRetryDelay;
      this.nextRetryDelay = Math.min(this.maxRetryDelay, this.nextRetryDelay * 2);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.probe();
      }, delay + Math.floor(Math.random() * delay * 0.1));
      this.retryTimer.unref();
    }
  }

  private retryNow(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (!this.replaying) this.probe();
  }

  /** While offline: try the oldest queued chunk (or a ping when the queue is empty). */
  private probe(): void {
    if (this.closing || this.online) return;
    if (this.spool.points > 0) {
      this.startReplay();
      return;
    }
    this.replaying = (async () => {
      try {
        const [host] = await this.client.ping(Math.min(this.requestTimeout, 5000));
        if (host?.online) this.goOnline();
        else throw new Error(`no answer to /ping`);
      } catch (err) {
        this.fail(err);
      } finally {
        this.replaying = null;
        this.wake();
        this.pump();
      }
    })();
  }

  private scheduleReplay(): void {
    if (this.replaying || this.closing || !this.online || this.spool.points === 0) return;
    const wait = this.flushing > 0 ? 0 : this.nextReplayAt - Date.now();
    if (wait <= 0) {
      if (this.replayTimer !== undefined) clearTimeout(this.replayTimer);
      this.replayTimer = undefined;
      this.startReplay();
    } else if (this.replayTimer === undefined) {
      this.replayTimer = setTimeout(() => {
        this.replayTimer = undefined;
        this.pump();
      }, wait);
      this.replayTimer.unref();
    }
  }

  private startReplay(): void {
    let chunk: SpoolChunk | null;
    try {
      chunk = this.spool.peek(this.batchSize);
    } catch (err) {
      this.log.error({ err: errorText(err) }, 'cannot read the store-and-forward queue');
      return;
    }
    if (!chunk) return;
    const c = chunk;
    this.replaying = (async () => {
      const started = Date.now();
      try {
        await this.post(c.body);
        this.noteSpan(c.body);
        this.spool.ack(c);
        this.counters.replayed += c.lines;
        this.counters.written += c.lines;
        this.counters.writtenFields += countFields(c.body, `${EVENTS_MEASUREMENT},`);
        this.nextReplayAt = started + (c.lines / this.replayRate) * 1000;
        if (!this.online) this.goOnline();
        if (this.spool.points === 0) this.afterReplay();
      } catch (err) {
        if (err instanceof PermanentWriteError) {
          this.spool.ack(c);
          this.counters.dropped += c.lines;
          this.counters.failedWrites++;
          this.counters.lastError = errorText(err);
          this.log.error({ err: this.counters.lastError, points: c.lines }, 'influx rejected a queued chunk: dropped');
        } else {
          this.fail(err);
        }
      } finally {
        this.replaying = null;
        this.wake();
        this.pump();
      }
    })();
  }

  /** Widen the span of replayed points from the timestamps (last token) of the chunk's lines. */
  private noteSpan(body: string): void {
    let lo = Infinity;
    let hi = -Infinity;
    let end = body.length;
    while (end > 0) {
      const nl = body.lastIndexOf('\n', end - 1);
      const sp = body.lastIndexOf(' ', end - 1);
      const ts = Number(body.slice(sp + 1, end));
      if (Number.isFinite(ts)) {
        if (ts < lo) lo = ts;
        if (ts > hi) hi = ts;
      }
      if (nl < 0) break;
      end = nl;
    }
    if (lo > hi) return;
    this.replaySpan = this.replaySpan ? { from: Math.min(this.replaySpan.from, lo), to: Math.max(this.replaySpan.to, hi) } : { from: lo, to: hi };
  }

  /** The queue drained: recompute rollups of the replayed range (the CQs only look back minutes). */
  private afterReplay(): void {
    const span = this.replaySpan;
    this.replaySpan = null;
    this.log.info({ replayed: this.counters.replayed, span }, 'influx history: store-and-forward queue replayed');
    if (!span) return;
    this.refreshRollups(span.from, span.to).catch((err: unknown) =>
      this.log.warn({ err: errorText(err), span }, 'could not refresh rollups after replay (the continuous queries cover the last minutes only)'),
    );
  }

  private async sendLive(batch: Batch): Promise<void> {
    try {
      await this.post(batch.body);
      this.counters.written += batch.lines;
      this.counters.writtenFields += batch.fields;
    } catch (err) {
      if (err instanceof PermanentWriteError) {
        this.counters.failedWrites++;
        this.counters.lastError = errorText(err);
        this.counters.dropped += batch.lines;
        this.log.error({ err: this.counters.lastError, points: batch.lines }, 'influx rejected a batch: dropped');
      } else {
        this.toSpool(batch);
        this.fail(err);
      }
    }
  }

  private fail(err: unknown): void {
    this.counters.failedWrites++;
    this.counters.lastError = errorText(err);
    this.goOffline();
  }

  private goOffline(): void {
    if (!this.online) return;
    this.online = false;
    this.log.warn(
      { err: this.counters.lastError, queuePoints: this.spool.points },
      'influx history offline: points go to the store-and-forward queue',
    );
    // Nothing waits in memory while offline.
    const left = this.queue.splice(0);
    this.queuedPoints = 0;
    for (const b of left) this.toSpool(b);
  }

  private goOnline(): void {
    if (this.online) return;
    this.online = true;
    this.nextRetryDelay = this.retryDelay;
    this.log.info({ queuePoints: this.spool.points }, 'influx history back online: replaying the store-and-forward queue');
  }

  private async post(body: string | Buffer<ArrayBuffer>): Promise<void> {
    if (!this.schemaReady) await this.ensureSchema();
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (this.authHeader) headers.authorization = this.authHeader;
    const started = performance.now();
    const res = await httpPost(this.writeUrl, body, headers, this.agent, this.requestTimeout);
    if (res.status === 204) {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      this.counters.latencyLast = ms;
      this.counters.latencyAvg = this.counters.latencyAvg === 0 ? ms : this.counters.latencyAvg * 0.9 + ms * 0.1;
      return;
    }
    const text = res.text.slice(0, 500);
    if (/database not found|retention policy not found/i.test(text)) {
      // Dropped behind our back (or a new server): recreate the schema, then retry.
      this.schemaReady = false;
    }
    const msg = `HTTP ${res.status} from /write: ${text.trim()}`;
    if (res.status === 400) throw new PermanentWriteError(msg);
    throw new Error(msg);
  }

  private hasPendingUpTo(seq: number): boolean {
    if (this.closed) return false;
    for (const s of this.inFlight.keys()) if (s <= seq) return true;
    for (const b of this.queue) if (b.seq <= seq) return true;
    return false;
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  /** Run one InfluxQL statement (POST /query, epoch ms); throws on an error in the result. */
  private async influxql(statement: string, signal?: AbortSignal, timeout = this.queryTimeout): Promise<RawResult> {
    const res = (await this.client.queryRaw(statement, {
      precision: 'ms',
      method: 'POST',
      signal: signal ?? AbortSignal.timeout(timeout),
    })) as RawResponse;
    const result = res.results?.[0] ?? {};
    if (result.error) throw new Error(result.error);
    return result;
  }
}

interface RawResult {
  error?: string;
  series?: Array<{ name?: string; columns: string[]; values?: unknown[][] }>;
}
interface RawResponse {
  results?: RawResult[];
}

function samples(result: RawResult): HistorySample[] {
  const out: HistorySample[] = [];
  for (const series of result.series ?? []) {
    for (const row of series.values ?? []) {
      const v = row[1];
      if (v === null || v === undefined) continue;
      out.push({ ts: row[0] as number, value: v as HistorySample['value'] });
    }
  }
  return out;
}

/** Whether the point of `readings[i]` already occurs in `readings[first..i)`. */
function repeats(readings: readonly Reading[], first: number, i: number): boolean {
  const point = readings[i]!.point;
  for (let j = first; j < i; j++) if (readings[j]!.point === point) return true;
  return false;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message !== err.message ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}

/** Default folder of the queue under a data folder. */
export function spoolDirOf(dataDir: string): string {
  return join(dataDir, 'spool');
}
