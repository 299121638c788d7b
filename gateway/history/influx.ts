/**
 * History in InfluxDB 1.x (node-influx). Schema and write behaviour: ./README.md.
 *
 * Writes are batched: `write()` turns each reading into one line of line protocol and appends it
 * to the current batch; a batch is sealed at `batchSize` lines or `flushInterval` ms after its
 * first line, and at most `maxInFlight` batches are being POSTed at once. A batch that fails for
 * a reason that may pass (network, 5xx, auth, missing database) goes back to the head of the
 * queue and is retried with exponential backoff; the queue is bounded in memory and drops its
 * oldest batch (with a warning) when full.
 */
import { InfluxDB, escape } from 'influx';
import type { InfluxConfig } from '../config/schema.js';
import { Errors, GatewayError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Reading } from '../core/reading.js';
import { downsample } from './downsample.js';
import type { HistoryEvent, HistoryQuery, HistorySample, HistoryStore } from './store.js';

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
  /** Duration of the default retention policy `raw` created by `init()` when missing (default 30). */
  retentionDays?: number;
  /** Points per write request (default 5000, InfluxData's recommendation). */
  batchSize?: number;
  /** Max ms between the first buffered point and its write (default 1000). */
  flushInterval?: number;
  /** Concurrent write requests (default 2). */
  maxInFlight?: number;
  /** Points kept in memory while InfluxDB is unreachable; oldest batches are dropped beyond (default 200 000). */
  maxBuffered?: number;
  /** Timeout of one HTTP request, ms (default 10 000). */
  requestTimeout?: number;
  /**
   * Largest raw result reduced in the gateway by `downsample()` when a query has a `limit`;
   * beyond it InfluxDB aggregates with `LAST() ... GROUP BY time()` (default 100 000).
   */
  maxRawRows?: number;
  /** First retry delay after a failed write, ms; doubles up to `maxRetryDelay` (default 500). */
  retryDelay?: number;
  /** Cap of the retry delay, ms (default 30 000). */
  maxRetryDelay?: number;
}

/** Measurement used for readings of a device the site config does not know. */
export const UNKNOWN_MEASUREMENT = 'unknown';
export const EVENTS_MEASUREMENT = 'events';
/** Name of the retention policy `init()` creates and makes the default. */
export const RAW_RETENTION_POLICY = 'raw';

interface Batch {
  seq: number;
  lines: string[];
  /** Joined payload, built once on the first attempt and reused by retries. */
  body?: string;
}

/** Stats for /metrics and tests. */
export interface InfluxHistoryStats {
  /** Points waiting in memory (current batch + queued batches, not counting in-flight ones). */
  buffered: number;
  inFlight: number;
  written: number;
  dropped: number;
  failedWrites: number;
  lastError: string | null;
}

/** A write failure that retrying the same payload cannot fix (InfluxDB answered 400). */
class PermanentWriteError extends Error {}

export class InfluxHistory implements HistoryStore {
  readonly backend = 'influx' as const;

  private readonly cfg: InfluxConfig;
  private readonly site: string;
  private readonly deviceInfo: (id: string) => InfluxDeviceInfo | undefined;
  private readonly log: Logger;
  private readonly client: InfluxDB;
  private readonly retentionDays: number;
  private readonly batchSize: number;
  private readonly flushInterval: number;
  private readonly maxInFlight: number;
  private readonly maxBuffered: number;
  private readonly requestTimeout: number;
  private readonly retryDelay: number;
  private readonly maxRetryDelay: number;
  private readonly maxRawRows: number;
  private readonly writeUrl: string;
  private readonly authHeader: string | undefined;

  /** Per device: `measurement,tag=...` prefix of its lines (tags sorted, escaped). */
  private readonly prefixes = new Map<string, string>();
  /** Per point name: escaped field key. */
  private readonly fieldKeys = new Map<string, string>();

  private current: string[] = [];
  private currentTimer: NodeJS.Timeout | undefined;
  private readonly queue: Batch[] = [];
  private readonly inFlightSeqs = new Set<number>();
  private queuedPoints = 0;
  private seq = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private nextRetryDelay: number;
  private waiters: Array<() => void> = [];
  private closed = false;
  private readonly stats = { written: 0, dropped: 0, failedWrites: 0, lastError: null as string | null };

