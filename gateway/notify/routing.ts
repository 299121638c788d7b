/**
 * Which routes a notice goes to, and when. A route matches on event, work-order action,
 * category, priority and escalation level; quiet hours hold a normal notice until they end, and
 * never apply to an emergency (fire, trapped passenger, priority emergency: docs/design.md §1, §9;
 * seed 3.3 via docs/service-rules.md).
 */
import type { WorkOrder } from '../core/model.js';
import type { Notice } from './format.js';
import type { NotifyRoute, QuietHours } from '../config/notify.js';

export function routeMatches(route: NotifyRoute, n: Pick<Notice, 'event' | 'action' | 'level'>, order: Pick<WorkOrder, 'category' | 'priority'>): boolean {
  const m = route.match ?? {};
  if (m.events && !m.events.includes(n.event)) return false;
  if (n.event === 'work-order' && !(m.actions ?? ['created']).includes(n.action)) return false;
  if (m.categories && !m.categories.includes(order.category)) return false;
  if (m.priorities && !m.priorities.includes(order.priority)) return false;
  if (m.minEscalationLevel !== undefined && n.level < m.minEscalationLevel) return false;
  return true;
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Minutes since local midnight and the seconds part, in `tz`. */
function localClock(ms: number, tz: string): { minutes: number; seconds: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return { minutes: get('hour') * 60 + get('minute'), seconds: get('second') };
}

/**
 * When a normal notice may go out: `now` outside quiet hours, else the end of the quiet hours
 * (`to` in the zone). `from` > `to` spans midnight (22:00–07:00).
 */
export function releaseTime(q: QuietHours | undefined, defaultTz: string, now: number): number {
  if (!q) return now;
  const from = minutesOf(q.from);
  const to = minutesOf(q.to);
  if (from === to) return now;
  const { minutes, seconds } = localClock(now, q.tz ?? defaultTz);
  const quiet = from < to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
  if (!quiet) return now;
  const wait = (to - minutes + 1440) % 1440;
  return now - (now % 1000) - seconds * 1000 + wait * 60_000;
}
