/**
 * Monthly KPIs per estate, computed in SQL over `orders` and `escalations` with the estate's
 * definitions (gateway/workorders/kpis.ts, seed 5.x):
 *
 * | key | definition | better |
 * |---|---|---|
 * | slaCompliance (`sla`) | deadlines (response and on-site) of the month's orders that are decided (met, or passed at asOf) → met / decided; cancelled and preventive orders left out | higher |
 * | meanResponseMin (`response`) | mean(respondedAt − faultAt) in minutes; the clock starts at fault time (seed 2.1) | lower |
 * | mttrH (`mttr`) | mean(resolvedAt − faultAt) in hours of corrective orders (alarm, manual) | lower |
 * | overdue (`overdue`) | orders of the month with at least one deadline passed unmet | lower |
 * | backlog (`backlog`) | orders open at asOf (created, not closed or cancelled) | lower |
 * | satisfaction (`satisfaction`) | mean owner rating (1–5) of orders closed in the month (seed 2.3) | higher |
 *
 * "The month's orders" are those with fault time in [from, to); asOf = min(to, now).
 */
import type { Db } from './db/pool.js';

export interface KpiRow {
  site: string;
  name: string;
  orders: number;
  slaDue: number;
  slaMet: number;
  slaCompliance: number | null;
  meanResponseMin: number | null;
  mttrH: number | null;
  overdue: number;
  backlog: number;
  satisfaction: number | null;
  escalations: number;
}

export type RankingKpi = 'sla' | 'response' | 'mttr' | 'overdue' | 'backlog' | 'satisfaction';
export const RANKING: Record<RankingKpi, { key: keyof KpiRow; better: 'higher' | 'lower' }> = {
  sla: { key: 'slaCompliance', better: 'higher' },
  response: { key: 'meanResponseMin', better: 'lower' },
  mttr: { key: 'mttrH', better: 'lower' },
  overdue: { key: 'overdue', better: 'lower' },
  backlog: { key: 'backlog', better: 'lower' },
  satisfaction: { key: 'satisfaction', better: 'higher' },
};

/** One row per estate in scope (null = all), estates without orders included. */
export async function monthKpis(pool: Db, p: { from: number; to: number; now: number; sites: string[] | null }): Promise<KpiRow[]> {
  const asOf = Math.min(p.to, p.now);
  const { rows } = await pool.query<KpiRow>(
    `WITH o AS (
       SELECT site, rating, closed_at, created_at, status, source, responded_at, fault_at, resolved_at,
         (fault_at >= $1 AND fault_at < $2) AS in_month,
         (status <> 'cancelled' AND source <> 'preventive') AS live,
         (responded_at IS NOT NULL OR respond_by <= $3) AS r_dec,
         (responded_at IS NOT NULL AND responded_at <= respond_by) AS r_met,
         (on_site_by IS NOT NULL AND (on_site_at IS NOT NULL OR on_site_by <= $3)) AS s_dec,
         (on_site_at IS NOT NULL AND on_site_by IS NOT NULL AND on_site_at <= on_site_by) AS s_met
       FROM orders WHERE ($4::text[] IS NULL OR site = ANY($4::text[]))
     ), k AS (
       SELECT site,
         count(*) FILTER (WHERE in_month)::int AS orders,
         (count(*) FILTER (WHERE in_month AND live AND r_dec) + count(*) FILTER (WHERE in_month AND live AND s_dec))::int AS sla_due,
         (count(*) FILTER (WHERE in_month AND live AND r_dec AND r_met) + count(*) FILTER (WHERE in_month AND live AND s_dec AND s_met))::int AS sla_met,
         avg((responded_at - fault_at) / 60000.0) FILTER (WHERE in_month AND live AND responded_at IS NOT NULL)::float8 AS response,
         avg((resolved_at - fault_at) / 3600000.0) FILTER (WHERE in_month AND source IN ('alarm', 'manual') AND status <> 'cancelled' AND resolved_at IS NOT NULL)::float8 AS mttr,
         count(*) FILTER (WHERE in_month AND live AND ((r_dec AND NOT r_met) OR (s_dec AND NOT s_met)))::int AS overdue,
         count(*) FILTER (WHERE created_at <= $3 AND (closed_at IS NULL OR closed_at > $3) AND status <> 'cancelled')::int AS backlog,
         avg(rating) FILTER (WHERE closed_at >= $1 AND closed_at < $2 AND rating IS NOT NULL)::float8 AS satisfaction
       FROM o GROUP BY site
     ), x AS (
       SELECT site, count(*)::int AS n FROM escalations WHERE ts >= $1 AND ts < $2 GROUP BY site
     )
     SELECT e.site, COALESCE(e.name, e.site) AS name, COALESCE(k.orders, 0) AS orders,
       COALESCE(k.sla_due, 0) AS "slaDue", COALESCE(k.sla_met, 0) AS "slaMet",
       CASE WHEN COALESCE(k.sla_due, 0) = 0 THEN NULL ELSE k.sla_met::float8 / k.sla_due END AS "slaCompliance",
       k.response AS "meanResponseMin", k.mttr AS "mttrH", COALESCE(k.overdue, 0) AS overdue, COALESCE(k.backlog, 0) AS backlog,
       k.satisfaction, COALESCE(x.n, 0) AS escalations
     FROM estates e LEFT JOIN k ON k.site = e.site LEFT JOIN x ON x.site = e.site
     WHERE ($4::text[] IS NULL OR e.site = ANY($4::text[]))
     ORDER BY e.site`,
    [p.from, p.to, asOf, p.sites],
  );
  return rows;
}

