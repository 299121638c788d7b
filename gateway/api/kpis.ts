/**
 * `GET /api/kpis?from=&to=` (epoch ms or ISO 8601; default the last 30 days),
 * `GET /api/kpis/report?month=2026-11` (monthly report: KPIs, SLA breaches, escalations),
 * `GET /api/kpis.csv?from=&to=`. Definitions: gateway/workorders/kpis.ts and README.md.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Errors } from '../core/errors.js';
import { kpisToCsv, monthRange } from '../workorders/kpis.js';
import type { ApiContext } from './context.js';
import { apiTime } from './time.js';

const Time = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ minLength: 1 })]);
const RangeQuery = Type.Object({ from: Type.Optional(Time), to: Type.Optional(Time) }, { additionalProperties: false });
const ReportQuery = Type.Object({ month: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$' }) }, { additionalProperties: false });
const DAY = 86_400_000;

const parseTime = (v: number | string | undefined, name: string): number | undefined => apiTime(`querystring.${name}`, v);

export function kpisApi(ctx: ApiContext) {
  const range = (q: Static<typeof RangeQuery>) => {
    const to = parseTime(q.to, 'to') ?? ctx.orders.now();
    const from = parseTime(q.from, 'from') ?? to - 30 * DAY;
    if (from >= to) throw Errors.BAD_REQUEST('querystring.from must be before to');
    return { from, to };
  };
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: Static<typeof RangeQuery> }>('/api/kpis', { schema: { querystring: RangeQuery } }, async (req) => {
      const { from, to } = range(req.query);
      return ctx.orders.kpis(from, to);
    });
    app.get<{ Querystring: Static<typeof RangeQuery> }>('/api/kpis.csv', { schema: { querystring: RangeQuery } }, async (req, reply) => {
      const { from, to } = range(req.query);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="kpis.csv"').send(kpisToCsv(ctx.orders.kpis(from, to)));
    });
    app.get<{ Querystring: Static<typeof ReportQuery> }>('/api/kpis/report', { schema: { querystring: ReportQuery } }, async (req) => {
      const { from, to } = monthRange(req.query.month);
      const kpis = ctx.orders.kpis(from, to);
      const escalations = ctx.orders.escalations(undefined, { from, to });
      // SLA breach report (seed 8.x compliance): every escalated deadline of the month.
      const breaches = escalations.map((e) => {
        const o = ctx.orders.get(e.orderId);
        return { ...e, number: o?.number ?? null, device: o?.device ?? null, fault: o?.fault ?? null, category: o?.category ?? null,
          metAt: (e.deadline === 'respond' ? o?.respondedAt : o?.onSiteAt) ?? null };
      });
      return { site: ctx.config.site, month: req.query.month, from, to, generatedAt: ctx.orders.now(), kpis, breaches };
    });
  };
}
