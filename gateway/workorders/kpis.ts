/**
 * Maintenance KPIs over a period [from, to) (seed 5.x supervision and assessment, 6.3 statistics,
 * 8.x SLA breach report). Definitions (README.md has the table and sources):
 *
 * - SLA compliance per category (response and on-site): orders with fault time in the period whose
 *   deadline is decided (met, or passed at `asOf`) → met / decided. Cancelled orders are left out.
 * - Mean time to respond: mean(respondedAt − faultAt); the clock starts at fault time (seed 2.1).
 * - MTTR: mean(resolvedAt − faultAt) of corrective orders (time to restoration, EN 13306 §4.9 / IEEE 493).
 * - MTBF per device: (period − downtime) / failures, failures = corrective orders (IEEE 493:
 *   operating hours / failures; calendar time stands in for operating hours). null without failures.
 * - Open backlog by priority: orders open at `asOf` (count, not SMRP 5.4.8 crew-weeks: no hours known).
 * - PM compliance (SMRP 5.4.x): preventive orders due in the period and completed (resolved or
 *   closed) by their due date / preventive orders due. No orders due → null.
 * - Repeat-failure rate: corrective orders in the period with an earlier corrective order for the
 *   same device and fault in the 30 days before / corrective orders in the period.
 */
import type { Category } from '../config/schema.js';
import type { Priority, WorkOrder } from '../core/model.js';
import type { WorkOrderRepository } from './repository.js';
import { csvCell } from '../core/csv.js';
import { satisfactionOf, type Satisfaction } from './satisfaction.js';

export const REPEAT_WINDOW_MS = 30 * 86_400_000;
const HOUR = 3_600_000;

export interface Compliance {
  due: number;
  met: number;
  /** met / due, null when nothing is due. */
  rate: number | null;
}

export interface KpiReport {
  from: number;
  to: number;
  /** Time the numbers are taken at: min(to, now). */
  asOf: number;
  orders: { total: number; corrective: number; prediction: number; preventive: number; cancelled: number };
  sla: Record<string, { response: Compliance; onSite: Compliance }>;
  slaOverall: { response: Compliance; onSite: Compliance };
  meanTimeToRespondMinutes: number | null;
  mttrHours: number | null;
  mtbfHours: Record<string, { failures: number; mtbfHours: number | null }>;
  backlog: Record<Priority, number> & { total: number };
  pmCompliance: Compliance;
  repeatFailureRate: number | null;
  repeatFailures: number;
  /** Owners' ratings of closed requests (seed 2.3; satisfaction.ts). */
  satisfaction: Satisfaction;
}

const rate = (met: number, due: number): Compliance => ({ due, met, rate: due === 0 ? null : met / due });
const mean = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
const isCorrective = (o: WorkOrder) => (o.source === 'alarm' || o.source === 'manual') && o.status !== 'cancelled';

