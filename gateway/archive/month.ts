/**
 * Calendar months of the estate (seed 6.x archives): a month is `YYYY-MM` in the estate's time
 * zone (IANA name, default Asia/Shanghai), so a Shanghai estate's November starts at
 * 2026-10-31T16:00Z. Offsets come from Intl, so zones with daylight saving work too.
 */
import { Errors } from '../core/errors.js';
import { TIME_MAX, TIME_MIN } from '../core/time-range.js';

export const DEFAULT_TIMEZONE = 'Asia/Shanghai';
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

const partsFmt = new Map<string, Intl.DateTimeFormat>();
function fmt(zone: string): Intl.DateTimeFormat {
  let f = partsFmt.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    partsFmt.set(zone, f);
  }
  return f;
}

/** Throws a coded config error when `zone` is not an IANA time zone this runtime knows. */
export function checkTimezone(zone: string): void {
  try {
    fmt(zone);
  } catch {
    throw Errors.CONFIG_INVALID('archive.timezone', [`archive.timezone: "${zone}" is not an IANA time zone (for example Asia/Shanghai)`]);
  }
}

/** The zone's wall-clock fields at instant `t`. */
function wall(t: number, zone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const p: Record<string, number> = {};
  for (const part of fmt(zone).formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour!, mi: p.minute!, s: p.second! };
}

/** Offset of the zone from UTC at instant `t`, ms (Asia/Shanghai: +8 h). */
export function zoneOffset(t: number, zone: string): number {
  const w = wall(t, zone);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(t / 1000) * 1000;
}

/** The instant of local midnight on the first of month `mo` (0-based, may overflow) of `y`. */
function monthStart(y: number, mo: number, zone: string): number {
  const local = Date.UTC(y, mo, 1);
  let t = local - zoneOffset(local, zone);
  t = local - zoneOffset(t, zone);
  return t;
}

export interface MonthRange {
  month: string;
  /** First instant of the month in the zone (inclusive). */
  from: number;
  /** First instant of the next month (exclusive). */
  to: number;
}

/** `2026-11` → [from, to) in `zone`; a malformed month or one outside the API's time range is a coded 400. */
export function monthOf(month: string, zone: string, field = 'params.month'): MonthRange {
  const m = MONTH.exec(month);
  if (!m) throw Errors.BAD_REQUEST(`${field} must be a month YYYY-MM (got "${month.slice(0, 40)}")`);
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  const from = monthStart(y, mo, zone);
  const to = monthStart(y, mo + 1, zone);
  if (from < TIME_MIN || to > TIME_MAX) throw Errors.TIME_RANGE(field, '1970-01', '2099-12');
  return { month, from, to };
}

/** The month (in `zone`) that instant `t` falls in. */
export function monthAt(t: number, zone: string): string {
  const w = wall(t, zone);
  return `${w.y}-${String(w.mo).padStart(2, '0')}`;
}

/** The month after `month`. */
export function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** `t` as the zone's wall-clock time in a UTC Date: what a spreadsheet cell shows as local time. */
export function wallDate(t: number, zone: string): Date {
  return new Date(t + zoneOffset(t, zone));
}

/** `2026-11-03 14:05` in the zone. */
export function wallText(t: number, zone: string): string {
  return wallDate(t, zone).toISOString().slice(0, 16).replace('T', ' ');
}
