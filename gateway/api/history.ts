/**
 * History API (gateway/history/README.md, "Queries"):
 *
 * - `GET /api/history?device=&point=a,b&from=&to=&limit=&resolution=`: stored values of one or
 *   several points of a device. The tier follows the range (`resolution=auto`, the default):
 *   raw up to 6 h, 1-minute rollups up to 7 d, 1-hour rollups beyond (a tier whose retention no
 *   longer reaches `from` is skipped). At most `limit` samples per series (default 2000),
 *   downsampled keeping min and max. One point: `{ device, point, from, to, resolution, samples,
 *   series }` (the original shape plus `series`); several: `{ device, points, ..., series }`.
 * - `GET /api/history.csv?...`: the same query as CSV (`time,device,point,value,min,max`, ISO
 *   times; default limit 100,000 per series).
 * - `GET /api/events?from=&to=&limit=`: alarm and work-order events.
 *
 * Ranges longer than 400 days are cut to the newest 400 days (`capped` in the response); every
 * query runs under a timeout.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { csvRow } from '../core/csv.js';
import { Errors } from '../core/errors.js';
import { apiTime } from './time.js';
import { MAX_RANGE, RAW_EXPLICIT_MAX_SPAN, pickResolution } from '../history/query.js';
import type { HistorySample, Resolution } from '../history/store.js';
import type { ApiContext } from './context.js';

/** Timestamps are epoch milliseconds or ISO 8601. */
const Time = Type.String({ minLength: 1, description: 'epoch milliseconds or ISO 8601' });
const MAX_POINTS = 20;
/** Timeout of one history request (all its series), ms. */
export const HISTORY_QUERY_TIMEOUT_MS = 15_000;
const DEFAULT_WINDOW = 3_600_000;

const Query = Type.Object(
  {
    device: Type.String({ minLength: 1 }),
    point: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'point name; several as a,b or repeated point=' }),
    from: Type.Optional(Time),
    to: Type.Optional(Time),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    resolution: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('raw'), Type.Literal('1m'), Type.Literal('1h')], { default: 'auto' })),
  },
  { additionalProperties: false },
);
type QueryT = Static<typeof Query>;

const EventsQuery = Type.Object(
  {
    from: Type.Optional(Time),
    to: Type.Optional(Time),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
  },
  { additionalProperties: false },
);

function parseTime(name: string, v: string | undefined, fallback: number): number {
  return apiTime(name, v) ?? fallback;
}

interface Range {
  from: number;
  to: number;
  capped?: { requestedFrom: number; maxRangeDays: number; message: string };
}

function parseRange(q: { from?: string; to?: string }): Range {
  const to = parseTime('to', q.to, Date.now());
  const from = parseTime('from', q.from, to - DEFAULT_WINDOW);
  if (from > to) throw Errors.BAD_REQUEST('from must not be after to');
  if (to - from <= MAX_RANGE) return { from, to };
  const days = MAX_RANGE / 86_400_000;
  return {
    from: to - MAX_RANGE,
    to,
    capped: { requestedFrom: from, maxRangeDays: days, message: `range longer than ${days} days: cut to the ${days} days before to` },
  };
}

interface Resolved {
  device: string;
  points: string[];
  range: Range;
  resolution: Resolution;
  limit: number;
}

export function historyApi(ctx: ApiContext) {
  function resolve(q: QueryT, defaultLimit: number): Resolved {
    const points = [...new Set(q.point.flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean))];
    if (points.length === 0) throw Errors.BAD_REQUEST('point must name at least one point');
    if (points.length > MAX_POINTS) throw Errors.BAD_REQUEST(`point names ${points.length} points; at most ${MAX_POINTS} per request`);
    for (const p of points) if (!ctx.pipeline.live.has(q.device, p)) throw Errors.NOT_FOUND(`point ${q.device}/${p}`);
    const range = parseRange(q);
    const asked = q.resolution ?? 'auto';
    if (asked === 'raw' && range.to - range.from > RAW_EXPLICIT_MAX_SPAN) {
      throw Errors.BAD_REQUEST(`resolution=raw allows ranges up to ${RAW_EXPLICIT_MAX_SPAN / 86_400_000} days; use auto, 1m or 1h`);
    }
    const resolution = asked === 'auto' ? pickResolution(range.from, range.to, ctx.history.retention) : asked;
    return { device: q.device, points, range, resolution, limit: q.limit ?? defaultLimit };
  }

  async function run(r: Resolved): Promise<Array<{ point: string; samples: HistorySample[] }>> {
    const signal = AbortSignal.timeout(HISTORY_QUERY_TIMEOUT_MS);
    return Promise.all(
      r.points.map(async (point) => ({
        point,
        samples: await ctx.history.query({ device: r.device, point, from: r.range.from, to: r.range.to, limit: r.limit, resolution: r.resolution, signal }),
      })),
    );
  }

  return async (app: FastifyInstance) => {
    app.get<{ Querystring: QueryT }>('/api/history', { schema: { querystring: Query } }, async (req) => {
      const r = resolve(req.query, 2000);
      const series = await run(r);
      const { from, to, capped } = r.range;
      const head = { device: r.device, ...(series.length === 1 ? { point: series[0]!.point } : { points: r.points }), from, to, resolution: r.resolution, limit: r.limit };
      return { ...head, ...(capped ? { capped } : {}), ...(series.length === 1 ? { samples: series[0]!.samples } : {}), series };
    });

    app.get<{ Querystring: QueryT }>('/api/history.csv', { schema: { querystring: Query } }, async (req, reply) => {
      const r = resolve(req.query, 100_000);
      const series = await run(r);
      const rollup = r.resolution !== 'raw';
      let csv = `time,device,point,value${rollup ? ',min,max' : ''}\n`;
      for (const s of series) {
        for (const x of s.samples) {
          csv += `${new Date(x.ts).toISOString()},${csvRow([r.device, s.point, x.value])}`;
          csv += rollup ? `,${csvRow([x.min, x.max])}\n` : '\n';
        }
      }
      const name = `${r.device}_${new Date(r.range.from).toISOString().slice(0, 10)}_${new Date(r.range.to).toISOString().slice(0, 10)}.csv`;
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"`)
        .header('x-history-resolution', r.resolution);
      if (r.range.capped) reply.header('x-history-capped', r.range.capped.message);
      return csv;
    });

    app.get<{ Querystring: Static<typeof EventsQuery> }>('/api/events', { schema: { querystring: EventsQuery } }, async (req) => {
      const { from, to, capped } = parseRange(req.query);
      const events = await ctx.history.events(from, to, req.query.limit ?? 1000);
      return { from, to, ...(capped ? { capped } : {}), events };
    });
  };
}

