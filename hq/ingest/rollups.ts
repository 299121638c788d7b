/**
 * 1-minute rollups into `rollups` (partitioned by day) and `rollups_hourly`, in one transaction.
 * A minute row is keyed by (site, device, point, minute): a replayed or duplicated batch inserts
 * nothing (the estate's minute is final once rolled up). Only the minute rows actually inserted
 * are added to their hour, so the hourly sums stay exact under replays and concurrent consumers.
 * Rows are written in key order, so two processes upserting the same hours take their row locks
 * in the same order and do not deadlock.
 */
import type { RollupBatch } from '../../gateway/core/envelope.js';
import { inTransaction, type DbClient } from '../db/pool.js';
import { ensureRollupPartitions } from './partitions.js';
import { storeRejections } from './rejected.js';
import type { Rejection } from './validate.js';

export interface RollupResult {
  batches: number;
  rows: number;
  inserted: number;
}

export async function applyRollups(db: DbClient, batches: RollupBatch[], opts: { rejects?: Rejection[]; now?: number } = {}): Promise<RollupResult> {
  const rows = batches.flatMap((b) => b.rows.map((r) => ({ site: b.site, ...r })));
  return inTransaction(db, async () => {
    await storeRejections(db, opts.rejects ?? [], opts.now ?? Date.now());
    if (!rows.length) return { batches: batches.length, rows: 0, inserted: 0 };
    await ensureRollupPartitions(db, new Set(rows.map((r) => r.minute)));
    const res = await db.query<{ n: number }>(
      `WITH ins AS (
         INSERT INTO rollups (site, device, point, minute, equipment, min, mean, max, count)
         SELECT site, device, point, minute, equipment, min, mean, max, count
         FROM jsonb_to_recordset($1::jsonb) AS x(site text, device text, point text, minute bigint, equipment text,
           min double precision, mean double precision, max double precision, count integer)
         ORDER BY site, device, point, minute
         ON CONFLICT DO NOTHING
         RETURNING site, device, point, minute, equipment, min, mean, max, count
       ), hours AS (
         INSERT INTO rollups_hourly (site, device, point, hour, equipment, min, sum, max, count)
         SELECT site, device, point, minute - minute % 3600000, max(equipment), min(min), sum(mean * count), max(max), sum(count)
         FROM ins GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
         ON CONFLICT (site, device, point, hour) DO UPDATE SET min = LEAST(rollups_hourly.min, EXCLUDED.min),
           max = GREATEST(rollups_hourly.max, EXCLUDED.max), sum = rollups_hourly.sum + EXCLUDED.sum,
           count = rollups_hourly.count + EXCLUDED.count
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM ins) AS n, (SELECT count(*) FROM hours) AS h`,
      [JSON.stringify(rows)],
    );
    return { batches: batches.length, rows: rows.length, inserted: res.rows[0]?.n ?? 0 };
  });
}
