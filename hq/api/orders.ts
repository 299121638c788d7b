/**
 * `GET /api/orders?site=&category=&state=&overdue=&q=&limit=&offset=`: orders across estates,
 * newest first, each with its estate, an `overdue` flag (active with a deadline passed unmet)
 * and a link to the order on the estate's own dashboard. `state` is a status or `open` (neither
 * closed nor cancelled). `GET /api/alarms?site=&active=`: alarms across estates. Both carry the
 * device's `equipment` type, null when head office does not know it (no device, an older gateway).
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { assertSite, scopeOf } from './auth.js';
import type { HqApiContext } from './context.js';
import { Limit, Offset, SiteId, Token, likePattern } from './query.js';
import { OPEN_ORDER, overdueSql } from './sites.js';
import { WORK_ORDER_STATUSES } from '../../gateway/core/model.js';

const STATES = [...WORK_ORDER_STATUSES, 'open'] as const;
const OrdersQuery = Type.Object(
  {
    site: Type.Optional(SiteId),
    category: Type.Optional(Token),
    state: Type.Optional(Type.Union(STATES.map((s) => Type.Literal(s)))),
    overdue: Type.Optional(Type.Boolean()),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    limit: Limit(500, 100),
    offset: Offset,
  },
  { additionalProperties: false },
);
const AlarmsQuery = Type.Object(
  { site: Type.Optional(SiteId), active: Type.Optional(Type.Boolean()), limit: Limit(1000, 200), offset: Offset },
  { additionalProperties: false },
);

/** Builds `WHERE` clauses with numbered parameters. */
export class Where {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];
  add(sql: (p: string) => string, value: unknown): this {
    this.params.push(value);
    this.clauses.push(sql(`$${this.params.length}`));
    return this;
  }
  raw(sql: string): this {
    this.clauses.push(sql);
    return this;
  }
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
  toString(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

export function scoped(req: Parameters<typeof scopeOf>[0], site: string | undefined, w: Where, col = 'site'): Where {
  if (site) {
    assertSite(req, site);
    w.add((p) => `${col} = ${p}`, site);
  }
  const scope = scopeOf(req);
  if (scope) w.add((p) => `${col} = ANY(${p}::text[])`, scope);
  return w;
}

/** One page; the last two parameters are LIMIT and OFFSET, `total` comes from a window count. */
async function pageOf<T>(ctx: HqApiContext, sql: string, params: unknown[]): Promise<(T & { total: number })[]> {
  return (await ctx.pool.query<T & { total: number }>(sql, params)).rows;
}

/** The total of a page past the end (no rows to carry the window count): the first row of the same query. */
async function totalOf(ctx: HqApiContext, sql: string, params: unknown[]): Promise<number> {
  const first = await ctx.pool.query<{ total: number }>(sql, [...params.slice(0, -2), 1, 0]);
  return first.rows[0]?.total ?? 0;
}

export function ordersApi(ctx: HqApiContext) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: Static<typeof OrdersQuery> }>('/api/orders', { schema: { querystring: OrdersQuery } }, async (req) => {
      const q = req.query;
      const w = scoped(req, q.site, new Where(), 'o.site');
      if (q.category) w.add((p) => `o.category = ${p}`, q.category);
      if (q.state === 'open') w.raw(`o.status IN ${OPEN_ORDER}`);
      else if (q.state) w.add((p) => `o.status = ${p}`, q.state);
      if (q.q) w.add((p) => `(o.number ILIKE ${p} OR o.title ILIKE ${p} OR o.device ILIKE ${p} OR o.fault ILIKE ${p} OR o.assignee ILIKE ${p})`, likePattern(q.q));
      const nowP = w.param(ctx.now());
      const overdue = overdueSql('o', `${nowP}::bigint`);
      if (q.overdue !== undefined) w.raw(q.overdue ? overdue : `NOT ${overdue}`);
      const limitP = w.param(q.limit);
      const offsetP = w.param(q.offset);
      const sql = `SELECT o.doc, o.site, o.equipment, ${overdue} AS overdue,
           CASE WHEN e.url IS NULL THEN NULL ELSE rtrim(e.url, '/') || '/#/orders/' || o.id END AS url,
           count(*) OVER ()::int AS total
         FROM orders o LEFT JOIN estates e ON e.site = o.site
         ${w} ORDER BY o.created_at DESC, o.id LIMIT ${limitP} OFFSET ${offsetP}`;
      const rows = await pageOf<{ doc: Record<string, unknown>; site: string; equipment: string | null; overdue: boolean; url: string | null }>(ctx, sql, w.params);
      const total = rows[0]?.total ?? (await totalOf(ctx, sql, w.params));
      return { total, orders: rows.map((r) => ({ ...r.doc, site: r.site, equipment: r.equipment, overdue: r.overdue, url: r.url })) };
    });

    app.get<{ Querystring: Static<typeof AlarmsQuery> }>('/api/alarms', { schema: { querystring: AlarmsQuery } }, async (req) => {
      const q = req.query;
      const w = scoped(req, q.site, new Where());
      if (q.active !== undefined) w.raw(`${q.active ? '' : 'NOT '}(state IN ('active_unack', 'active_ack'))`);
      const limitP = w.param(q.limit);
      const offsetP = w.param(q.offset);
      const sql = `SELECT doc, site, equipment, count(*) OVER ()::int AS total FROM alarms ${w} ORDER BY raised_at DESC, id LIMIT ${limitP} OFFSET ${offsetP}`;
      const rows = await pageOf<{ doc: Record<string, unknown>; site: string; equipment: string | null }>(ctx, sql, w.params);
      const total = rows[0]?.total ?? (await totalOf(ctx, sql, w.params));
      return { total, alarms: rows.map((r) => ({ ...r.doc, site: r.site, equipment: r.equipment })) };
    });
  };
}
