/**
 * Owners' public pages and their API (gateway/owner/README.md; seed 2.1 requests, seed 2.3 feedback).
 *
 * Public (no login; policy.ts lists them as `public`), each limited per client address:
 *  - `GET /r/:token`, `/r/follow/:token`, `/r/feedback/:token`: the mobile page (dashboard/request.html);
 *  - `GET /api/owner/codes/:token`: the label's place and categories;
 *  - `POST /api/owner/requests` `{ code, category, description, phone, photo?, website }`: 201 with
 *    the follow link; 5/hour/address and 20/day/label by default (429 + Retry-After), body capped
 *    (413), photo type from its bytes (415), `website` is a honeypot that must stay empty;
 *  - `GET /api/owner/follow/:token`: that one order's status, times and notes to the owner;
 *  - `GET|POST /api/owner/feedback/:token` `{ rating, comment? }`: one-time, closes the order.
 * Every unknown, forged or foreign token gets the same 404 `GW_ERR_NOT_FOUND` "link not found".
 *
 * Staff: `GET /api/owner-codes` (labels with QR SVG, dispatcher), `GET /api/work-orders/:id/owner`
 * (contact, dispatcher), `GET /api/work-orders/:id/owner/photo`, `POST /api/work-orders/:id/owner-notes`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Errors, GatewayError } from '../core/errors.js';
import type { OwnerDesk } from '../owner/service.js';
import { actorOf } from './alarms.js';

import { OwnerCategory } from '../config/owner.js';
const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 600 }) });
const IdParams = Type.Object({ id: Type.String() });
const RequestBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 64 }),
    category: OwnerCategory,
    description: Type.String({ minLength: 1, maxLength: 1000 }),
    phone: Type.String({ minLength: 5, maxLength: 32 }),
    /** JPEG, PNG or WebP as base64 or a data: URL (the page shrinks photos before sending). */
    photo: Type.Optional(Type.String({ maxLength: 8_000_000 })),
    /** Honeypot: hidden on the page, so only robots fill it in. */
    website: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
const FeedbackBody = Type.Object(
  { rating: Type.Integer({ minimum: 1, maximum: 5 }), comment: Type.Optional(Type.String({ maxLength: 1000 })) },
  { additionalProperties: false },
);
const NoteBody = Type.Object({ text: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false });

/** Lookups per address and minute on the token routes: no use guessing, and no cheap load either. */
const LOOKUPS_PER_MINUTE = 60;

/** Runs `fn`; a coded 429 gets its Retry-After header. */
function limited<T>(reply: FastifyReply, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const retry = (err as { retryAfter?: unknown }).retryAfter;
    if (err instanceof GatewayError && typeof retry === 'number') reply.header('retry-after', String(retry));
    throw err;
  }
}

export function ownerApi(owner: OwnerDesk, dashboardDir: string) {
  const lookupLimit = {
    rateLimit: { max: LOOKUPS_PER_MINUTE, timeWindow: 60_000, errorResponseBuilder: (_req: unknown, ctx: { ttl: number }) => Errors.RATE_LIMITED('look-ups from this address', Math.ceil(ctx.ttl / 1000)) },
  };
  // base64 is 4/3 of the photo, plus the text fields.
  const bodyLimit = Math.ceil((owner.maxPhotoBytes * 4) / 3) + 16 * 1024;
  let page: Buffer | null = null;
  const sendPage = async (_req: unknown, reply: FastifyReply) => {
    const file = join(dashboardDir, 'request.html');
    if (!page) {
      if (!existsSync(file)) throw Errors.NOT_FOUND('page (the dashboard is not built)');
      page = readFileSync(file);
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
  };

  return async (app: FastifyInstance) => {
    app.get('/r/:token', { config: lookupLimit, schema: { hide: true } }, sendPage);
    app.get('/r/follow/:token', { config: lookupLimit, schema: { hide: true } }, sendPage);
    app.get('/r/feedback/:token', { config: lookupLimit, schema: { hide: true } }, sendPage);

    app.get<{ Params: Static<typeof TokenParams> }>('/api/owner/codes/:token', { config: lookupLimit, schema: { tags: ['owner'], params: TokenParams } }, async (req, reply) => {
      const c = owner.code(req.params.token);
      reply.header('cache-control', 'no-store');
      return { location: c.location, category: c.category, categories: owner.categoriesFor(c) };
    });

    app.post<{ Body: Static<typeof RequestBody> }>('/api/owner/requests', { bodyLimit, schema: { tags: ['owner'], body: RequestBody } }, async (req, reply) => {
      limited(reply, () => owner.hitAddress(req.ip));
      if (req.body.website) {
        req.log.warn({ ip: req.ip }, 'owner request refused: honeypot field filled in');
        throw Errors.BAD_REQUEST('request refused');
      }
      const { order, follow, expiresAt } = limited(reply, () => owner.submit({ ...req.body, ip: req.ip }));
      return reply.status(201).send({ follow: `/r/follow/${follow}`, expiresAt, status: order.status, createdAt: order.createdAt });
    });

    app.get<{ Params: Static<typeof TokenParams> }>('/api/owner/follow/:token', { config: lookupLimit, schema: { tags: ['owner'], params: TokenParams } }, async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return owner.follow(req.params.token);
    });

    app.get<{ Params: Static<typeof TokenParams> }>('/api/owner/feedback/:token', { config: lookupLimit, schema: { tags: ['owner'], params: TokenParams } }, async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return owner.feedbackView(req.params.token);
    });

    app.post<{ Params: Static<typeof TokenParams>; Body: Static<typeof FeedbackBody> }>(
      '/api/owner/feedback/:token',
      { config: lookupLimit, schema: { tags: ['owner'], params: TokenParams, body: FeedbackBody } },
      async (req) => owner.feedback(req.params.token, req.body.rating, req.body.comment),
    );

    app.get('/api/owner-codes', { schema: { tags: ['owner'], summary: 'Printable labels: public URL and QR code (SVG) per label' } }, async (req) =>
      owner.labels(`${req.protocol}://${req.host}`),
    );
    app.get<{ Params: Static<typeof IdParams> }>('/api/work-orders/:id/owner', { schema: { tags: ['owner'], params: IdParams } }, async (req) => owner.contact(req.params.id));
    app.get<{ Params: Static<typeof IdParams> }>('/api/work-orders/:id/owner/photo', { schema: { tags: ['owner'], params: IdParams } }, async (req, reply) => {
      const p = owner.photo(req.params.id);
      return reply.type(p.type).header('cache-control', 'private, no-store').send(p.bytes);
    });
    app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof NoteBody> }>(
      '/api/work-orders/:id/owner-notes',
      { schema: { tags: ['owner'], params: IdParams, body: NoteBody } },
      async (req, reply) => reply.status(201).send(owner.addNote(req.params.id, req.body.text, actorOf(req))),
    );
  };
}
