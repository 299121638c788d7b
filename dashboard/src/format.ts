import { getLang, t, tn } from './i18n.js';
import { isAlertWhenTrue } from './shared/equipment.js';
import { localeTag as locale } from './shared/lang.js';
import type { PointValue } from './types.js';

/** A value shown in red: `true` of a point its device type's descriptor marks `alertWhenTrue`. */
export function isAlertValue(type: string, point: string, value: PointValue | null): boolean {
  return value === true && isAlertWhenTrue(type, point);
}

export function fmtNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  const digits = a >= 100 ? 1 : a >= 1 ? 2 : 3;
  return v.toFixed(digits);
}

export function fmtValue(value: PointValue | null | undefined): string {
  if (value === null || value === undefined) return t('common.none');
  if (typeof value === 'boolean') return value ? t('common.yes') : t('common.no');
  if (typeof value === 'number') return fmtNumber(value);
  return tn('enum', value);
}


const timeFmt = new Map<string, Intl.DateTimeFormat>();
function dtf(kind: 'time' | 'datetime'): Intl.DateTimeFormat {
  const key = `${locale()}|${kind}`;
  let f = timeFmt.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(), {
      ...(kind === 'datetime' ? { month: '2-digit', day: '2-digit' } : {}),
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
    });
    timeFmt.set(key, f);
  }
  return f;
}

/** Clock time today, date and time otherwise. */
export function fmtTime(ts: number | null | undefined): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts) || ts <= 0) return t('common.none');
  const sameDay = new Date(ts).toDateString() === new Date().toDateString();
  return dtf(sameDay ? 'time' : 'datetime').format(ts);
}

/** Compact duration: `4分05秒` / `4m 05s`, `1时05分` / `1h 05m`, `2天3时` / `2d 3h`. */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.floor(Math.abs(ms) / 1000));
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  const sep = getLang() === 'en' ? ' ' : '';
  if (d > 0) return `${d}${t('dur.d')}${sep}${hh}${t('dur.h')}`;
  if (hh > 0) return `${hh}${t('dur.h')}${sep}${pad(mm)}${t('dur.m')}`;
  return `${mm}${t('dur.m')}${sep}${pad(ss)}${t('dur.s')}`;
}
