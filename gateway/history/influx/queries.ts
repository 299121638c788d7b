/**
 * Trend and event queries in InfluxQL: rollup tiers when asked and present, raw data otherwise,
 * reduced to `limit` samples in the gateway (`downsample`) or, for very large results, by InfluxDB
 * (`LAST() ... GROUP BY time()`).
 */
import { escape } from 'influx';
import { Errors, GatewayError } from '../../core/errors.js';
import { downsample } from '../downsample.js';
import { BUCKET_MS, bucketStart, reduceRollups } from '../query.js';
import type { HistoryEvent, HistoryQuery, HistorySample } from '../store.js';
import { errorText, type InfluxConnection, type RawResult } from './connection.js';
import { EVENTS_MEASUREMENT, RAW_RETENTION_POLICY, ROLLUP_POLICIES, UNKNOWN_MEASUREMENT } from './schema.js';
import type { InfluxDeviceInfo } from './writer.js';

export class InfluxQueries {
  constructor(
    private readonly conn: InfluxConnection,
    private readonly site: string,
    private readonly deviceInfo: (id: string) => InfluxDeviceInfo | undefined,
    /** Largest raw result reduced in the gateway when a query has a `limit`. */
    private readonly maxRawRows: number,
  ) {}

  async query(q: HistoryQuery): Promise<HistorySample[]> {
    const limit = q.limit !== undefined ? Math.max(0, Math.floor(q.limit)) : undefined;
    if (limit === 0 || q.to < q.from) return [];
    const timeout = this.conn.queryTimeout;
    const measurement = this.deviceInfo(q.device)?.type ?? UNKNOWN_MEASUREMENT;
    const db = escape.quoted(this.conn.database);
    const tags = `"site" = ${escape.stringLit(this.site)} AND "device" = ${escape.stringLit(q.device)}`;
    const signal = q.signal ? AbortSignal.any([q.signal, AbortSignal.timeout(timeout)]) : AbortSignal.timeout(timeout);
    const what = `query of ${q.device}.${q.point}`;

    try {
      const resolution = q.resolution ?? 'raw';
      if (resolution !== 'raw') {
        const size = BUCKET_MS[resolution];
        const p = q.point;
        const fields = [`mean_${p}`, `min_${p}`, `max_${p}`].map((f) => escape.quoted(f)).join(', ');
        const res = await this.conn.influxql(
          `SELECT ${fields} FROM ${db}.${escape.quoted(ROLLUP_POLICIES[resolution])}.${escape.quoted(measurement)} WHERE ${tags}` +
            ` AND time >= ${bucketStart(Math.floor(q.from), size)}ms AND time <= ${Math.floor(q.to)}ms`,
          signal,
        );
        const rows: HistorySample[] = [];
        for (const s of res.series ?? []) {
          for (const row of s.values ?? []) {
            if (typeof row[1] !== 'number') continue; // booleans have min/max but no mean
            rows.push({ ts: row[0] as number, value: row[1], min: row[2] as number, max: row[3] as number });
          }
        }
        if (rows.length > 0) return reduceRollups(rows, limit);
        // No rollups for this point (not numeric, or not rolled up yet): raw data.
      }

      const from = `${db}.${escape.quoted(RAW_RETENTION_POLICY)}.${escape.quoted(measurement)}`;
      const field = escape.quoted(q.point);
      const where = `${tags} AND time >= ${Math.floor(q.from)}ms AND time <= ${Math.floor(q.to)}ms`;
      const cap = limit === undefined ? undefined : Math.max(limit, this.maxRawRows);
      const raw = samples(await this.conn.influxql(`SELECT ${field} FROM ${from} WHERE ${where}${cap !== undefined ? ` LIMIT ${cap + 1}` : ''}`, signal));
      if (limit === undefined || raw.length <= limit) return raw;
      // Same reduction as the embedded store (min/max per bucket for numbers).
      if (raw.length <= cap!) return downsample(raw, limit);
      // Too many rows to reduce here: let InfluxDB keep one sample per time bucket (the last
      // value, which works for every field type), stamped with the bucket start. Buckets start
      // at `from`.
      const start = Math.floor(q.from);
      const span = Math.floor(q.to) - start + 1;
      const bucket = Math.max(1, Math.ceil(span / limit));
      const offset = ((start % bucket) + bucket) % bucket;
      const down = samples(await this.conn.influxql(`SELECT LAST(${field}) FROM ${from} WHERE ${where} GROUP BY time(${bucket}ms, ${offset}ms) fill(none)`, signal));
      return down.length > limit ? down.slice(0, limit) : down;
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      if (signal.aborted) {
        if (q.signal?.aborted) throw Errors.HISTORY_UNAVAILABLE(`${what} was cancelled`);
        throw Errors.TIMEOUT(`history ${what}`, timeout);
      }
      throw Errors.HISTORY_UNAVAILABLE(`${what} failed: ${errorText(err)}`);
    }
  }

  async events(from: number, to: number, limit = 10_000): Promise<HistoryEvent[]> {
    const db = escape.quoted(this.conn.database);
    try {
      const res = await this.conn.influxql(
        `SELECT "action", "device", "kind", "id", "text" FROM ${db}.${escape.quoted(RAW_RETENTION_POLICY)}.${escape.quoted(EVENTS_MEASUREMENT)}` +
          ` WHERE "site" = ${escape.stringLit(this.site)} AND time >= ${Math.floor(from)}ms AND time <= ${Math.floor(to)}ms LIMIT ${Math.max(1, Math.floor(limit))}`,
        AbortSignal.timeout(this.conn.queryTimeout),
      );
      const out: HistoryEvent[] = [];
      for (const s of res.series ?? []) {
        for (const [ts, action, device, kind, id, text] of s.values ?? []) {
          out.push({ ts: ts as number, device: (device as string | null) ?? null, kind: kind as HistoryEvent['kind'], action: String(action ?? ''), id: String(id), text: String(text) });
        }
      }
      return out;
    } catch (err) {
      throw Errors.HISTORY_UNAVAILABLE(`events query failed: ${errorText(err)}`);
    }
  }
}

function samples(result: RawResult): HistorySample[] {
  const out: HistorySample[] = [];
  for (const series of result.series ?? []) {
    for (const row of series.values ?? []) {
      const v = row[1];
      if (v === null || v === undefined) continue;
      out.push({ ts: row[0] as number, value: v as HistorySample['value'] });
    }
  }
  return out;
}
