/**
 * Persistence of the predict room in the shared `gateway.db` (own `predict_*` tables): meters and
 * raw counter bases (restart-safe meters), hourly aggregates, baselines with detector state,
 * latest forecasts, preventive-maintenance cycles and the orders this room raised.
 */
import type { Db } from '../storage/sqlite.js';
import { migrate } from '../storage/migrations.js';

export const PREDICT_SCHEMA = `
CREATE TABLE IF NOT EXISTS predict_meters (device TEXT NOT NULL, meter TEXT NOT NULL, value REAL NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (device, meter));
CREATE TABLE IF NOT EXISTS predict_counters (device TEXT NOT NULL, point TEXT NOT NULL, base REAL, ts INTEGER, PRIMARY KEY (device, point));
CREATE TABLE IF NOT EXISTS predict_hourly (device TEXT NOT NULL, series TEXT NOT NULL, hour INTEGER NOT NULL, value REAL NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (device, series, hour));
CREATE TABLE IF NOT EXISTS predict_baselines (device TEXT NOT NULL, series TEXT NOT NULL, median REAL NOT NULL, mad REAL NOT NULL, sigma REAL NOT NULL, n INTEGER NOT NULL,
  from_ts INTEGER NOT NULL, to_ts INTEGER NOT NULL, reset_at INTEGER NOT NULL, ewma REAL NOT NULL, ewma_n INTEGER NOT NULL, cusum REAL NOT NULL, profile TEXT, PRIMARY KEY (device, series));
CREATE TABLE IF NOT EXISTS predict_resets (device TEXT NOT NULL, series TEXT NOT NULL, reset_at INTEGER NOT NULL, PRIMARY KEY (device, series));
CREATE TABLE IF NOT EXISTS predict_forecasts (device TEXT NOT NULL, series TEXT NOT NULL, updated_at INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (device, series));
CREATE TABLE IF NOT EXISTS predict_plan_state (plan TEXT NOT NULL, device TEXT NOT NULL, last_done_at INTEGER NOT NULL, last_done_units REAL, PRIMARY KEY (plan, device));
CREATE TABLE IF NOT EXISTS predict_pm (id INTEGER PRIMARY KEY AUTOINCREMENT, plan TEXT NOT NULL, device TEXT NOT NULL, kind TEXT NOT NULL,
  due_at INTEGER, due_units REAL, grace REAL NOT NULL, raised_at INTEGER NOT NULL, order_id TEXT, status TEXT NOT NULL,
  done_at INTEGER, done_units REAL, on_time INTEGER);
CREATE TABLE IF NOT EXISTS predict_orders (order_id TEXT PRIMARY KEY, device TEXT NOT NULL, fault TEXT NOT NULL, kind TEXT NOT NULL, series TEXT,
  raised_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, updates INTEGER NOT NULL DEFAULT 0, evidence TEXT);
`;

export interface BaselineRow {
  median: number;
  mad: number;
  sigma: number;
  n: number;
  from: number;
  to: number;
}

export interface DetectorRow {
  ewma: number;
  ewmaN: number;
  cusum: number;
}

export interface PmRow {
  id: number;
  plan: string;
  device: string;
  kind: 'calendar' | 'meter';
  dueAt: number | null;
  dueUnits: number | null;
  grace: number;
  raisedAt: number;
  orderId: string | null;
  status: 'open' | 'done' | 'cancelled';
  doneAt: number | null;
  doneUnits: number | null;
  onTime: boolean | null;
}

export interface PredictOrderRow {
  orderId: string;
  device: string;
  fault: string;
  kind: 'prediction' | 'preventive';
  series: string | null;
  raisedAt: number;
  updatedAt: number;
  updates: number;
  evidence: unknown;
}

