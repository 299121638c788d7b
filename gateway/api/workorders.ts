/** `GET/POST /api/work-orders`, `GET /api/work-orders/:id`, `POST /api/work-orders/:id/transition`. */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Category } from '../config/schema.js';
import { Errors } from '../core/errors.js';
import type { WorkOrderStatus } from '../core/model.js';
import type { ApiContext } from './context.js';

const Status = Type.Union(['new', 'accepted', 'dispatched', 'on_site', 'resolved', 'closed', 'cancelled'].map((s) => Type.Literal(s)));
const ListQuery = Type.Object(
  {
    device: Type.Optional(Type.String()),
    open: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 500 })),
  },
  { additionalProperties: false },
);
const Params = Type.Object({ id: Type.String() });
const TransitionBody = Type.Object(
  {
    to: Status,
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);
const CreateBody = Type.Object(
  {
    device: Type.Optional(Type.String()),
    fault: Type.String({ pattern: '^[a-z][a-z0-9_]*$' }),
    category: Category,
    title: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

export function workOrdersApi(ctx: ApiContext) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: Static<typeof ListQuery> }>('/api/work-orders', { schema: { querystring: ListQuery } }, async (req) =>
      ctx.orders.list({ limit: req.query.limit ?? 500, ...(req.query.device ? { device: req.query.device } : {}), ...(req.query.open ? { open: true } : {}) }),
    );
    app.get<{ Params: Static<typeof Params> }>('/api/work-orders/:id', { schema: { params: Params } }, async (req) => {
      const o = ctx.orders.get(req.params.id);
      if (!o) throw Errors.NOT_FOUND(`work order ${req.params.id}`);
      return { ...o, audit: ctx.orders.audit(o.id) };
    });
    app.post<{ Body: Static<typeof CreateBody> }>('/api/work-orders', { schema: { body: CreateBody } }, async (req, reply) => {
      const { device, fault, category, title } = req.body;
      if (device && !ctx.pipeline.live.device(device)) throw Errors.BAD_REQUEST(`body.device: no device with id "${device}"`);
      const order = ctx.orders.create({ device: device ?? null, fault, category, title }, 'dispatcher');
      return reply.status(201).send(order);
    });
    app.post<{ Params: Static<typeof Params>; Body: Static<typeof TransitionBody> }>(
      '/api/work-orders/:id/transition',
      { schema: { params: Params, body: TransitionBody } },
      async (req) => ctx.orders.transition(req.params.id, req.body.to as WorkOrderStatus, 'operator', req.body.note, req.body.assignee),
    );
  };
}
