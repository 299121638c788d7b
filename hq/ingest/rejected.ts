/** Stores rejected messages (acknowledged, not applied) with their reason, in the caller's transaction. */
import type { DbClient } from '../db/pool.js';
import type { Rejection } from './validate.js';

export async function storeRejections(db: DbClient, rejects: Rejection[], now: number): Promise<void> {
  if (!rejects.length) return;
  const rows = rejects.map((r) => ({
    stream: r.stream, subject: r.subject, msg_id: r.msgId, site: r.site, reason: r.reason,
    // PostgreSQL text cannot hold NUL.
    payload: r.payload.replace(/\u0000/g, '\\u0000'),
  }));
  await db.query(
    `INSERT INTO rejected (stream, subject, msg_id, site, reason, payload, received_at)
     SELECT stream, subject, msg_id, site, reason, payload, $2 FROM jsonb_to_recordset($1::jsonb)
       AS x(stream text, subject text, msg_id text, site text, reason text, payload text)`,
    [JSON.stringify(rows), now],
  );
}
