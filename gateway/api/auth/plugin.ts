/**
 * Authentication and authorization of the REST API:
 *  - `POST /api/auth/login` `{ username, password }` → `{ token, expiresAt, user }`, rate limited
 *    per username (`auth.loginAttemptsPerMinute`) and per client address
 *    (`auth.loginAttemptsPerMinutePerAddress`); a failure logs the address only (the typed username
 *    may be a password typed into the wrong field);
 *  - every other /api route needs `Authorization: Bearer <token>` and the role of policy.ts
 *    (401 GW_ERR_UNAUTHORIZED without a valid token, 403 GW_ERR_FORBIDDEN with too small a role);
 *  - `req.user` carries `{ username, role }` for the handlers (audit "who");
 *  - CORS: closed unless `auth.corsOrigins` lists an origin.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { Type, type Static } from '@sinclair/typebox';
import { roleAtLeast, type Role } from '../../auth/schema.js';
import { bearer, type UserBook } from '../../auth/users.js';
import type { WorkOrder } from '../../core/model.js';
import { AuthErrors } from './errors.js';
import { PerKeyWindow } from '../../core/per-key-window.js';
import { accessFor, minRole } from './policy.js';

export interface RequestUser {
  username: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in caller; null on public routes without a token. */
    user: RequestUser | null;
  }
}

const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
const UserOut = Type.Object({ username: Type.String(), role: Type.String(), name: Type.Optional(Type.String()) });
const LoginReply = Type.Object({ token: Type.String(), expiresAt: Type.Integer(), user: UserOut });

export interface AuthPluginOptions {
  users: UserBook;
  /** Looks up a work order for the `own: 'work-order'` rule. */
  order: (id: string) => WorkOrder | undefined;
}

/** Call on the root instance before the API routes are registered (hooks apply to all of them). */
export async function registerAuth(app: FastifyInstance, opts: AuthPluginOptions): Promise<void> {
  const { users } = opts;
  const origins = new Set(users.settings.corsOrigins);
  app.decorateRequest('user', null);

  const fallbacks: string[] = [];
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return;
    for (const m of [route.method].flat()) {
      if (m !== 'HEAD' && accessFor(m, route.url).fallback) fallbacks.push(`${m} ${route.url}`);
    }
  });
  app.addHook('onReady', async () => {
    if (fallbacks.length) app.log.warn({ routes: fallbacks }, 'routes missing from gateway/api/auth/policy.ts use the fallback (GET viewer, others admin)');
  });

  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (origin && origins.has(origin)) {
      reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
      if (req.method === 'OPTIONS') {
        reply
          .header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE')
          .header('access-control-allow-headers', 'authorization, content-type')
          .header('access-control-max-age', '600');
        return reply.status(204).send();
      }
    }
    const route = req.routeOptions.url;
    if (!route || !route.startsWith('/api/')) return; // 404s, dashboard files, /docs, /metrics
    const claims = users.check(bearer(req.headers.authorization));
    if (claims) req.user = { username: claims.sub, role: claims.role };
    const { access } = accessFor(req.method, route);
    const need = minRole(access);
    if (need === 'public') return;
    if (!req.user) throw AuthErrors.UNAUTHORIZED(req.headers.authorization ? 'token invalid or expired; log in again' : 'log in first: POST /api/auth/login, then send Authorization: Bearer <token>');
    if (!roleAtLeast(req.user.role, need)) throw AuthErrors.FORBIDDEN(`${req.method} ${route} needs role ${need} (you are ${req.user.role})`);
  });

  // Ownership needs the validated params and body, so it runs after validation.
  app.addHook('preHandler', async (req: FastifyRequest) => {
    const route = req.routeOptions.url;
    if (!route || !req.user) return;
    const { access } = accessFor(req.method, route);
    if (typeof access === 'string' || access.own !== 'work-order' || roleAtLeast(req.user.role, 'dispatcher')) return;
    const id = (req.params as { id?: string }).id;
    const order = id ? opts.order(id) : undefined;
    if (!order) return; // the handler answers 404
    if (order.assignee !== req.user.username) throw AuthErrors.FORBIDDEN(`work order ${order.number ?? id} is not assigned to you`);
    const to = (req.body as { assignee?: unknown } | undefined)?.assignee;
    if (to !== undefined && to !== req.user.username) throw AuthErrors.FORBIDDEN('only a dispatcher may assign a work order to someone else');
  });

  await app.register(rateLimit, { global: false });
  const perUser = new PerKeyWindow(users.settings.loginAttemptsPerMinute);
  app.post<{ Body: Static<typeof LoginBody> }>(
    '/api/auth/login',
    {
      schema: { tags: ['auth'], summary: 'Log in; returns a bearer token', body: LoginBody, response: { 200: LoginReply } },
      config: {
        rateLimit: {
          max: users.settings.loginAttemptsPerMinutePerAddress,
          timeWindow: 60_000,
          errorResponseBuilder: (_req, ctx) => AuthErrors.RATE_LIMITED(Math.ceil(ctx.ttl / 1000)),
        },
      },
    },
    async (req) => {
      const limit = perUser.hit(req.body.username.toLowerCase());
      if (!limit.ok) throw AuthErrors.RATE_LIMITED(limit.retryS);
      const user = await users.login(req.body.username, req.body.password);
      if (!user) {
        req.log.warn({ ip: req.ip }, 'login failed');
        throw AuthErrors.BAD_LOGIN();
      }
      perUser.reset(req.body.username.toLowerCase());
      const { token, expiresAt } = users.tokens.sign(user.username, user.role);
      req.log.info({ username: user.username, role: user.role }, 'login');
      return { token, expiresAt, user };
    },
  );
  app.get('/api/auth/me', { schema: { tags: ['auth'], summary: 'The logged-in user' } }, async (req) => req.user);
}
