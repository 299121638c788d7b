/**
 * Every time the API takes (query `from`/`to`, ledger `time`, ...) is epoch milliseconds or ISO 8601
 * and must lie in [1970-01-01, 2100-01-01): anything outside is a typo or an attack, and would
 * break date formatting downstream ("Invalid time value"). 400 GW_ERR_TIME_RANGE names the field
 * and the allowed range; text that is no time at all is 400 GW_ERR_BAD_REQUEST.
 */
import { Errors } from '../core/errors.js';
import { TIME_MAX, TIME_MIN } from '../core/time-range.js';

const RANGE = [new Date(TIME_MIN).toISOString(), new Date(TIME_MAX).toISOString()] as const;

/** Parses and range-checks one time; `undefined` stays undefined. */
export function apiTime(field: string, v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = typeof v === 'number' ? v : /^-?\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(t)) throw Errors.BAD_REQUEST(`${field} must be epoch milliseconds or an ISO 8601 time (got "${String(v).slice(0, 40)}")`);
  if (!Number.isFinite(t) || t < TIME_MIN || t >= TIME_MAX) {
    throw Errors.TIME_RANGE(field, `${RANGE[0]} (${TIME_MIN})`, `${RANGE[1]} (${TIME_MAX}), as epoch ms or ISO 8601`);
  }
  return t;
}
