/**
 * `GET /api/trends?equipment=&point=&from=&to=&step=1m|1h|1d[&site=]`: one series per estate and
 * device for the same equipment type and point, from the rollups. 1m reads the minute rows
 * (range ≤ 2 days), 1h the hourly rows (≤ 93 days), 1d sums the hourly rows per UTC day
 * (≤ 400 days). Means are count-weighted: sum / count.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { HqApiContext } from './context.js';
import { equipmentTypes, EquipmentCatalogue, equipmentTypeView } from '../../gateway/equipment/index.js';
import { EpochMs, SiteId, Token, checkRange } from './query.js';
import { Where, scoped } from './orders.js';

const DAY = 86_400_000;
const STEPS = {
  '1m': { maxMs: 2 * DAY, table: 'rollups', t: 'minute', sql: 'min(min) AS min, sum(mean * count) AS sum, max(max) AS max, sum(count)::bigint AS count' },
  '1h': { maxMs: 93 * DAY, table: 'rollups_hourly', t: 'hour', sql: 'min(min) AS min, sum(sum) AS sum, max(max) AS max, sum(count)::bigint AS count' },
  '1d': { maxMs: 400 * DAY, table: 'rollups_hourly', t: 'hour', sql: 'min(min) AS min, sum(sum) AS sum, max(max) AS max, sum(count)::bigint AS count' },
} as const;
const STEP_MS = { '1m': 60_000, '1h': 3_600_000, '1d': DAY } as const;

const TrendsQuery = Type.Object(
  {
    equipment: Token,
    point: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
    from: EpochMs,
    to: EpochMs,
    step: Type.Union([Type.Literal('1m'), Type.Literal('1h'), Type.Literal('1d')], { default: '1h' }),
    site: Type.Optional(SiteId),
  },
  { additionalProperties: false },
);

interface Row { site: string; device: string; t: number; min: number; sum: number; max: number; count: number }

/** The built-in equipment types (gateway/equipment/): labels and trend points of the trends page. */
const TYPE_VIEWS = new EquipmentCatalogue(equipmentTypes).list().map(equipmentTypeView);

export function trendsApi(ctx: HqApiContext) {
  return async (app: FastifyInstance) => {
    app.get('/api/equipment-types', async () => TYPE_VIEWS);
    app.get<{ Querystring: Static<typeof TrendsQuery> }>('/api/trends', { schema: { querystring: TrendsQuery } }, async (req) => {
      const { equipment, point, from, to, step, site } = req.query;
      const s = STEPS[step];
      checkRange(from, to, s.maxMs, `step ${step}`);
      const w = scoped(req, site, new Where());
      w.add((p) => `equipment = ${p}`, equipment).add((p) => `point = ${p}`, point);
      // Buckets start at multiples of the step; the range is widened to whole buckets.
      const size = STEP_MS[step];
      const lo = Math.floor(from / size) * size;
      w.add((p) => `${s.t} >= ${p}`, lo).add((p) => `${s.t} < ${p}`, to);
      const sizeP = w.param(size);
      const { rows } = await ctx.pool.query<Row>(
        `SELECT site, device, ${s.t} - ${s.t} % ${sizeP}::bigint AS t, ${s.sql}
         FROM ${s.table} ${w} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
        w.params,
      );
      const series = new Map<string, { site: string; device: string; points: { t: number; min: number; mean: number; max: number; count: number }[] }>();
      for (const r of rows) {
        const key = `${r.site}\u0000${r.device}`;
        let ser = series.get(key);
        if (!ser) series.set(key, (ser = { site: r.site, device: r.device, points: [] }));
        const count = Number(r.count);
        ser.points.push({ t: r.t, min: r.min, mean: count ? r.sum / count : r.sum, max: r.max, count });
      }
      return { equipment, point, step, series: [...series.values()] };
    });
  };
}
