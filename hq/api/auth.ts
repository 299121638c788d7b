/**
 * Who may call what at head office: login (rate limited per address), `GET /api/auth/me`, and a
 * policy table (method + route → capability, roles.ts) checked for every /api route before the
 * body is parsed. A route missing from the table needs `admin` (fail closed). `req.hqUser`
 * carries the caller for the handlers; `scopeOf(req)` is the list of estates it may see.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { Type, type Static } from '@sinclair/typebox';
import { bearer } from '../../gateway/auth/users.js';
import { HqErrors } from './errors.js';
import { can, type Capability, type HqUser } from './roles.js';
import type { HqUserBook } from './users.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The logged-in head-office caller; null on public routes without a token. */
    hqUser: HqUser | null;
  }
}

export const POLICY: Readonly<Record<string, Capability>> = {
  'POST /api/auth/login': 'public',
  'GET /api/auth/me': 'read',
  'GET /api/health': 'public',
  'GET /api/sites': 'read',
  'GET /api/orders': 'read',
  'GET /api/alarms': 'read',
  'GET /api/gaps': 'read',
  'GET /api/trends': 'read',
  'GET /api/equipment-types': 'read',
  'GET /api/commands': 'read',
  'GET /api/commands/:id': 'read',
  'GET /api/ranking': 'report',
  'GET /api/report': 'report',
  'GET /api/report.csv': 'report',
  'POST /api/sites/:site/requests': 'desk',
  'POST /api/orders/:id/assign': 'desk',
  'POST /api/orders/:id/transition': 'desk',
};

export function capabilityFor(method: string, route: string): Capability {
  return POLICY[`${method === 'HEAD' ? 'GET' : method} ${route}`] ?? 'admin';
}

/** The estates the caller may see: null = all. */
export function scopeOf(req: FastifyRequest): string[] | null {
  return req.hqUser?.sites ?? null;
}

/** Throws 403 when `site` is outside the caller's estates. */
export function assertSite(req: FastifyRequest, site: string): void {
  const scope = scopeOf(req);
  if (scope && !scope.includes(site)) throw HqErrors.SITE_FORBIDDEN(site);
}

const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);

export async function registerHqAuth(app: FastifyInstance, users: HqUserBook, opts: { loginAttemptsPerMinute: number }): Promise<void> {
  app.decorateRequest('hqUser', null);
  app.addHook('onRequest', async (req) => {
    const route = req.routeOptions.url;
    if (!route || !route.startsWith('/api/')) return;
    const user = users.check(bearer(req.headers.authorization));
    if (user) req.hqUser = user;
    const need = capabilityFor(req.method, route);
    if (need === 'public') return;
    if (!req.hqUser) {
      throw HqErrors.UNAUTHORIZED(req.headers.authorization ? 'token invalid or expired; log in again' : 'log in first: POST /api/auth/login, then send Authorization: Bearer <token>');
    }
    if (!can(req.hqUser.role, need)) throw HqErrors.FORBIDDEN(`${req.method} ${route} needs the ${need} capability (you are ${req.hqUser.role})`);
  });

  await app.register(rateLimit, { global: false });
  app.post<{ Body: Static<typeof LoginBody> }>(
    '/api/auth/login',
    {
      schema: { body: LoginBody },
      config: {
        rateLimit: {
          max: opts.loginAttemptsPerMinute,
          timeWindow: 60_000,
          errorResponseBuilder: (_req, ctx) => HqErrors.RATE_LIMITED(Math.ceil(ctx.ttl / 1000)),
        },
      },
    },
    async (req) => {
      const user = await users.login(req.body.username, req.body.password);
      if (!user) {
        req.log.warn({ username: req.body.username, ip: req.ip }, 'login failed');
        throw HqErrors.BAD_LOGIN();
      }
      const { token, expiresAt } = users.sign(user);
      req.log.info({ username: user.username, role: user.role }, 'login');
      return { token, expiresAt, user };
    },
  );
  app.get('/api/auth/me', async (req) => req.hqUser);
}
