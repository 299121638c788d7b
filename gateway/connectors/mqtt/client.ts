/**
 * One MQTT client per broker (url + credentials): a persistent session (clean: false, stable
 * client id) so QoS 1 telemetry published while the gateway was away is delivered on return.
 * Every device topic is (re)subscribed on each connect; mqtt.js reconnects on its own.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { EmbeddedBroker } from '../../core/embedded-broker.js';
import type { DeviceCounters } from '../../core/connector.js';
import type { Logger } from '../../core/log.js';
import type { Reading } from '../../core/reading.js';
import type { RateLimitedLog, StatusBoard } from '../common/report.js';
import { describeError, withTimeout } from '../common/timers.js';
import { parsePayload, type PathPoint } from './payload.js';
import { tapPublishes } from './tap.js';
import { topicMatches } from './topic.js';

export interface MqttDevice {
  id: string;
  topic: string;
  qos: 0 | 1;
  points: PathPoint[];
}

export interface BrokerOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  reconnectPeriod: number;
  /** The broker runs in this process: take its publishes by function call, no client (./README.md). */
  embedded?: EmbeddedBroker;
}

/** A device and its counters: what one message on its topic updates. */
interface Route {
  device: MqttDevice;
  counters: DeviceCounters;
}

export class BrokerLink {
  readonly counters = new Map<string, DeviceCounters>();
  /** True once the broker granted the subscriptions of the current connection. */
  subscribed = false;
  private client: MqttClient | undefined;
  /** Detaches from the in-process broker. */
  private detach: (() => void) | undefined;
  private stopped = false;
  private readonly log: Logger;
  /** Devices by concrete topic: one lookup per message instead of matching every device's filter. */
  private readonly byTopic = new Map<string, Route[]>();
  /** Devices whose topic holds a `+` or `#` wildcard; only these are matched filter by filter. */
  private readonly wildcard: Route[] = [];

