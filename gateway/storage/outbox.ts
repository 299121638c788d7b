/**
 * The estate's outbox (docs/design.md §7, docs/head-office.md): every event describing a state change
 * is inserted here by the repository that makes the change, inside the same SQLite transaction,
 * so an event exists if and only if its change was committed. `seq` is SQLite's AUTOINCREMENT
 * key: a rolled-back transaction rolls back its sequence number too, so seqs have no holes and a
 * hole seen at head office is a lost event.
 *
 * Rows stay until head office has acknowledged them and `keepSentDays` have passed (so a replay
 * is possible); unsent rows are never dropped: the outbox grows for as long as the disk allows.
 * Rollups (1-minute telemetry aggregates) have their own table, keyed by batch id.
 *
 * An alarm or order event about a device also carries the device's equipment type (`equipment`),
 * so head office names its fault as that type does (docs/head-office.md); events with no device,
 * or with a device the site does not list (system alarms), carry none.
 */
import type { Db } from './sqlite.js';
import { ENVELOPE_SCHEMA, type EventLog, type RollupBatch, type SiteEvent, type SiteEventType } from '../core/envelope.js';
import { migrate } from './migrations.js';

const OUTBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL, sent_at INTEGER);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox(seq) WHERE sent_at IS NULL;
CREATE TABLE IF NOT EXISTS outbox_rollups (
  id TEXT PRIMARY KEY, minute INTEGER NOT NULL, data TEXT NOT NULL, sent_at INTEGER);
CREATE INDEX IF NOT EXISTS outbox_rollups_unsent ON outbox_rollups(minute) WHERE sent_at IS NULL;
`;

interface EventRow { seq: number; type: SiteEventType; at: number; data: string }

/** Event types whose `data.device` names a device of the site: they carry its equipment type. */
const DEVICE_EVENTS: ReadonlySet<SiteEventType> = new Set(['alarm.raised', 'alarm.changed', 'order.created', 'order.changed']);

export interface OutboxBacklog {
  /** Events not yet acknowledged by head office. */
  events: number;
  /** Commit time of the oldest of them, or null. */
  oldestAt: number | null;
  rollups: number;
  /** Highest seq written so far (0 before the first event). */
  lastSeq: number;
}

export class Outbox implements EventLog {
  private readonly insert;
  private readonly unsent;
  private readonly range;

  constructor(
    private readonly db: Db,
    readonly site: string,
    private readonly now: () => number = Date.now,
    /** The equipment type of a device of the site (config `devices[].type`), undefined for any other id. */
    private readonly equipmentOf: (device: string) => string | undefined = () => undefined,
  ) {
    migrate(db, 'outbox', [OUTBOX_SCHEMA]);
    this.insert = db.prepare('INSERT INTO outbox (type, at, data) VALUES (?, ?, ?)');
    this.unsent = db.prepare('SELECT seq, type, at, data FROM outbox WHERE sent_at IS NULL AND seq > ? ORDER BY seq LIMIT ?');
    this.range = db.prepare('SELECT seq, type, at, data FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?');
  }

  /** Called after each append (inside the transaction: defer any work that reads the outbox). */
  onAppend: (() => void) | null = null;

  append(type: SiteEventType, data: object): void {
    const device = DEVICE_EVENTS.has(type) ? (data as { device?: unknown }).device : undefined;
    const equipment = typeof device === 'string' ? this.equipmentOf(device) : undefined;
    this.insert.run(type, this.now(), JSON.stringify({ ...data, site: this.site, ...(equipment ? { equipment } : {}) }));
    this.onAppend?.();
  }

  /** Unsent events after `afterSeq`, in seq order. With `all`, sent ones too (a replay). */
  next(afterSeq: number, limit: number, all = false): SiteEvent[] {
    return ((all ? this.range : this.unsent).all(afterSeq, limit) as EventRow[]).map((r) => this.envelope(r));
  }

  /** Marks every event up to `seq` as acknowledged by head office. */
  markSent(upToSeq: number, at = this.now()): void {
    this.db.prepare('UPDATE outbox SET sent_at = ? WHERE seq <= ? AND sent_at IS NULL').run(at, upToSeq);
  }

  appendRollups(batch: RollupBatch): void {
    this.db.prepare('INSERT OR REPLACE INTO outbox_rollups (id, minute, data, sent_at) VALUES (?, ?, ?, NULL)')
      .run(batch.id, batch.minute, JSON.stringify(batch));
  }

  nextRollups(limit: number): RollupBatch[] {
    return (this.db.prepare('SELECT data FROM outbox_rollups WHERE sent_at IS NULL ORDER BY minute, id LIMIT ?').all(limit) as { data: string }[])
      .map((r) => JSON.parse(r.data) as RollupBatch);
  }

  markRollupSent(id: string, at = this.now()): void {
    this.db.prepare('UPDATE outbox_rollups SET sent_at = ? WHERE id = ?').run(at, id);
  }

  backlog(): OutboxBacklog {
    const e = this.db.prepare('SELECT COUNT(*) AS n, MIN(at) AS oldest FROM outbox WHERE sent_at IS NULL').get() as { n: number; oldest: number | null };
    const r = this.db.prepare('SELECT COUNT(*) AS n FROM outbox_rollups WHERE sent_at IS NULL').get() as { n: number };
    const last = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").get() as { seq: number } | undefined;
    return { events: e.n, oldestAt: e.oldest, rollups: r.n, lastSeq: last?.seq ?? 0 };
  }

  /** Deletes rows acknowledged more than `keepMs` ago. Unsent rows are never deleted. */
  prune(keepMs: number, now = this.now()): number {
    const cut = now - keepMs;
    return this.db.prepare('DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?').run(cut).changes
      + this.db.prepare('DELETE FROM outbox_rollups WHERE sent_at IS NOT NULL AND sent_at < ?').run(cut).changes;
  }

  private envelope(r: EventRow): SiteEvent {
    return { id: `${this.site}:${r.seq}`, site: this.site, seq: r.seq, type: r.type, schema: ENVELOPE_SCHEMA, at: r.at, data: JSON.parse(r.data) as unknown };
  }
}
