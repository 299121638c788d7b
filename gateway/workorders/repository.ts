/**
 * Work orders, their occurrences and the append-only audit trail (seed 2.1: request ledger;
 * seed 8.x: immutable audit). A partial unique index guarantees one open order per device and
 * fault even if two alarms race.
 *
 * Every order and ledger entry carries its estate, and numbers carry the estate code, so they are
 * unique across the company (`WO-<CODE>-YYYYMMDD-NNNN`). Each write also appends its event to the
 * event log (the uplink outbox) in the caller's transaction (docs/head-office.md).
 */
import { NO_EVENT_LOG, type Estate, type EventLog } from '../core/envelope.js';
import { ENDED_STATUSES, type EscalationEvent, type LedgerEntry, type WorkOrder } from '../core/model.js';
import type { Db } from '../storage/sqlite.js';
import { addColumns, migrate } from '../storage/migrations.js';

/** `status NOT IN (${ENDED_SQL})`: the order is open (core/model.ts `isOpen`). */
const ENDED_SQL = ENDED_STATUSES.map((s) => `'${s}'`).join(', ');

const WORK_ORDER_SCHEMA = `
CREATE TABLE IF NOT EXISTS work_orders (
  id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE, device TEXT, fault TEXT NOT NULL, category TEXT NOT NULL,
  priority TEXT NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL,
  fault_at INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  respond_by INTEGER NOT NULL, on_site_by INTEGER, responded_at INTEGER, on_site_at INTEGER,
  occurrences INTEGER NOT NULL DEFAULT 1, assignee TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS work_orders_one_open ON work_orders(device, fault)
  WHERE status NOT IN (${ENDED_SQL}) AND device IS NOT NULL;
CREATE TABLE IF NOT EXISTS work_order_alarms (order_id TEXT NOT NULL, alarm_id TEXT NOT NULL UNIQUE, ts INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS work_order_audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, ts INTEGER NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL, from_status TEXT, to_status TEXT, detail TEXT);
CREATE TRIGGER IF NOT EXISTS work_order_audit_immutable BEFORE UPDATE ON work_order_audit
  BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS work_order_audit_undeletable BEFORE DELETE ON work_order_audit
  BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TABLE IF NOT EXISTS work_order_ledger (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, time INTEGER NOT NULL, personnel TEXT NOT NULL,
  tools TEXT NOT NULL, result TEXT NOT NULL, safety_measures TEXT NOT NULL, recorded_at INTEGER NOT NULL, recorded_by TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS work_order_ledger_order ON work_order_ledger(order_id);
CREATE TRIGGER IF NOT EXISTS work_order_ledger_immutable BEFORE UPDATE ON work_order_ledger
  BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TABLE IF NOT EXISTS work_order_escalations (
  order_id TEXT NOT NULL, deadline TEXT NOT NULL, due_at INTEGER NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (order_id, deadline));
CREATE INDEX IF NOT EXISTS work_orders_fault_at ON work_orders(fault_at);
`;

/** Columns added after the first release (added in place on an older database). */
const ADDED_COLUMNS: readonly [string, string][] = [
  ['resolved_at', 'INTEGER'], ['closed_at', 'INTEGER'], ['due_at', 'INTEGER'], ['feedback_rating', 'INTEGER'],
  ['feedback_comment', 'TEXT'], ['feedback_at', 'INTEGER'], ['evidence', 'TEXT'],
  // Estate identity: the estate of the order, and the number it had before estate codes.
  ['site', 'TEXT'], ['legacy_number', 'TEXT'],
];

export interface RepositoryOptions {
  /** The estate this gateway serves; default `local` / `LOCAL`. */
  estate?: Estate;
  /** Where each write records its event (the uplink outbox); default none. */
  events?: EventLog;
}

export const LOCAL_ESTATE: Estate = { site: 'local', code: 'LOCAL' };

interface Row {
  id: string; site: string; number: string; device: string | null; fault: string; category: WorkOrder['category'];
  priority: WorkOrder['priority']; source: WorkOrder['source']; title: string; status: WorkOrder['status'];
  fault_at: number; created_at: number; updated_at: number; respond_by: number; on_site_by: number | null;
  responded_at: number | null; on_site_at: number | null; occurrences: number; assignee: string | null;
  resolved_at: number | null; closed_at: number | null; due_at: number | null; feedback_rating: number | null;
  feedback_comment: string | null; feedback_at: number | null; evidence: string | null;
}

