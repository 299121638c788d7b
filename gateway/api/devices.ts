/** `GET /api/devices` and `GET /api/devices/:id`: every device with live values and comm status. */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Errors } from '../core/errors.js';
import type { DeviceView } from '../core/model.js';
import type { ApiContext } from './context.js';

const Params = Type.Object({ id: Type.String() });

export function devicesApi(ctx: ApiContext) {
  const view = (id: string): DeviceView | undefined =>
    ctx.pipeline.live.view(id, { activeAlarms: ctx.alarms.activeCount(id), openOrders: ctx.orders.openCount(id) });

  return async (app: FastifyInstance) => {
    app.get('/api/devices', async () => ctx.pipeline.live.ids().map((id) => view(id)!));
    app.get<{ Params: Static<typeof Params> }>('/api/devices/:id', { schema: { params: Params } }, async (req) => {
      const v = view(req.params.id);
      if (!v) throw Errors.NOT_FOUND(`device ${req.params.id}`);
      return v;
    });
  };
}
