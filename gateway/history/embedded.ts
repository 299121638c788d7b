/**
 * Embedded history (the default when no InfluxDB is configured): SQLite under the data folder.
 * One row per sample keyed by (series, ts), so a replayed reading is stored once. Writes are
 * buffered and committed in one transaction per batch (5,000 readings or 1 s, whichever first).
 *
 * Rollups: the same tiers as InfluxDB (`rollup_1m`, `rollup_1h`: mean, min, max and count per
 * bucket of numeric points), kept up to date in the commit transaction by recomputing every
 * bucket the batch touched (the 1-minute buckets from samples, the hours from the minutes), so
 * the query contract is the same for both backends. Each tier has its own retention.
 */
import type { Logger } from '../core/log.js';
import type { Reading } from '../core/reading.js';
import { openDatabase, type Db } from '../storage/sqlite.js';
import { downsample } from './downsample.js';
import { BUCKET_MS, DAY, HOUR, MINUTE, bucketStart, reduceRollups } from './query.js';
import {
  type HistoryEvent,
  type HistoryQuery,
  type HistoryRetention,
  type HistorySample,
  type HistoryStats,
  type HistoryStore,
  retentionOf,
  WriteLatency,
} from './store.js';
import { migrate } from '../storage/migrations.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, device TEXT NOT NULL, point TEXT NOT NULL, UNIQUE(device, point));
-- kind: 0 number, 1 boolean, 2 string (in s)
CREATE TABLE IF NOT EXISTS samples (
  series INTEGER NOT NULL, ts INTEGER NOT NULL, kind INTEGER NOT NULL, v REAL, s TEXT,
  PRIMARY KEY (series, ts)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_1m (series INTEGER NOT NULL, ts INTEGER NOT NULL, mean REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (series, ts)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_1h (series INTEGER NOT NULL, ts INTEGER NOT NULL, mean REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (series, ts)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (ts INTEGER NOT NULL, device TEXT, kind TEXT NOT NULL, action TEXT NOT NULL, id TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_ts ON events(ts);
`;

const BATCH = 5000;
const FLUSH_MS = 1000;

export interface EmbeddedHistoryOptions {
  dataDir: string;
  /** Days of raw samples kept. */
  retentionDays: number;
  /** Days of 1-minute / 1-hour rollups kept (default 90 / 1095). */
  rollupRetentionDays?: { '1m'?: number; '1h'?: number };
  log: Logger;
  /** Largest raw result reduced in memory; beyond it SQLite reduces per time bucket (default 100 000). */
  maxRawRows?: number;
}

export class EmbeddedHistory implements HistoryStore {
  readonly backend = 'embedded' as const;
  readonly retention: HistoryRetention;
  private db!: Db;
  private buffer: Reading[] = [];
  private pendingEvents: HistoryEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private readonly seriesIds = new Map<string, number>();
  private readonly maxRawRows: number;
  /** Returns the readings stored (the others have no value to store). */
  private writeBatch!: (readings: Reading[], events: HistoryEvent[]) => number;
  private refreshRange!: (from: number, to: number) => void;
  private closed = false;
  private readonly counters = { written: 0, writtenFields: 0, skipped: 0, failedWrites: 0, lastError: null as string | null };
  private readonly latency = new WriteLatency();

  constructor(private readonly opts: EmbeddedHistoryOptions) {
    this.retention = retentionOf(opts.retentionDays, opts.rollupRetentionDays);
    this.maxRawRows = opts.maxRawRows ?? 100_000;
  }

  async init(): Promise<void> {
    this.db = openDatabase(this.opts.dataDir, 'history.db');
    migrate(this.db, 'history', [SCHEMA]);
    for (const row of this.db.prepare('SELECT id, device, point FROM series').all() as { id: number; device: string; point: string }[]) {
      this.seriesIds.set(`${row.device}\u0000${row.point}`, row.id);
    }
    const addSeries = this.db.prepare('INSERT INTO series (device, point) VALUES (?, ?)');
    const sample = this.db.prepare('INSERT OR REPLACE INTO samples (series, ts, kind, v, s) VALUES (?, ?, ?, ?, ?)');
    const event = this.db.prepare('INSERT INTO events (ts, device, kind, action, id, text) VALUES (?, ?, ?, ?, ?, ?)');
    // One bucket of one series, recomputed from the tier below (deleted when nothing is left).
    const minute = this.db.prepare(
      `INSERT OR REPLACE INTO rollup_1m (series, ts, mean, min, max, n)
       SELECT @s, @t, avg(v), min(v), max(v), count(*) FROM samples WHERE series = @s AND ts >= @t AND ts < @t + ${MINUTE} AND kind = 0 HAVING count(*) > 0`,
    );
    const hour = this.db.prepare(
      `INSERT OR REPLACE INTO rollup_1h (series, ts, mean, min, max, n)
       SELECT @s, @t, sum(mean * n) / sum(n), min(min), max(max), sum(n) FROM rollup_1m WHERE series = @s AND ts >= @t AND ts < @t + ${HOUR} HAVING count(*) > 0`,
    );
    const minutesOfRange = this.db.prepare(
      `INSERT OR REPLACE INTO rollup_1m (series, ts, mean, min, max, n)
       SELECT series, (ts / ${MINUTE}) * ${MINUTE}, avg(v), min(v), max(v), count(*) FROM samples WHERE ts >= ? AND ts < ? AND kind = 0 GROUP BY series, ts / ${MINUTE}`,
    );
    const hoursOfRange = this.db.prepare(
      `INSERT OR REPLACE INTO rollup_1h (series, ts, mean, min, max, n)
       SELECT series, (ts / ${HOUR}) * ${HOUR}, sum(mean * n) / sum(n), min(min), max(max), sum(n) FROM rollup_1m WHERE ts >= ? AND ts < ? GROUP BY series, ts / ${HOUR}`,
    );
    this.refreshRange = this.db.transaction((from: number, to: number) => {
      const h0 = bucketStart(from, HOUR);
      const h1 = bucketStart(to, HOUR) + HOUR;
      minutesOfRange.run(h0, h1);
      hoursOfRange.run(h0, h1);
    });
    this.writeBatch = this.db.transaction((readings: Reading[], events: HistoryEvent[]) => {
      const dirty = new Map<number, Set<number>>();
      let stored = 0;
      for (const r of readings) {
        if (r.value === null) continue;
        const key = `${r.device}\u0000${r.point}`;
        let id = this.seriesIds.get(key);
        if (id === undefined) {
          id = Number(addSeries.run(r.device, r.point).lastInsertRowid);
          this.seriesIds.set(key, id);
        }
        const ts = Math.round(r.ts);
        if (typeof r.value === 'number') {
          if (!Number.isFinite(r.value)) continue;
          sample.run(id, ts, 0, r.value, null);
        } else if (typeof r.value === 'boolean') sample.run(id, ts, 1, r.value ? 1 : 0, null);
        else sample.run(id, ts, 2, null, r.value);
        stored++;
        // Any write can change a bucket (a number replaced by a string too).
        let set = dirty.get(id);
        if (!set) dirty.set(id, (set = new Set()));
        set.add(bucketStart(ts, MINUTE));
      }
      for (const [id, minutes] of dirty) {
        const hours = new Set<number>();
        for (const m of minutes) {
          if (minute.run({ s: id, t: m }).changes === 0) this.db.prepare('DELETE FROM rollup_1m WHERE series = ? AND ts = ?').run(id, m);
          hours.add(bucketStart(m, HOUR));
        }
        for (const h of hours) {
          if (hour.run({ s: id, t: h }).changes === 0) this.db.prepare('DELETE FROM rollup_1h WHERE series = ? AND ts = ?').run(id, h);
        }
      }
      for (const e of events) event.run(e.ts, e.device, e.kind, e.action, e.id, e.text);
      return stored;
    });
    this.enforceRetention();
    this.retentionTimer = setInterval(() => this.enforceRetention(), 3_600_000);
    this.retentionTimer.unref();
  }

  write(readings: readonly Reading[]): void {
    if (this.closed) return;
    for (const r of readings) this.buffer.push(r);
    if (this.buffer.length >= BATCH) this.commit();
    else this.schedule();
  }

  writeEvent(event: HistoryEvent): void {
    if (this.closed) return;
    this.pendingEvents.push(event);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.commit(), FLUSH_MS);
    this.timer.unref();
  }

  private commit(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.buffer.length && !this.pendingEvents.length) return;
    const readings = this.buffer;
    const events = this.pendingEvents;
    this.buffer = [];
    this.pendingEvents = [];
    const started = performance.now();
    try {
      const stored = this.writeBatch(readings, events);
      this.counters.written += readings.length + events.length;
      this.counters.writtenFields += stored;
      this.counters.skipped += readings.length - stored;
      this.latency.noteSince(started);
    } catch (err) {
      // Keep the batch for the next attempt rather than losing it (disk full, locked file).
      this.counters.failedWrites++;
      this.counters.lastError = err instanceof Error ? err.message : String(err);
      this.opts.log.error({ err, readings: readings.length }, 'embedded history write failed; will retry');
      this.buffer = readings.concat(this.buffer);
      this.pendingEvents = events.concat(this.pendingEvents);
      this.schedule();
    }
  }

  async flush(): Promise<void> {
    this.commit();
  }

  async query(q: HistoryQuery): Promise<HistorySample[]> {
    this.commit();
    const id = this.seriesIds.get(`${q.device}\u0000${q.point}`);
    const limit = q.limit !== undefined ? Math.max(0, Math.floor(q.limit)) : undefined;
    if (id === undefined || limit === 0 || q.to < q.from) return [];
    const resolution = q.resolution ?? 'raw';
    if (resolution !== 'raw') {
      const size = BUCKET_MS[resolution];
      const rows = this.db
        .prepare(`SELECT ts, mean, min, max FROM rollup_${resolution} WHERE series = ? AND ts >= ? AND ts <= ? ORDER BY ts`)
        .raw()
        .all(id, bucketStart(Math.floor(q.from), size), Math.floor(q.to)) as [number, number, number, number][];
      if (rows.length > 0) return reduceRollups(rows.map(([ts, value, min, max]) => ({ ts, value, min, max })), limit);
      // No rollups for this point (not numeric): raw data.
    }
    const cap = limit === undefined ? -1 : Math.max(limit, this.maxRawRows) + 1;
    const rows = this.db
      .prepare('SELECT ts, kind, v, s FROM samples WHERE series = ? AND ts BETWEEN ? AND ? ORDER BY ts LIMIT ?')
      .raw()
      .all(id, q.from, q.to, cap) as [number, number, number | null, string | null][];
    if (limit !== undefined && rows.length === cap) return this.reduceInSql(id, q.from, q.to, limit);
    const samples = rows.map(toSample);
    return limit ? downsample(samples, limit) : samples;
  }

  /** Too many rows to reduce in memory: the min and max (first value for non-numbers) per time bucket. */
  private reduceInSql(id: number, from: number, to: number, limit: number): HistorySample[] {
    const buckets = Math.max(1, Math.floor(limit / 2));
    const size = Math.max(1, Math.ceil((to - from + 1) / buckets));
    const where = 'series = ? AND ts BETWEEN ? AND ?';
    const out = new Map<number, HistorySample>();
    for (const agg of ['min', 'max']) {
      const rows = this.db
        .prepare(`SELECT ts, kind, ${agg}(v), s FROM samples WHERE ${where} AND kind = 0 GROUP BY (ts - ?) / ?`)
        .raw()
        .all(id, from, to, from, size) as [number, number, number | null, string | null][];
      for (const r of rows) out.set(r[0], toSample(r));
    }
    if (out.size === 0) {
      const rows = this.db
        .prepare(`SELECT min(ts), kind, v, s FROM samples WHERE ${where} GROUP BY (ts - ?) / ?`)
        .raw()
        .all(id, from, to, from, Math.max(1, Math.ceil((to - from + 1) / limit))) as [number, number, number | null, string | null][];
      for (const r of rows) out.set(r[0], toSample(r));
    }
    return [...out.values()].sort((a, b) => a.ts - b.ts).slice(0, limit);
  }

  async events(from: number, to: number, limit = 10_000): Promise<HistoryEvent[]> {
    this.commit();
    return this.db
      .prepare('SELECT ts, device, kind, action, id, text FROM events WHERE ts BETWEEN ? AND ? ORDER BY ts LIMIT ?')
      .all(from, to, Math.max(1, Math.floor(limit))) as HistoryEvent[];
  }

  async refreshRollups(from: number, to: number): Promise<void> {
    this.commit();
    // A day at a time keeps each transaction short.
    for (let start = bucketStart(from, HOUR); start <= to; start += DAY) this.refreshRange(start, Math.min(to, start + DAY - 1));
  }

  stats(): HistoryStats {
    const c = this.counters;
    return {
      backend: 'embedded',
      online: true,
      written: c.written,
      writtenFields: c.writtenFields,
      skipped: c.skipped,
      buffered: this.buffer.length + this.pendingEvents.length,
      queuePoints: 0,
      queueBytes: 0,
      spooled: 0,
      replayed: 0,
      dropped: 0,
      failedWrites: c.failedWrites,
      writeLatencyMs: this.latency.stats(),
      lastError: c.lastError,
    };
  }

  private enforceRetention(): void {
    const now = Date.now();
    this.db.prepare('DELETE FROM samples WHERE ts < ?').run(now - this.retention.raw * DAY);
    this.db.prepare('DELETE FROM rollup_1m WHERE ts < ?').run(now - this.retention['1m'] * DAY);
    this.db.prepare('DELETE FROM rollup_1h WHERE ts < ?').run(now - this.retention['1h'] * DAY);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.commit();
    this.closed = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.db?.close();
  }
}

function toSample([ts, kind, v, s]: [number, number, number | null, string | null]): HistorySample {
  return { ts, value: kind === 0 ? v : kind === 1 ? v === 1 : s };
}
