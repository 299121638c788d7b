/**
 * The site's MQTT broker (aedes; embedded in the demo, its own process in docker-compose).
 *
 * Security (see README.md): per-account credentials checked against scrypt hashes, topic ACLs
 * (acl.ts), anonymous clients refused unless `allowAnonymous`, optional TLS, and limits on packet
 * size, topic depth and new connections per second per address (guard.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { Value } from '@sinclair/typebox/value';
import { Aedes, type Client } from 'aedes';
import { dummyHash, verifyPassword } from '../gateway/auth/password.js';
import type { EmbeddedBroker, EmbeddedPublishHandler } from '../gateway/core/embedded-broker.js';
import type { Logger } from '../gateway/core/log.js';
import { mayPublish, maySubscribe, principalFor, type Principal } from './acl.js';
import { BrokerConfig } from '../gateway/config/broker.js';
import { ConnectionRate, PacketSizeGuard } from './guard.js';
import { FailureLog, LoginLockout } from './lockout.js';
import { RetainedQuota } from './retained.js';
import { SessionPersistence } from './sessions.js';

export { BrokerConfig } from '../gateway/config/broker.js';

export interface BrokerOptions {
  port?: number;
  host?: string;
  log: Logger;
  /** The `broker:` section of the site config; defaults: anonymous refused, no accounts. */
  config?: Partial<Omit<BrokerConfig, 'limits'>> & { limits?: Partial<BrokerConfig['limits']> };
  /** Site id: device topics are `site/<site>/<type>/<device>/...`. */
  site?: string;
  /** Device id → equipment type, to pin each device account to its own topics. */
  deviceTypes?: Record<string, string>;
  /** Folder TLS paths are relative to (the config file's folder). */
  configDir?: string;
}

export interface BrokerStats {
  connections: number;
  authFailures: number;
  publishDenied: number;
  subscribeDenied: number;
  oversizedPackets: number;
  rateLimited: number;
  /** Logins refused without a password check because the username or address is banned. */
  loginsBanned: number;
  /** Retained publications stored without their retain flag because the account's quota is full. */
  retainedRefused: number;
  /** QoS 1/2 messages not kept for a persistent session because its queue held `maxQueuedPerSession`. */
  sessionMessagesDropped: number;
}

export interface RunningBroker {
  port: number;
  url: string;
  /** For a gateway in the same process: authorized publishes by function call (gateway/core/embedded-broker.ts). */
  embedded: EmbeddedBroker;
  stats(): BrokerStats;
  stop(): Promise<void>;
}

