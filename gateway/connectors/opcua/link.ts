/**
 * One OPC UA endpoint: one client, one session, ONE subscription, monitored items for every point
 * of every device on that endpoint (created in groups with CreateMonitoredItems, not one call per
 * item).
 *
 * Recovery does not rely on node-opcua's built-in reconnection alone: after a server restart it may
 * reconnect without monitoring resuming (node-opcua #640, docs/libraries.md §2). A watchdog expects
 * data or a subscription keepalive at least every `watchdog` ms; when it starves, or the session
 * closes, its keepalive fails or the subscription terminates, the whole stack is torn down and
 * rebuilt from scratch (fresh client, session, subscription, items) with exponential backoff.
 * The built-in reconnection still gets its chance for short blips within the watchdog window.
 */
import type { EventEmitter } from 'node:events';
import {
  AttributeIds,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  OPCUAClient,
  MessageSecurityMode,
  SecurityPolicy,
  TimestampsToReturn,
  UserTokenType,
  VariableIds,
  type ClientMonitoredItemGroup,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
  type UserIdentityInfo,
} from 'node-opcua';
import type { Logger } from '../../core/log.js';
import type { Reading } from '../../core/reading.js';
import { Backoff } from '../../core/backoff.js';
import { ReportFilter, type Deadband, type ReportPolicy } from '../common/filter.js';
import type { StatusBoard } from '../common/report.js';
import { describeError, sleep, withTimeout } from '../common/timers.js';
import { toReading } from './convert.js';
import type { Pki } from './pki.js';

export interface MonitoredPoint {
  device: string;
  point: string;
  nodeId: string;
  samplingInterval: number;
  /** Deadband and report-on-change-or-period policy (see common/filter.ts). */
  report?: ReportPolicy;
}

export type SecurityModeName = 'None' | 'Sign' | 'SignAndEncrypt';
export type SecurityPolicyName = 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss';

export interface LinkOptions {
  endpoint: string;
  publishingInterval: number;
  securityMode?: SecurityModeName;
  securityPolicy?: SecurityPolicyName;
  /** Add an unknown server certificate to trusted/ instead of refusing it. */
  trustUnknownServer?: boolean;
  username?: string;
  password?: string;
  /** subscribe (default) or poll with the Read service every `pollInterval` ms. */
  mode?: 'subscribe' | 'poll';
  pollInterval?: number;
  /** ms without data or keepalive before a rebuild; undefined = three keepalive periods, >= 5 s. */
  watchdog?: number;
  reconnectDelay: number;
  reconnectMaxDelay: number;
  connectTimeout: number;
}

/** Subscription keepalive: the server answers an idle publish at least every N publishing intervals. */
const MAX_KEEPALIVE_COUNT = 10;
const LIFETIME_COUNT = 60;
/** Items per CreateMonitoredItems call unless the server's OperationLimits say fewer. */
const ITEMS_PER_CALL = 500;
/** Nodes per Read call in poll mode unless the server's OperationLimits say fewer. */
const NODES_PER_READ = 1000;
/** Status codes of a monitored item whose filter the server does not support (deadband on a non-analog node...). */
const FILTER_REFUSED = /BadFilterNotAllowed|BadMonitoredItemFilterUnsupported|BadDeadbandFilterInvalid|BadMonitoredItemFilterInvalid/;
/** How long a teardown may wait for the server to close the session politely. */
const TEARDOWN_MS = 1500;

/** Everything built by one connection attempt; thrown away as a whole. */
class Attempt {
  client: OPCUAClient | undefined;
  session: ClientSession | undefined;
  subscription: ClientSubscription | undefined;
  groups: ClientMonitoredItemGroup[] = [];
  watchdog: NodeJS.Timeout | undefined;
  pollTimer: NodeJS.Timeout | undefined;
  /** Discovery client of `trustUnknownServer`, while it runs. */
  probe: OPCUAClient | undefined;
  lastAlive = Date.now();
  /** Set while the stack works; false between a connection loss and the next sign of life. */
  healthy = false;
  private resolveLost!: (reason: string) => void;
  readonly lost = new Promise<string>((resolve) => (this.resolveLost = resolve));
  private failed = false;

