/** `GET /api/alarms`, `POST /api/alarms/:id/ack`. */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Errors } from '../core/errors.js';
import type { Alarm } from '../core/model.js';
import type { ApiContext } from './context.js';

const ListQuery = Type.Object(
  {
    device: Type.Optional(Type.String()),
    state: Type.Optional(Type.Union(['active_unack', 'active_ack', 'cleared_unack', 'normal'].map((s) => Type.Literal(s)))),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 200 })),
  },
  { additionalProperties: false },
);
const Params = Type.Object({ id: Type.String() });
const AckBody = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });

export function alarmsApi(ctx: ApiContext) {
  const withOrder = (a: Alarm): Alarm => ({ ...a, workOrderId: ctx.orders.orderForAlarm(a.id) });

  return async (app: FastifyInstance) => {
    app.get<{ Querystring: Static<typeof ListQuery> }>('/api/alarms', { schema: { querystring: ListQuery } }, async (req) => {
      const { device, state, limit } = req.query;
      return ctx.alarmRepo.list({ limit: limit ?? 200, ...(device ? { device } : {}), ...(state ? { state: state as Alarm['state'] } : {}) }).map(withOrder);
    });
    app.get<{ Params: Static<typeof Params> }>('/api/alarms/:id', { schema: { params: Params } }, async (req) => {
      const a = ctx.alarmRepo.get(req.params.id);
      if (!a) throw Errors.NOT_FOUND(`alarm ${req.params.id}`);
      return withOrder(a);
    });
    app.post<{ Params: Static<typeof Params>; Body: Static<typeof AckBody> }>(
      '/api/alarms/:id/ack',
      { schema: { params: Params, body: AckBody } },
      async (req) => withOrder(ctx.alarms.acknowledge(req.params.id, 'operator', req.body?.comment)),
    );
  };
}
