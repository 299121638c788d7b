/**
 * One OPC UA endpoint: one client, one session, ONE subscription, monitored items for every point
 * of every device on that endpoint (created in groups with CreateMonitoredItems, not one call per
 * item).
 *
 * Recovery does not rely on node-opcua's built-in reconnection alone: after a server restart it may
 * reconnect without monitoring resuming (node-opcua #640, research/libs.md §2). A watchdog expects
 * data or a subscription keepalive at least every `watchdog` ms; when it starves, or the session
 * closes, its keepalive fails or the subscription terminates, the whole stack is torn down and
 * rebuilt from scratch (fresh client, session, subscription, items) with exponential backoff.
 * The built-in reconnection still gets its chance for short blips within the watchdog window.
 */
import type { EventEmitter } from 'node:events';
import {
  AttributeIds,
  OPCUAClient,
  MessageSecurityMode,
  SecurityPolicy,
  TimestampsToReturn,
  type ClientMonitoredItemGroup,
  type ClientSession,
  type ClientSubscription,
  type DataValue,
} from 'node-opcua';
import type { Logger } from '../../core/log.js';
import type { Reading } from '../../core/reading.js';
import { Backoff } from '../common/backoff.js';
import type { StatusBoard } from '../common/report.js';
import { describeError, sleep, withTimeout } from '../common/timers.js';
import { toReading } from './convert.js';
import type { Pki } from './pki.js';

export interface MonitoredPoint {
  device: string;
  point: string;
  nodeId: string;
  samplingInterval: number;
}

export interface LinkOptions {
  endpoint: string;
  publishingInterval: number;
  /** ms without data or keepalive before a rebuild; undefined = three keepalive periods, >= 5 s. */
  watchdog?: number;
  reconnectDelay: number;
  reconnectMaxDelay: number;
  connectTimeout: number;
}

/** Subscription keepalive: the server answers an idle publish at least every N publishing intervals. */
const MAX_KEEPALIVE_COUNT = 10;
const LIFETIME_COUNT = 60;
/** Items per CreateMonitoredItems call; servers often cap this (OperationLimits). */
const ITEMS_PER_CALL = 500;
/** How long a teardown may wait for the server to close the session politely. */
const TEARDOWN_MS = 1500;

/** Everything built by one connection attempt; thrown away as a whole. */
class Attempt {
  client: OPCUAClient | undefined;
  session: ClientSession | undefined;
  subscription: ClientSubscription | undefined;
  groups: ClientMonitoredItemGroup[] = [];
  watchdog: NodeJS.Timeout | undefined;
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
        const reason = `cannot connect to ${this.opts.endpoint}: ${shortReason(err)}`;
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
    const client = OPCUAClient.create({
      applicationName: 'facility-gateway',
      clientName: `gateway ${this.opts.endpoint}`,
      clientCertificateManager: this.pki.manager,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
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

    const session = await client.createSession();
    a.session = session;
    session.on('session_closed', () => a.fail('session closed'));
    session.on('keepalive_failure', () => a.fail('session keepalive failed'));
    if (a.isFailed) return;

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

    // Items with the same sampling interval share a group; groups are capped per call.
    const byInterval = new Map<number, MonitoredPoint[]>();
    for (const p of this.points) byInterval.set(p.samplingInterval, [...(byInterval.get(p.samplingInterval) ?? []), p]);
    const refused: Reading[] = [];
    for (const [samplingInterval, list] of byInterval) {
      for (let i = 0; i < list.length; i += ITEMS_PER_CALL) {
        if (a.isFailed) return;
        const chunk = list.slice(i, i + ITEMS_PER_CALL);
        const group = await subscription.monitorItems(
          chunk.map((p) => ({ nodeId: p.nodeId, attributeId: AttributeIds.Value })),
          { samplingInterval, discardOldest: true, queueSize: 10 },
          TimestampsToReturn.Both,
        );
        a.groups.push(group);
        group.on('changed', (_item: unknown, dv: DataValue, index: number) => {
          const p = chunk[index];
          if (p && !a.isFailed) this.queue(toReading(p.device, p.point, dv));
          alive();
        });
        group.monitoredItems.forEach((item, j) => {
          const p = chunk[j];
          if (p && item.statusCode && item.statusCode.value >>> 31 === 1) {
            const reason = `cannot monitor ${p.nodeId}: ${item.statusCode.toString()}`;
            this.log.warn({ device: p.device, point: p.point }, reason);
            refused.push({ device: p.device, point: p.point, value: null, quality: 'bad', ts: Date.now(), reason });
          }
        });
      }
    }
    if (a.isFailed) return;
    if (refused.length) this.emit(refused);
    a.watchdog = setInterval(() => this.check(a, subscription), 500);
    this.alive(a);
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
    if (silent > limit) a.fail(`no data or keepalive for ${(silent / 1000).toFixed(1)} s`);
  }

  /** Readings of one publish response arrive item by item; they leave as one batch. */
  private queue(r: Reading): void {
    this.pending.push(r);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = this.pending;
      this.pending = [];
      if (!this.stopped) this.emit(batch);
    });
  }

  /** Close everything the attempt built; never throws, never takes much more than TEARDOWN_MS. */
  private async teardown(a: Attempt): Promise<void> {
    clearInterval(a.watchdog);
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

/**
 * node-opcua's connect errors span several lines ("The connection cannot be established ...
 * Err = (connect ECONNREFUSED 127.0.0.1:4840)"); keep the part that says what happened.
 */
export function shortReason(err: unknown): string {
  const text = describeError(err).replace(/\s+/g, ' ').trim();
  const inner = /Err = \((.+)\)\s*$/.exec(text);
  return (inner?.[1] ?? text).slice(0, 300);
}
