/**
 * The InfluxDB server of the history: one node-influx client for InfluxQL (schema, queries, ping)
 * and the write endpoint (`/write`, node:http with keep-alive sockets, see `../http.ts`).
 */
import { InfluxDB } from 'influx';
import { Agent } from 'node:http';
import type { InfluxConfig } from '../../config/schema.js';
import { httpPost, type PostResult } from '../http.js';

/** Retention policy of raw points (the rollup policies are in schema.ts). */
export const RAW_RETENTION_POLICY = 'raw';

export interface RawResult {
  error?: string;
  series?: Array<{ name?: string; columns: string[]; values?: unknown[][] }>;
}
interface RawResponse {
  results?: RawResult[];
}

/** The pool of node-influx disables a failed host for up to 10 s; the store does its own retrying. */
interface PoolBackoff {
  getDelay(): number;
  next(): PoolBackoff;
  reset(): PoolBackoff;
}
const NO_BACKOFF: PoolBackoff = { getDelay: () => 50, next: () => NO_BACKOFF, reset: () => NO_BACKOFF };

export class InfluxConnection {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  private readonly client: InfluxDB;
  private readonly writeUrl: string;
  private readonly authHeader: string | undefined;
  /** Keep-alive sockets of the write requests (live and replay). */
  private readonly agent = new Agent({ keepAlive: true });

  constructor(config: InfluxConfig, readonly requestTimeout: number, readonly queryTimeout: number) {
    this.host = config.host;
    this.port = config.port ?? 8086;
    this.database = config.database ?? 'facility';
    this.client = new InfluxDB({
      host: this.host,
      port: this.port,
      database: this.database,
      username: config.username,
      password: config.password,
      pool: { maxRetries: 0, requestTimeout: Math.max(requestTimeout, queryTimeout), backoff: NO_BACKOFF },
    });
    const hostPart = this.host.includes(':') && !this.host.startsWith('[') ? `[${this.host}]` : this.host;
    this.writeUrl = `http://${hostPart}:${this.port}/write?db=${encodeURIComponent(this.database)}&rp=${RAW_RETENTION_POLICY}&precision=ms`;
    this.authHeader = config.username !== undefined
      ? `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`
      : undefined;
  }

  /** Run one InfluxQL statement (POST /query, epoch ms); throws on an error in the result. */
  async influxql(statement: string, signal?: AbortSignal, timeout = this.queryTimeout): Promise<RawResult> {
    const res = (await this.client.queryRaw(statement, {
      precision: 'ms',
      method: 'POST',
      signal: signal ?? AbortSignal.timeout(timeout),
    })) as RawResponse;
    const result = res.results?.[0] ?? {};
    if (result.error) throw new Error(result.error);
    return result;
  }

  createDatabase(): Promise<void> {
    return this.client.createDatabase(this.database); // idempotent in InfluxDB 1.x
  }

  async retentionPolicyNames(): Promise<string[]> {
    return (await this.client.showRetentionPolicies(this.database)).map((p) => p.name);
  }

  createRetentionPolicy(name: string, days: number, isDefault: boolean): Promise<void> {
    return this.client.createRetentionPolicy(name, { database: this.database, duration: `${days}d`, replication: 1, isDefault });
  }

  /** Whether the server answers `/ping`. */
  async ping(): Promise<boolean> {
    const [host] = await this.client.ping(Math.min(this.requestTimeout, 5000));
    return host?.online === true;
  }

  /** POST lines to `/write` (retention policy `raw`, precision ms). */
  postLines(body: string | Buffer<ArrayBuffer>): Promise<PostResult> {
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (this.authHeader) headers.authorization = this.authHeader;
    return httpPost(this.writeUrl, body, headers, this.agent, this.requestTimeout);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The message of an error, with its cause when that says more. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message !== err.message ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