  fail(reason: string): void {
    if (this.failed) return;
    this.failed = true;
    this.resolveLost(reason);
  }

  get isFailed(): boolean {
    return this.failed;
  }
}

export class EndpointLink {
  /** Number of connection stacks built so far (1 after the first successful start). */
  builds = 0;
  private stopped = false;
  private readonly abort = new AbortController();
  private current: Attempt | undefined;
  private loop: Promise<void> | undefined;
  private readonly backoff: Backoff;
  private readonly devices: string[];
  private pending: Reading[] = [];
  private flushScheduled = false;
  private readonly log: Logger;
  /** Client-side deadband / on-change / heartbeat state. */
  readonly filter = new ReportFilter();
  /** What the server's OperationLimits allowed at the last build (0 = no limit announced). */
  limits = { maxMonitoredItemsPerCall: 0, maxNodesPerRead: 0 };
  /** Points whose deadband the server refused; the gateway applies it instead. */
  readonly clientDeadband = new Set<string>();

  constructor(
    private readonly opts: LinkOptions,
    private readonly points: MonitoredPoint[],
    private readonly pki: Pki,
    private readonly emit: (readings: Reading[]) => void,
    private readonly board: StatusBoard,
    log: Logger,
  ) {
    this.devices = [...new Set(points.map((p) => p.device))];
    this.backoff = new Backoff({ initial: opts.reconnectDelay, max: opts.reconnectMaxDelay, jitter: 0.25 });
    this.log = log.child({ endpoint: opts.endpoint });
    // Subscriptions: the server applies the deadband; the gateway only does on-change/heartbeat.
    for (const p of points) this.filter.set(p.device, p.point, this.polling ? p.report : withoutDeadband(p.report));
  }

  private get polling(): boolean {
    return this.opts.mode === 'poll';
  }

  start(): void {
    this.loop ??= this.run().catch((err: unknown) => this.log.error({ err: describeError(err) }, 'opcua link loop ended unexpectedly'));
  }