export class PredictStore {
  constructor(readonly db: Db) {
    migrate(db, 'predict', [PREDICT_SCHEMA]);
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  saveMeter(device: string, meter: string, value: number, ts: number): void {
    this.db.prepare('INSERT INTO predict_meters (device, meter, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(device, meter) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at').run(device, meter, value, ts);
  }

  meters(): Array<{ device: string; meter: string; value: number; updated_at: number }> {
    return this.db.prepare('SELECT device, meter, value, updated_at FROM predict_meters').all() as never;
  }

  saveCounter(device: string, point: string, base: number | null, ts: number | null): void {
    this.db.prepare('INSERT INTO predict_counters (device, point, base, ts) VALUES (?, ?, ?, ?) ON CONFLICT(device, point) DO UPDATE SET base = excluded.base, ts = excluded.ts').run(device, point, base, ts);
  }

  counters(): Array<{ device: string; point: string; base: number | null; ts: number | null }> {
    return this.db.prepare('SELECT device, point, base, ts FROM predict_counters').all() as never;
  }

  addHourly(device: string, series: string, hour: number, value: number, n: number): void {
    this.db.prepare('INSERT OR REPLACE INTO predict_hourly (device, series, hour, value, n) VALUES (?, ?, ?, ?, ?)').run(device, series, hour, value, n);
  }

  hourly(since: number): Array<{ device: string; series: string; hour: number; value: number; n: number }> {
    return this.db.prepare('SELECT device, series, hour, value, n FROM predict_hourly WHERE hour >= ? ORDER BY hour').all(since) as never;
  }

  pruneHourly(before: number): void {
    this.db.prepare('DELETE FROM predict_hourly WHERE hour < ?').run(before);
  }

  saveBaseline(device: string, series: string, b: BaselineRow, resetAt: number, d: DetectorRow, profile: readonly number[] | null = null): void {
    this.db.prepare(`INSERT OR REPLACE INTO predict_baselines (device, series, median, mad, sigma, n, from_ts, to_ts, reset_at, ewma, ewma_n, cusum, profile)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(device, series, b.median, b.mad, b.sigma, b.n, b.from, b.to, resetAt, d.ewma, d.ewmaN, d.cusum,
      profile ? JSON.stringify(profile.map((v) => (Number.isFinite(v) ? v : null))) : null);
  }

  deleteBaseline(device: string, series: string): void {
    this.db.prepare('DELETE FROM predict_baselines WHERE device = ? AND series = ?').run(device, series);
  }

  baselines(): Array<{ device: string; series: string; median: number; mad: number; sigma: number; n: number; from_ts: number; to_ts: number; reset_at: number; ewma: number; ewma_n: number; cusum: number; profile: string | null }> {
    return this.db.prepare('SELECT * FROM predict_baselines').all() as never;
  }

  saveReset(device: string, series: string, at: number): void {
    this.db.prepare('INSERT OR REPLACE INTO predict_resets (device, series, reset_at) VALUES (?, ?, ?)').run(device, series, at);
  }

  resets(): Array<{ device: string; series: string; reset_at: number }> {
    return this.db.prepare('SELECT device, series, reset_at FROM predict_resets').all() as never;
  }

  saveForecast(device: string, series: string, ts: number, body: unknown): void {
    this.db.prepare('INSERT OR REPLACE INTO predict_forecasts (device, series, updated_at, body) VALUES (?, ?, ?, ?)').run(device, series, ts, JSON.stringify(body));
  }

  forecasts(): Array<{ device: string; series: string; updated_at: number; body: string }> {
    return this.db.prepare('SELECT device, series, updated_at, body FROM predict_forecasts').all() as never;
  }

  planState(plan: string, device: string): { lastDoneAt: number; lastDoneUnits: number | null } | undefined {
    const r = this.db.prepare('SELECT last_done_at, last_done_units FROM predict_plan_state WHERE plan = ? AND device = ?').get(plan, device) as { last_done_at: number; last_done_units: number | null } | undefined;
    return r && { lastDoneAt: r.last_done_at, lastDoneUnits: r.last_done_units };
  }

  savePlanState(plan: string, device: string, at: number, units: number | null): void {
    this.db.prepare('INSERT OR REPLACE INTO predict_plan_state (plan, device, last_done_at, last_done_units) VALUES (?, ?, ?, ?)').run(plan, device, at, units);
  }

  insertPm(r: Omit<PmRow, 'id'>): number {
    const info = this.db.prepare(`INSERT INTO predict_pm (plan, device, kind, due_at, due_units, grace, raised_at, order_id, status, done_at, done_units, on_time)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(r.plan, r.device, r.kind, r.dueAt, r.dueUnits, r.grace, r.raisedAt, r.orderId, r.status, r.doneAt, r.doneUnits, r.onTime === null ? null : r.onTime ? 1 : 0);
    return Number(info.lastInsertRowid);
  }

  updatePm(r: PmRow): void {
    this.db.prepare('UPDATE predict_pm SET status = ?, done_at = ?, done_units = ?, on_time = ?, order_id = ? WHERE id = ?')
      .run(r.status, r.doneAt, r.doneUnits, r.onTime === null ? null : r.onTime ? 1 : 0, r.orderId, r.id);
  }

  pm(filter: { device?: string; open?: boolean } = {}): PmRow[] {
    const rows = this.db.prepare(`SELECT * FROM predict_pm WHERE (? IS NULL OR device = ?) ${filter.open ? "AND status = 'open'" : ''} ORDER BY id`)
      .all(filter.device ?? null, filter.device ?? null) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: Number(r['id']), plan: String(r['plan']), device: String(r['device']), kind: r['kind'] as PmRow['kind'],
      dueAt: r['due_at'] as number | null, dueUnits: r['due_units'] as number | null, grace: Number(r['grace']), raisedAt: Number(r['raised_at']),
      orderId: r['order_id'] as string | null, status: r['status'] as PmRow['status'], doneAt: r['done_at'] as number | null,
      doneUnits: r['done_units'] as number | null, onTime: r['on_time'] === null ? null : r['on_time'] === 1,
    }));
  }

  saveOrder(r: PredictOrderRow): void {
    this.db.prepare(`INSERT INTO predict_orders (order_id, device, fault, kind, series, raised_at, updated_at, updates, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(order_id) DO UPDATE SET updated_at = excluded.updated_at, updates = excluded.updates, evidence = excluded.evidence`)
      .run(r.orderId, r.device, r.fault, r.kind, r.series, r.raisedAt, r.updatedAt, r.updates, r.evidence === undefined ? null : JSON.stringify(r.evidence));
  }

  orders(): PredictOrderRow[] {
    const rows = this.db.prepare('SELECT * FROM predict_orders ORDER BY raised_at').all() as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      orderId: String(r['order_id']), device: String(r['device']), fault: String(r['fault']), kind: r['kind'] as PredictOrderRow['kind'],
      series: r['series'] as string | null, raisedAt: Number(r['raised_at']), updatedAt: Number(r['updated_at']), updates: Number(r['updates']),
      evidence: r['evidence'] ? JSON.parse(String(r['evidence'])) : null,
    }));
  }
}
