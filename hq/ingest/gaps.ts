/**
 * Gap detection. An estate whose last seq is above its watermark has a hole: usually an event
 * still in flight on another head-office process, sometimes a lost one. When the hole outlives
 * the grace period, an open row goes into `gaps` (from watermark+1 to the first present seq − 1);
 * it is closed when the watermark passes its end (watermark.ts, and again here).
 *
 * Several processes run this loop; a transaction-scoped advisory lock lets one of them work per
 * tick and the others skip.
 */
import type { Logger } from '../../gateway/core/log.js';
import { inTransaction, type Db } from '../db/pool.js';
import { advanceWatermarks } from './watermark.js';

const LOCK_KEY = 0x68715f67;

export interface GapRow {
  site: string;
  from: number;
  to: number;
  detectedAt: number;
}

export interface GapCheck {
  /** Gaps opened by this call. */
  opened: GapRow[];
  /** Open gaps after this call (all estates). */
  open: number;
  /** False when another process held the lock and this call did nothing but count. */
  ran: boolean;
}

export async function checkGaps(pool: Db, opts: { graceMs: number; now?: number }): Promise<GapCheck> {
  const now = opts.now ?? Date.now();
  const client = await pool.connect();
  try {
    const out = await inTransaction(client, async () => {
      const { rows: lock } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [LOCK_KEY]);
      if (!lock[0]?.ok) return { opened: [] as GapRow[], ran: false };
      const { rows: behind } = await client.query<{ site: string }>(
        'SELECT site FROM estates WHERE last_seq > watermark ORDER BY site FOR UPDATE',
      );
      const sites = behind.map((r) => r.site);
      // Safety net: recompute watermarks (and close filled gaps) of every estate that is behind.
      await advanceWatermarks(client, sites, now);
      const { rows } = await client.query<{ site: string; from: number; to: number; detectedAt: number }>(
        `INSERT INTO gaps (site, from_seq, to_seq, detected_at)
         SELECT e.site, e.watermark + 1, (SELECT min(s.seq) FROM events s WHERE s.site = e.site AND s.seq > e.watermark) - 1, $1::bigint
         FROM estates e
         WHERE e.site = ANY($3::text[]) AND e.last_seq > e.watermark AND e.behind_since <= $1::bigint - $2::bigint
           AND NOT EXISTS (SELECT 1 FROM gaps g WHERE g.site = e.site AND g.closed_at IS NULL AND g.from_seq = e.watermark + 1)
         ON CONFLICT (site, from_seq) DO UPDATE SET to_seq = EXCLUDED.to_seq, detected_at = EXCLUDED.detected_at, closed_at = NULL
         RETURNING site, from_seq AS "from", to_seq AS "to", detected_at AS "detectedAt"`,
        [now, opts.graceMs, sites],
      );
      return { opened: rows, ran: true };
    });
    const { rows } = await client.query<{ n: number }>('SELECT count(*) AS n FROM gaps WHERE closed_at IS NULL');
    return { ...out, open: rows[0]?.n ?? 0 };
  } finally {
    client.release();
  }
}

/** Runs checkGaps every `everyMs`; returns a stop function. */
export function startGapMonitor(pool: Db, opts: { graceMs: number; everyMs?: number; log: Logger; onCheck?: (c: GapCheck) => void }): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    try {
      const c = await checkGaps(pool, { graceMs: opts.graceMs });
      for (const g of c.opened) opts.log.warn({ site: g.site, from: g.from, to: g.to }, 'event gap: seqs missing beyond the grace period');
      opts.onCheck?.(c);
    } catch (err) {
      opts.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'gap check failed; retrying on the next tick');
    }
  };
  const timer = setInterval(() => {
    if (!stopped) running = running.then(tick);
  }, opts.everyMs ?? 5000);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
