/**
 * `GET /api/alarms`, `GET /api/alarms/:id`, `POST /api/alarms/:id/ack`,
 * `POST /api/alarms/:id/shelve` `{ until | duration, comment }`, `POST /api/alarms/:id/unshelve`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Duration } from '../config/schema.js';
import { toMs } from '../core/durations.js';
import { Errors } from '../core/errors.js';
import type { Alarm } from '../core/model.js';
import type { ApiContext } from './context.js';
import { apiTime } from './time.js';

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
const ShelveBody = Type.Object(
  {
    /** Epoch ms or ISO 8601 time the shelve ends. */
    until: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.String({ format: 'date-time' })])),
    /** Or a duration from now: `30m`, `8h`. */
    duration: Type.Optional(Duration),
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
/** ISA-18.2 advises a bounded shelve; a week at most. */
const MAX_SHELVE_MS = 7 * 86_400_000;

/** Who did it, for the audit trail: the logged-in user when auth is on. */
export const actorOf = (req: FastifyRequest, fallback = 'operator'): string =>
  (req as FastifyRequest & { user?: { username?: string } | null }).user?.username ?? fallback;

export function alarmsApi(ctx: ApiContext) {
  // A cancelled order no longer answers its alarm: the alarm shows no order (workorders/permissions.ts).
  const withOrder = (a: Alarm): Alarm => {
    const id = ctx.orders.orderForAlarm(a.id);
    return { ...a, workOrderId: id && ctx.orders.get(id)?.status !== 'cancelled' ? id : null };
  };

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
      async (req) => withOrder(ctx.alarms.acknowledge(req.params.id, actorOf(req), req.body?.comment)),
    );
    app.post<{ Params: Static<typeof Params>; Body: Static<typeof ShelveBody> }>(
      '/api/alarms/:id/shelve',
      { schema: { params: Params, body: ShelveBody } },
      async (req) => {
        const { until, duration, comment } = req.body ?? {};
        if ((until === undefined) === (duration === undefined)) throw Errors.BAD_REQUEST('body needs exactly one of "until" or "duration"');
        const now = ctx.orders.now();
        const end = duration !== undefined ? now + toMs(duration) : apiTime('body.until', until)!;
        if (!Number.isFinite(end) || end <= now) throw Errors.BAD_REQUEST('body.until must be a time in the future');
        if (end - now > MAX_SHELVE_MS) throw Errors.BAD_REQUEST('a shelve lasts at most 7 days');
        return withOrder(ctx.alarms.shelve(req.params.id, end, actorOf(req), comment));
      },
    );
    app.post<{ Params: Static<typeof Params> }>(
      '/api/alarms/:id/unshelve',
      { schema: { params: Params } },
      async (req) => withOrder(ctx.alarms.unshelve(req.params.id)),
    );
  };
}