  /** Tears the current stack down (bounded) and ends the loop. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.current?.fail('connector stopped');
    await this.loop;
  }

  private setStatus(status: 'online' | 'offline' | 'connecting', reason?: string): void {
    for (const d of this.devices) this.board.set(d, status, reason);
  }

  private async run(): Promise<void> {
    let lastFailure = '';
    while (!this.stopped) {
      const attempt = new Attempt();
      this.current = attempt;
      // During a streak of failures the devices stay offline with the last reason (no flapping).
      if (!lastFailure) this.setStatus('connecting', `connecting to ${this.opts.endpoint}`);
      try {
        // Ends early when stop() (or a failure signal) fails the attempt while it is being built.
        await Promise.race([
          withTimeout(this.build(attempt), this.opts.connectTimeout, `no working subscription within ${this.opts.connectTimeout} ms`),
          attempt.lost.then((reason) => Promise.reject(new Error(reason))),
        ]);
        if (attempt.isFailed) throw new Error(await attempt.lost);
        this.builds++;
        this.backoff.reset();
        lastFailure = '';
        this.log.info({ items: this.points.length, build: this.builds }, 'opcua subscription running');
        const reason = await attempt.lost;
        if (!this.stopped) {
          this.log.warn({ reason }, 'opcua stack failed; rebuilding client, session and subscription');
          this.setStatus('offline', reason);
        }
      } catch (err) {
        let reason = `cannot connect to ${this.opts.endpoint}: ${shortReason(err)}`;
        if (/server certificate not trusted/.test(reason)) {
          const m = this.pki.manager;
          this.pki.serverRefused();
          reason += `; it was put in ${m.rejectedFolder}: move it to ${m.trustedFolder} or set trustUnknownServer: true`;
        }
        attempt.fail(reason);
        if (!this.stopped) {
          // The first failure of a streak is worth a warning, the repeats are not.
          if (reason !== lastFailure) this.log.warn({ reason }, 'opcua connect failed');
          else this.log.debug({ reason }, 'opcua connect failed again');
          lastFailure = reason;
          this.setStatus('offline', reason);
        }
      }
      await this.teardown(attempt);
      if (this.stopped) break;
      await sleep(this.backoff.next(), this.abort.signal);
    }
    this.current = undefined;
  }

  private async build(a: Attempt): Promise<void> {
    await this.pki.init();
    if (a.isFailed) return;
    const secure = (this.opts.securityMode ?? 'None') !== 'None';
    if (secure && this.opts.trustUnknownServer) await this.trustServer(a);
    if (a.isFailed) return;
    const client = OPCUAClient.create({
      applicationName: 'facility-gateway',
      clientName: `gateway ${this.opts.endpoint}`,
      clientCertificateManager: this.pki.manager,
      securityMode: MessageSecurityMode[this.opts.securityMode ?? 'None'],
      securityPolicy: secure ? SecurityPolicy[this.opts.securityPolicy ?? 'Basic256Sha256'] : SecurityPolicy.None,
      endpointMustExist: false,
      keepSessionAlive: true,
      requestedSessionTimeout: 60_000,
      // Initial connect: one quick retry, then our own backoff loop takes over. On a dropped
      // channel node-opcua repairs in the background; the watchdog decides if that worked.
      connectionStrategy: { maxRetry: 1, initialDelay: 500, maxDelay: 2000, randomisationFactor: 0.2 },
      transportTimeout: Math.min(this.opts.connectTimeout, 10_000),
    });
    a.client = client;
    client.on('connection_lost', () => {
      if (a.isFailed) return;
      a.healthy = false;
      this.log.warn('opcua connection lost; reconnecting (watchdog armed)');
      this.setStatus('offline', `connection to ${this.opts.endpoint} lost; reconnecting`);
    });
    client.on('after_reconnection', () => this.log.info('opcua channel re-established; waiting for data'));
    client.on('close', () => a.fail('connection closed'));
    await client.connect(this.opts.endpoint);
    if (a.isFailed) return;

    const session = await client.createSession(this.identity());
    a.session = session;
    session.on('session_closed', () => a.fail('session closed'));
    session.on('keepalive_failure', () => a.fail('session keepalive failed'));
    // After node-opcua's own repair it re-creates the monitored items and says nothing of those that
    // fail (a server restarted without some nodes): check every point, so none keeps a stale `good`.
    session.on('session_restored', () => void this.verifyPoints(a, session));
    session.on('session_repaired', () => void this.verifyPoints(a, session));
    if (a.isFailed) return;
    await this.readLimits(session);
    if (a.isFailed) return;

    if (this.polling) {
      this.startPolling(a, session);
      return;
    }

    const subscription = await session.createSubscription2({
      requestedPublishingInterval: this.opts.publishingInterval,
      requestedMaxKeepAliveCount: MAX_KEEPALIVE_COUNT,
      requestedLifetimeCount: LIFETIME_COUNT,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 10,
    });
    a.subscription = subscription;
    const alive = () => this.alive(a);
    subscription.on('keepalive', alive);
    subscription.on('received_notifications', alive);
    subscription.on('terminated', () => a.fail('subscription terminated'));
    subscription.on('internal_error', (err: Error) => a.fail(`subscription error: ${err.message}`));
    subscription.on('error', (err: Error) => a.fail(`subscription error: ${err.message}`));
    subscription.on('status_changed', (status: { isGood?: () => boolean; toString(): string }) => {
      if (status && typeof status.isGood === 'function' && !status.isGood()) a.fail(`subscription status ${status.toString()}`);
    });

    // Items with the same sampling interval and deadband share a group (one set of monitoring
    // parameters); groups are capped per call by the server's OperationLimits.
    const perCall = this.limits.maxMonitoredItemsPerCall > 0 ? Math.min(ITEMS_PER_CALL, this.limits.maxMonitoredItemsPerCall) : ITEMS_PER_CALL;
    const groups = new Map<string, { samplingInterval: number; deadband?: Deadband; list: MonitoredPoint[] }>();
    for (const p of this.points) {
      const deadband = this.clientDeadband.has(pointKey(p)) ? undefined : p.report?.deadband;
      const k = JSON.stringify([p.samplingInterval, deadband?.type, deadband?.value]);
      const g = groups.get(k) ?? { samplingInterval: p.samplingInterval, ...(deadband ? { deadband } : {}), list: [] };
      groups.set(k, g);
      g.list.push(p);
    }
    const refused: Reading[] = [];
    const retry: MonitoredPoint[] = [];
    const monitor = async (list: MonitoredPoint[], samplingInterval: number, deadband: Deadband | undefined) => {
      for (let i = 0; i < list.length; i += perCall) {
        if (a.isFailed) return;
        const chunk = list.slice(i, i + perCall);
        const group = await subscription.monitorItems(
          chunk.map((p) => ({ nodeId: p.nodeId, attributeId: AttributeIds.Value })),
          { samplingInterval, discardOldest: true, queueSize: 10, ...(deadband ? { filter: dataChangeFilter(deadband) } : {}) },
          TimestampsToReturn.Both,
        );
        a.groups.push(group);
        const failed = new Set<number>();
        group.monitoredItems.forEach((item, j) => {
          const p = chunk[j];
          if (!p || !item.statusCode || item.statusCode.value >>> 31 !== 1) return;
          failed.add(j);
          const status = item.statusCode.toString();
          if (deadband && FILTER_REFUSED.test(status)) {
            this.log.warn({ device: p.device, point: p.point, status }, 'server refused the deadband filter; the gateway applies it (percent of the last value)');
            retry.push(p);
            return;
          }
          const reason = `cannot monitor ${p.nodeId}: ${status}`;
          this.log.warn({ device: p.device, point: p.point }, reason);
          refused.push({ device: p.device, point: p.point, value: null, quality: 'bad', ts: Date.now(), reason });
        });
        group.on('changed', (_item: unknown, dv: DataValue, index: number) => {
          const p = chunk[index];
          if (p && !failed.has(index) && !a.isFailed) this.queue(toReading(p.device, p.point, dv));
          alive();
        });
      }
    };
    for (const g of groups.values()) await monitor(g.list, g.samplingInterval, g.deadband);
    if (retry.length) {
      for (const p of retry) {
        this.clientDeadband.add(pointKey(p));
        this.filter.set(p.device, p.point, p.report);
      }
      const bySampling = new Map<number, MonitoredPoint[]>();
      for (const p of retry) bySampling.set(p.samplingInterval, [...(bySampling.get(p.samplingInterval) ?? []), p]);
      for (const [samplingInterval, list] of bySampling) await monitor(list, samplingInterval, undefined);
    }
    if (a.isFailed) return;
    if (refused.length) this.emit(refused);
    a.watchdog = setInterval(() => this.check(a, subscription), 500);
    this.alive(a);
  }

  private identity(): UserIdentityInfo {
    const { username, password } = this.opts;
    return username ? { type: UserTokenType.UserName, userName: username, password: password ?? '' } : { type: UserTokenType.Anonymous };
  }

  /**
   * The server's OperationLimits (MaxMonitoredItemsPerCall, MaxNodesPerRead): one Read of two
   * standard nodes. 0 or unreadable means no announced limit.
   */
  private async readLimits(session: ClientSession): Promise<void> {
    try {
      const [items, reads] = await session.read([
        { nodeId: `ns=0;i=${VariableIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall}`, attributeId: AttributeIds.Value },
        { nodeId: `ns=0;i=${VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead}`, attributeId: AttributeIds.Value },
      ]);
      const num = (dv: DataValue | undefined) => (dv && dv.statusCode.value === 0 && typeof dv.value?.value === 'number' ? dv.value.value : 0);
      this.limits = { maxMonitoredItemsPerCall: num(items), maxNodesPerRead: num(reads) };
      this.log.debug({ limits: this.limits }, 'opcua server operation limits');
    } catch (err) {
      this.log.debug({ err: describeError(err) }, 'cannot read OperationLimits; using defaults');
    }
  }

