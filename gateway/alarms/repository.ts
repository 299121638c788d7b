/**
 * Alarm records in the embedded database: every alarm ever raised is kept (alarm history). Each
 * carries its estate, and each write appends its event to the event log (the uplink outbox) in
 * the same transaction (docs/head-office.md).
 */
import { NO_EVENT_LOG, type EventLog } from '../core/envelope.js';
import type { Alarm, AlarmState } from '../core/model.js';
import type { Db } from '../storage/sqlite.js';
import { addColumns, migrate } from '../storage/migrations.js';

const ALARM_SCHEMA = `
CREATE TABLE IF NOT EXISTS alarms (
  id TEXT PRIMARY KEY, device TEXT NOT NULL, rule TEXT NOT NULL, fault TEXT NOT NULL,
  severity TEXT NOT NULL, category TEXT NOT NULL, message TEXT NOT NULL, state TEXT NOT NULL,
  value TEXT, raised_at INTEGER NOT NULL, cleared_at INTEGER, acked_at INTEGER, acked_by TEXT, ack_comment TEXT);
CREATE INDEX IF NOT EXISTS alarms_raised ON alarms(raised_at);
CREATE INDEX IF NOT EXISTS alarms_state ON alarms(state);
`;

/** Columns added after the first release (added in place on an older database). */
const ADDED_COLUMNS: readonly [string, string][] = [
  ['shelved_until', 'INTEGER'], ['shelved_by', 'TEXT'], ['shelve_comment', 'TEXT'],
  // 1 when raised while shelved: such an alarm never makes an order on its own.
  ['suppressed', 'INTEGER NOT NULL DEFAULT 0'],
  // Estate identity (rows from before it get this gateway's estate at start).
  ['site', 'TEXT'],
];

interface Row {
  id: string; site: string; device: string; rule: string; fault: string; severity: Alarm['severity'];
  category: Alarm['category']; message: string; state: AlarmState; value: string | null;
  raised_at: number; cleared_at: number | null; acked_at: number | null; acked_by: string | null;
  shelved_until: number | null;
}

const toAlarm = (r: Row): Alarm => ({
  id: r.id, site: r.site, device: r.device, rule: r.rule, fault: r.fault, severity: r.severity, category: r.category,
  message: r.message, state: r.state, value: r.value === null ? null : (JSON.parse(r.value) as Alarm['value']),
  raisedAt: r.raised_at, clearedAt: r.cleared_at, ackedAt: r.acked_at, ackedBy: r.acked_by, workOrderId: null,
  shelvedUntil: r.shelved_until ?? null,
});

export class AlarmRepository {
  private readonly events: EventLog;

  constructor(private readonly db: Db, readonly site = 'local', events?: EventLog) {
    this.events = events ?? NO_EVENT_LOG;
    migrate(db, 'alarms', [ALARM_SCHEMA, addColumns('alarms', ADDED_COLUMNS)]);
    db.prepare('UPDATE alarms SET site = ? WHERE site IS NULL').run(site);
  }

