/** `GET /api/history?device=&point=&from=&to=&limit=`: stored values of one point. */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { Errors } from '../core/errors.js';
import type { ApiContext } from './context.js';

/** Timestamps are epoch milliseconds or ISO 8601. */
const Time = Type.String({ minLength: 1 });
const Query = Type.Object(
  {
    device: Type.String({ minLength: 1 }),
    point: Type.String({ minLength: 1 }),
    from: Type.Optional(Time),
    to: Type.Optional(Time),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 2000 })),
  },
  { additionalProperties: false },
);

function parseTime(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) throw Errors.BAD_REQUEST(`${name} must be epoch milliseconds or an ISO 8601 time (got "${v}")`);
  return t;
}

export function historyApi(ctx: ApiContext) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: Static<typeof Query> }>('/api/history', { schema: { querystring: Query } }, async (req) => {
      const { device, point, limit } = req.query;
      if (!ctx.pipeline.live.has(device, point)) throw Errors.NOT_FOUND(`point ${device}/${point}`);
      const to = parseTime('to', req.query.to, Date.now());
      const from = parseTime('from', req.query.from, to - 3_600_000);
      if (from > to) throw Errors.BAD_REQUEST('from must not be after to');
      const samples = await ctx.history.query({ device, point, from, to, limit: limit ?? 2000 });
      return { device, point, from, to, samples };
    });
  };
}
