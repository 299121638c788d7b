/**
 * The head-office HTTP API: one fastify plugin per area, one error handler (HQ_ERR_*), the
 * token check and policy table of auth.ts in front of every /api route, and the dashboard's
 * head-office pages.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../../gateway/core/log.js';
import { registerHqAuth } from './auth.js';
import { commandsApi } from './commands.js';
import type { HqApiContext } from './context.js';
import { registerHqErrorHandler } from './errors.js';
import { operationsApi } from './operations.js';
import { ordersApi } from './orders.js';
import { reportsApi } from './reports.js';
import { sitesApi } from './sites.js';
import { staticPages } from './static.js';
import { trendsApi } from './trends.js';

export async function buildHqApi(ctx: HqApiContext, log: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: log.child({ room: 'hq-api' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  });
  registerHqErrorHandler(app);
  await registerHqAuth(app, ctx.users, { loginAttemptsPerMinute: ctx.loginAttemptsPerMinute });
  await app.register(operationsApi(ctx));
  await app.register(sitesApi(ctx));
  await app.register(ordersApi(ctx));
  await app.register(reportsApi(ctx));
  await app.register(trendsApi(ctx));
  await app.register(commandsApi(ctx));
  await app.register(staticPages(ctx.dashboardDir));
  return app;
}
