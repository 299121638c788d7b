/**
 * The composition root: builds every room from the config and wires the one-way data path
 * connectors → pipeline → history / alarms → work orders / realtime. Nothing else knows the
 * whole picture.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { DeviceConfig, InfluxConfig } from './config/schema.js';
import { loadConfig, siteDefaultRules, type LoadedConfig } from './site/load.js';
import { connectors } from './connectors/index.js';
import type { Connector } from './core/connector.js';
import type { EmbeddedBroker } from './core/embedded-broker.js';
import type { Logger } from './core/log.js';
import { AlarmEngine } from './alarms/engine.js';
import { AlarmRepository } from './alarms/repository.js';
import { dirname } from 'node:path';
import { buildApi, httpsOf } from './api/server.js';
import { warnDemoCredentials } from './auth/demo-warning.js';
import { requireSocketToken } from './api/auth/socket.js';
import { UserBook } from './auth/users.js';
import { watchUsers } from './auth/reload.js';
import { EmbeddedHistory } from './history/embedded.js';
import { InfluxHistory, spoolDirOf } from './history/influx.js';
import type { HistoryStore } from './history/store.js';
import { Pipeline } from './pipeline/pipeline.js';
import { createPredict } from './predict/index.js';
import { RealtimeHub } from './realtime/hub.js';
import { ensureDataDir, openDatabase } from './storage/sqlite.js';
import { WorkOrderRepository } from './workorders/repository.js';
import { WorkOrderService } from './workorders/service.js';
import { SlaBook } from './workorders/sla.js';
import { wireMaintenance, type Maintenance } from './workorders/wiring.js';
import { Notifier } from './notify/index.js';
import { collectStartupGarbage } from './core/heap.js';
import { NO_EVENT_LOG } from './core/envelope.js';
import { createUplink, estateOf } from './uplink/index.js';
import { activeAlarmsOf } from './api/workorders.js';
import { toMs } from './core/durations.js';
import { createArchive } from './archive/index.js';
import { PhotoStore } from './workorders/photos.js';
import { IdempotencyStore } from './api/idempotency.js';
import { OwnerDesk } from './owner/service.js';

export interface GatewayOptions {
  log: Logger;
  /** Overrides `http.port` (0 = any free port). */
  port?: number;
  host?: string;
  /** Overrides `history.influx`: `http://host:port/database`. */
  influxUrl?: string;
  /** How often the config file is checked for changed users (gateway/auth/reload.ts); default 30 s. */
  usersReloadMs?: number;
  /** The site broker when it runs in this process (demo/start.ts): its MQTT devices skip the network. */
  embeddedBroker?: EmbeddedBroker;
}

export interface RunningGateway {
  url: string;
  port: number;
  history: HistoryStore;
  stop(): Promise<void>;
}

/** The gateway built but not yet connected or listening (tests drive it with `app.inject`). */
export interface Gateway {
  app: FastifyInstance;
  pipeline: Pipeline;
  history: HistoryStore;
  orders: WorkOrderService;
  alarms: AlarmEngine;
  /** Alarm → order wiring and the escalation clock. */
  maintenance: Maintenance;
  /** Owners' requests and feedback (gateway/owner/); `tick(now)` runs the feedback clock. */
  owner?: OwnerDesk;
  /** Start the connectors and listen; resolves when the API is reachable. */
  start(): Promise<RunningGateway>;
  stop(): Promise<void>;
}

