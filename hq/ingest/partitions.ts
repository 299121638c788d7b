/**
 * Creates the partitions of `rollups` (one per UTC day) and `rollups_hourly` (one per UTC month)
 * on first write. A transaction-scoped advisory lock serializes creation between processes; a
 * process-local set skips the catalogue lookup for partitions already seen committed.
 */
import type { DbClient } from '../db/pool.js';

const DAY = 86_400_000;
const LOCK_KEY = 0x68715f70;
const known = new Set<string>();

function dayBounds(t: number): [string, number, number] {
  const from = Math.floor(t / DAY) * DAY;
  const d = new Date(from);
  const name = `rollups_${d.toISOString().slice(0, 10).replace(/-/g, '')}`;
  return [name, from, from + DAY];
}

function monthBounds(t: number): [string, number, number] {
  const d = new Date(t);
  const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const to = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return [`rollups_hourly_${d.toISOString().slice(0, 7).replace('-', '')}`, from, to];
}

/** Makes sure partitions exist for every minute in `minutes` (epoch ms). Call inside a transaction. */
export async function ensureRollupPartitions(db: DbClient, minutes: Iterable<number>): Promise<void> {
  const wanted = new Map<string, [string, string, number, number]>();
  for (const m of minutes) {
    const [dn, df, dt] = dayBounds(m);
    const [mn, mf, mt] = monthBounds(m);
    if (!known.has(dn)) wanted.set(dn, ['rollups', dn, df, dt]);
    if (!known.has(mn)) wanted.set(mn, ['rollups_hourly', mn, mf, mt]);
  }
  if (!wanted.size) return;
  await db.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
  const { rows } = await db.query<{ relname: string }>('SELECT relname FROM pg_class WHERE relname = ANY($1::text[])', [[...wanted.keys()]]);
  const exists = new Set(rows.map((r) => r.relname));
  // Only partitions seen committed are cached: one created here could still be rolled back.
  for (const n of exists) known.add(n);
  for (const [name, [parent, , from, to]] of wanted) {
    if (!exists.has(name)) await db.query(`CREATE TABLE ${name} PARTITION OF ${parent} FOR VALUES FROM (${from}) TO (${to})`);
  }
}