  constructor(
    private readonly opts: BrokerOptions,
    private readonly devices: MqttDevice[],
    private readonly emit: (readings: Reading[]) => void,
    private readonly board: StatusBoard,
    private readonly warnings: RateLimitedLog,
    log: Logger,
  ) {
    this.log = log.child({ broker: redact(opts.url), clientId: opts.clientId });
    for (const d of devices) {
      const route = { device: d, counters: { messages: 0, malformed: 0 } };
      this.counters.set(d.id, route.counters);
      if (/[+#]/.test(d.topic)) this.wildcard.push(route);
      else {
        const list = this.byTopic.get(d.topic);
        if (list) list.push(route);
        else this.byTopic.set(d.topic, [route]);
      }
    }
  }

  start(): void {
    if (this.client || this.detach || this.stopped) return;
    if (this.opts.embedded) return this.startInProcess(this.opts.embedded);
    for (const d of this.devices) this.board.set(d.id, 'connecting', `connecting to ${redact(this.opts.url)}`);
    const options: IClientOptions = {
      clientId: this.opts.clientId,
      clean: false,
      reconnectPeriod: this.opts.reconnectPeriod,
      reconnectOnConnackError: true,
      connectTimeout: 10_000,
      keepalive: 30,
      resubscribe: false, // we subscribe on every connect ourselves
      protocolVersion: 4,
      // mqtt.js traces every packet through `debug` (a dozen calls each, ~10 % of the CPU at QoS 1
      // even when disabled); keep that only when DEBUG asks for traces.
      ...(process.env.DEBUG ? {} : { log: noop }),
      ...(this.opts.username !== undefined ? { username: this.opts.username } : {}),
      ...(this.opts.password !== undefined ? { password: this.opts.password } : {}),
    };
    const client = connect(this.opts.url, { ...options, manualConnect: true });
    this.client = client;
    // QoS 0/1 messages straight from the socket (./tap.ts); `message` below serves the rest.
    tapPublishes(client, (topic, payload) => this.onMessageSafely(topic, payload));
    client.connect();
    client.on('connect', (connack) => {
      this.log.info({ sessionPresent: connack.sessionPresent }, 'mqtt connected');
      this.subscribed = false;
      this.subscribe(client);
    });
    client.on('message', (topic, payload) => this.onMessageSafely(topic, payload));
    const lost = () => {
      this.subscribed = false;
      this.down(`connection to ${redact(this.opts.url)} lost`, false);
    };
    client.on('close', lost);
    client.on('offline', lost);
    client.on('error', (err) => {
      this.warnings.warn('broker', { err: describeError(err) }, 'mqtt client error');
      this.down(`broker ${redact(this.opts.url)}: ${describeError(err)}`, true);
    });
    client.on('reconnect', () => this.log.debug('mqtt reconnecting'));
  }

  /**
   * The broker is in this process: its authorized publishes come by function call, before it
   * acknowledges them, so a QoS 1 PUBACK still means the reading was handled. Nothing to
   * reconnect; devices are online from their first message.
   */
  private startInProcess(broker: EmbeddedBroker): void {
    this.log.info({ port: broker.port }, 'mqtt devices served by the in-process broker');
    this.detach = broker.onPublish((topic, payload) => this.onMessageSafely(topic, payload));
    this.subscribed = true;
    for (const d of this.devices) this.board.set(d.id, 'connecting', 'in-process broker; waiting for the first message');
  }

  /** (Re)subscribes every device topic in one SUBSCRIBE; devices wait for data once it is granted. */
  private subscribe(client: MqttClient): void {
    const byTopic = new Map<string, 0 | 1>();
    for (const d of this.devices) byTopic.set(d.topic, Math.max(byTopic.get(d.topic) ?? 0, d.qos) as 0 | 1);
    const map = Object.fromEntries([...byTopic].map(([topic, qos]) => [topic, { qos }]));
    client.subscribe(map, (err, granted) => {
      if (this.stopped || client !== this.client) return;
      if (err) {
        this.warnings.warn('subscribe', { err: describeError(err) }, 'mqtt subscribe failed');
        for (const d of this.devices) this.board.set(d.id, 'offline', `subscribe failed: ${describeError(err)}`);
        return;
      }
      const refused = new Set((granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic));
      if (refused.size) this.warnings.warn('subscribe', { topics: [...refused] }, 'mqtt subscription refused by broker');
      this.subscribed = true;
      for (const d of this.devices) {
        if (refused.has(d.topic)) this.board.set(d.id, 'offline', `subscription to ${d.topic} refused by broker`);
        else if (this.board.get(d.id) !== 'online') this.board.set(d.id, 'connecting', 'subscribed; waiting for the first message');
      }
    });
  }

  /** All devices of this broker offline; a generic reason does not replace a specific one. */
  private down(reason: string, specific: boolean): void {
    if (this.stopped) return;
    for (const d of this.devices) {
      if (!specific && this.board.get(d.id) === 'offline') continue;
      this.board.set(d.id, 'offline', reason);
    }
  }

  private onMessageSafely(topic: string, payload: Buffer | string): void {
    try {
      this.onMessage(topic, payload);
    } catch (err) {
      this.log.error({ err: describeError(err), topic }, 'mqtt message handling failed');
    }
  }

  private onMessage(topic: string, payload: Buffer | string): void {
    if (this.stopped) return;
    const now = Date.now();
    const exact = this.byTopic.get(topic);
    if (exact) for (const r of exact) this.deliver(r, topic, payload, now);
    for (const r of this.wildcard) if (topicMatches(r.device.topic, topic)) this.deliver(r, topic, payload, now);
  }

  private deliver({ device: d, counters: c }: Route, topic: string, payload: Buffer | string, now: number): void {
    c.messages++;
    const { readings, problems } = parsePayload(d.id, d.points, payload, now);
    if (problems.length) {
      c.malformed++;
      this.warnings.warn(d.id, { device: d.id, topic, problems, malformed: c.malformed }, 'malformed mqtt payload');
    }
    this.board.set(d.id, 'online');
    this.emit(readings);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.detach?.();
    const client = this.client;
    if (!client) return;
    try {
      // A clean DISCONNECT when the broker is there, an immediate close when it is not.
      await withTimeout(client.endAsync(!client.connected), 1500, 'mqtt end timed out');
    } catch {
      try {
        await withTimeout(client.endAsync(true), 300, 'mqtt forced end timed out');
      } catch {
        // nothing more to do
      }
    }
    client.removeAllListeners();
  }
}

function noop(): void {}

/** True when `url` reaches `broker` over loopback: its devices can be served in process. */
export function servedBy(url: string, broker: EmbeddedBroker): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]', '0.0.0.0'].includes(u.hostname);
  const port = Number(u.port || (u.protocol === 'mqtts:' ? 8883 : 1883));
  return (u.protocol === 'mqtt:' || u.protocol === 'mqtts:') && loopback && port === broker.port;
}

/** The url without user:password, for logs and status reasons. */
export function redact(url: string): string {
  return url.replace(/^(\w+:\/\/)[^@/]*@/, '$1');
}