export function computeKpis(repo: WorkOrderRepository, from: number, to: number, asOf: number): KpiReport {
  const all = repo.forPeriod(from, to);
  const inPeriod = all.filter((o) => o.faultAt >= from && o.faultAt < to);
  const live = inPeriod.filter((o) => o.status !== 'cancelled' && o.source !== 'preventive');

  const sla: KpiReport['sla'] = {};
  const tally = new Map<string, { r: [number, number]; s: [number, number] }>();
  const bump = (cat: Category | 'all', kind: 'r' | 's', met: boolean) => {
    const t = tally.get(cat) ?? { r: [0, 0], s: [0, 0] };
    t[kind][0] += 1;
    if (met) t[kind][1] += 1;
    tally.set(cat, t);
  };
  for (const o of live) {
    if (o.respondedAt !== null || o.respondBy <= asOf) {
      const met = o.respondedAt !== null && o.respondedAt <= o.respondBy;
      bump(o.category, 'r', met);
      bump('all', 'r', met);
    }
    if (o.onSiteBy !== null && (o.onSiteAt !== null || o.onSiteBy <= asOf)) {
      const met = o.onSiteAt !== null && o.onSiteAt <= o.onSiteBy;
      bump(o.category, 's', met);
      bump('all', 's', met);
    }
  }
  for (const [cat, t] of tally) {
    if (cat === 'all') continue;
    sla[cat] = { response: rate(t.r[1], t.r[0]), onSite: rate(t.s[1], t.s[0]) };
  }
  const overall = tally.get('all') ?? { r: [0, 0], s: [0, 0] };

  const corrective = inPeriod.filter(isCorrective);
  const mtbfHours: KpiReport['mtbfHours'] = {};
  const byDevice = new Map<string, WorkOrder[]>();
  for (const o of corrective) if (o.device) byDevice.set(o.device, [...(byDevice.get(o.device) ?? []), o]);
  for (const [device, orders] of byDevice) {
    const downtime = orders.reduce((sum, o) => sum + Math.max(0, Math.min(o.resolvedAt ?? asOf, asOf) - o.faultAt), 0);
    mtbfHours[device] = { failures: orders.length, mtbfHours: Math.max(0, asOf - from - downtime) / orders.length / HOUR };
  }

  const backlog = { emergency: 0, urgent: 0, normal: 0, total: 0 };
  for (const o of all) {
    if (o.createdAt > asOf || (o.closedAt != null && o.closedAt <= asOf)) continue;
    if (o.status === 'cancelled' && o.closedAt == null) continue;
    backlog[o.priority]++;
    backlog.total++;
  }

  const pmDue = all.filter((o) => o.source === 'preventive' && o.status !== 'cancelled' && o.dueAt != null && o.dueAt >= from && o.dueAt < to && o.dueAt <= asOf);
  const pmOnTime = pmDue.filter((o) => {
    const done = o.resolvedAt ?? o.closedAt ?? null;
    return done !== null && done <= o.dueAt!;
  });

  let repeats = 0;
  for (const o of corrective) if (o.device && repo.correctiveBefore(o.device, o.fault, o.faultAt, o.faultAt - REPEAT_WINDOW_MS) > 0) repeats++;

  return {
    from,
    to,
    asOf,
    orders: {
      total: inPeriod.length,
      corrective: corrective.length,
      prediction: inPeriod.filter((o) => o.source === 'prediction').length,
      preventive: inPeriod.filter((o) => o.source === 'preventive').length,
      cancelled: inPeriod.filter((o) => o.status === 'cancelled').length,
    },
    sla,
    slaOverall: { response: rate(overall.r[1], overall.r[0]), onSite: rate(overall.s[1], overall.s[0]) },
    meanTimeToRespondMinutes: mean(live.filter((o) => o.respondedAt !== null).map((o) => (o.respondedAt! - o.faultAt) / 60_000)),
    mttrHours: mean(corrective.filter((o) => o.resolvedAt != null).map((o) => (o.resolvedAt! - o.faultAt) / HOUR)),
    mtbfHours,
    backlog,
    pmCompliance: rate(pmOnTime.length, pmDue.length),
    repeatFailureRate: corrective.length === 0 ? null : repeats / corrective.length,
    repeatFailures: repeats,
    satisfaction: satisfactionOf(inPeriod),
  };
}

/** `2026-11` → [start, end) in UTC. */
export function monthRange(month: string): { from: number; to: number } {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new Error(`month must be YYYY-MM (got ${month})`);
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return { from: Date.UTC(y, mo, 1), to: Date.UTC(y, mo + 1, 1) };
}

/** One row per number: `metric,scope,value` (scope = category, device or priority; empty for site-wide). */
export function kpisToCsv(k: KpiReport): string {
  const rows: [string, string, number | null][] = [];
  const iso = (t: number) => new Date(t).toISOString();
  for (const [cat, c] of Object.entries(k.sla)) {
    rows.push(['sla_response_compliance', cat, c.response.rate], ['sla_response_due', cat, c.response.due]);
    rows.push(['sla_onsite_compliance', cat, c.onSite.rate], ['sla_onsite_due', cat, c.onSite.due]);
  }
  rows.push(['sla_response_compliance', '', k.slaOverall.response.rate], ['sla_onsite_compliance', '', k.slaOverall.onSite.rate]);
  rows.push(['mean_time_to_respond_minutes', '', k.meanTimeToRespondMinutes], ['mttr_hours', '', k.mttrHours]);
  for (const [device, m] of Object.entries(k.mtbfHours)) rows.push(['mtbf_hours', device, m.mtbfHours], ['failures', device, m.failures]);
  for (const p of ['emergency', 'urgent', 'normal'] as const) rows.push(['open_backlog', p, k.backlog[p]]);
  rows.push(['open_backlog', '', k.backlog.total], ['pm_compliance', '', k.pmCompliance.rate], ['pm_due', '', k.pmCompliance.due]);
  rows.push(['repeat_failure_rate', '', k.repeatFailureRate], ['orders_total', '', k.orders.total]);
  rows.push(['owner_rating_mean', '', k.satisfaction.meanRating], ['owner_rated_share', '', k.satisfaction.ratedShare]);
  for (const [cat, s] of Object.entries(k.satisfaction.byCategory)) rows.push(['owner_rating_mean', cat, s.meanRating], ['owner_rated_share', cat, s.ratedShare]);
  return [
    `# from=${iso(k.from)} to=${iso(k.to)} asOf=${iso(k.asOf)}`,
    'metric,scope,value',
    ...rows.map(([m, s, v]) => `${m},${csvCell(s)},${v === null ? '' : Number.isInteger(v) ? v : v.toFixed(4)}`),
  ].join('\n') + '\n';
}
