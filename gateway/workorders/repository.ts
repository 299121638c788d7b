/**
 * Work orders, their occurrences and the append-only audit trail (seed 2.1: request ledger;
 * seed 8.x: immutable audit). A partial unique index guarantees one open order per device and
 * fault even if two alarms race.
 */
import type { WorkOrder } from '../core/model.js';
import type { Db } from '../storage/sqlite.js';

export const WORK_ORDER_SCHEMA = `
CREATE TABLE IF NOT EXISTS work_orders (
  id TEXT PRIMARY KEY, number TEXT NOT NULL UNIQUE, device TEXT, fault TEXT NOT NULL, category TEXT NOT NULL,
  priority TEXT NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL,
  fault_at INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  respond_by INTEGER NOT NULL, on_site_by INTEGER, responded_at INTEGER, on_site_at INTEGER,
  occurrences INTEGER NOT NULL DEFAULT 1, assignee TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS work_orders_one_open ON work_orders(device, fault)
  WHERE status NOT IN ('closed', 'cancelled') AND device IS NOT NULL;
CREATE TABLE IF NOT EXISTS work_order_alarms (order_id TEXT NOT NULL, alarm_id TEXT NOT NULL UNIQUE, ts INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS work_order_audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, ts INTEGER NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL, from_status TEXT, to_status TEXT, detail TEXT);
CREATE TRIGGER IF NOT EXISTS work_order_audit_immutable BEFORE UPDATE ON work_order_audit
  BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS work_order_audit_undeletable BEFORE DELETE ON work_order_audit
  BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
`;

interface Row {
  id: string; number: string; device: string | null; fault: string; category: WorkOrder['category'];
  priority: WorkOrder['priority']; source: WorkOrder['source']; title: string; status: WorkOrder['status'];
  fault_at: number; created_at: number; updated_at: number; respond_by: number; on_site_by: number | null;
  responded_at: number | null; on_site_at: number | null; occurrences: number; assignee: string | null;
}

const toOrder = (r: Row): WorkOrder => ({
  id: r.id, number: r.number, device: r.device, fault: r.fault, category: r.category, priority: r.priority,
  source: r.source, title: r.title, status: r.status, faultAt: r.fault_at, createdAt: r.created_at,
  updatedAt: r.updated_at, respondBy: r.respond_by, onSiteBy: r.on_site_by, respondedAt: r.responded_at,
  onSiteAt: r.on_site_at, occurrences: r.occurrences, assignee: r.assignee,
});

export interface AuditEntry {
  ts: number;
  actor: string;
  action: string;
  from: string | null;
  to: string | null;
  detail: string | null;
}

export class WorkOrderRepository {
  constructor(readonly db: Db) {
    db.exec(WORK_ORDER_SCHEMA);
  }

  insert(o: WorkOrder): void {
    this.db
      .prepare(`INSERT INTO work_orders (id, number, device, fault, category, priority, source, title, status, fault_at,
                created_at, updated_at, respond_by, on_site_by, responded_at, on_site_at, occurrences, assignee)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(o.id, o.number, o.device, o.fault, o.category, o.priority, o.source, o.title, o.status, o.faultAt,
        o.createdAt, o.updatedAt, o.respondBy, o.onSiteBy, o.respondedAt, o.onSiteAt, o.occurrences, o.assignee);
  }

  update(o: WorkOrder): void {
    this.db
      .prepare(`UPDATE work_orders SET status = ?, updated_at = ?, responded_at = ?, on_site_at = ?, occurrences = ?,
                assignee = ? WHERE id = ?`)
      .run(o.status, o.updatedAt, o.respondedAt, o.onSiteAt, o.occurrences, o.assignee, o.id);
  }

  get(id: string): WorkOrder | undefined {
    const row = this.db.prepare('SELECT * FROM work_orders WHERE id = ? OR number = ?').get(id, id) as Row | undefined;
    return row && toOrder(row);
  }

  openFor(device: string, fault: string): WorkOrder | undefined {
    const row = this.db
      .prepare("SELECT * FROM work_orders WHERE device = ? AND fault = ? AND status NOT IN ('closed', 'cancelled')")
      .get(device, fault) as Row | undefined;
    return row && toOrder(row);
  }

  list(opts: { limit: number; device?: string; open?: boolean }): WorkOrder[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (opts.device) { where.push('device = ?'); args.push(opts.device); }
    if (opts.open) where.push("status NOT IN ('closed', 'cancelled')");
    const sql = `SELECT * FROM work_orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, opts.limit) as Row[]).map(toOrder);
  }

  openCount(device: string): number {
    return (this.db
      .prepare("SELECT COUNT(*) AS n FROM work_orders WHERE device = ? AND status NOT IN ('closed', 'cancelled')")
      .get(device) as { n: number }).n;
  }

  /** Next number of the day: WO-YYYYMMDD-NNNN. */
  nextNumber(now: number): string {
    const day = new Date(now).toISOString().slice(0, 10).replace(/-/g, '');
    const prefix = `WO-${day}-`;
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
}
