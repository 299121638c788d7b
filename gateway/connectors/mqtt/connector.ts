/**
 * The MQTT connector: one client per broker (url + credentials), devices subscribe their topic
 * on it. Payload problems are counted per device (`stats()`) and logged at most once per device
 * per 10 s; they never stop the connector.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { DeviceConfig } from '../../config/schema.js';
import type { Connector, ConnectorContext, ConnectorStats } from '../../core/connector.js';
import { summarize } from '../common/counters.js';
import { Errors } from '../../core/errors.js';
import { ReportFilter, toReportPolicy } from '../common/filter.js';
import { RateLimitedLog, StatusBoard, emitSafely } from '../common/report.js';
import { BrokerLink, servedBy, type MqttDevice } from './client.js';
import type { MqttConnection, MqttPoint } from './schema.js';

/** How often a device's payload problems may be logged. */
export const WARN_INTERVAL_MS = 10_000;

/**
 * A client id that stays the same across restarts of this gateway (so the broker keeps its
 * session) and differs between gateways: host name + data folder + broker + user, hashed.
 * 19 characters, within the 23 every MQTT 3.1.1 broker must accept.
 */
export function defaultClientId(dataDir: string, url: string, username = ''): string {
  const h = createHash('sha256').update(`${hostname()}|${dataDir}|${url}|${username}`).digest('hex');
  return `gw-${h.slice(0, 16)}`;
}

/**
 * `{device}` in a topic stands for the device id, so devices can share one topic pattern (a YAML
 * anchor): `site/+/pump/{device}/telemetry` → `site/+/pump/pump-1/telemetry` for pump-1.
 */
export function bindDevice(topic: string, device: string): string {
  return topic.split('{device}').join(device);
}

export class MqttConnector implements Connector {
  readonly brokers = new Map<string, BrokerLink>();
  /** Deadband / report-on-change state of the points that have a policy. */
  readonly filter = new ReportFilter();

  constructor(devices: DeviceConfig[], ctx: ConnectorContext) {
    const log = ctx.log.child({ connector: 'mqtt' });
    const board = new StatusBoard(ctx);
    const warnings = new RateLimitedLog(log, WARN_INTERVAL_MS);
    const emit = (readings: Parameters<typeof ctx.emit>[0]) => emitSafely(ctx, this.filter.filter(readings));
    const groups = new Map<string, { conn: Partial<MqttConnection>; devices: MqttDevice[] }>();
    const problems: string[] = [];
    for (const d of devices) {
      const c = d.connection as Partial<MqttConnection>;
      if (typeof c.url !== 'string' || !/^mqtts?:\/\//.test(c.url) || typeof c.topic !== 'string' || !c.topic) {
        problems.push(`device "${d.id}": connection needs url (mqtt://...) and topic`);
        continue;
      }
      const key = JSON.stringify([c.url, c.username ?? null, c.password ?? null]);
      const g = groups.get(key) ?? { conn: c, devices: [] };
      groups.set(key, g);
      if (!g.conn.clientId && c.clientId) g.conn = { ...g.conn, clientId: c.clientId };
      d.points.forEach((p, i) => this.filter.set(d.id, String((p as Partial<MqttPoint>).name), toReportPolicy(p as Partial<MqttPoint>, `device "${d.id}" points[${i}]`, problems)));
      g.devices.push({
        id: d.id,
        topic: bindDevice(c.topic, d.id),
        qos: c.qos ?? 1,
        points: d.points.map((p) => ({ name: String((p as Partial<MqttPoint>).name), path: String((p as Partial<MqttPoint>).path) })),
      });
    }
    if (problems.length) throw Errors.CONFIG_INVALID('mqtt devices', problems);
    for (const [key, g] of groups) {
      const url = g.conn.url!;
      const link = new BrokerLink(
        {
          url,
          clientId: g.conn.clientId ?? defaultClientId(ctx.dataDir, url, g.conn.username),
          ...(g.conn.username !== undefined ? { username: g.conn.username } : {}),
          ...(g.conn.password !== undefined ? { password: g.conn.password } : {}),
          reconnectPeriod: g.conn.reconnectPeriod ?? 2000,
          ...(ctx.embeddedBroker && servedBy(url, ctx.embeddedBroker) ? { embedded: ctx.embeddedBroker } : {}),
        },
        g.devices,
        emit,
        board,
        warnings,
        log,
      );
      this.brokers.set(key, link);
    }
  }

  async start(): Promise<void> {
    for (const b of this.brokers.values()) b.start();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.brokers.values()].map((b) => b.stop()));
  }

  serves(device: string): boolean {
    for (const b of this.brokers.values()) if (b.counters.has(device)) return true;
    return false;
  }

  /** Message and malformed-payload counters, in total and per device. */
  stats(): ConnectorStats {
    return summarize([...this.brokers.values()].flatMap((b) => [...b.counters]));
  }
}
