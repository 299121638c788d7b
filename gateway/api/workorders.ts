/**
 * `GET/POST /api/work-orders`, `GET /api/work-orders/:id` (with audit trail, execution ledger and
 * escalations), `POST /api/work-orders/:id/transition` `{ to, note?, assignee?, feedback? }`,
 * `POST /api/work-orders/:id/assign` `{ assignee }`, `GET/POST /api/work-orders/:id/ledger`.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Category, SnakeName } from '../core/vocabulary.js';
import { Errors } from '../core/errors.js';
import { WORK_ORDER_STATUSES, type WorkOrder, type WorkOrderStatus } from '../core/model.js';
import { checkAssignee, checkTransition, type PermissionFacts } from '../workorders/permissions.js';
import { actorOf } from './alarms.js';
import type { ApiContext } from './context.js';
import { apiTime } from './time.js';

const Status = Type.Union(WORK_ORDER_STATUSES.map((s) => Type.Literal(s)));
const ListQuery = Type.Object(
  {
    device: Type.Optional(Type.String()),
    open: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 500 })),
  },
  { additionalProperties: false },
);
const Params = Type.Object({ id: Type.String() });
const Feedback = Type.Object(
  { rating: Type.Integer({ minimum: 1, maximum: 5 }), comment: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
const TransitionBody = Type.Object(
  {
    to: Status,
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    /** Owner feedback (seed 2.3), on `closed` only; required for owners' requests (source manual). */
    feedback: Type.Optional(Feedback),
  },
  { additionalProperties: false },
);
const AssignBody = Type.Object({ assignee: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
const LedgerBody = Type.Object(
  {
    /** When the work was done (epoch ms or ISO 8601); default now. */
    time: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.String({ format: 'date-time' })])),
    personnel: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 50 }),
    tools: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 }),
    result: Type.String({ minLength: 1, maxLength: 4000 }),
    safetyMeasures: Type.String({ minLength: 1, maxLength: 4000 }),
  },
  { additionalProperties: false },
);
const CreateBody = Type.Object(
  {
    device: Type.Optional(Type.String()),
    fault: SnakeName,
    category: Category,
    title: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

/** Alarms linked to an order that are still active (an active alarm keeps its order's reason to exist). */
export function activeAlarmsOf(ctx: Pick<ApiContext, 'alarmRepo' | 'orders'>, order: WorkOrder): string[] {
  if (!order.device) return [];
  return ctx.alarmRepo
    .list({ limit: 5000, device: order.device })
    .filter((a) => (a.state === 'active_unack' || a.state === 'active_ack') && ctx.orders.orderForAlarm(a.id) === order.id)
    .map((a) => a.id);
}

export function workOrdersApi(ctx: ApiContext) {
  const facts: PermissionFacts = { activeAlarms: (o) => activeAlarmsOf(ctx, o), roleOf: (u) => ctx.users.roleOf(u) };
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: Static<typeof ListQuery> }>('/api/work-orders', { schema: { querystring: ListQuery } }, async (req) =>
      ctx.orders.list({ limit: req.query.limit ?? 500, ...(req.query.device ? { device: req.query.device } : {}), ...(req.query.open ? { open: true } : {}) }),
    );
    app.get<{ Params: Static<typeof Params> }>('/api/work-orders/:id', { schema: { params: Params } }, async (req) => {
      const o = ctx.orders.get(req.params.id);
      if (!o) throw Errors.NOT_FOUND(`work order ${req.params.id}`);
      return { ...o, audit: ctx.orders.audit(o.id), ledger: ctx.orders.ledger(o.id), escalations: ctx.orders.escalations(o.id) };
    });
    app.post<{ Body: Static<typeof CreateBody> }>('/api/work-orders', { schema: { body: CreateBody } }, async (req, reply) => {
      const { device, fault, category, title } = req.body;
      if (device && !ctx.pipeline.live.device(device)) throw Errors.BAD_REQUEST(`body.device: no device with id "${device}"`);
      const order = ctx.orders.create({ device: device ?? null, fault, category, title }, actorOf(req, 'dispatcher'));
      return reply.status(201).send(order);
    });
    app.post<{ Params: Static<typeof Params>; Body: Static<typeof TransitionBody> }>(
      '/api/work-orders/:id/transition',
      { schema: { params: Params, body: TransitionBody } },
      async (req) => {
        const { to, note, assignee, feedback } = req.body;
        const order = ctx.orders.get(req.params.id);
        if (!order) throw Errors.NOT_FOUND(`work order ${req.params.id}`);
        if (req.user) checkTransition(req.user, order, { to: to as WorkOrderStatus, ...(note !== undefined ? { note } : {}), ...(assignee !== undefined ? { assignee } : {}), ...(feedback ? { feedback } : {}) }, facts);
        return ctx.orders.transition(req.params.id, to as WorkOrderStatus, actorOf(req), {
          ...(note !== undefined ? { note } : {}), ...(assignee !== undefined ? { assignee } : {}), ...(feedback ? { feedback } : {}),
        });
      },
    );
    app.post<{ Params: Static<typeof Params>; Body: Static<typeof AssignBody> }>(
      '/api/work-orders/:id/assign',
      { schema: { params: Params, body: AssignBody } },
      async (req) => {
        checkAssignee('body.assignee', req.body.assignee, facts);
        return ctx.orders.assign(req.params.id, req.body.assignee, actorOf(req));
      },
    );
    app.get<{ Params: Static<typeof Params> }>('/api/work-orders/:id/ledger', { schema: { params: Params } }, async (req) => {
      const o = ctx.orders.get(req.params.id);
      if (!o) throw Errors.NOT_FOUND(`work order ${req.params.id}`);
      return ctx.orders.ledger(o.id);
    });
    app.post<{ Params: Static<typeof Params>; Body: Static<typeof LedgerBody> }>(
      '/api/work-orders/:id/ledger',
      { schema: { params: Params, body: LedgerBody } },
      async (req, reply) => {
        const { time, ...rest } = req.body;
        const t = apiTime('body.time', time);
        const entry = ctx.orders.addLedger(req.params.id, { ...rest, ...(t !== undefined ? { time: t } : {}) }, actorOf(req));
        return reply.status(201).send(entry);
      },
    );
  };
}
