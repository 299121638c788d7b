/**
 * Checks an incoming envelope before anything is written: the schema version, the type, the
 * identity rules of the contract (`id = <site>:<seq>`, the site of the subject), and the fields
 * of `data` that head office stores in columns. A failure is a reason string: the envelope is
 * stored in `rejected` and acknowledged, never retried forever and never lost silently.
 */
import { ENVELOPE_SCHEMA, SITE_ID_PATTERN, siteOfSubject, type RollupBatch, type SiteEvent, type SiteEventType } from '../../gateway/core/envelope.js';

export const EVENT_TYPES: readonly SiteEventType[] = [
  'alarm.raised', 'alarm.changed', 'order.created', 'order.changed', 'order.ledger', 'order.escalated',
  'site.status', 'command.applied', 'command.refused',
];
const SITE_RE = new RegExp(SITE_ID_PATTERN);

export interface Rejection {
  stream: string;
  subject: string;
  msgId: string | null;
  site: string | null;
  reason: string;
  payload: string;
}

type Check = [field: string, kind: 'string' | 'number' | 'string?' | 'number?'];
const OBJECT_FIELDS: Partial<Record<SiteEventType, Check[]>> = {
  'alarm.raised': [['id', 'string'], ['device', 'string'], ['fault', 'string'], ['severity', 'string'], ['category', 'string'], ['state', 'string'], ['raisedAt', 'number'], ['equipment', 'string?']],
  'order.created': [['id', 'string'], ['number', 'string'], ['fault', 'string'], ['category', 'string'], ['priority', 'string'], ['source', 'string'], ['title', 'string'], ['status', 'string'], ['faultAt', 'number'], ['createdAt', 'number'], ['updatedAt', 'number'], ['respondBy', 'number'], ['equipment', 'string?']],
  'order.ledger': [['orderId', 'string'], ['seq', 'number'], ['time', 'number']],
  'order.escalated': [['orderId', 'string'], ['number', 'string'], ['deadline', 'string'], ['dueAt', 'number'], ['ts', 'number']],
  'site.status': [['devices', 'number?'], ['online', 'number?'], ['offline', 'number?'], ['name', 'string?'], ['code', 'string?'], ['url', 'string?']],
  'command.applied': [['command', 'string'], ['kind', 'string']],
  'command.refused': [['command', 'string'], ['kind', 'string'], ['code', 'string'], ['reason', 'string']],
};
OBJECT_FIELDS['alarm.changed'] = OBJECT_FIELDS['alarm.raised'];
OBJECT_FIELDS['order.changed'] = OBJECT_FIELDS['order.created'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The reason an event envelope is not acceptable, or null when it is. */
export function eventProblem(e: unknown, subjectSite?: string | null): string | null {
  if (!isObject(e)) return 'envelope is not a JSON object';
  if (e.schema !== ENVELOPE_SCHEMA) return `unknown schema ${JSON.stringify(e.schema)} (this head office reads ${ENVELOPE_SCHEMA})`;
  if (typeof e.site !== 'string' || !SITE_RE.test(e.site)) return 'site is missing or not a valid site id';
  if (subjectSite !== undefined && e.site !== subjectSite) return `site "${e.site}" differs from the subject's site "${subjectSite ?? '(none)'}"`;
  if (typeof e.seq !== 'number' || !Number.isSafeInteger(e.seq) || e.seq < 1) return 'seq must be a positive integer';
  if (e.id !== `${e.site}:${e.seq}`) return `id must be "<site>:<seq>" (got ${JSON.stringify(e.id)})`;
  if (typeof e.type !== 'string' || !EVENT_TYPES.includes(e.type as SiteEventType)) return `unknown event type ${JSON.stringify(e.type)}`;
  if (typeof e.at !== 'number' || !Number.isFinite(e.at) || e.at < 0) return 'at must be epoch milliseconds';
  if (!isObject(e.data)) return 'data must be an object';
  if (e.data.site !== undefined && e.data.site !== e.site) return `data.site "${String(e.data.site)}" differs from the envelope site "${e.site}"`;
  for (const [field, kind] of OBJECT_FIELDS[e.type as SiteEventType] ?? []) {
    const v = e.data[field];
    const optional = kind.endsWith('?');
    if (optional && (v === undefined || v === null)) continue;
    const want = kind.replace('?', '');
    if (want === 'number' ? typeof v !== 'number' || !Number.isFinite(v) : typeof v !== 'string' || v === '') {
      return `data.${field} of ${e.type} must be a ${want}`;
    }
  }
  return null;
}

/** The reason a rollup batch is not acceptable, or null. */
export function rollupProblem(b: unknown, subjectSite?: string | null): string | null {
  if (!isObject(b)) return 'rollup batch is not a JSON object';
  if (b.schema !== ENVELOPE_SCHEMA) return `unknown schema ${JSON.stringify(b.schema)} (this head office reads ${ENVELOPE_SCHEMA})`;
  if (typeof b.site !== 'string' || !SITE_RE.test(b.site)) return 'site is missing or not a valid site id';
  if (subjectSite !== undefined && b.site !== subjectSite) return `site "${b.site}" differs from the subject's site "${subjectSite ?? '(none)'}"`;
  if (typeof b.id !== 'string' || b.id === '') return 'id is missing';
  if (!Array.isArray(b.rows)) return 'rows must be an array';
  for (const [i, r] of b.rows.entries()) {
    if (!isObject(r)) return `rows[${i}] is not an object`;
    for (const k of ['device', 'equipment', 'point'] as const) if (typeof r[k] !== 'string' || r[k] === '') return `rows[${i}].${k} must be a string`;
    if (typeof r.minute !== 'number' || !Number.isSafeInteger(r.minute) || r.minute % 60_000 !== 0) return `rows[${i}].minute must be epoch ms on a minute`;
    for (const k of ['min', 'mean', 'max'] as const) if (typeof r[k] !== 'number' || !Number.isFinite(r[k])) return `rows[${i}].${k} must be a finite number`;
    if (typeof r.count !== 'number' || !Number.isInteger(r.count) || r.count < 1) return `rows[${i}].count must be a positive integer`;
  }
  return null;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; rejection: Rejection };

function parse<T>(stream: string, subject: string, bytes: Uint8Array, msgId: string | null, problem: (v: unknown, site: string | null) => string | null): Parsed<T> {
  const payload = Buffer.from(bytes).toString('utf8');
  const subjectSite = siteOfSubject(subject);
  const reject = (reason: string, site: string | null): Parsed<T> => ({ ok: false, rejection: { stream, subject, msgId, site, reason, payload } });
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return reject('payload is not JSON', subjectSite);
  }
  const why = problem(value, subjectSite);
  return why ? reject(why, subjectSite) : { ok: true, value: value as T };
}

/** A message of the events stream → a checked event or a rejection. */
export function parseEvent(stream: string, subject: string, bytes: Uint8Array, msgId: string | null = null): Parsed<SiteEvent> {
  return parse<SiteEvent>(stream, subject, bytes, msgId, eventProblem);
}

/** A message of the rollups stream → a checked batch or a rejection. */
export function parseRollup(stream: string, subject: string, bytes: Uint8Array, msgId: string | null = null): Parsed<RollupBatch> {
  return parse<RollupBatch>(stream, subject, bytes, msgId, rollupProblem);
}
