/**
 * The monthly service report of one estate (seed 6.x archives, records and statistics; seed 5.x
 * supervision and assessment). Numbers over the orders whose fault time falls in the month, in
 * the estate's time zone (./month.ts):
 *
 * - SLA compliance per category: the KPI definition of gateway/workorders/kpis.ts (README.md there).
 * - Incidents: alarms raised in the month by category and severity; orders by category and priority.
 * - Response times (seed 2.1, clock from fault time): mean, median and p90 of respondedAt − faultAt
 *   (nearest-rank p90) of orders that are neither cancelled nor preventive; MTTR from the KPIs.
 * - PM compliance: the KPI's preventive orders due in the month done by their due date (SMRP 5.4).
 * - Owner satisfaction (seed 2.3 feedback): closed orders of the month, how many carry a rating,
 *   the share rated and the mean rating; null when no order was rated.
 * - Missed deadlines (seed 8.x SLA breach report): every response or on-site deadline of the month's
 *   orders met late or not met, with the escalation record (which deadline, due, when escalated),
 *   how late, the last transition note and the cancellation note.
 */
import type { KpiReport } from '../workorders/kpis.js';
import type { AuditEntry, EscalationRecord } from '../workorders/repository.js';
import { isOpen, type LedgerEntry, type Priority, type WorkOrder } from '../core/model.js';

export interface Compliance {
  due: number;
  met: number;
  rate: number | null;
}

export interface MissedDeadline {
  orderId: string;
  number: string;
  device: string | null;
  category: string;
  priority: Priority;
  title: string;
  status: WorkOrder['status'];
  deadline: 'respond' | 'on_site';
  dueAt: number;
  /** When the deadline was met after all (late); null when it never was. */
  metAt: number | null;
  /** (metAt, or the order's end, or the report time) − dueAt, minutes. */
  lateMinutes: number;
  /** When the escalation was raised for this deadline; null when it was met late before the check ran. */
  escalatedAt: number | null;
  /** Last note given with a transition (not the cancellation). */
  note: string | null;
  /** Why the order was cancelled, when it was. */
  cancellation: string | null;
}

export interface MonthlyReport {
  month: string;
  timezone: string;
  from: number;
  to: number;
  estate: { site: string; code: string; name: string };
  /** `closed` once frozen in the archive; `open` while the month (plus grace) runs. */
  status: 'open' | 'closed';
  /** True for a live (open) month: the numbers can still change. */
  provisional: boolean;
  generatedAt: number;
  /** Time the numbers are taken at: min(to, generatedAt). */
  asOf: number;
  sla: { category: string; response: Compliance; onSite: Compliance }[];
  slaOverall: { response: Compliance; onSite: Compliance };
  incidents: {
    alarms: { total: number; byCategory: Record<string, number>; bySeverity: Record<string, number> };
    orders: { total: number; cancelled: number; byCategory: Record<string, Record<Priority, number> & { total: number }>; byPriority: Record<Priority, number>; bySource: Record<string, number> };
  };
  times: { responded: number; meanResponseMinutes: number | null; medianResponseMinutes: number | null; p90ResponseMinutes: number | null; resolved: number; mttrHours: number | null };
  pmCompliance: Compliance;
  backlog: KpiReport['backlog'];
  satisfaction: { closed: number; rated: number; shareRated: number | null; meanRating: number | null; byRating: Record<'1' | '2' | '3' | '4' | '5', number> };
  missed: MissedDeadline[];
}

/** What the report reads: the work-order service and the alarm store, nothing written. */
export interface ArchiveSource {
  /** Orders whose fault time is in [from, to), by fault time. */
  orders(from: number, to: number): WorkOrder[];
  kpis(from: number, to: number): KpiReport;
  escalations(orderId: string): EscalationRecord[];
  audit(orderId: string): AuditEntry[];
  ledger(orderId: string): LedgerEntry[];
  /** Alarms raised in [from, to), counted by category and severity. */
  alarmCounts(from: number, to: number): { category: string; severity: string; n: number }[];
  now(): number;
}

export interface ReportHeader {
  month: string;
  timezone: string;
  from: number;
  to: number;
  estate: MonthlyReport['estate'];
  status: MonthlyReport['status'];
}

const MIN = 60_000;
const PRIORITIES: readonly Priority[] = ['emergency', 'urgent', 'normal'];
const zeroPriorities = (): Record<Priority, number> => ({ emergency: 0, urgent: 0, normal: 0 });

