/**
 * `GET /api/sites`: one card per estate in the caller's scope: identity, comm state (online when
 * heard within 2 x the status period), sequence bookkeeping and the first open gap, devices from
 * the last `site.status`, active alarms, open urgent/emergency orders, overdue orders, and this
 * month's SLA compliance (kpis.ts).
 */
import type { FastifyInstance } from 'fastify';
import { OPEN_STATUSES } from '../../gateway/core/model.js';
import { monthKpis } from '../kpis.js';
import { scopeOf } from './auth.js';
import type { HqApiContext } from './context.js';
import { currentMonth, monthRange } from './query.js';

/** `status IN ${OPEN_ORDER}`: the order is open (gateway/core/model.ts `isOpen`). */
export const OPEN_ORDER = `(${OPEN_STATUSES.map((s) => `'${s}'`).join(', ')})`;
/** SQL: an active order with a deadline passed unmet at $now (the parameter index given). */
export const overdueSql = (o: string, now: string) =>
  `(${o}.status IN ${OPEN_ORDER} AND ((${o}.responded_at IS NULL AND ${o}.respond_by < ${now}) OR (${o}.on_site_by IS NOT NULL AND ${o}.on_site_at IS NULL AND ${o}.on_site_by < ${now})))`;

interface SiteRow {
  site: string;
  name: string | null;
  code: string | null;
  url: string | null;
  last_event_at: number | null;
  last_heard_at: number | null;
  last_seq: number;
  watermark: number;
  status: Record<string, unknown> | null;
  gap_from: number | null;
  gap_to: number | null;
  active_alarms: number;
  urgent_open: number;
  overdue: number;
}

export function sitesApi(ctx: HqApiContext) {
  return async (app: FastifyInstance) => {
    app.get('/api/sites', async (req) => {
      const now = ctx.now();
      const scope = scopeOf(req);
      const { rows } = await ctx.pool.query<SiteRow>(
        `SELECT e.site, e.name, e.code, e.url, e.last_event_at, e.last_heard_at, e.last_seq, e.watermark, e.status,
           g.from_seq AS gap_from, g.to_seq AS gap_to,
           (SELECT count(*)::int FROM alarms a WHERE a.site = e.site AND a.state IN ('active_unack', 'active_ack')) AS active_alarms,
           (SELECT count(*)::int FROM orders o WHERE o.site = e.site AND o.status IN ${OPEN_ORDER} AND o.priority IN ('urgent', 'emergency')) AS urgent_open,
           (SELECT count(*)::int FROM orders o WHERE o.site = e.site AND ${overdueSql('o', '$2')}) AS overdue
         FROM estates e
         LEFT JOIN LATERAL (SELECT from_seq, to_seq FROM gaps WHERE site = e.site AND closed_at IS NULL ORDER BY from_seq LIMIT 1) g ON true
         WHERE ($1::text[] IS NULL OR e.site = ANY($1::text[]))
         ORDER BY e.site`,
        [scope, now],
      );
      const sla = new Map((await monthKpis(ctx.pool, { ...monthRange(currentMonth(now)), now, sites: scope })).map((k) => [k.site, k.slaCompliance]));
      const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
      return {
        sites: rows.map((r) => {
          // The estate's own clock: an outbox drained after an outage does not make it look online.
          const heard = r.last_event_at;
          const backlog = num(r.status?.backlogOutbox);
          return {
            site: r.site,
            name: r.name ?? r.site,
            code: r.code ?? r.site.toUpperCase(),
            url: r.url,
            comm: heard === null ? 'never' : now - heard <= 2 * ctx.statusPeriodMs ? 'online' : 'offline',
            lastEventAt: r.last_event_at,
            lastSeq: r.last_seq,
            watermark: r.watermark,
            gap: r.gap_from === null || r.gap_to === null ? null : { from: r.gap_from, to: r.gap_to },
            devices: num(r.status?.devices) ?? 0,
            devicesOffline: num(r.status?.offline) ?? 0,
            activeAlarms: r.active_alarms,
            urgentOpen: r.urgent_open,
            overdue: r.overdue,
            slaThisMonth: sla.get(r.site) ?? null,
            ...(backlog === null ? {} : { backlogOutbox: backlog }),
          };
        }),
      };
    });
  };
}
