/**
 * Head-office ingest against a real PostgreSQL: idempotent event application (same batch twice,
 * reversed order, split across calls), the seq guard on orders, the watermark, gaps opened and
 * closed, rejected envelopes stored with their reason, rollups idempotent with exact hourly sums.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPool, type Db } from '../../hq/db/pool.js';
import { migrate } from '../../hq/db/migrate.js';
import { applyEvents, applyRollups } from '../../hq/ingest/apply.js';
import { checkGaps } from '../../hq/ingest/gaps.js';
import { parseEvent } from '../../hq/ingest/validate.js';
import type { SiteEvent } from '../../gateway/core/envelope.js';
import { startPostgres, type PostgresHandle } from '../../tools/postgres.js';
import { T0, alarm, envelope, order, rollup, status } from './fixtures.js';

let pgServer: PostgresHandle;
let pool: Db;

beforeAll(async () => {
  pgServer = await startPostgres();
  pool = createPool(pgServer.url);
  // Two processes starting at once: each migration is applied once.
  const [a, b] = await Promise.all([migrate(pool), migrate(pool)]);
  expect([...a, ...b].sort()).toEqual(['001_core', '002_rollups', '003_equipment']);
});
afterAll(async () => {
  await pool?.end();
  await pgServer?.stop();
});

const STATE_TABLES = ['estates', 'events', 'alarms', 'orders', 'ledger', 'escalations', 'gaps', 'rejected'];
beforeEach(async () => {
  await pool.query(`TRUNCATE ${STATE_TABLES.join(', ')}, rollups, rollups_hourly, commands`);
});

async function snapshot(): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of STATE_TABLES) {
    const { rows } = await pool.query(`SELECT * FROM ${t} ORDER BY 1, 2`);
    out[t] = rows.map((r: Record<string, unknown>) => {
      const { received_at: _r, last_heard_at: _h, behind_since: _b, ...rest } = r;
      return rest;
    });
  }
  return out;
}

async function apply(events: SiteEvent[], now = T0 + 10_000) {
  const c = await pool.connect();
  try {
    return await applyEvents(c, events, { now });
  } finally {
    c.release();
  }
}

function storyOf(site: string): SiteEvent[] {
  const id = `00000000-0000-4000-8000-${site === 'a' ? '00000000000a' : '00000000000b'}`;
  return [
    status(site, 1),
    envelope(site, 2, 'alarm.raised', { ...alarm({ id: `${site}-al-1`, workOrderId: id }), equipment: 'pump' }),
    envelope(site, 3, 'order.created', { ...order({ id, number: `WO-${site.toUpperCase()}-20261103-0001` }), action: 'created', equipment: 'pump' }),
    envelope(site, 4, 'order.changed', { ...order({ id, number: `WO-${site.toUpperCase()}-20261103-0001`, status: 'accepted', respondedAt: T0 + 600_000, assignee: 'li' }), action: 'accepted' }),
    envelope(site, 5, 'order.ledger', { seq: 1, orderId: id, time: T0 + 700_000, personnel: ['li'], tools: ['gauge'], result: 'valve reseated', safetyMeasures: 'isolated', recordedAt: T0 + 700_000, recordedBy: 'li' }),
    envelope(site, 6, 'alarm.changed', alarm({ id: `${site}-al-1`, state: 'normal', clearedAt: T0 + 800_000, workOrderId: id })),
    envelope(site, 7, 'order.escalated', { orderId: id, number: `WO-${site.toUpperCase()}-20261103-0001`, device: 'pump-1', category: 'water', priority: 'urgent', deadline: 'on_site', dueAt: T0 + 7_200_000, ts: T0 + 7_200_000 }),
    envelope(site, 8, 'order.changed', { ...order({ id, number: `WO-${site.toUpperCase()}-20261103-0001`, status: 'resolved', respondedAt: T0 + 600_000, resolvedAt: T0 + 900_000, assignee: 'li' }), action: 'resolved' }),
  ];
}

describe('applyEvents', () => {
  it('applies an estate story into state tables and moves the watermark', async () => {
    const r = await apply([...storyOf('a'), ...storyOf('b')]);
    expect(r).toMatchObject({ applied: 16, duplicates: 0, rejected: 0 });
    const { rows: orders } = await pool.query('SELECT site, status, assignee, seq, responded_at, doc FROM orders ORDER BY site');
    expect(orders).toMatchObject([
      { site: 'a', status: 'resolved', assignee: 'li', seq: 8, responded_at: T0 + 600_000 },
      { site: 'b', status: 'resolved', seq: 8 },
    ]);
    expect(orders[0].doc).not.toHaveProperty('site');
    expect(orders[0].doc).not.toHaveProperty('action');
    expect(orders[0].doc).not.toHaveProperty('equipment');
    const { rows: estates } = await pool.query('SELECT site, name, code, url, last_seq, watermark, status FROM estates ORDER BY site');
    expect(estates[0]).toMatchObject({ site: 'a', name: 'Estate a', code: 'A', url: 'http://a.example', last_seq: 8, watermark: 8 });
    expect(estates[0].status).toMatchObject({ devices: 10, offline: 1 });
    expect((await pool.query('SELECT state, equipment FROM alarms WHERE id = $1', ['a-al-1'])).rows).toEqual([{ state: 'normal', equipment: 'pump' }]);
    // Later events of the story name no type: the one the order was created with stays.
    expect((await pool.query('SELECT site, equipment FROM orders ORDER BY site')).rows).toEqual([{ site: 'a', equipment: 'pump' }, { site: 'b', equipment: 'pump' }]);
    expect((await pool.query('SELECT count(*)::int AS n FROM ledger')).rows[0].n).toBe(2);
    expect((await pool.query('SELECT count(*)::int AS n FROM escalations')).rows[0].n).toBe(2);
  });

  it('is idempotent: the same batch twice, reversed, or split in any order gives identical tables', async () => {
    const events = [...storyOf('a'), ...storyOf('b')];
    await apply(events);
    const once = await snapshot();
    const again = await apply(events);
    expect(again).toMatchObject({ applied: 0, duplicates: 16 });
    expect(await snapshot()).toEqual(once);

    await pool.query(`TRUNCATE ${STATE_TABLES.join(', ')}`);
    await apply([...events].reverse());
    expect(await snapshot()).toEqual(once);

    await pool.query(`TRUNCATE ${STATE_TABLES.join(', ')}`);
    // One event per call, newest first: the worst order several consumers could produce.
    for (const e of [...events].reverse()) await apply([e]);
    expect(await snapshot()).toEqual(once);
  });

  it('never lets an older event overwrite a newer order state (seq guard)', async () => {
    const id = '00000000-0000-4000-8000-0000000000cc';
    const newer = envelope('a', 5, 'order.changed', { ...order({ id, status: 'on_site', onSiteAt: T0 + 1000 }), action: 'on_site' });
    const older = envelope('a', 3, 'order.changed', { ...order({ id, status: 'accepted' }), action: 'accepted' });
    await apply([newer]);
    await apply([older]);
    const { rows } = await pool.query('SELECT status, seq, last_action FROM orders WHERE id = $1', [id]);
    expect(rows).toEqual([{ status: 'on_site', seq: 5, last_action: 'on_site' }]);
    // Another estate cannot take over an order id.
    await apply([envelope('b', 9, 'order.changed', { ...order({ id, status: 'closed' }), action: 'closed' })]);
    expect((await pool.query('SELECT site, status FROM orders WHERE id = $1', [id])).rows).toEqual([{ site: 'a', status: 'on_site' }]);
  });

  it("keeps an order's equipment type whatever the order of arrival, and takes the newest one named", async () => {
    const id = '00000000-0000-4000-8000-0000000000dd';
    const created = envelope('a', 3, 'order.created', { ...order({ id, device: 'gen-1', fault: 'battery_low' }), action: 'created', equipment: 'generator' });
    const accepted = envelope('a', 4, 'order.changed', { ...order({ id, device: 'gen-1', fault: 'battery_low', status: 'accepted' }), action: 'accepted' });
    const equipmentOf = async () => (await pool.query('SELECT status, equipment FROM orders WHERE id = $1', [id])).rows[0];
    await apply([created]);
    await apply([accepted]);
    expect(await equipmentOf()).toEqual({ status: 'accepted', equipment: 'generator' });
    // The newer event first, then the older one that names the type: the seq guard keeps the
    // newer state, the type is still filled in.
    await pool.query('TRUNCATE events, orders, estates');
    await apply([accepted]);
    expect(await equipmentOf()).toEqual({ status: 'accepted', equipment: null });
    await apply([created]);
    expect(await equipmentOf()).toEqual({ status: 'accepted', equipment: 'generator' });
    // A device retyped in the estate's config: the newest event naming a type wins.
    await apply([envelope('a', 5, 'order.changed', { ...order({ id, device: 'gen-1', fault: 'battery_low', status: 'dispatched' }), action: 'dispatched', equipment: 'fire_panel' })]);
    expect(await equipmentOf()).toEqual({ status: 'dispatched', equipment: 'fire_panel' });
  });

  it('keeps the watermark right when two processes apply one estate concurrently', async () => {
    const events = Array.from({ length: 60 }, (_, i) => envelope('a', i + 1, 'alarm.raised', alarm({ id: `al-${i + 1}` })));
    const chunks = [0, 1, 2, 3].map((k) => events.filter((e) => e.seq % 4 === k));
    const clients = await Promise.all(chunks.map(() => pool.connect()));
    try {
      // Interleaved: each chunk applied in small pieces, all four connections at once.
      await Promise.all(chunks.map(async (chunk, k) => {
        for (let i = 0; i < chunk.length; i += 3) await applyEvents(clients[k]!, chunk.slice(i, i + 3), { now: T0 });
      }));
    } finally {
      for (const c of clients) c.release();
    }
    expect((await pool.query("SELECT last_seq, watermark, behind_since FROM estates WHERE site = 'a'")).rows).toEqual([{ last_seq: 60, watermark: 60, behind_since: null }]);
  });

  it('opens a gap after the grace period and closes it when the hole is filled', async () => {
    const events = storyOf('a');
    const missing = events.filter((e) => e.seq === 4 || e.seq === 5);
    await apply(events.filter((e) => !missing.includes(e)), T0);
    expect((await pool.query("SELECT last_seq, watermark FROM estates WHERE site = 'a'")).rows).toEqual([{ last_seq: 8, watermark: 3 }]);

    const early = await checkGaps(pool, { graceMs: 30_000, now: T0 + 10_000 });
    expect(early).toMatchObject({ opened: [], open: 0, ran: true });
    const late = await checkGaps(pool, { graceMs: 30_000, now: T0 + 31_000 });
    expect(late.opened).toEqual([{ site: 'a', from: 4, to: 5, detectedAt: T0 + 31_000 }]);
    expect(late.open).toBe(1);
    expect((await checkGaps(pool, { graceMs: 30_000, now: T0 + 40_000 })).opened).toEqual([]);

    await apply(missing, T0 + 50_000);
    expect((await pool.query("SELECT watermark, behind_since FROM estates WHERE site = 'a'")).rows).toEqual([{ watermark: 8, behind_since: null }]);
    expect((await pool.query('SELECT from_seq, to_seq, closed_at FROM gaps')).rows).toEqual([{ from_seq: 4, to_seq: 5, closed_at: T0 + 50_000 }]);
    expect((await checkGaps(pool, { graceMs: 30_000, now: T0 + 60_000 })).open).toBe(0);
  });

  it('stores rejected envelopes with the reason and applies the rest of the batch', async () => {
    const good = status('a', 1);
    const unknownSchema = { ...status('a', 2), schema: 99 };
    const badType = { ...status('a', 3), type: 'order.deleted' } as unknown as SiteEvent;
    const badEquipment = envelope('a', 4, 'order.created', { ...order({ id: 'o-bad-type' }), action: 'created', equipment: 42 });
    const r = await apply([good, unknownSchema, badType, badEquipment]);
    expect(r).toMatchObject({ applied: 1, rejected: 3 });

    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    const wrongSubject = parseEvent('ESTATE_EVENTS', 'estate.b.events.site.status', enc(status('a', 4)), 'a:4');
    const notJson = parseEvent('ESTATE_EVENTS', 'estate.a.events.site.status', new TextEncoder().encode('{oops'), 'x');
    expect(wrongSubject.ok).toBe(false);
    expect(notJson.ok).toBe(false);
    const rejects = [wrongSubject, notJson].flatMap((p) => (p.ok ? [] : [p.rejection]));
    const c = await pool.connect();
    try {
      await applyEvents(c, [], { rejects });
    } finally {
      c.release();
    }
    const { rows } = await pool.query('SELECT site, subject, reason FROM rejected ORDER BY id');
    expect(rows.map((x: { reason: string }) => x.reason)).toEqual([
      'unknown schema 99 (this head office reads 1)',
      'unknown event type "order.deleted"',
      'data.equipment of order.created must be a string',
      'site "a" differs from the subject\'s site "b"',
      'payload is not JSON',
    ]);
    expect((await pool.query('SELECT count(*)::int AS n FROM events')).rows[0].n).toBe(1);
    expect((await pool.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(0);
  });
});

describe('applyRollups', () => {
  it('is idempotent per (site, device, point, minute) and keeps hourly sums exact', async () => {
    const m0 = Math.floor(T0 / 3_600_000) * 3_600_000;
    const row = (mean: number) => ({ device: 'pump-1', equipment: 'pump', point: 'vibration', min: mean - 1, mean, max: mean + 1, count: 60 });
    const batches = [rollup('a', m0, [row(2)]), rollup('a', m0 + 60_000, [row(4)]), rollup('b', m0, [row(10)])];
    const c = await pool.connect();
    try {
      expect(await applyRollups(c, batches)).toMatchObject({ rows: 3, inserted: 3 });
      expect(await applyRollups(c, [...batches].reverse())).toMatchObject({ rows: 3, inserted: 0 });
      // A new day gets its partition on first write.
      await applyRollups(c, [rollup('a', m0 + 86_400_000, [row(6)])]);
    } finally {
      c.release();
    }
    const { rows } = await pool.query('SELECT site, hour, min, sum, max, count FROM rollups_hourly ORDER BY site, hour');
    expect(rows).toEqual([
      { site: 'a', hour: m0, min: 1, sum: 360, max: 5, count: 120 },
      { site: 'a', hour: m0 + 86_400_000, min: 5, sum: 360, max: 7, count: 60 },
      { site: 'b', hour: m0, min: 9, sum: 600, max: 11, count: 60 },
    ]);
    expect((await pool.query("SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'rollups'::regclass")).rows[0].n).toBe(2);
  });
});
