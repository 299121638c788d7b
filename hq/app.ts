/**
 * One head-office process: migrate PostgreSQL, put the configured estates in `estates`, start
 * the API at once (it works without NATS), and in the background connect to NATS, ensure the
 * streams and each estate's command consumer, start the durable consumers and the command
 * republisher. The gap monitor runs from the start. `stop()` ends all of it in reverse order.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { toMs } from '../gateway/core/durations.js';
import { createLogger, type Logger } from '../gateway/core/log.js';
import { buildHqApi } from './api/server.js';
import { HqUserBook } from './api/users.js';
import { CommandDesk, type CommandPublisher } from './commands.js';
import type { HqConfig } from './config.js';
import { migrate } from './db/migrate.js';
import { createPool, type Db } from './db/pool.js';
import { startConsumers, type ConsumerOptions, type Consumers } from './ingest/consumer.js';
import { startGapMonitor } from './ingest/gaps.js';
import { HqMetrics } from './metrics.js';
import { ensureCommandConsumer, ensureStreams, type EnsureStreamsOptions } from './nats/streams.js';

export const DASHBOARD_DIR = fileURLToPath(new URL('../dashboard/dist/', import.meta.url));

export interface HqOptions {
  log?: Logger;
  /** Shared by all head-office processes (≥ 32 characters); HQ_TOKEN_SECRET by default. */
  tokenSecret?: string;
  /** Bearer accepted on /metrics besides an hq-admin token (HQ_METRICS_TOKEN by default). */
  metricsToken?: string;
  dashboardDir?: string;
  consumer?: ConsumerOptions;
  /** Stream limits (replicas come from the config). */
  streams?: Omit<EnsureStreamsOptions, 'replicas'>;
  /** Gap check period, ms (default 5000). */
  gapCheckEveryMs?: number;
  /** Command republish period, ms (default 5000). */
  republishEveryMs?: number;
  now?: () => number;
}

export interface Hq {
  /** http://host:port of the API. */
  url: string;
  app: FastifyInstance;
  pool: Db;
  metrics: HqMetrics;
  desk: CommandDesk;
  /** Resolves when NATS is connected and the consumers run. */
  natsReady: Promise<void>;
  stop(): Promise<void>;
}

function secretOf(opts: HqOptions, log: Logger): Buffer {
  const s = opts.tokenSecret ?? process.env.HQ_TOKEN_SECRET;
  if (s && s.length >= 32) return Buffer.from(s, 'utf8');
  if (s) throw new Error('HQ_TOKEN_SECRET must be at least 32 characters');
  log.warn('HQ_TOKEN_SECRET is not set: tokens of this process are not valid on other head-office processes');
  return randomBytes(32);
}

