/** `GET /api/health`: each component's state. */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';

export function healthApi(ctx: ApiContext) {
  return async (app: FastifyInstance) => {
    app.get('/api/health', async () => {
      const ids = ctx.pipeline.live.ids();
      const online = ids.filter((id) => ctx.pipeline.live.comm(id) === 'online').length;
      return {
        status: 'ok',
        site: ctx.config.site.id,
        uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
        history: ctx.history.backend,
        devices: { total: ids.length, online },
        readings: { total: ctx.pipeline.totalReadings, unknown: ctx.pipeline.unknownReadings },
      };
    });
  };
}