const toOrder = (r: Row): WorkOrder => ({
  id: r.id, site: r.site, number: r.number, device: r.device, fault: r.fault, category: r.category, priority: r.priority,
  source: r.source, title: r.title, status: r.status, faultAt: r.fault_at, createdAt: r.created_at,
  updatedAt: r.updated_at, respondBy: r.respond_by, onSiteBy: r.on_site_by, respondedAt: r.responded_at,
  onSiteAt: r.on_site_at, occurrences: r.occurrences, assignee: r.assignee,
  resolvedAt: r.resolved_at, closedAt: r.closed_at, dueAt: r.due_at,
  feedback: r.feedback_rating === null ? null : { rating: r.feedback_rating, comment: r.feedback_comment, at: r.feedback_at ?? 0 },
  evidence: r.evidence === null ? null : (JSON.parse(r.evidence) as Record<string, unknown>),
});

interface LedgerRow {
  seq: number; site: string; order_id: string; time: number; personnel: string; tools: string; result: string;
  safety_measures: string; recorded_at: number; recorded_by: string;
}

export interface EscalationRecord {
  orderId: string;
  deadline: 'respond' | 'on_site';
  dueAt: number;
  ts: number;
}

export interface AuditEntry {
  ts: number;
  actor: string;
  action: string;
  from: string | null;
  to: string | null;
  detail: string | null;
}

export class WorkOrderRepository {
  readonly estate: Estate;
  private readonly events: EventLog;

  constructor(readonly db: Db, opts: RepositoryOptions = {}) {
    this.estate = opts.estate ?? LOCAL_ESTATE;
    this.events = opts.events ?? NO_EVENT_LOG;
    migrate(db, 'work_orders', [
      WORK_ORDER_SCHEMA,
      addColumns('work_orders', ADDED_COLUMNS),
      addColumns('work_order_ledger', [['site', 'TEXT']]),
      addColumns('work_order_escalations', [['site', 'TEXT']]),
    ]);
    this.migrateEstate();
  }

  /**
   * Upgrade of data written before estates had an identity: rows without an estate get this
   * gateway's, and numbers without an estate code get it (`WO-20261128-0001` →
   * `WO-<CODE>-20261128-0001`); the old number is kept and still finds the order.
   */
  private migrateEstate(): void {
    this.db.transaction(() => {
      for (const table of ['work_orders', 'work_order_ledger', 'work_order_escalations']) {
        this.db.prepare(`UPDATE ${table} SET site = ? WHERE site IS NULL`).run(this.estate.site);
      }
      this.db.prepare(`UPDATE work_orders SET legacy_number = number, number = 'WO-' || ? || '-' || substr(number, 4)
                       WHERE number GLOB 'WO-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-*'`).run(this.estate.code);
    })();
  }