  insert(a: Alarm): void {
    this.db.transaction(() => {
      this.db
        .prepare(`INSERT INTO alarms (id, site, device, rule, fault, severity, category, message, state, value, raised_at, shelved_until, suppressed)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(a.id, a.site, a.device, a.rule, a.fault, a.severity, a.category, a.message, a.state, JSON.stringify(a.value), a.raisedAt,
          a.shelvedUntil ?? null, a.shelvedUntil ? 1 : 0);
      this.events.append('alarm.raised', a);
    })();
  }

  update(a: Alarm, ackComment?: string): void {
    this.changed(a.id, () => this.db
      .prepare('UPDATE alarms SET state = ?, cleared_at = ?, acked_at = ?, acked_by = ?, ack_comment = COALESCE(?, ack_comment) WHERE id = ?')
      .run(a.state, a.clearedAt, a.ackedAt, a.ackedBy, ackComment ?? null, a.id));
  }

  shelve(id: string, until: number, by: string, comment: string | null): void {
    this.changed(id, () => this.db.prepare('UPDATE alarms SET shelved_until = ?, shelved_by = ?, shelve_comment = ? WHERE id = ?').run(until, by, comment, id));
  }

  unshelve(id: string): void {
    this.changed(id, () => this.db.prepare('UPDATE alarms SET shelved_until = NULL WHERE id = ?').run(id));
  }

  /** Runs one write and records the alarm's new state as an `alarm.changed` event, in one transaction. */
  private changed(id: string, write: () => unknown): void {
    this.db.transaction(() => {
      write();
      const a = this.get(id);
      if (a) this.events.append('alarm.changed', a);
    })();
  }

  /** Shelves still running at `now`, per rule and device (restored at start). */
  shelves(now: number): { rule: string; device: string; until: number }[] {
    return this.db
      .prepare('SELECT rule, device, MAX(shelved_until) AS until FROM alarms WHERE shelved_until > ? GROUP BY rule, device')
      .all(now) as { rule: string; device: string; until: number }[];
  }

  /**
   * Alarms that should have an order but have none: raised (not while shelved) and not linked,
   * which only happens when the process died between the two commits. Needs work_order_alarms.
   */
  withoutOrder(): Alarm[] {
    return (this.db
      .prepare(`SELECT * FROM alarms a WHERE a.suppressed = 0
                AND NOT EXISTS (SELECT 1 FROM work_order_alarms w WHERE w.alarm_id = a.id) ORDER BY raised_at`)
      .all() as Row[]).map(toAlarm);
  }

  /** Per rule and device, the time of the last raise or clear (the late-reading guard at start). */
  lastTransitions(): { rule: string; device: string; ts: number }[] {
    return this.db
      .prepare('SELECT rule, device, MAX(MAX(raised_at, COALESCE(cleared_at, 0))) AS ts FROM alarms GROUP BY rule, device')
      .all() as { rule: string; device: string; ts: number }[];
  }

  get(id: string): Alarm | undefined {
    const row = this.db.prepare('SELECT * FROM alarms WHERE id = ?').get(id) as Row | undefined;
    return row && toAlarm(row);
  }

  /** Alarms whose fault condition is still active (restored at start, so nothing is raised twice). */
  active(): Alarm[] {
    return (this.db.prepare("SELECT * FROM alarms WHERE state IN ('active_unack', 'active_ack')").all() as Row[]).map(toAlarm);
  }

  /** Alarms raised in [from, to) and not suppressed, counted by category and severity (monthly archive). */
  countsBetween(from: number, to: number): { category: string; severity: string; n: number }[] {
    return this.db
      .prepare('SELECT category, severity, COUNT(*) AS n FROM alarms WHERE raised_at >= ? AND raised_at < ? AND suppressed = 0 GROUP BY category, severity')
      .all(from, to) as { category: string; severity: string; n: number }[];
  }

  list(opts: { limit: number; device?: string; state?: AlarmState }): Alarm[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (opts.device) { where.push('device = ?'); args.push(opts.device); }
    if (opts.state) { where.push('state = ?'); args.push(opts.state); }
    const sql = `SELECT * FROM alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY raised_at DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, opts.limit) as Row[]).map(toAlarm);
  }

  /**
   * Per rule and device, the raise time and value and the clear time of every alarm raised within
   * `windowMs` of the rule's last one (the redelivery guard at start, gateway/alarms/engine.ts).
   */
  recentTransitions(windowMs: number): { rule: string; device: string; raisedAt: number; value: Alarm['value']; clearedAt: number | null }[] {
    return (this.db
      .prepare(`SELECT rule, device, raised_at, value, cleared_at FROM
                  (SELECT rule, device, raised_at, value, cleared_at, MAX(raised_at) OVER (PARTITION BY rule, device) AS last FROM alarms)
                WHERE raised_at >= last - ?`)
      .all(windowMs) as { rule: string; device: string; raised_at: number; value: string | null; cleared_at: number | null }[])
      .map((r) => ({ rule: r.rule, device: r.device, raisedAt: r.raised_at, value: r.value === null ? null : (JSON.parse(r.value) as Alarm['value']), clearedAt: r.cleared_at }));
  }
}
