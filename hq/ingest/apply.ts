/**
 * Applies a batch of estate events in ONE transaction:
 *  1. envelopes that fail the checks of validate.ts go to `rejected` (with the reason);
 *  2. the estates of the batch are locked (per-estate turns between head-office processes);
 *  3. events are inserted with ON CONFLICT DO NOTHING: only those actually inserted are new;
 *  4. the state they carry is upserted with a seq guard (state.ts);
 *  5. each estate's last seq, watermark and gap bookkeeping move (watermark.ts).
 * The same batch applied twice, or split and applied in any order, leaves the same tables
 * (apart from `received_at`, the head-office clock).
 */
import type { SiteEvent } from '../../gateway/core/envelope.js';
import { inTransaction, type DbClient } from '../db/pool.js';
import { applyState } from './state.js';
import { storeRejections } from './rejected.js';
import { eventProblem, type Rejection } from './validate.js';
import { advanceWatermarks, lockEstates, noteHeard } from './watermark.js';

export { applyRollups, type RollupResult } from './rollups.js';
export { storeRejections } from './rejected.js';

export interface ApplyOptions {
  /** Head-office clock (received_at, gap bookkeeping); Date.now by default. */
  now?: number;
  /** Rejections found before this call (unparseable messages, subject/site mismatch), stored in the same transaction. */
  rejects?: Rejection[];
  /** Stream name recorded with rejections of envelopes checked here. */
  stream?: string;
}

export interface ApplyResult {
  /** Events inserted and applied by this call. */
  applied: number;
  /** Events already present (replays, redeliveries, a second consumer). */
  duplicates: number;
  rejected: number;
  /** Inserted events per type (metrics). */
  byType: Record<string, number>;
}

export async function applyEvents(db: DbClient, events: SiteEvent[], opts: ApplyOptions = {}): Promise<ApplyResult> {
  const now = opts.now ?? Date.now();
  const rejects = [...(opts.rejects ?? [])];
  const valid: SiteEvent[] = [];
  for (const e of events) {
    const why = eventProblem(e);
    if (why) {
      const site = typeof (e as { site?: unknown }).site === 'string' ? (e as { site: string }).site : null;
      rejects.push({ stream: opts.stream ?? 'direct', subject: site ? `estate.${site}.events.${String(e.type)}` : '', msgId: typeof e.id === 'string' ? e.id : null, site, reason: why, payload: JSON.stringify(e) });
    } else valid.push(e);
  }
  const result: ApplyResult = { applied: 0, duplicates: 0, rejected: rejects.length, byType: {} };
  await inTransaction(db, async () => {
    await storeRejections(db, rejects, now);
    if (!valid.length) return;
    const sites = [...new Set(valid.map((e) => e.site))];
    await lockEstates(db, sites);
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO events (id, site, seq, type, schema, at, data, received_at)
       SELECT id, site, seq, type, schema, at, data, $2 FROM jsonb_to_recordset($1::jsonb)
         AS x(id text, site text, seq bigint, type text, schema integer, at bigint, data jsonb)
       ON CONFLICT DO NOTHING RETURNING id`,
      [JSON.stringify(valid.map((e) => ({ id: e.id, site: e.site, seq: e.seq, type: e.type, schema: e.schema, at: e.at, data: e.data }))), now],
    );
    const inserted = new Set(rows.map((r) => r.id));
    const fresh: SiteEvent[] = [];
    const taken = new Set<string>();
    for (const e of valid) {
      if (inserted.has(e.id) && !taken.has(e.id)) {
        fresh.push(e);
        taken.add(e.id);
      }
    }
    await applyState(db, fresh);
    await noteHeard(db, valid.map((e) => ({ site: e.site, seq: e.seq, at: e.at })), now);
    await advanceWatermarks(db, sites, now);
    result.applied = fresh.length;
    result.duplicates = valid.length - fresh.length;
    for (const e of fresh) result.byType[e.type] = (result.byType[e.type] ?? 0) + 1;
  });
  return result;
}