  insert(o: WorkOrder): void {
    this.db
      .prepare(`INSERT INTO work_orders (id, site, number, device, fault, category, priority, source, title, status, fault_at,
                created_at, updated_at, respond_by, on_site_by, responded_at, on_site_at, occurrences, assignee, due_at, evidence)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(o.id, o.site, o.number, o.device, o.fault, o.category, o.priority, o.source, o.title, o.status, o.faultAt,
        o.createdAt, o.updatedAt, o.respondBy, o.onSiteBy, o.respondedAt, o.onSiteAt, o.occurrences, o.assignee,
        o.dueAt ?? null, o.evidence ? JSON.stringify(o.evidence) : null);
    this.events.append('order.created', { ...o, action: 'created' });
  }

  /** Writes the order's new state; `action` says what changed (the event's `action`). */
  update(o: WorkOrder, action = 'changed'): void {
    this.db
      .prepare(`UPDATE work_orders SET status = ?, updated_at = ?, responded_at = ?, on_site_at = ?, occurrences = ?,
                assignee = ?, resolved_at = ?, closed_at = ?, feedback_rating = ?, feedback_comment = ?, feedback_at = ?,
                evidence = ?, title = ? WHERE id = ?`)
      .run(o.status, o.updatedAt, o.respondedAt, o.onSiteAt, o.occurrences, o.assignee, o.resolvedAt ?? null, o.closedAt ?? null,
        o.feedback?.rating ?? null, o.feedback?.comment ?? null, o.feedback?.at ?? null,
        o.evidence ? JSON.stringify(o.evidence) : null, o.title, o.id);
    this.events.append('order.changed', { ...o, action });
  }

  addLedger(e: Omit<LedgerEntry, 'seq' | 'site'>): LedgerEntry {
    const info = this.db
      .prepare(`INSERT INTO work_order_ledger (site, order_id, time, personnel, tools, result, safety_measures, recorded_at, recorded_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(this.estate.site, e.orderId, e.time, JSON.stringify(e.personnel), JSON.stringify(e.tools), e.result, e.safetyMeasures, e.recordedAt, e.recordedBy);
    const entry: LedgerEntry = { seq: Number(info.lastInsertRowid), site: this.estate.site, ...e };
    this.events.append('order.ledger', entry);
    return entry;
  }

  ledger(orderId: string): LedgerEntry[] {
    return (this.db.prepare('SELECT * FROM work_order_ledger WHERE order_id = ? ORDER BY seq').all(orderId) as LedgerRow[]).map((r) => ({
      seq: r.seq, site: r.site, orderId: r.order_id, time: r.time, personnel: JSON.parse(r.personnel) as string[], tools: JSON.parse(r.tools) as string[],
      result: r.result, safetyMeasures: r.safety_measures, recordedAt: r.recorded_at, recordedBy: r.recorded_by,
    }));
  }

  /** Open orders with a deadline passed unmet at `now` and not escalated yet for it. */
  overdue(now: number): { order: WorkOrder; deadline: 'respond' | 'on_site'; dueAt: number }[] {
    const rows = this.db
      .prepare(`SELECT o.*, 'respond' AS dl FROM work_orders o WHERE o.status NOT IN (${ENDED_SQL})
                  AND o.responded_at IS NULL AND o.respond_by <= ?
                  AND NOT EXISTS (SELECT 1 FROM work_order_escalations e WHERE e.order_id = o.id AND e.deadline = 'respond')
                UNION ALL
                SELECT o.*, 'on_site' AS dl FROM work_orders o WHERE o.status NOT IN (${ENDED_SQL}, 'resolved')
                  AND o.on_site_at IS NULL AND o.on_site_by IS NOT NULL AND o.on_site_by <= ?
                  AND NOT EXISTS (SELECT 1 FROM work_order_escalations e WHERE e.order_id = o.id AND e.deadline = 'on_site')`)
      .all(now, now) as (Row & { dl: 'respond' | 'on_site' })[];
    return rows.map((r) => ({ order: toOrder(r), deadline: r.dl, dueAt: r.dl === 'respond' ? r.respond_by : r.on_site_by! }));
  }

  /** Records an escalation; false when this deadline of this order was escalated before. */
  escalate(e: EscalationRecord): boolean {
    const fresh = this.db
      .prepare('INSERT OR IGNORE INTO work_order_escalations (site, order_id, deadline, due_at, ts) VALUES (?, ?, ?, ?, ?)')
      .run(this.estate.site, e.orderId, e.deadline, e.dueAt, e.ts).changes === 1;
    const o = fresh ? this.get(e.orderId) : undefined;
    if (o) {
      const ev: EscalationEvent = { site: o.site, orderId: o.id, number: o.number, device: o.device, category: o.category,
        priority: o.priority, deadline: e.deadline, dueAt: e.dueAt, ts: e.ts };
      this.events.append('order.escalated', ev);
    }
    return fresh;
  }

  escalations(orderId?: string, range?: { from: number; to: number }): EscalationRecord[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (orderId) { where.push('order_id = ?'); args.push(orderId); }
    if (range) { where.push('ts >= ? AND ts < ?'); args.push(range.from, range.to); }
    return this.db
      .prepare(`SELECT order_id AS orderId, deadline, due_at AS dueAt, ts FROM work_order_escalations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ts`)
      .all(...args) as EscalationRecord[];
  }

  /** Every order whose fault time or due date falls before `to` and that was still open at `from` or later (KPIs). */
  forPeriod(from: number, to: number): WorkOrder[] {
    return (this.db
      .prepare(`SELECT * FROM work_orders WHERE (fault_at < ? OR due_at < ?) AND (closed_at IS NULL OR closed_at >= ? OR fault_at >= ? OR due_at >= ?)
                ORDER BY fault_at`)
      .all(to, to, from, from, from) as Row[]).map(toOrder);
  }

  /** Corrective orders before `before` (repeat-failure look-back). */
  correctiveBefore(device: string, fault: string, before: number, after: number): number {
    return (this.db
      .prepare(`SELECT COUNT(*) AS n FROM work_orders WHERE device = ? AND fault = ? AND source IN ('alarm', 'manual')
                AND fault_at < ? AND fault_at >= ? AND status != 'cancelled'`)
      .get(device, fault, before, after) as { n: number }).n;
  }

  get(id: string): WorkOrder | undefined {
    const row = this.db.prepare('SELECT * FROM work_orders WHERE id = ? OR number = ? OR legacy_number = ?').get(id, id, id) as Row | undefined;
    return row && toOrder(row);
  }

  openFor(device: string, fault: string): WorkOrder | undefined {
    const row = this.db
      .prepare(`SELECT * FROM work_orders WHERE device = ? AND fault = ? AND status NOT IN (${ENDED_SQL})`)
      .get(device, fault) as Row | undefined;
    return row && toOrder(row);
  }

  list(opts: { limit: number; device?: string; open?: boolean }): WorkOrder[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (opts.device) { where.push('device = ?'); args.push(opts.device); }
    if (opts.open) where.push(`status NOT IN (${ENDED_SQL})`);
    const sql = `SELECT * FROM work_orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, opts.limit) as Row[]).map(toOrder);
  }

  openCount(device: string): number {
    return (this.db
      .prepare(`SELECT COUNT(*) AS n FROM work_orders WHERE device = ? AND status NOT IN (${ENDED_SQL})`)
      .get(device) as { n: number }).n;
  }

  /** Next number of the day: WO-<CODE>-YYYYMMDD-NNNN. */
  nextNumber(now: number): string {
    const day = new Date(now).toISOString().slice(0, 10).replace(/-/g, '');
    const prefix = `WO-${this.estate.code}-${day}-`;
    const row = this.db
      .prepare('SELECT number FROM work_orders WHERE number LIKE ? ORDER BY number DESC LIMIT 1')
      .get(`${prefix}%`) as { number: string } | undefined;
    const n = row ? Number(row.number.slice(prefix.length)) + 1 : 1;
    return `${prefix}${String(n).padStart(4, '0')}`;
  }

  linkAlarm(orderId: string, alarmId: string, ts: number): void {
    this.db.prepare('INSERT OR IGNORE INTO work_order_alarms (order_id, alarm_id, ts) VALUES (?, ?, ?)').run(orderId, alarmId, ts);
  }

  orderForAlarm(alarmId: string): string | null {
    const row = this.db.prepare('SELECT order_id FROM work_order_alarms WHERE alarm_id = ?').get(alarmId) as { order_id: string } | undefined;
    return row?.order_id ?? null;
  }

  audit(orderId: string, e: AuditEntry): void {
    this.db
      .prepare('INSERT INTO work_order_audit (order_id, ts, actor, action, from_status, to_status, detail) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(orderId, e.ts, e.actor, e.action, e.from, e.to, e.detail);
  }

  auditTrail(orderId: string): AuditEntry[] {
    return this.db
      .prepare('SELECT ts, actor, action, from_status AS "from", to_status AS "to", detail FROM work_order_audit WHERE order_id = ? ORDER BY seq')
      .all(orderId) as AuditEntry[];
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Moves the due date and response deadline of a planned (predictive) order to the latest forecast. */
  reschedule(id: string, dueAt: number, respondBy: number): void {
    this.db.prepare('UPDATE work_orders SET due_at = ?, respond_by = ? WHERE id = ?').run(dueAt, respondBy, id);
  }
}