export function parseInfluxUrl(url: string): InfluxConfig {
  const u = new URL(url);
  if (u.protocol !== 'http:') throw new Error(`GW_INFLUX_URL must be http://host:port/database (got ${url})`);
  return {
    host: u.hostname,
    port: Number(u.port || 8086),
    database: u.pathname.replace(/^\//, '') || 'facility',
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}

export async function startGateway(loaded: LoadedConfig, opts: GatewayOptions): Promise<RunningGateway> {
  const gw = await createGateway(loaded, opts);
  try {
    return await gw.start();
  } catch (err) {
    await gw.stop();
    throw err;
  }
}

export async function createGateway(loaded: LoadedConfig, opts: GatewayOptions): Promise<Gateway> {
  const { config, dataDir } = loaded;
  const log = opts.log;
  ensureDataDir(dataDir);

  const byId = new Map<string, DeviceConfig>(config.devices.map((d) => [d.id, d]));
  const influx = opts.influxUrl ? parseInfluxUrl(opts.influxUrl) : config.history.influx;
  const history: HistoryStore = influx
    ? new InfluxHistory({
        config: influx, site: config.site.id, retentionDays: config.history.retentionDays, deviceInfo: (id) => byId.get(id), log: log.child({ room: 'history' }),
        rollupRetentionDays: { '1m': config.history.rollup1mDays, '1h': config.history.rollup1hDays },
        spoolDir: spoolDirOf(dataDir), spoolMaxBytes: config.history.spoolMaxMB * 1024 * 1024,
      })
    : new EmbeddedHistory({
        dataDir, retentionDays: config.history.retentionDays, log: log.child({ room: 'history' }),
        rollupRetentionDays: { '1m': config.history.rollup1mDays, '1h': config.history.rollup1hDays },
      });
  await history.init();

  const db = openDatabase(dataDir, 'gateway.db');
  // Estate identity and the uplink's outbox: every alarm and order write records its event in
  // the same transaction (gateway/uplink/README.md).
  const estate = estateOf(config);
  const uplink = config.uplink ? createUplink(config, config.uplink, db, log.child({ room: 'uplink' })) : null;
  const events = uplink?.outbox ?? NO_EVENT_LOG;
  const alarmRepo = new AlarmRepository(db, estate.site, events);
  const orders = new WorkOrderService(new WorkOrderRepository(db, { estate, events }), new SlaBook(config.sla), log.child({ room: 'workorders' }));
  // Chat robots and SMS keep their queue in the same database (gateway/notify/README.md).
  const notifier = new Notifier(config, log.child({ room: 'notify' }), undefined, { db, orders });
  const futureTolerance = config.deviceClock?.futureTolerance;
  const pipeline = new Pipeline(config.devices, log.child({ room: 'pipeline' }), Date.now,
    futureTolerance === undefined ? {} : { futureToleranceMs: toMs(futureTolerance) });
  const predict = createPredict({ config, db, orders, log: log.child({ room: 'predict' }) });
  const alarms = new AlarmEngine(config.rules, config.devices, alarmRepo, log.child({ room: 'alarms' }), { defaults: siteDefaultRules(config) });

  const startedAt = Date.now();
  const users = new UserBook(config.users, config.auth, dataDir, log.child({ room: 'auth' }));
  const byProtocol = new Map<string, Connector>();
  const archive = createArchive({ config, estate, db, orders, alarmRepo, log: log.child({ room: 'archive' }) });
  const owner = config.owner.enabled ? new OwnerDesk({ config, db, dataDir, orders, notifier, log: log.child({ room: 'owner' }) }) : undefined;
  const app = await buildApi({ config, pipeline, history, alarms, alarmRepo, orders, startedAt, users, connectors: byProtocol, predict, archive, notify: notifier, ...(uplink ? { uplink } : {}), ...(opts.embeddedBroker ? { broker: opts.embeddedBroker } : {}),
    photos: new PhotoStore(db, dataDir), idempotency: new IdempotencyStore(db), ...(owner ? { owner } : {}) }, log, { https: httpsOf(config.http.tls, dirname(loaded.file)) });
  const realtime = new RealtimeHub(app.server);
  requireSocketToken(realtime.io, users);
  const unwatchUsers = watchUsers(loaded.file, (file) => loadConfig(file).config.users, users, log.child({ room: 'auth' }), opts.usersReloadMs);

  // The one-way data path.
  pipeline.use({ name: 'history', onReadings: (b) => history.write(b) });
  pipeline.use(alarms);
  pipeline.use(realtime);
  pipeline.use(predict);
  if (uplink) pipeline.use(uplink.sink);
  // Alarms → work orders → history events, socket.io, notifications; escalation clock (gateway/workorders/wiring.ts).
  const maintenance = wireMaintenance({ alarms, alarmRepo, orders, history, realtime, notifier, log: log.child({ room: 'workorders' }) });
  maintenance.reconcile();

  const running: Connector[] = [];
  for (const [protocol, plugin] of Object.entries(connectors)) {
    const devices = config.devices.filter((d) => d.protocol === protocol);
    if (!devices.length) continue;
    const c = plugin.create(devices, {
      emit: (batch) => pipeline.ingest(batch),
      status: (device, comm, reason) => pipeline.status(device, comm, reason),
      log: log.child({ room: `connector.${protocol}` }),
      dataDir,
      ...(opts.embeddedBroker ? { embeddedBroker: opts.embeddedBroker } : {}),
    });
    running.push(c);
    byProtocol.set(protocol, c);
  }

  // Parsing and building are done: drop their garbage now rather than when V8 first gets to it.
  collectStartupGarbage();

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.allSettled(running.map((c) => c.stop()));
      await uplink?.stop();
      pipeline.close();
      predict.close();
      maintenance.stop();
      archive.stop();
      owner?.stop();
      unwatchUsers();
      await notifier.close();
      await realtime.close();
      await app.close();
      await history.close();
      db.close();
      log.info('gateway stopped');
    })());

  return {
    app,
    pipeline,
    history,
    orders,
    alarms,
    maintenance,
    ...(owner ? { owner } : {}),
    stop,
    async start() {
      maintenance.start();
      archive.start();
      notifier.start();
      owner?.start();
      uplink?.start({
        devices: config.devices,
        commOf: (id) => pipeline.live.comm(id) ?? 'unknown',
        backlogAlarm: (holds, n) => alarms.systemCondition({
          rule: 'gateway.uplink-backlog', device: config.site.id, fault: 'uplink_backlog', severity: 'major', category: 'general',
          message: `head office unreachable: ${n} events wait in the outbox (limit ${config.uplink!.backlogAlarm})`,
        }, holds, n),
        permissions: { activeAlarms: (o) => activeAlarmsOf({ alarmRepo, orders }, o), roleOf: (u) => users.roleOf(u) },
      }, orders);
      const host = opts.host ?? config.http.host;
      await app.listen({ port: opts.port ?? config.http.port, host });
      void warnDemoCredentials(config.users, host, log.child({ room: 'auth' }));
      const port = (app.server.address() as AddressInfo).port;
      await Promise.all(running.map((c) => c.start()));
      log.info({ port, history: history.backend, devices: config.devices.length }, 'gateway started');
      return { url: `${config.http.tls ? 'https' : 'http'}://127.0.0.1:${port}`, port, history, stop };
    },
  };
}
