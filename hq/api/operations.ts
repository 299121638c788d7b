/**
 * Operations: `GET /api/health` (minimal without a token: `{ status, uptimeSeconds }`; with one:
 * PostgreSQL, NATS and the durable consumers' lag), `GET /api/gaps` (open and recent gaps in
 * the caller's scope), `GET /metrics` (Prometheus text, hq-admin token or HQ_METRICS_TOKEN).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { bearer } from '../../gateway/auth/users.js';
import type { HqApiContext } from './context.js';
import { HqErrors } from './errors.js';
import { Where, scoped } from './orders.js';
import { Limit, SiteId } from './query.js';
import { can } from './roles.js';

const GapsQuery = Type.Object({ site: Type.Optional(SiteId), open: Type.Optional(Type.Boolean()), limit: Limit(1000, 200) }, { additionalProperties: false });

export function operationsApi(ctx: HqApiContext) {
  const scrapeToken = ctx.metricsToken ? Buffer.from(ctx.metricsToken) : undefined;
  const mayScrape = (header: string | undefined): boolean => {
    const token = bearer(header);
    if (!token) return false;
    if (scrapeToken) {
      const given = Buffer.from(token);
      if (given.length === scrapeToken.length && timingSafeEqual(given, scrapeToken)) return true;
    }
    const user = ctx.users.check(token);
    return !!user && can(user.role, 'admin');
  };

  return async (app: FastifyInstance) => {
    app.get('/api/health', async (req) => {
      const pg = await ctx.pool.query('SELECT 1').then(() => true, () => false);
      const probe = await ctx.probe().catch(() => ({ nats: { connected: false }, consumers: {} }));
      const status = pg && probe.nats.connected ? 'ok' : 'degraded';
      const uptimeSeconds = Math.round((ctx.now() - ctx.startedAt) / 1000);
      if (!req.hqUser) return { status, uptimeSeconds };
      return { status, uptimeSeconds, components: { postgres: { ok: pg }, nats: probe.nats, consumers: probe.consumers } };
    });

    app.get<{ Querystring: Static<typeof GapsQuery> }>('/api/gaps', { schema: { querystring: GapsQuery } }, async (req) => {
      const w = scoped(req, req.query.site, new Where());
      if (req.query.open !== undefined) w.raw(req.query.open ? 'closed_at IS NULL' : 'closed_at IS NOT NULL');
      const limitP = w.param(req.query.limit);
      const { rows } = await ctx.pool.query(
        `SELECT site, from_seq AS "from", to_seq AS "to", detected_at AS "detectedAt", closed_at AS "closedAt"
         FROM gaps ${w} ORDER BY (closed_at IS NULL) DESC, detected_at DESC LIMIT ${limitP}`,
        w.params,
      );
      return { gaps: rows };
    });

    app.get('/metrics', async (req, reply) => {
      if (!mayScrape(req.headers.authorization)) {
        throw req.headers.authorization ? HqErrors.FORBIDDEN('/metrics needs an hq-admin token or HQ_METRICS_TOKEN') : HqErrors.UNAUTHORIZED('/metrics needs Authorization: Bearer <hq-admin token or HQ_METRICS_TOKEN>');
      }
      reply.header('content-type', ctx.metrics.registry.contentType);
      return ctx.metrics.registry.metrics();
    });
  };
}
