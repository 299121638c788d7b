/**
 * Photos on a work order (seed 2.2 execution ledger; gateway/workorders/photos.ts):
 *  - `POST /api/work-orders/:id/photos?entry=<ledger seq>`: the raw image as the body
 *    (`Content-Type: image/jpeg|image/png|image/webp`), at most `PhotoStore.maxBytes`
 *    (`413 GW_ERR_PHOTO_TOO_LARGE`); the content must be that type by its first bytes
 *    (`415 GW_ERR_PHOTO_TYPE`). Technicians only on orders assigned to them (auth/policy.ts).
 *  - `GET /api/work-orders/:id/photos`: the photos' records.
 *  - `GET /api/work-orders/:id/photos/:photo`: the image itself, with the bearer token like any call.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Errors } from '../core/errors.js';
import { LEDGER_STATUSES } from '../workorders/lifecycle.js';
import type { PhotoStore } from '../workorders/photos.js';
import { actorOf } from './alarms.js';
import type { ApiContext } from './context.js';

const Params = Type.Object({ id: Type.String({ maxLength: 100 }) });
const PhotoParams = Type.Object({ id: Type.String({ maxLength: 100 }), photo: Type.String({ format: 'uuid' }) });
const UploadQuery = Type.Object({ entry: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false });

export function photosApi(ctx: Pick<ApiContext, 'orders'>, photos: PhotoStore) {
  return async (app: FastifyInstance) => {
    // Any body type reaches the handler as bytes (read up to the limit): the handler decides the
    // type from the content, so a wrong type is our coded 415, not a parser error.
    app.addContentTypeParser('*', (_req, payload, done) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      payload.on('data', (c: Buffer) => {
        if (over) return;
        size += c.length;
        if (size > photos.maxBytes) {
          over = true;
          chunks.length = 0;
          done(Errors.PHOTO_TOO_LARGE(photos.maxBytes), undefined);
          return;
        }
        chunks.push(c);
      });
      payload.on('end', () => !over && done(null, Buffer.concat(chunks)));
      payload.on('error', (err) => !over && done(err, undefined));
    });

    app.post<{ Params: Static<typeof Params>; Querystring: Static<typeof UploadQuery> }>(
      '/api/work-orders/:id/photos',
      { schema: { params: Params, querystring: UploadQuery } },
      async (req, reply) => {
        const order = ctx.orders.get(req.params.id);
        if (!order) throw Errors.NOT_FOUND(`work order ${req.params.id}`);
        if (!LEDGER_STATUSES.includes(order.status)) throw Errors.CONFLICT(`work order ${order.number} is ${order.status}: photos need an accepted order that is not closed`);
        const entry = req.query.entry ?? null;
        if (entry !== null && !ctx.orders.ledger(order.id).some((e) => e.seq === entry)) throw Errors.BAD_REQUEST(`query.entry: work order ${order.number} has no ledger entry ${entry}`);
        if (!Buffer.isBuffer(req.body)) throw Errors.PHOTO_TYPE('send the image bytes as the body with Content-Type image/jpeg, image/png or image/webp');
        const declared = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
        const photo = await photos.add(order.id, entry, req.body, declared, actorOf(req));
        return reply.status(201).send(photo);
      },
    );
    app.get<{ Params: Static<typeof Params> }>('/api/work-orders/:id/photos', { schema: { params: Params } }, async (req) => {
      const order = ctx.orders.get(req.params.id);
      if (!order) throw Errors.NOT_FOUND(`work order ${req.params.id}`);
      return photos.list(order.id);
    });
    app.get<{ Params: Static<typeof PhotoParams> }>('/api/work-orders/:id/photos/:photo', { schema: { params: PhotoParams } }, async (req, reply) => {
      const order = ctx.orders.get(req.params.id);
      const photo = order ? photos.get(order.id, req.params.photo) : undefined;
      if (!photo) throw Errors.NOT_FOUND(`photo ${req.params.photo} of work order ${req.params.id}`);
      return reply.header('content-type', photo.mime).header('cache-control', 'private, max-age=86400, immutable').send(await photos.read(photo));
    });
  };
}