  constructor(opts: InfluxHistoryOptions) {
    this.cfg = opts.config;
    this.site = opts.site;
    this.deviceInfo = opts.deviceInfo;
    this.log = opts.log;
    this.retentionDays = opts.retentionDays ?? 30;
    this.batchSize = opts.batchSize ?? 5000;
    this.flushInterval = opts.flushInterval ?? 1000;
    this.maxInFlight = opts.maxInFlight ?? 2;
    this.maxBuffered = Math.max(opts.maxBuffered ?? 200_000, this.batchSize);
    this.requestTimeout = opts.requestTimeout ?? 10_000;
    this.retryDelay = opts.retryDelay ?? 500;
    this.maxRetryDelay = opts.maxRetryDelay ?? 30_000;
    this.nextRetryDelay = this.retryDelay;
    this.maxRawRows = opts.maxRawRows ?? 100_000;

    const port = this.cfg.port ?? 8086;
    const database = this.cfg.database ?? 'facility';
    this.cfg = { ...this.cfg, port, database };
    this.client = new InfluxDB({
      host: this.cfg.host,
      port,
      database,
      username: this.cfg.username,
      password: this.cfg.password,
      pool: { maxRetries: 1, requestTimeout: this.requestTimeout },
    });
    const hostPart = this.cfg.host.includes(':') && !this.cfg.host.startsWith('[') ? `[${this.cfg.host}]` : this.cfg.host;
    this.writeUrl = `http://${hostPart}:${port}/write?db=${encodeURIComponent(database)}&precision=ms`;
    this.authHeader = this.cfg.username !== undefined
      ? `Basic ${Buffer.from(`${this.cfg.username}:${this.cfg.password ?? ''}`).toString('base64')}`
      : undefined;
  }

  /** Check the server, create the database and the default retention policy if missing. */
  async init(): Promise<void> {
    const where = `InfluxDB at ${this.cfg.host}:${this.cfg.port}`;
    let online = false;
    try {
      const [host] = await this.client.ping(Math.min(this.requestTimeout, 5000));
      online = host?.online === true;
    } catch {
      online = false;
    }
    if (!online) throw Errors.HISTORY_UNAVAILABLE(`${where} does not answer /ping`);
    try {
      await this.ensureDatabase();
    } catch (err) {
      throw Errors.HISTORY_UNAVAILABLE(`${where}: cannot create database ${this.cfg.database}: ${errorText(err)}`);
    }
    this.log.info({ host: this.cfg.host, port: this.cfg.port, database: this.cfg.database }, 'influx history ready');
  }

  private async ensureDatabase(): Promise<void> {
    const db = this.cfg.database!;
    await this.client.createDatabase(db); // idempotent in InfluxDB 1.x
    const policies = await this.client.showRetentionPolicies(db);
    if (!policies.some((p) => p.name === RAW_RETENTION_POLICY)) {
      await this.client.createRetentionPolicy(RAW_RETENTION_POLICY, {
        database: db,
        duration: `${this.retentionDays}d`,
        replication: 1,
        isDefault: true,
      });
      this.log.info({ database: db, duration: `${this.retentionDays}d` }, `created retention policy ${RAW_RETENTION_POLICY}`);
    }
  }

