/**
 * `GET /api/ranking?kpi=&month=`: estates ranked on one KPI (kpis.ts), best first.
 * `GET /api/report?month=`: every KPI per estate plus company totals (seed 5.x, 6.3).
 * `GET /api/report.csv?month=`: the same as CSV; cells a spreadsheet would run as a formula
 * (starting with = + - @ tab or CR) are prefixed with a quote.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { RANKING, companyTotals, monthKpis, rank, type KpiRow, type RankingKpi } from '../kpis.js';
import { scopeOf } from './auth.js';
import type { HqApiContext } from './context.js';
import { Month, currentMonth, monthRange } from './query.js';

const KPIS = Object.keys(RANKING) as RankingKpi[];
const RankingQuery = Type.Object(
  { kpi: Type.Union(KPIS.map((k) => Type.Literal(k))), month: Type.Optional(Month) },
  { additionalProperties: false },
);
const ReportQuery = Type.Object({ month: Type.Optional(Month) }, { additionalProperties: false });

const FIGURES = ['orders', 'slaCompliance', 'meanResponseMin', 'mttrH', 'overdue', 'backlog', 'satisfaction', 'escalations'] as const;

/** A CSV cell: quoted when needed, formula-looking text defused. */
export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4);
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function figures(r: Omit<KpiRow, 'site' | 'name'>) {
  return Object.fromEntries(FIGURES.map((k) => [k, r[k]])) as Record<(typeof FIGURES)[number], number | null>;
}

export function reportsApi(ctx: HqApiContext) {
  return async (app: FastifyInstance) => {
    const report = async (month: string, sites: string[] | null) => {
      const rows = await monthKpis(ctx.pool, { ...monthRange(month), now: ctx.now(), sites });
      return { month, sites: rows.map((r) => ({ site: r.site, name: r.name, ...figures(r) })), company: figures(companyTotals(rows)) };
    };

    app.get<{ Querystring: Static<typeof RankingQuery> }>('/api/ranking', { schema: { querystring: RankingQuery } }, async (req) => {
      const month = req.query.month ?? currentMonth(ctx.now());
      const rows = await monthKpis(ctx.pool, { ...monthRange(month), now: ctx.now(), sites: scopeOf(req) });
      return { month, kpi: req.query.kpi, better: RANKING[req.query.kpi].better, rows: rank(rows, req.query.kpi) };
    });

    app.get<{ Querystring: Static<typeof ReportQuery> }>('/api/report', { schema: { querystring: ReportQuery } }, async (req) =>
      report(req.query.month ?? currentMonth(ctx.now()), scopeOf(req)));

    app.get<{ Querystring: Static<typeof ReportQuery> }>('/api/report.csv', { schema: { querystring: ReportQuery } }, async (req, reply) => {
      const r = await report(req.query.month ?? currentMonth(ctx.now()), scopeOf(req));
      const lines = [
        ['month', 'site', 'name', ...FIGURES].join(','),
        ...r.sites.map((s) => [r.month, s.site, s.name, ...FIGURES.map((k) => s[k])].map(csvCell).join(',')),
        [r.month, '*', 'company', ...FIGURES.map((k) => r.company[k])].map(csvCell).join(','),
      ];
      reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="report-${r.month}.csv"`);
      return `${lines.join('\n')}\n`;
    });
  };
}