  /**
   * `trustUnknownServer`: fetch the server certificate over an unsecured discovery channel
   * (GetEndpoints) and put it in trusted/ before the secured connection checks it.
   */
  private async trustServer(a: Attempt): Promise<void> {
    const probe = OPCUAClient.create({
      applicationName: 'facility-gateway',
      clientName: `gateway discovery ${this.opts.endpoint}`,
      clientCertificateManager: this.pki.manager,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      endpointMustExist: false,
      connectionStrategy: { maxRetry: 0, initialDelay: 200, maxDelay: 1000 },
      transportTimeout: Math.min(this.opts.connectTimeout, 10_000),
    });
    a.probe = probe;
    try {
      await probe.connect(this.opts.endpoint);
      const endpoints = await probe.getEndpoints();
      const certs = new Map<string, Buffer>();
      for (const e of endpoints) if (e.serverCertificate?.length) certs.set(e.serverCertificate.toString('base64'), e.serverCertificate);
      for (const cert of certs.values()) {
        if ((await this.pki.manager.isCertificateTrusted(cert)) === 'Good') continue;
        await this.pki.manager.trustCertificate(cert);
        this.log.warn({ folder: this.pki.manager.trustedFolder }, 'trusted an unknown OPC UA server certificate (trustUnknownServer: true)');
      }
    } finally {
      a.probe = undefined;
      await withTimeout(probe.disconnect(), TEARDOWN_MS, 'disconnect timed out').catch(() => undefined);
    }
  }

