/**
 * Per-estate bookkeeping of the event sequence: last seq seen, the watermark (highest seq with
 * every seq before it present), since when the estate is "behind" (a hole), and closing gaps that
 * the watermark has passed. Callers hold the estates' row locks (lockEstates), so two processes
 * applying events of one estate take turns and each sees the other's committed events.
 */
import type { DbClient } from '../db/pool.js';

/** Creates missing estate rows and locks the rows of `sites`, in site order (no deadlocks). */
export async function lockEstates(db: DbClient, sites: string[]): Promise<void> {
  const sorted = [...new Set(sites)].sort();
  await db.query('INSERT INTO estates (site) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [sorted]);
  await db.query('SELECT site FROM estates WHERE site = ANY($1::text[]) ORDER BY site FOR UPDATE', [sorted]);
}

/** Records what was heard from each estate in this batch. */
export async function noteHeard(db: DbClient, seen: { site: string; seq: number; at: number }[], now: number): Promise<void> {
  if (!seen.length) return;
  await db.query(
    `UPDATE estates e SET last_seq = GREATEST(e.last_seq, x.seq), last_event_at = GREATEST(e.last_event_at, x.at),
       last_heard_at = GREATEST(e.last_heard_at, $2::bigint)
     FROM (SELECT site, max(seq) AS seq, max(at) AS at FROM jsonb_to_recordset($1::jsonb) AS r(site text, seq bigint, at bigint) GROUP BY site) x
     WHERE e.site = x.site`,
    [JSON.stringify(seen), now],
  );
}

/**
 * Moves each estate's watermark over the contiguous run of seqs after it, sets or clears
 * `behind_since`, and closes the gaps now filled. Uses the (site, seq) unique index.
 */
export async function advanceWatermarks(db: DbClient, sites: string[], now: number): Promise<void> {
  if (!sites.length) return;
  await db.query(
    `UPDATE estates e SET watermark = COALESCE((
        SELECT min(s.seq) FROM events s
        WHERE s.site = e.site AND s.seq > e.watermark
          AND NOT EXISTS (SELECT 1 FROM events n WHERE n.site = s.site AND n.seq = s.seq + 1)
      ), e.watermark)
     WHERE e.site = ANY($1::text[]) AND EXISTS (SELECT 1 FROM events f WHERE f.site = e.site AND f.seq = e.watermark + 1)`,
    [sites],
  );
  await db.query(
    `UPDATE estates SET behind_since = CASE WHEN last_seq > watermark THEN COALESCE(behind_since, $2::bigint) ELSE NULL END
     WHERE site = ANY($1::text[])`,
    [sites, now],
  );
  await db.query(
    `UPDATE gaps g SET closed_at = $2 FROM estates e
     WHERE g.site = e.site AND g.closed_at IS NULL AND g.to_seq <= e.watermark AND e.site = ANY($1::text[])`,
    [sites, now],
  );
}
