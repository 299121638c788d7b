/**
 * The InfluxDB layout of the history (../README.md, "InfluxDB schema"): measurement names, the
 * retention policies `raw`, `rollup_1m`, `rollup_1h`, and the continuous queries that fill the
 * rollups. `ensure()` creates what is missing; `refreshRollups()` recomputes a past range.
 */
import { escape } from 'influx';
import type { Logger } from '../../core/log.js';
import { BUCKET_MS, DAY, bucketStart } from '../query.js';
import type { HistoryRetention } from '../store.js';
import { RAW_RETENTION_POLICY, type InfluxConnection } from './connection.js';

/** Measurement used for readings of a device the site config does not know. */
export const UNKNOWN_MEASUREMENT = 'unknown';
export const EVENTS_MEASUREMENT = 'events';
/** Retention policies `ensure()` creates: raw data (the default policy) and the two rollup tiers. */
export { RAW_RETENTION_POLICY } from './connection.js';
export const ROLLUP_POLICIES = { '1m': 'rollup_1m', '1h': 'rollup_1h' } as const;
/** Continuous queries `ensure()` creates (the suffix is bumped when their text changes). */
export const CONTINUOUS_QUERIES = { '1m': 'cq_rollup_1m_v1', '1h': 'cq_rollup_1h_v1' } as const;
const CQ_PREFIX = 'cq_rollup_';

export class InfluxSchema {
  /** The database, policies and queries were found or created (reset when a write says otherwise). */
  ready = false;

  constructor(
    private readonly conn: InfluxConnection,
    private readonly retention: HistoryRetention,
    private readonly site: string,
    private readonly log: Logger,
  ) {}

  /** Create the database, retention policies and continuous queries if missing (idempotent). */
  async ensure(): Promise<void> {
    const db = this.conn.database;
    const q = escape.quoted;
    await this.conn.createDatabase();
    const policies = await this.conn.retentionPolicyNames();
    const want: Array<[string, number, boolean]> = [
      [RAW_RETENTION_POLICY, this.retention.raw, true],
      [ROLLUP_POLICIES['1m'], this.retention['1m'], false],
      [ROLLUP_POLICIES['1h'], this.retention['1h'], false],
    ];
    for (const [name, days, isDefault] of want) {
      if (policies.includes(name)) continue; // an operator's change is kept
      await this.conn.createRetentionPolicy(name, days, isDefault);
      this.log.info({ database: db, duration: `${days}d` }, `created retention policy ${name}`);
    }
    const existing = await this.conn.influxql(`SHOW CONTINUOUS QUERIES`);
    const names = new Set<string>();
    for (const s of existing.series ?? []) if (s.name === db) for (const row of s.values ?? []) names.add(String(row[0]));
    for (const name of names) {
      if (name.startsWith(CQ_PREFIX) && !Object.values(CONTINUOUS_QUERIES).includes(name as never)) {
        await this.conn.influxql(`DROP CONTINUOUS QUERY ${q(name)} ON ${q(db)}`);
        this.log.info({ name }, 'dropped outdated continuous query');
      }
    }
    const cqs: Array<[string, string]> = [
      // Every minute: the last 5 complete minutes (late points within 5 min are included).
      [CONTINUOUS_QUERIES['1m'], `RESAMPLE EVERY 1m FOR 5m BEGIN ${this.rollupSelect('1m')} GROUP BY time(1m), * END`],
      // Every 10 minutes: the current and the previous hour.
      [CONTINUOUS_QUERIES['1h'], `RESAMPLE EVERY 10m FOR 2h BEGIN ${this.rollupSelect('1h')} GROUP BY time(1h), * END`],
    ];
    for (const [name, body] of cqs) {
      if (names.has(name)) continue;
      await this.conn.influxql(`CREATE CONTINUOUS QUERY ${q(name)} ON ${q(db)} ${body}`);
      this.log.info({ name }, 'created continuous query');
    }
    this.ready = true;
  }

  /** Recompute the rollups of [from, to] of this site from raw data. */
  async refreshRollups(from: number, to: number): Promise<void> {
    for (const tier of ['1m', '1h'] as const) {
      const size = BUCKET_MS[tier];
      // Chunks of a day (1m) or 30 days (1h) keep each statement small.
      const chunk = tier === '1m' ? DAY : 30 * DAY;
      const end = bucketStart(to, size) + size;
      for (let start = bucketStart(from, size); start < end; start += chunk) {
        const stop = Math.min(end, start + chunk);
        await this.conn.influxql(
          `${this.rollupSelect(tier, ` WHERE "site" = ${escape.stringLit(this.site)} AND time >= ${start}ms AND time < ${stop}ms`)} GROUP BY time(${tier}), *`,
          undefined,
          Math.max(this.conn.queryTimeout, 120_000),
        );
      }
    }
  }

  /** The SELECT ... INTO of a rollup tier, over every measurement of the raw policy. */
  private rollupSelect(tier: '1m' | '1h', where = ''): string {
    const db = escape.quoted(this.conn.database);
    return `SELECT mean(*), min(*), max(*) INTO ${db}.${escape.quoted(ROLLUP_POLICIES[tier])}.:MEASUREMENT FROM ${db}.${escape.quoted(RAW_RETENTION_POLICY)}./.*/${where}`;
  }
}
