/**
 * Embedded history (the default when no InfluxDB is configured): SQLite under the data folder.
 * One row per sample keyed by (series, ts), so a replayed reading is stored once. Writes are
 * buffered and committed in one transaction per batch (5,000 readings or 1 s, whichever first).
 */
import type { Logger } from '../core/log.js';
import type { Reading } from '../core/reading.js';
import { openDatabase, type Db } from '../storage/sqlite.js';
import { downsample } from './downsample.js';
import type { HistoryEvent, HistoryQuery, HistorySample, HistoryStore } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, device TEXT NOT NULL, point TEXT NOT NULL, UNIQUE(device, point));
-- kind: 0 number, 1 boolean, 2 string (in s)
CREATE TABLE IF NOT EXISTS samples (
  series INTEGER NOT NULL, ts INTEGER NOT NULL, kind INTEGER NOT NULL, v REAL, s TEXT,
  PRIMARY KEY (series, ts)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (ts INTEGER NOT NULL, device TEXT, kind TEXT NOT NULL, action TEXT NOT NULL, id TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_ts ON events(ts);
`;

const BATCH = 5000;
const FLUSH_MS = 1000;

export class EmbeddedHistory implements HistoryStore {
  readonly backend = 'embedded' as const;
  private db!: Db;
  private buffer: Reading[] = [];
  private pendingEvents: HistoryEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private readonly seriesIds = new Map<string, number>();
  private insertSample!: (series: number, ts: number, kind: number, v: number | null, s: string | null) => void;
  private writeBatch!: (readings: Reading[], events: HistoryEvent[]) => void;

  constructor(
    private readonly opts: { dataDir: string; retentionDays: number; log: Logger },
  ) {}

  async init(): Promise<void> {
    this.db = openDatabase(this.opts.dataDir, 'history.db', SCHEMA);
    for (const row of this.db.prepare('SELECT id, device, point FROM series').all() as { id: number; device: string; point: string }[]) {
      this.seriesIds.set(`${row.device}\u0000${row.point}`, row.id);
    }
    const addSeries = this.db.prepare('INSERT INTO series (device, point) VALUES (?, ?)');
    const sample = this.db.prepare('INSERT OR REPLACE INTO samples (series, ts, kind, v, s) VALUES (?, ?, ?, ?, ?)');
    const event = this.db.prepare('INSERT INTO events (ts, device, kind, action, id, text) VALUES (?, ?, ?, ?, ?, ?)');
    this.insertSample = (series, ts, kind, v, s) => void sample.run(series, ts, kind, v, s);
    this.writeBatch = this.db.transaction((readings: Reading[], events: HistoryEvent[]) => {
      for (const r of readings) {
        if (r.value === null) continue;
        const key = `${r.device}\u0000${r.point}`;
        let id = this.seriesIds.get(key);
        if (id === undefined) {
          id = Number(addSeries.run(r.device, r.point).lastInsertRowid);
          this.seriesIds.set(key, id);
        }
        if (typeof r.value === 'number') this.insertSample(id, r.ts, 0, r.value, null);
        else if (typeof r.value === 'boolean') this.insertSample(id, r.ts, 1, r.value ? 1 : 0, null);
        else this.insertSample(id, r.ts, 2, null, r.value);
      }
      for (const e of events) event.run(e.ts, e.device, e.kind, e.action, e.id, e.text);
    });
    this.enforceRetention();
    this.retentionTimer = setInterval(() => this.enforceRetention(), 3_600_000);
    this.retentionTimer.unref();
  }

  write(readings: readonly Reading[]): void {
    for (const r of readings) this.buffer.push(r);
    if (this.buffer.length >= BATCH) this.commit();
    else this.schedule();
  }

  writeEvent(event: HistoryEvent): void {
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
    try {
      this.writeBatch(readings, events);
    } catch (err) {
      // Keep the batch for the next attempt rather than losing it (disk full, locked file).
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
    if (id === undefined) return [];
    const rows = this.db
      .prepare('SELECT ts, kind, v, s FROM samples WHERE series = ? AND ts BETWEEN ? AND ? ORDER BY ts')
      .raw()
      .all(id, q.from, q.to) as [number, number, number | null, string | null][];
    const samples: HistorySample[] = rows.map(([ts, kind, v, s]) => ({
      ts,
      value: kind === 0 ? v : kind === 1 ? v === 1 : s,
    }));
    return q.limit ? downsample(samples, q.limit) : samples;
  }

  async events(from: number, to: number): Promise<HistoryEvent[]> {
    this.commit();
    return this.db.prepare('SELECT ts, device, kind, action, id, text FROM events WHERE ts BETWEEN ? AND ? ORDER BY ts').all(from, to) as HistoryEvent[];
  }

  private enforceRetention(): void {
    const cutoff = Date.now() - this.opts.retentionDays * 86_400_000;
    this.db.prepare('DELETE FROM samples WHERE ts < ?').run(cutoff);
  }

  async close(): Promise<void> {
    this.commit();
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.db?.close();
  }
}
