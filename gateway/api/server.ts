/**
 * The HTTP face of the gateway: one fastify plugin per API area, one error handler, and the built
 * dashboard served as static files from the same origin.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Logger } from '../core/log.js';
import { alarmsApi } from './alarms.js';
import type { ApiContext } from './context.js';
import { devicesApi } from './devices.js';
import { registerErrorHandler } from './errors.js';
import { healthApi } from './health.js';
import { historyApi } from './history.js';
import { workOrdersApi } from './workorders.js';

export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

export async function buildApi(ctx: ApiContext, log: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: log.child({ room: 'api' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 256 * 1024,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  });
  registerErrorHandler(app);
  await app.register(healthApi(ctx));
  await app.register(devicesApi(ctx));
  await app.register(historyApi(ctx));
  await app.register(alarmsApi(ctx));
  await app.register(workOrdersApi(ctx));
  if (existsSync(DASHBOARD_DIR)) {
    await app.register(fastifyStatic, { root: DASHBOARD_DIR, prefix: '/', index: 'index.html' });
  } else {
    log.warn({ dir: DASHBOARD_DIR }, 'dashboard is not built (run `npm run build:dashboard`); serving the API only');
  }
  return app;
}
