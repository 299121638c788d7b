/**
 * Service-desk actions, sent to the estate as commands (hq/commands.ts) and answered 202: the
 * estate applies them and reports back. `POST /api/sites/:site/requests` (an owner's call to the
 * hotline), `POST /api/orders/:id/assign`, `POST /api/orders/:id/transition`;
 * `GET /api/commands?site=&status=&limit=` and `GET /api/commands/:id` follow them.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { COMMAND_COLUMNS } from '../commands.js';
import { assertSite } from './auth.js';
import type { HqApiContext } from './context.js';
import { HqErrors } from './errors.js';
import { Where, scoped } from './orders.js';
import { Category } from '../../gateway/config/schema.js';
import { Limit, SiteId } from './query.js';

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const RequestBody = Type.Object(
  { title: Text(200), category: Category, device: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })), description: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
const AssignBody = Type.Object({ assignee: Text(64) }, { additionalProperties: false });
const STATUSES = ['accepted', 'dispatched', 'on_site', 'resolved', 'closed', 'cancelled'] as const;
const TransitionBody = Type.Object(
  { to: Type.Union(STATUSES.map((s) => Type.Literal(s))), note: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
const OrderParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ListQuery = Type.Object(
  { site: Type.Optional(SiteId), status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('applied'), Type.Literal('refused')])), limit: Limit(500, 100) },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export function commandsApi(ctx: HqApiContext) {
  const orderSite = async (id: string): Promise<string> => {
    const { rows } = await ctx.pool.query<{ site: string }>('SELECT site FROM orders WHERE id = $1', [id]);
    if (!rows[0]) throw HqErrors.NOT_FOUND(`work order ${id}`);
    return rows[0].site;
  };

  return async (app: FastifyInstance) => {
    app.post<{ Params: { site: string }; Body: Static<typeof RequestBody> }>(
      '/api/sites/:site/requests',
      { schema: { params: Type.Object({ site: SiteId }), body: RequestBody } },
      async (req, reply) => {
        const { site } = req.params;
        assertSite(req, site);
        const known = await ctx.pool.query('SELECT 1 FROM estates WHERE site = $1', [site]);
        if (!known.rowCount) throw HqErrors.NOT_FOUND(`estate ${site}`);
        const b = req.body;
        const command = await ctx.desk.sendCommand(site, {
          kind: 'create-request', title: b.title, category: b.category, device: b.device ?? null,
          ...(b.description ? { description: b.description } : {}),
        }, req.hqUser!.username);
        return reply.status(202).send({ command });
      },
    );

    app.post<{ Params: Static<typeof OrderParams>; Body: Static<typeof AssignBody> }>(
      '/api/orders/:id/assign',
      { schema: { params: OrderParams, body: AssignBody } },
      async (req, reply) => {
        const site = await orderSite(req.params.id);
        assertSite(req, site);
        const command = await ctx.desk.sendCommand(site, { kind: 'assign', order: req.params.id, assignee: req.body.assignee }, req.hqUser!.username);
        return reply.status(202).send({ command });
      },
    );

    app.post<{ Params: Static<typeof OrderParams>; Body: Static<typeof TransitionBody> }>(
      '/api/orders/:id/transition',
      { schema: { params: OrderParams, body: TransitionBody } },
      async (req, reply) => {
        const site = await orderSite(req.params.id);
        assertSite(req, site);
        const command = await ctx.desk.sendCommand(site, {
          kind: 'transition', order: req.params.id, to: req.body.to, ...(req.body.note ? { note: req.body.note } : {}),
        }, req.hqUser!.username);
        return reply.status(202).send({ command });
      },
    );

    app.get<{ Querystring: Static<typeof ListQuery> }>('/api/commands', { schema: { querystring: ListQuery } }, async (req) => {
      const w = scoped(req, req.query.site, new Where());
      if (req.query.status) w.add((p) => `status = ${p}`, req.query.status);
      const limitP = w.param(req.query.limit);
      const { rows } = await ctx.pool.query(`SELECT ${COMMAND_COLUMNS} FROM commands ${w} ORDER BY created_at DESC LIMIT ${limitP}`, w.params);
      return { commands: rows };
    });

    app.get<{ Params: Static<typeof IdParams> }>('/api/commands/:id', { schema: { params: IdParams } }, async (req) => {
      const c = await ctx.desk.get(req.params.id);
      if (!c) throw HqErrors.NOT_FOUND(`command ${req.params.id}`);
      assertSite(req, c.site);
      return c;
    });
  };
}