  write(readings: readonly Reading[]): void {
    if (this.closed) return;
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      const v = r.value;
      let value: string;
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) continue; // InfluxDB has no NaN/Infinity
        value = String(v); // no `i` suffix: a float field
      } else if (typeof v === 'boolean') {
        value = v ? 'true' : 'false';
      } else if (typeof v === 'string') {
        value = quoteField(v);
      } else {
        continue; // null: bad quality without a value, nothing to store
      }
      this.push(`${this.prefix(r.device)} ${this.fieldKey(r.point)}=${value} ${Math.round(r.ts)}`);
    }
  }

  writeEvent(e: HistoryEvent): void {
    if (this.closed) return;
    // Tag keys in sorted order (InfluxDB's fast path): action, device, kind, site.
    let line = EVENTS_MEASUREMENT;
    if (e.action) line += `,action=${tagValue(e.action)}`;
    if (e.device) line += `,device=${tagValue(e.device)}`;
    line += `,kind=${tagValue(e.kind)},site=${tagValue(this.site)} id=${quoteField(e.id)},text=${quoteField(e.text)} ${Math.round(e.ts)}`;
    this.push(line);
  }

  /**
   * Write everything buffered so far. Resolves when those points are stored; rejects with
   * `GW_ERR_HISTORY_UNAVAILABLE` if a write fails (the points stay buffered and are retried).
   */
  async flush(): Promise<void> {
    this.seal();
    const target = this.seq;
    const failuresAtStart = this.stats.failedWrites;
    for (;;) {
      if (!this.hasPendingUpTo(target)) return;
      if (this.stats.failedWrites > failuresAtStart) {
        throw Errors.HISTORY_UNAVAILABLE(
          `${this.queuedPoints} points not written to InfluxDB at ${this.cfg.host}:${this.cfg.port} (kept in memory, retrying): ${this.stats.lastError}`,
        );
      }
      if (this.retryTimer !== undefined) {
        // A flush is an explicit request: try now instead of waiting out the backoff.
        clearTimeout(this.retryTimer);
        this.retryTimer = undefined;
      }
      this.pump();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async query(q: HistoryQuery): Promise<HistorySample[]> {
    const measurement = this.deviceInfo(q.device)?.type ?? UNKNOWN_MEASUREMENT;
    const field = escape.quoted(q.point);
    const where =
      `"site" = ${escape.stringLit(this.site)} AND "device" = ${escape.stringLit(q.device)}` +
      ` AND time >= ${Math.floor(q.from)}ms AND time <= ${Math.floor(q.to)}ms`;
    const from = escape.quoted(measurement);
    const limit = q.limit !== undefined ? Math.max(0, Math.floor(q.limit)) : undefined;
    if (limit === 0 || q.to < q.from) return [];

    try {
      const cap = limit === undefined ? undefined : Math.max(limit, this.maxRawRows);
      const raw = await this.select(`SELECT ${field} FROM ${from} WHERE ${where}${cap !== undefined ? ` LIMIT ${cap + 1}` : ''}`);
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
      const down = await this.select(
        `SELECT LAST(${field}) FROM ${from} WHERE ${where} GROUP BY time(${bucket}ms, ${offset}ms) fill(none)`,
      );
      return down.length > limit ? down.slice(0, limit) : down;
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw Errors.HISTORY_UNAVAILABLE(`query of ${q.device}.${q.point} failed: ${errorText(err)}`);
    }
  }

  /** Flush what is buffered (best effort), then stop timers. Later writes are ignored. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } catch (err) {
      this.log.warn({ err: errorText(err), lost: this.queuedPoints }, 'influx history closed with unwritten points (in-memory buffer)');
    }
    this.closed = true;
    if (this.currentTimer !== undefined) clearTimeout(this.currentTimer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.currentTimer = this.retryTimer = undefined;
    this.current = [];
    this.queue.length = 0;
    this.queuedPoints = 0;
    this.wake();
  }

  getStats(): InfluxHistoryStats {
    return { buffered: this.queuedPoints, inFlight: this.inFlightSeqs.size, ...this.stats };
  }

  // --- line protocol ------------------------------------------------------------------------

  private prefix(device: string): string {
    let p = this.prefixes.get(device);
    if (p === undefined) {
      const info = this.deviceInfo(device);
      if (!info) this.log.warn({ device }, `reading of a device not in the site config: written to measurement "${UNKNOWN_MEASUREMENT}"`);
      // Tag keys sorted: building, device, site.
      p = escape.measurement(info?.type ?? UNKNOWN_MEASUREMENT);
      if (info?.building) p += `,building=${tagValue(info.building)}`;
      p += `,device=${tagValue(device)},site=${tagValue(this.site)}`;
      this.prefixes.set(device, p);
    }
    return p;
  }

  private fieldKey(point: string): string {
    let k = this.fieldKeys.get(point);
    if (k === undefined) {
      k = escape.tag(point);
      this.fieldKeys.set(point, k);
    }
    return k;
  }

  // --- batching -----------------------------------------------------------------------------

  private push(line: string): void {
    this.current.push(line);
    this.queuedPoints++;
    if (this.current.length >= this.batchSize) {
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

  /** Move the current batch to the queue; enforce the memory bound. */
  private seal(): void {
    if (this.currentTimer !== undefined) {
      clearTimeout(this.currentTimer);
      this.currentTimer = undefined;
    }
    if (this.current.length === 0) return;
    this.queue.push({ seq: ++this.seq, lines: this.current });
    this.current = [];
    let dropped = 0;
    while (this.queuedPoints > this.maxBuffered && this.queue.length > 1) {
      const old = this.queue.shift()!;
      this.queuedPoints -= old.lines.length;
      dropped += old.lines.length;
    }
    if (dropped > 0) {
      this.stats.dropped += dropped;
      this.log.warn(
        { dropped, totalDropped: this.stats.dropped, maxBuffered: this.maxBuffered, lastError: this.stats.lastError },
        'influx history buffer full: oldest points dropped',
      );
      this.wake();
    }
  }

  private pump(): void {
    while (this.inFlightSeqs.size < this.maxInFlight && this.queue.length > 0 && this.retryTimer === undefined && !this.closed) {
      const batch = this.queue.shift()!;
      this.queuedPoints -= batch.lines.length;
      this.inFlightSeqs.add(batch.seq);
      void this.send(batch);
    }
  }

  private async send(batch: Batch): Promise<void> {
    try {
      batch.body ??= batch.lines.join('\n');
      await this.post(batch.body);
      this.stats.written += batch.lines.length;
      this.nextRetryDelay = this.retryDelay;
    } catch (err) {
      this.stats.failedWrites++;
      this.stats.lastError = errorText(err);
      if (err instanceof PermanentWriteError) {
        this.stats.dropped += batch.lines.length;
        this.log.error({ err: this.stats.lastError, points: batch.lines.length }, 'influx rejected a batch: dropped');
      } else if (!this.closed) {
        // Back to the head of the queue; everything waits for the backoff.
        this.queue.unshift(batch);
        this.queuedPoints += batch.lines.length;
        this.scheduleRetry();
      }
    } finally {
      this.inFlightSeqs.delete(batch.seq);
      this.wake();
      this.pump();
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined) return;
    const delay = this.nextRetryDelay;
    this.nextRetryDelay = Math.min(this.maxRetryDelay, this.nextRetryDelay * 2);
    this.log.warn({ err: this.stats.lastError, buffered: this.queuedPoints, retryInMs: delay }, 'influx write failed: retrying');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delay + Math.floor(Math.random() * delay * 0.1));
    this.retryTimer.unref();
  }

  private async post(body: string): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (this.authHeader) headers.authorization = this.authHeader;
    const res = await fetch(this.writeUrl, { method: 'POST', body, headers, signal: AbortSignal.timeout(this.requestTimeout) });
    if (res.status === 204) {
      await res.body?.cancel();
      return;
    }
    const text = (await res.text()).slice(0, 500);
    if (res.status === 404 && /database not found/i.test(text)) {
      // Dropped behind our back: recreate it, then let the retry write the batch.
      try {
        await this.ensureDatabase();
      } catch (err) {
        this.log.warn({ err: errorText(err) }, 'cannot recreate influx database');
      }
    }
    const msg = `HTTP ${res.status} from /write: ${text.trim()}`;
    if (res.status === 400) throw new PermanentWriteError(msg);
    throw new Error(msg);
  }

  private hasPendingUpTo(seq: number): boolean {
    if (this.closed) return false;
    for (const s of this.inFlightSeqs) if (s <= seq) return true;
    for (const b of this.queue) if (b.seq <= seq) return true;
    return false;
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  private async select(influxql: string): Promise<HistorySample[]> {
    const res = (await this.client.queryRaw(influxql, { precision: 'ms' })) as RawResponse;
    const result = res.results?.[0];
    if (result?.error) throw new Error(result.error);
    const out: HistorySample[] = [];
    for (const series of result?.series ?? []) {
      for (const row of series.values ?? []) {
        const v = row[1];
        if (v === null || v === undefined) continue;
        out.push({ ts: row[0] as number, value: v as HistorySample['value'] });
      }
    }
    return out;
  }
}

interface RawResponse {
  results?: Array<{ error?: string; series?: Array<{ columns: string[]; values?: unknown[][] }> }>;
}

/**
 * Tag values: escape commas, equal signs and spaces; newlines (which end a line) become spaces
 * and a trailing backslash, which would escape the next separator, is doubled.
 */
function tagValue(s: string): string {
  let v = escape.tag(s.replace(/[\r\n]/g, ' '));
  if (v.endsWith('\\')) v += '\\';
  return v;
}

/** String field value in double quotes; backslashes and quotes escaped. */
function quoteField(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message !== err.message ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
