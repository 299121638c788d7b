/**
 * Derived state from newly inserted events: alarms, orders, ledger, escalations, estate status
 * and command answers. Every row carries the seq of the event that wrote it and an upsert only
 * wins when its seq is higher (`WHERE t.seq < EXCLUDED.seq`), so events applied twice, late or in
 * any order leave the same rows. Within one call each entity keeps only its newest event (one
 * multi-row upsert may not touch a row twice).
 *
 * An alarm's or order's `equipment` (its device's type, docs/head-office.md) is the one the newest
 * event names: an event without it (a device-less order, an older gateway) never erases a known
 * type, and an older event that names one fills a row whose newer events did not (`fillEquipment`).
 */
import type { SiteEvent } from '../../gateway/core/envelope.js';
import type { Alarm, EscalationEvent, LedgerEntry, WorkOrder } from '../../gateway/core/model.js';
import type { DbClient } from '../db/pool.js';

type Data = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Newest event per key (highest seq). */
function newest(events: SiteEvent[], key: (e: SiteEvent) => string): SiteEvent[] {
  const by = new Map<string, SiteEvent>();
  for (const e of events) {
    const k = key(e);
    const prev = by.get(k);
    if (!prev || prev.seq < e.seq) by.set(k, e);
  }
  return [...by.values()];
}

/** Fields kept in columns of their own rather than in `doc`. */
const NOT_IN_DOC = ['site', 'equipment'];

function withoutEnvelopeFields(d: Data, drop: string[]): Data {
  const out: Data = {};
  for (const [k, v] of Object.entries(d)) if (!drop.includes(k)) out[k] = v;
  return out;
}

async function upsertAlarms(db: DbClient, events: SiteEvent[]): Promise<void> {
  const rows = newest(events, (e) => String((e.data as Data).id)).map((e) => {
    const a = e.data as Alarm & { site: string };
    return {
      id: a.id, site: e.site, seq: e.seq, device: a.device, fault: a.fault, severity: a.severity, category: a.category,
      state: a.state, raised_at: a.raisedAt, cleared_at: num(a.clearedAt), work_order_id: str(a.workOrderId),
      equipment: str((a as unknown as Data).equipment), doc: withoutEnvelopeFields(a as unknown as Data, NOT_IN_DOC),
    };
  });
  if (!rows.length) return;
  await db.query(
    `INSERT INTO alarms (id, site, seq, device, fault, severity, category, state, raised_at, cleared_at, work_order_id, equipment, doc)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, site text, seq bigint, device text, fault text, severity text,
       category text, state text, raised_at bigint, cleared_at bigint, work_order_id text, equipment text, doc jsonb)
     ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, device = EXCLUDED.device, fault = EXCLUDED.fault,
       severity = EXCLUDED.severity, category = EXCLUDED.category, state = EXCLUDED.state, raised_at = EXCLUDED.raised_at,
       cleared_at = EXCLUDED.cleared_at, work_order_id = EXCLUDED.work_order_id,
       equipment = COALESCE(EXCLUDED.equipment, alarms.equipment), doc = EXCLUDED.doc
     WHERE alarms.seq < EXCLUDED.seq AND alarms.site = EXCLUDED.site`,
    [JSON.stringify(rows)],
  );
  await fillEquipment(db, 'alarms', events);
}

/**
 * Gives rows that have no equipment type yet the type of the newest event in `events` naming one:
 * an older event applied after a newer one without the type, which the seq guard above skipped.
 */
async function fillEquipment(db: DbClient, table: 'alarms' | 'orders', events: SiteEvent[]): Promise<void> {
  const named = events.filter((e) => str((e.data as Data).equipment));
  const rows = newest(named, (e) => String((e.data as Data).id))
    .map((e) => ({ id: String((e.data as Data).id), site: e.site, equipment: str((e.data as Data).equipment) }));
  if (!rows.length) return;
  await db.query(
    `UPDATE ${table} t SET equipment = x.equipment
     FROM jsonb_to_recordset($1::jsonb) AS x(id text, site text, equipment text)
     WHERE t.id = x.id AND t.site = x.site AND t.equipment IS NULL`,
    [JSON.stringify(rows)],
  );
}