  /** Poll mode: read every point every `pollInterval` (Read service, chunked by MaxNodesPerRead). */
  private startPolling(a: Attempt, session: ClientSession): void {
    const interval = this.opts.pollInterval ?? 1000;
    const perRead = this.limits.maxNodesPerRead > 0 ? Math.min(NODES_PER_READ, this.limits.maxNodesPerRead) : NODES_PER_READ;
    const tick = async () => {
      if (a.isFailed) return;
      const started = Date.now();
      try {
        const batch: Reading[] = [];
        for (let i = 0; i < this.points.length; i += perRead) {
          const chunk = this.points.slice(i, i + perRead);
          // A server that stops answering must not stall the loop: the read has a deadline.
          const deadline = Math.max(2 * interval, 5000);
          const values = await withTimeout(
            session.read(
              chunk.map((p) => ({ nodeId: p.nodeId, attributeId: AttributeIds.Value })),
              0,
            ),
            deadline,
            `no answer to a read within ${deadline} ms`,
          );
          if (a.isFailed) return;
          const now = Date.now();
          values.forEach((dv, j) => batch.push(toReading(chunk[j]!.device, chunk[j]!.point, dv, now)));
        }
        this.alive(a);
        const out = this.filter.filter(batch);
        if (out.length && !this.stopped) this.emit(out);
      } catch (err) {
        a.fail(`read failed: ${shortReason(err)}`);
        return;
      }
      if (!a.isFailed) a.pollTimer = setTimeout(() => void tick(), Math.max(0, started + interval - Date.now()));
    };
    a.pollTimer = setTimeout(() => void tick(), 0);
  }

  /**
   * After node-opcua's own reconnection: read every monitored point once; a point whose node the
   * server no longer serves (any bad status of the Value read) becomes `bad` with the reason.
   * Retried briefly while the repaired session is not ready yet.
   */
  private async verifyPoints(a: Attempt, session: ClientSession): Promise<void> {
    const perRead = this.limits.maxNodesPerRead > 0 ? Math.min(NODES_PER_READ, this.limits.maxNodesPerRead) : NODES_PER_READ;
    this.log.debug({ points: this.points.length }, 'opcua session repaired; checking every point');
    for (let attempt = 0; attempt < 10 && !a.isFailed && !this.stopped; attempt++) {
      try {
        const bad: Reading[] = [];
        for (let i = 0; i < this.points.length; i += perRead) {
          const chunk = this.points.slice(i, i + perRead);
          const values = await withTimeout(session.read(chunk.map((p) => ({ nodeId: p.nodeId, attributeId: AttributeIds.Value })), 0), 5000, 'no answer to the check read');
          const now = Date.now();
          values.forEach((dv, j) => {
            const p = chunk[j]!;
            if (dv.statusCode.value >>> 31 !== 1) return;
            const reason = `cannot monitor ${p.nodeId} after reconnect: ${dv.statusCode.toString()}`;
            this.log.warn({ device: p.device, point: p.point }, reason);
            bad.push({ device: p.device, point: p.point, value: null, quality: 'bad', ts: now, reason });
          });
        }
        if (bad.length && !a.isFailed && !this.stopped) this.emit(bad);
        return;
      } catch (err) {
        this.log.debug({ err: shortReason(err) }, 'point check after reconnect failed; retrying');
        await sleep(200);
      }
    }
  }

