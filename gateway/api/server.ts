/**
 * The HTTP face of the gateway: one fastify plugin per API area, one error handler, and the built
 * dashboard served as static files from the same origin.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { Errors } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { alarmsApi } from './alarms.js';
import type { ApiContext } from './context.js';
import { devicesApi } from './devices.js';
import { registerErrorHandler } from './errors.js';
import { registerSecurityHeaders } from './headers.js';
import { registerAuth } from './auth/plugin.js';
import { metricsApi } from './metrics.js';
import { healthApi } from './health.js';
import { historyApi } from './history.js';
import { workOrdersApi } from './workorders.js';
import { kpisApi } from './kpis.js';
import { predictApi } from './predict.js';
import { uplinkApi } from './uplink.js';
import { archiveApi } from './archive.js';
import { photosApi } from './photos.js';
import { equipmentApi } from './equipment.js';
import { registerIdempotency } from './idempotency.js';
import { ownerApi } from './owner.js';

export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

export interface ApiOptions {
  /** Key and certificate (PEM) to serve HTTPS; plain HTTP without. */
  https?: { key: Buffer; cert: Buffer };
}

export async function buildApi(ctx: ApiContext, log: Logger, opts: ApiOptions = {}): Promise<FastifyInstance> {
  // An HTTPS server is an http.Server for everything the gateway does with it (socket.io, listen).
  const app = Fastify({
    ...(opts.https ? { https: opts.https } : {}),
    loggerInstance: log.child({ room: 'api' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 256 * 1024,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  });
  const errorCounts = registerErrorHandler(app);
  registerSecurityHeaders(app, !!opts.https);
  // OpenAPI from the routes' TypeBox schemas; must see the routes, so it comes first.
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Facility gateway API', version: '0.1.0', description: 'Log in with POST /api/auth/login, then send Authorization: Bearer <token>. Roles: viewer < technician < dispatcher < admin (gateway/api/auth/policy.ts).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await registerAuth(app, { users: ctx.users, order: (id) => ctx.orders.get(id) });
  if (ctx.idempotency) registerIdempotency(app, ctx.idempotency);
  await app.register(metricsApi(ctx, errorCounts));
  await app.register(healthApi(ctx));
  await app.register(devicesApi(ctx));
  await app.register(equipmentApi(ctx));
  await app.register(historyApi(ctx));
  await app.register(alarmsApi(ctx));
  await app.register(workOrdersApi(ctx));
  if (ctx.photos) await app.register(photosApi(ctx, ctx.photos));
  await app.register(kpisApi(ctx));
  if (ctx.predict) await app.register(predictApi(ctx.predict));
  if (ctx.uplink) await app.register(uplinkApi(ctx.uplink));
  if (ctx.archive) await app.register(archiveApi(ctx.archive));
  if (ctx.owner) await app.register(ownerApi(ctx.owner, DASHBOARD_DIR));
  if (existsSync(DASHBOARD_DIR)) {
    await app.register(fastifyStatic, { root: DASHBOARD_DIR, prefix: '/', index: 'index.html' });
  } else {
    log.warn({ dir: DASHBOARD_DIR }, 'dashboard is not built (run `npm run build:dashboard`); serving the API only');
  }
  return app;
}

/** Reads `http.tls` (paths relative to the config file's folder); a missing file is a coded config error. */
export function httpsOf(tls: { key: string; cert: string } | undefined, configDir: string): ApiOptions['https'] {
  if (!tls) return undefined;
  const read = (what: string, p: string) => {
    try {
      return readFileSync(resolve(configDir, p));
    } catch (err) {
      throw Errors.CONFIG_INVALID('http.tls', [`http.tls.${what}: cannot read ${p}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
    }
  };
  return { key: read('key', tls.key), cert: read('cert', tls.cert) };
}