type AuthError = Error & { returnCode: number };
const authError = (message: string, returnCode: 2 | 4 | 5): AuthError => Object.assign(new Error(message), { returnCode });

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const config = Value.Default(BrokerConfig, structuredClone(opts.config ?? {})) as BrokerConfig;
  const site = opts.site ?? 'demo';
  const log = opts.log;
  const users = new Map(config.users.map((u) => [u.username, u]));
  const principals = new WeakMap<Client, Principal>();
  const stats: BrokerStats = { connections: 0, authFailures: 0, publishDenied: 0, subscribeDenied: 0, oversizedPackets: 0, rateLimited: 0, loginsBanned: 0, retainedRefused: 0, sessionMessagesDropped: 0 };
  const limits = config.limits;
  const lockout = new LoginLockout({ delayAfter: limits.loginFailuresBeforeDelay, banAfter: limits.loginFailuresBeforeBan, banMs: limits.loginBanSeconds * 1000 });
  const failures = new FailureLog(log);
  const retained = new RetainedQuota(limits.retainedPerAccount, limits.retainedBytesPerAccount);
  if (config.allowAnonymous) log.warn('broker.allowAnonymous is true: clients without credentials get full access');
  void dummyHash();
  // In-process consumers (the gateway's MQTT connector): told of each authorized publish before
  // aedes passes it on and writes the QoS 1 PUBACK (aedes' enqueuePublish runs after this hook).
  let local: EmbeddedPublishHandler[] = [];
  const handOver = (topic: string, payload: Buffer | string) => {
    for (let i = 0; i < local.length; i++) {
      try {
        local[i]!(topic, payload);
      } catch (err) {
        log.error({ err: (err as Error).message, topic }, 'in-process MQTT consumer failed');
      }
    }
  };

  const sessions = new SessionPersistence(limits.maxQueuedPerSession, (clientId, topic) => {
    stats.sessionMessagesDropped++;
    if (stats.sessionMessagesDropped === 1 || stats.sessionMessagesDropped % 1000 === 0) {
      log.warn({ client: clientId, topic, dropped: stats.sessionMessagesDropped, max: limits.maxQueuedPerSession }, 'MQTT session queue full: message dropped for this subscriber');
    }
  });
  const aedes = await Aedes.createBroker({
    persistence: sessions,
    authorizeForward: (client, packet) => (sessions.forwardLive(client, packet) ? packet : null),
    maxClientsIdLength: config.limits.maxClientIdLength,
    // maxTopicLevels guards against a qlobber throw on absurdly deep topics (aedes docs).
    maxTopicLevels: config.limits.maxTopicLevels,
    concurrency: 100,
    drainTimeout: 10_000,
    // Callback style: each hook calls its callback exactly once (aedes #106).
    authenticate(client, username, password, done) {
      // aedes checks the client id length for MQTT 3.1 only; 3.1.1 clients get the same limit.
      if (client.id.length > config.limits.maxClientIdLength) {
        log.warn({ length: client.id.length, max: config.limits.maxClientIdLength }, 'MQTT client id too long; refused');
        return done(authError('client id too long', 2), false);
      }
      if (username === undefined || username === '') {
        if (config.allowAnonymous) {
          principals.set(client, { username: null, role: 'anonymous' });
          return done(null, true);
        }
        stats.authFailures++;
        log.warn({ client: client.id }, 'anonymous MQTT client refused');
        return done(authError('credentials required', 5), false);
      }
      const user = users.get(username);
      const addr = (client.conn as { remoteAddress?: string }).remoteAddress ?? 'unknown';
      const gate = lockout.check(username, addr);
      if (gate.banned) {
        stats.loginsBanned++;
        stats.authFailures++;
        failures.failed(addr);
        return done(authError('temporarily banned after repeated failures', 5), false);
      }
      const verify = async () => {
        if (gate.delayMs) await new Promise((r) => setTimeout(r, gate.delayMs));
        return verifyPassword(password?.toString('utf8') ?? '', user?.passwordHash ?? (await dummyHash()));
      };
      void verify().then(
        (ok) => {
          if (ok && user) {
            lockout.succeed(username, addr);
            principals.set(client, principalFor(user, site, opts.deviceTypes ?? {}));
            done(null, true);
          } else {
            stats.authFailures++;
            failures.failed(addr);
            const banned = lockout.fail(username, addr);
            if (banned.length) failures.banned(banned, limits.loginBanSeconds * 1000);
            done(authError('bad username or password', 4), false);
          }
        },
        () => done(authError('authentication failed', 4), false),
      );
    },
    authorizePublish(client, packet, cb) {
      if (!client) {
        // the broker's own publications (stored wills)
        if (local.length) handOver(packet.topic, packet.payload);
        return cb(null);
      }
      const p = principals.get(client);
      if (p && mayPublish(p, packet.topic)) {
        if (packet.retain && !retained.accept(p.username ?? client.id, packet.topic, packet.payload.length)) {
          stats.retainedRefused++;
          if (stats.retainedRefused === 1 || stats.retainedRefused % 100 === 0) {
            log.warn({ client: client.id, username: p.username, refused: stats.retainedRefused }, 'MQTT retained quota full: message passed on without its retain flag');
          }
          packet.retain = false;
        }
        if (local.length) handOver(packet.topic, packet.payload);
        return cb(null);
      }
      stats.publishDenied++;
      log.warn({ client: client.id, username: p?.username, topic: packet.topic }, 'MQTT publish denied; closing the client');
      cb(new Error(`not authorized to publish to ${packet.topic}`));
    },
    authorizeSubscribe(client, sub, cb) {
      const p = principals.get(client);
      if (p && maySubscribe(p, sub.topic)) return cb(null, sub);
      stats.subscribeDenied++;
      log.warn({ client: client.id, username: p?.username, topic: sub.topic }, 'MQTT subscription denied');
      cb(null, null); // SUBACK 0x80 for this filter
    },
  });
  aedes.on('clientDisconnect', (client) => sessions.closed(client));
  aedes.on('clientError', (client, err) => log.debug({ client: client.id, err: err.message }, 'client error'));
  aedes.on('connectionError', (_client, err) => log.debug({ err: err.message }, 'connection error'));

  const rate = new ConnectionRate(config.limits.connectionsPerSecond);
  const sockets = new Set<Socket>();
  const onSocket = (socket: Socket) => {
    const addr = socket.remoteAddress ?? 'unknown';
    if (!rate.allow(addr)) {
      stats.rateLimited++;
      socket.destroy();
      return;
    }
    stats.connections++;
    // Alarms must not wait for Nagle's algorithm to fill a segment (fire alarm: delivered first).
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const guarded = new PacketSizeGuard(socket, config.limits.maxPacketBytes, (size) => {
      stats.oversizedPackets++;
      log.warn({ addr, size, max: config.limits.maxPacketBytes }, 'MQTT packet too large; closing the connection');
    });
    aedes.handle(guarded);
  };
  let server: Server;
  const dir = opts.configDir ?? process.cwd();
  if (config.tls) {
    const read = (p: string) => readFileSync(resolve(dir, p));
    server = createTlsServer(
      { key: read(config.tls.key), cert: read(config.tls.cert), ...(config.tls.ca ? { ca: read(config.tls.ca) } : {}) },
      onSocket,
    );
  } else {
    server = createServer(onSocket);
  }

  await new Promise<void>((res, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 1883, opts.host ?? '0.0.0.0', () => res());
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port, tls: !!config.tls, accounts: users.size, anonymous: config.allowAnonymous }, 'MQTT broker listening');
  return {
    port,
    url: `${config.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    embedded: {
      port,
      stats: () => ({ ...stats }),
      onPublish(handler) {
        local = [...local, handler];
        return () => {
          local = local.filter((h) => h !== handler);
        };
      },
    },
    stats: () => ({ ...stats }),
    stop: () =>
      new Promise<void>((res) => {
        failures.close();
        for (const s of sockets) s.destroy();
        server.close(() => aedes.close(() => res()));
      }),
  };
}