async function migrateWhenReachable(pool: Db, log: Logger, deadlineMs = 60_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (let wait = 250; ; wait = Math.min(wait * 2, 5000)) {
    try {
      const applied = await migrate(pool);
      if (applied.length) log.info({ applied }, 'database migrated');
      return;
    } catch (err) {
      if (Date.now() > until || /migration .* failed/.test(String(err))) throw err;
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'PostgreSQL not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

export async function startHq(config: HqConfig, opts: HqOptions = {}): Promise<Hq> {
  const log = opts.log ?? createLogger('hq');
  const now = opts.now ?? Date.now;
  const pool = createPool(config.postgres.url, {
    max: config.postgres.poolSize,
    onIdleError: (err) => log.warn({ err: err.message }, 'idle PostgreSQL connection lost'),
  });
  await migrateWhenReachable(pool, log);
  await pool.query(
    `INSERT INTO estates (site, name, code, url) SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(site text, name text, code text, url text)
     ON CONFLICT (site) DO UPDATE SET name = EXCLUDED.name, code = EXCLUDED.code, url = COALESCE(EXCLUDED.url, estates.url)`,
    [JSON.stringify(config.estates.map((e) => ({ site: e.site, name: e.name, code: e.code, url: e.url ?? null })))],
  );

  let nc: NatsConnection | null = null;
  let js: JetStreamClient | null = null;
  let connected = false;
  let consumers: Consumers | null = null;
  let stopping = false;
  const lag = async () => (consumers ? consumers.lag() : {});
  const metrics = new HqMetrics(lag);
  const publisher: CommandPublisher = {
    publish: async (subject, payload, msgID) => {
      if (!js || !connected) throw new Error('NATS is not connected');
      await js.publish(subject, payload, { msgID, timeout: 5000 });
    },
  };
  const desk = new CommandDesk(pool, () => (connected ? publisher : null), log, now);
  const stopGaps = startGapMonitor(pool, {
    graceMs: config.gapGraceSeconds * 1000, everyMs: opts.gapCheckEveryMs ?? 5000, log,
    onCheck: (c) => metrics.gapsOpen.set(c.open),
  });

  const natsReady = (async () => {
    nc = await connect({
      servers: config.nats.servers, user: config.nats.user, pass: config.nats.password, name: 'hq',
      maxReconnectAttempts: -1, reconnectTimeWait: 1000, waitOnFirstConnect: true, pingInterval: 10_000,
    });
    if (stopping) return;
    connected = true;
    void (async (c: NatsConnection) => {
      for await (const s of c.status()) {
        if (s.type === 'disconnect') { connected = false; log.warn('disconnected from NATS; commands wait in PostgreSQL'); }
        if (s.type === 'reconnect') { connected = true; log.info('reconnected to NATS'); }
      }
    })(nc);
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    js = jetstream(nc, { timeout: 10_000 });
    const mb = config.nats.streamsMB;
    const MiB = 1024 * 1024;
    // Streams and estate consumers: retried until they exist (a cluster still electing, a limit
    // an operator must raise); the API answers meanwhile and the error is logged each time.
    for (let backoff = 1000; !stopping; backoff = Math.min(backoff * 2, 30_000)) {
      try {
        await ensureStreams(jsm, {
          ...(mb?.events ? { eventsMaxBytes: mb.events * MiB } : {}), ...(mb?.rollups ? { rollupsMaxBytes: mb.rollups * MiB } : {}),
          ...(mb?.commands ? { commandsMaxBytes: mb.commands * MiB } : {}), ...opts.streams, replicas: config.nats.replicas,
        });
        for (const e of config.estates) await ensureCommandConsumer(jsm, e.site);
        break;
      } catch (err) {
        log.error({ err: err instanceof Error ? err.message : String(err), retryInMs: backoff }, 'cannot set up the JetStream streams; retrying');
        await new Promise((r) => setTimeout(r, backoff).unref());
      }
    }
    if (stopping) return;
    consumers = await startConsumers({ js, jsm, pool, metrics, log }, opts.consumer);
    desk.startRepublisher(opts.republishEveryMs ?? 5000);
    log.info({ servers: config.nats.servers }, 'consuming estate events and rollups');
  })();
  natsReady.catch((err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'NATS setup failed'));

  const app = await buildHqApi({
    pool, desk, metrics, now, startedAt: now(), statusPeriodMs: config.statusPeriodSeconds * 1000,
    users: new HqUserBook(config.users, secretOf(opts, log), toMs(config.auth.tokenTtl), now),
    loginAttemptsPerMinute: config.auth.loginAttemptsPerMinute,
    metricsToken: opts.metricsToken ?? process.env.HQ_METRICS_TOKEN,
    dashboardDir: opts.dashboardDir ?? DASHBOARD_DIR,
    probe: async () => ({ nats: { connected }, consumers: await lag() }),
  }, log);
  await app.listen({ host: config.http.host, port: config.http.port });
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`,
    app, pool, metrics, desk, natsReady,
    stop: async () => {
      stopping = true;
      await app.close();
      await stopGaps();
      await desk.stop();
      await consumers?.stop();
      const c = nc as NatsConnection | null;
      if (c && !c.isClosed()) await c.drain().catch(() => c.close());
      await pool.end();
    },
  };
}