  /** Data or a keepalive arrived: the stack works. */
  private alive(a: Attempt): void {
    if (a.isFailed || a !== this.current) return;
    a.lastAlive = Date.now();
    if (!a.healthy) {
      a.healthy = true;
      this.setStatus('online');
    }
  }

  private check(a: Attempt, subscription: ClientSubscription): void {
    const keepalivePeriod = (subscription.publishingInterval || this.opts.publishingInterval) * (subscription.maxKeepAliveCount || MAX_KEEPALIVE_COUNT);
    const limit = this.opts.watchdog ?? Math.max(5000, 3 * keepalivePeriod);
    const silent = Date.now() - a.lastAlive;
    if (silent > limit) {
      a.fail(`no data or keepalive for ${(silent / 1000).toFixed(1)} s`);
      return;
    }
    // Heartbeats (report.maxInterval) while the subscription is alive: the value is still current.
    if (a.healthy && !this.stopped) {
      const due = this.filter.due();
      if (due.length) this.emit(due);
    }
  }

  /** Readings of one publish response arrive item by item; they leave as one batch. */
  private queue(r: Reading): void {
    this.pending.push(r);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = this.filter.filter(this.pending);
      this.pending = [];
      if (!this.stopped && batch.length) this.emit(batch);
    });
  }

  /** Close everything the attempt built; never throws, never takes much more than TEARDOWN_MS. */
  private async teardown(a: Attempt): Promise<void> {
    clearInterval(a.watchdog);
    clearTimeout(a.pollTimer);
    if (a.probe) await withTimeout(a.probe.disconnect(), TEARDOWN_MS, 'disconnect timed out').catch(() => undefined);
    for (const g of a.groups) g.removeAllListeners();
    a.subscription?.removeAllListeners();
    a.session?.removeAllListeners();
    const client = a.client;
    if (!client) return;
    const emitter = client as unknown as EventEmitter;
    emitter.removeAllListeners();
    emitter.on('error', () => undefined);
    try {
      await withTimeout(client.disconnect(), TEARDOWN_MS, 'disconnect timed out');
    } catch (err) {
      this.log.debug({ err: describeError(err) }, 'opcua disconnect did not finish cleanly');
    }
  }
}

function pointKey(p: MonitoredPoint): string {
  return `${p.device}\u0000${p.point}`;
}

function withoutDeadband(policy: ReportPolicy | undefined): ReportPolicy | undefined {
  if (!policy?.deadband) return policy;
  const { deadband: _server, ...rest } = policy;
  return rest;
}

function dataChangeFilter(d: Deadband): DataChangeFilter {
  return new DataChangeFilter({
    trigger: DataChangeTrigger.StatusValue,
    deadbandType: d.type === 'percent' ? DeadbandType.Percent : DeadbandType.Absolute,
    deadbandValue: d.value,
  });
}

/**
 * node-opcua's connect errors span several lines ("The connection cannot be established ...
 * Err = (connect ECONNREFUSED 127.0.0.1:4840)"); keep the part that says what happened.
 */
export function shortReason(err: unknown): string {
  const text = describeError(err).replace(/\s+/g, ' ').trim();
  const cert = /server Certificate verification failed with err (Bad\w+)/.exec(text);
  if (cert) return `server certificate not trusted (${cert[1]})`;
  const inner = /Err = \((.+)\)\s*$/.exec(text);
  return (inner?.[1] ?? text).slice(0, 300);
}