async function upsertOrders(db: DbClient, events: SiteEvent[]): Promise<void> {
  const rows = newest(events, (e) => String((e.data as Data).id)).map((e) => {
    const o = e.data as WorkOrder & { site: string; action?: string };
    return {
      id: o.id, site: e.site, seq: e.seq, number: o.number, device: str(o.device), fault: o.fault, category: o.category,
      priority: o.priority, source: o.source, title: o.title, status: o.status, assignee: str(o.assignee),
      fault_at: o.faultAt, created_at: o.createdAt, updated_at: o.updatedAt, respond_by: o.respondBy, on_site_by: num(o.onSiteBy),
      responded_at: num(o.respondedAt), on_site_at: num(o.onSiteAt), resolved_at: num(o.resolvedAt), closed_at: num(o.closedAt),
      due_at: num(o.dueAt), rating: num(o.feedback?.rating), last_action: str(o.action) ?? (e.type === 'order.created' ? 'created' : null),
      equipment: str((o as unknown as Data).equipment), doc: withoutEnvelopeFields(o as unknown as Data, [...NOT_IN_DOC, 'action']),
    };
  });
  if (!rows.length) return;
  const cols = ['number', 'device', 'fault', 'category', 'priority', 'source', 'title', 'status', 'assignee', 'fault_at', 'created_at',
    'updated_at', 'respond_by', 'on_site_by', 'responded_at', 'on_site_at', 'resolved_at', 'closed_at', 'due_at', 'rating', 'last_action', 'doc'];
  await db.query(
    `INSERT INTO orders (id, site, seq, equipment, ${cols.join(', ')})
     SELECT id, site, seq, equipment, ${cols.join(', ')} FROM jsonb_to_recordset($1::jsonb) AS x(id text, site text, seq bigint, number text,
       device text, fault text, category text, priority text, source text, title text, status text, assignee text, fault_at bigint,
       created_at bigint, updated_at bigint, respond_by bigint, on_site_by bigint, responded_at bigint, on_site_at bigint,
       resolved_at bigint, closed_at bigint, due_at bigint, rating smallint, last_action text, equipment text, doc jsonb)
     ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, ${cols.map((c) => `${c} = EXCLUDED.${c}`).join(', ')},
       equipment = COALESCE(EXCLUDED.equipment, orders.equipment)
     WHERE orders.seq < EXCLUDED.seq AND orders.site = EXCLUDED.site`,
    [JSON.stringify(rows)],
  );
  await fillEquipment(db, 'orders', events);
}

async function insertLedger(db: DbClient, events: SiteEvent[]): Promise<void> {
  const rows = events.map((e) => {
    const l = e.data as LedgerEntry & { site: string };
    return { order_id: l.orderId, entry_seq: l.seq, site: e.site, time: l.time, doc: withoutEnvelopeFields(l as unknown as Data, ['site']) };
  });
  if (!rows.length) return;
  await db.query(
    `INSERT INTO ledger (order_id, entry_seq, site, time, doc)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(order_id text, entry_seq integer, site text, time bigint, doc jsonb)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

async function insertEscalations(db: DbClient, events: SiteEvent[]): Promise<void> {
  const rows = events.map((e) => {
    const x = e.data as EscalationEvent & { site: string };
    return { order_id: x.orderId, deadline: x.deadline, site: e.site, number: x.number, due_at: x.dueAt, ts: x.ts, doc: withoutEnvelopeFields(x as unknown as Data, ['site']) };
  });
  if (!rows.length) return;
  await db.query(
    `INSERT INTO escalations (order_id, deadline, site, number, due_at, ts, doc)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(order_id text, deadline text, site text, number text, due_at bigint, ts bigint, doc jsonb)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

async function updateStatus(db: DbClient, events: SiteEvent[]): Promise<void> {
  const rows = newest(events, (e) => e.site).map((e) => {
    const d = e.data as Data;
    return { site: e.site, seq: e.seq, at: e.at, name: str(d.name), code: str(d.code), url: str(d.url), status: withoutEnvelopeFields(d, ['site']) };
  });
  if (!rows.length) return;
  await db.query(
    `UPDATE estates e SET status = x.status, status_seq = x.seq, status_at = x.at,
       name = COALESCE(e.name, x.name), code = COALESCE(e.code, x.code), url = COALESCE(e.url, x.url)
     FROM jsonb_to_recordset($1::jsonb) AS x(site text, seq bigint, at bigint, name text, code text, url text, status jsonb)
     WHERE e.site = x.site AND e.status_seq < x.seq`,
    [JSON.stringify(rows)],
  );
}

async function answerCommands(db: DbClient, events: SiteEvent[]): Promise<void> {
  const rows = events.map((e) => {
    const d = e.data as Data;
    return {
      id: String(d.command), site: e.site, status: e.type === 'command.applied' ? 'applied' : 'refused', at: e.at,
      code: str(d.code), reason: str(d.reason), order_id: str(d.orderId), order_number: str(d.number),
    };
  }).filter((r) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(r.id));
  if (!rows.length) return;
  // The first answer wins; a repeated answer (replay) changes nothing.
  await db.query(
    `UPDATE commands c SET status = x.status, code = x.code, reason = x.reason, order_id = COALESCE(x.order_id, c.order_id),
       order_number = x.order_number, answered_at = x.at
     FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, site text, status text, at bigint, code text, reason text, order_id text, order_number text)
     WHERE c.id = x.id AND c.site = x.site AND c.status = 'pending'`,
    [JSON.stringify(rows)],
  );
}

/** Applies the state carried by `events` (already inserted into `events`, so each is new). */
export async function applyState(db: DbClient, events: SiteEvent[]): Promise<void> {
  const of = (...types: string[]) => events.filter((e) => types.includes(e.type));
  await upsertAlarms(db, of('alarm.raised', 'alarm.changed'));
  await upsertOrders(db, of('order.created', 'order.changed'));
  await insertLedger(db, of('order.ledger'));
  await insertEscalations(db, of('order.escalated'));
  await updateStatus(db, of('site.status'));
  await answerCommands(db, of('command.applied', 'command.refused'));
}