/** Company totals: sums of counts, order-weighted means recomputed from the estates' rows. */
export function companyTotals(rows: KpiRow[]): Omit<KpiRow, 'site' | 'name'> {
  const sum = (k: 'orders' | 'slaDue' | 'slaMet' | 'overdue' | 'backlog' | 'escalations') => rows.reduce((a, r) => a + r[k], 0);
  const weighted = (k: 'meanResponseMin' | 'mttrH' | 'satisfaction') => {
    let w = 0;
    let s = 0;
    for (const r of rows) {
      const v = r[k];
      if (v === null) continue;
      const weight = Math.max(1, r.orders);
      s += v * weight;
      w += weight;
    }
    return w === 0 ? null : s / w;
  };
  const slaDue = sum('slaDue');
  const slaMet = sum('slaMet');
  return {
    orders: sum('orders'), slaDue, slaMet, slaCompliance: slaDue === 0 ? null : slaMet / slaDue,
    meanResponseMin: weighted('meanResponseMin'), mttrH: weighted('mttrH'), overdue: sum('overdue'), backlog: sum('backlog'),
    satisfaction: weighted('satisfaction'), escalations: sum('escalations'),
  };
}

/** Rows ranked best first; estates without a value come last, sharing the last rank. */
export function rank(rows: KpiRow[], kpi: RankingKpi): { rank: number; site: string; name: string; value: number | null; orders: number }[] {
  const { key, better } = RANKING[kpi];
  const valued = rows.map((r) => ({ site: r.site, name: r.name, value: r[key] as number | null, orders: r.orders }));
  valued.sort((a, b) => {
    if (a.value === null || b.value === null) return a.value === null ? (b.value === null ? a.site.localeCompare(b.site) : 1) : -1;
    return (better === 'higher' ? b.value - a.value : a.value - b.value) || a.site.localeCompare(b.site);
  });
  let last: number | null | undefined;
  let lastRank = 0;
  return valued.map((r, i) => {
    const tied = r.value === last || (r.value === null && last === null);
    const position = tied ? lastRank : i + 1;
    last = r.value;
    lastRank = position;
    return { rank: position, ...r };
  });
}
