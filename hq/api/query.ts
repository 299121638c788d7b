/**
 * Query-string schemas shared by the routes (TypeBox; fastify's ajv coerces the strings) and the
 * checks a schema cannot express: time ranges and months. Every failure is a coded 400.
 */
import { Type } from '@sinclair/typebox';
import { SITE_ID_PATTERN } from '../../gateway/core/envelope.js';
import { HqErrors } from './errors.js';

/** 2000-01-01 .. 2100-01-01: anything outside is a mistake (seconds instead of ms, …). */
export const MIN_TIME = Date.UTC(2000, 0, 1);
export const MAX_TIME = Date.UTC(2100, 0, 1);

export const SiteId = Type.String({ pattern: SITE_ID_PATTERN });
export const EpochMs = Type.Integer({ minimum: MIN_TIME, maximum: MAX_TIME, description: 'epoch milliseconds' });
export const Month = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM' });
export const Token = Type.String({ pattern: '^[a-z0-9_-]{1,32}$' });
export const Limit = (max: number, dflt: number) => Type.Integer({ minimum: 1, maximum: max, default: dflt });
export const Offset = Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 });

/** `YYYY-MM` → [from, to) in UTC. */
export function monthRange(month: string): { from: number; to: number } {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) throw HqErrors.BAD_REQUEST(`month must be YYYY-MM (got ${month})`);
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return { from: Date.UTC(y, mo, 1), to: Date.UTC(y, mo + 1, 1) };
}

export function currentMonth(now: number): string {
  return new Date(now).toISOString().slice(0, 7);
}

/** from < to and at most `maxMs` apart. */
export function checkRange(from: number, to: number, maxMs: number, what: string): void {
  if (from >= to) throw HqErrors.BAD_RANGE(`from (${from}) must be before to (${to})`);
  if (to - from > maxMs) throw HqErrors.BAD_RANGE(`${what}: the range may span at most ${Math.round(maxMs / 86_400_000)} days (got ${((to - from) / 86_400_000).toFixed(1)})`);
}

/** `%` and `_` taken literally in ILIKE. */
export function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