const mean = (xs: readonly number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
function median(sorted: readonly number[]): number | null {
  if (!sorted.length) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number | null {
  return sorted.length ? sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]! : null;
}

/** Whether each deadline of an order was met, missed or is still open at `asOf` (also the Orders sheet). */
export function deadlineOutcomes(o: WorkOrder, asOf: number): { deadline: 'respond' | 'on_site'; dueAt: number; metAt: number | null; outcome: 'met' | 'missed' | 'pending' | 'void' }[] {
  const out: ReturnType<typeof deadlineOutcomes> = [];
  const ended = !isOpen(o.status) ? (o.closedAt ?? null) : null;
  const check = (deadline: 'respond' | 'on_site', dueAt: number, metAt: number | null, doneAt: number | null) => {
    let outcome: 'met' | 'missed' | 'pending' | 'void';
    if (metAt !== null) outcome = metAt <= dueAt ? 'met' : 'missed';
    else if (doneAt !== null) outcome = doneAt <= dueAt ? 'void' : 'missed';
    else outcome = dueAt <= asOf ? 'missed' : 'pending';
    out.push({ deadline, dueAt, metAt, outcome });
  };
  check('respond', o.respondBy, o.respondedAt, ended);
  // On site is moot once the order is resolved without a visit (gateway/workorders/repository.ts `overdue`).
  if (o.onSiteBy !== null) check('on_site', o.onSiteBy, o.onSiteAt, ended ?? o.resolvedAt ?? null);
  return out;
}

export function buildReport(src: ArchiveSource, head: ReportHeader): MonthlyReport {
  const generatedAt = src.now();
  const asOf = Math.min(head.to, generatedAt);
  const orders = src.orders(head.from, head.to);
  const kpis = src.kpis(head.from, head.to);

  const alarms = { total: 0, byCategory: {} as Record<string, number>, bySeverity: {} as Record<string, number> };
  for (const c of src.alarmCounts(head.from, head.to)) {
    alarms.total += c.n;
    alarms.byCategory[c.category] = (alarms.byCategory[c.category] ?? 0) + c.n;
    alarms.bySeverity[c.severity] = (alarms.bySeverity[c.severity] ?? 0) + c.n;
  }
  const byCategory: MonthlyReport['incidents']['orders']['byCategory'] = {};
  const byPriority = zeroPriorities();
  const bySource: Record<string, number> = {};
  for (const o of orders) {
    const c = (byCategory[o.category] ??= { ...zeroPriorities(), total: 0 });
    c[o.priority]++;
    c.total++;
    byPriority[o.priority]++;
    bySource[o.source] = (bySource[o.source] ?? 0) + 1;
  }

  const responses = orders
    .filter((o) => o.status !== 'cancelled' && o.source !== 'preventive' && o.respondedAt !== null)
    .map((o) => (o.respondedAt! - o.faultAt) / MIN)
    .sort((a, b) => a - b);

  const closed = orders.filter((o) => o.status === 'closed');
  const ratings = closed.flatMap((o) => (o.feedback ? [o.feedback.rating] : []));
  const byRating = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 };
  for (const r of ratings) if (String(r) in byRating) byRating[String(r) as keyof typeof byRating]++;

  const missed: MissedDeadline[] = [];
  for (const o of orders) {
    const outcomes = deadlineOutcomes(o, asOf).filter((d) => d.outcome === 'missed');
    if (!outcomes.length) continue;
    const escalations = src.escalations(o.id);
    const audit = src.audit(o.id);
    const cancel = o.status === 'cancelled' ? [...audit].reverse().find((a) => a.action === 'transition' && a.to === 'cancelled') : undefined;
    const note = [...audit].reverse().find((a) => a.action === 'transition' && a.detail && a !== cancel);
    for (const d of outcomes) {
      const end = d.metAt ?? (!isOpen(o.status) ? (o.closedAt ?? asOf) : (d.deadline === 'on_site' ? (o.resolvedAt ?? asOf) : asOf));
      missed.push({
        orderId: o.id, number: o.number, device: o.device, category: o.category, priority: o.priority, title: o.title, status: o.status,
        deadline: d.deadline, dueAt: d.dueAt, metAt: d.metAt, lateMinutes: Math.max(0, Math.round((end - d.dueAt) / MIN)),
        escalatedAt: escalations.find((e) => e.deadline === d.deadline)?.ts ?? null,
        note: note?.detail ?? null, cancellation: cancel?.detail ?? null,
      });
    }
  }
  missed.sort((a, b) => a.dueAt - b.dueAt || a.number.localeCompare(b.number));

  return {
    ...head,
    provisional: head.status === 'open',
    generatedAt,
    asOf,
    sla: Object.entries(kpis.sla).map(([category, s]) => ({ category, response: s.response, onSite: s.onSite })).sort((a, b) => a.category.localeCompare(b.category)),
    slaOverall: kpis.slaOverall,
    incidents: { alarms, orders: { total: orders.length, cancelled: orders.filter((o) => o.status === 'cancelled').length, byCategory, byPriority, bySource } },
    times: {
      responded: responses.length, meanResponseMinutes: mean(responses), medianResponseMinutes: median(responses),
      p90ResponseMinutes: percentile(responses, 0.9), resolved: orders.filter((o) => o.resolvedAt != null && o.status !== 'cancelled').length, mttrHours: kpis.mttrHours,
    },
    pmCompliance: kpis.pmCompliance,
    backlog: kpis.backlog,
    satisfaction: {
      closed: closed.length, rated: ratings.length, shareRated: closed.length ? ratings.length / closed.length : null,
      meanRating: mean(ratings), byRating,
    },
    missed,
  };
}

export { PRIORITIES };
