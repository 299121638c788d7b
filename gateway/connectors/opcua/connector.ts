/**
 * The OPC UA connector: devices are grouped by endpoint; each endpoint gets one EndpointLink
 * (one client, one session, one subscription with the points of all its devices).
 */
import type { DeviceConfig } from '../../config/schema.js';
import type { Connector, ConnectorContext, ConnectorStats } from '../../core/connector.js';
import { Errors } from '../../core/errors.js';
import { toReportPolicy } from '../common/filter.js';
import { MessageCounters } from '../common/counters.js';
import { StatusBoard, emitSafely } from '../common/report.js';
import { EndpointLink, type MonitoredPoint } from './link.js';
import { routeLibraryLogs } from './liblog.js';
import { Pki } from './pki.js';
import type { OpcuaConnection, OpcuaPoint } from './schema.js';

interface EndpointGroup {
  endpoint: string;
  connections: Partial<OpcuaConnection>[];
  points: MonitoredPoint[];
}

export class OpcuaConnector implements Connector {
  readonly links = new Map<string, EndpointLink>();
  private readonly pki: Pki;
  private readonly counters: MessageCounters;

  constructor(devices: DeviceConfig[], ctx: ConnectorContext) {
    const log = ctx.log.child({ connector: 'opcua' });
    routeLibraryLogs(log);
    this.pki = new Pki(ctx.dataDir);
    const groups = new Map<string, EndpointGroup>();
    const problems: string[] = [];
    for (const d of devices) {
      const c = d.connection as Partial<OpcuaConnection>;
      if (typeof c.endpoint !== 'string' || !/^opc\.tcp:\/\//.test(c.endpoint)) {
        problems.push(`device "${d.id}" connection.endpoint: must start with opc.tcp://`);
        continue;
      }
      if (c.username === undefined && c.password !== undefined) problems.push(`device "${d.id}" connection.password: needs username`);
      // Devices share a link only when they would open the same kind of session.
      const session = [c.securityMode ?? 'None', c.securityMode && c.securityMode !== 'None' ? (c.securityPolicy ?? 'Basic256Sha256') : '', c.username ?? '', c.password ?? '', c.mode ?? 'subscribe'];
      const key = session.join('|') === 'None||||subscribe' ? c.endpoint : `${c.endpoint} (${session.slice(0, 3).concat(session[4]!).filter(Boolean).join(' ')})`;
      const g = groups.get(key) ?? { endpoint: c.endpoint, connections: [], points: [] };
      groups.set(key, g);
      g.connections.push(c);
      d.points.forEach((raw, i) => {
        const p = raw as Partial<OpcuaPoint>;
        if (typeof p.nodeId !== 'string' || typeof p.name !== 'string') {
          problems.push(`device "${d.id}" points[${i}]: needs name and nodeId`);
          return;
        }
        const report = toReportPolicy(p, `device "${d.id}" points[${i}]`, problems);
        g.points.push({ device: d.id, point: p.name, nodeId: p.nodeId, samplingInterval: c.samplingInterval ?? 500, ...(report ? { report } : {}) });
      });
    }
    if (problems.length) throw Errors.CONFIG_INVALID('opcua devices', problems);
    const board = new StatusBoard(ctx);
    this.counters = new MessageCounters(devices.map((d) => d.id));
    const emit = (readings: Parameters<typeof ctx.emit>[0]) => {
      this.counters.note(readings);
      emitSafely(ctx, readings);
    };
    for (const [key, g] of groups) {
      const cs = g.connections;
      const first = cs[0]!;
      const watchdogs = cs.map((c) => c.watchdog).filter((w): w is number => typeof w === 'number');
      const link = new EndpointLink(
        {
          endpoint: g.endpoint,
          ...(first.securityMode ? { securityMode: first.securityMode } : {}),
          ...(first.securityPolicy ? { securityPolicy: first.securityPolicy } : {}),
          trustUnknownServer: cs.some((c) => c.trustUnknownServer === true),
          ...(first.username !== undefined ? { username: first.username } : {}),
          ...(first.password !== undefined ? { password: first.password } : {}),
          mode: first.mode ?? 'subscribe',
          pollInterval: Math.min(...cs.map((c) => c.pollInterval ?? 1000)),
          // One subscription per endpoint: the fastest device sets the pace.
          publishingInterval: Math.min(...cs.map((c) => c.publishingInterval ?? 500)),
          ...(watchdogs.length ? { watchdog: Math.min(...watchdogs) } : {}),
          reconnectDelay: Math.min(...cs.map((c) => c.reconnectDelay ?? 1000)),
          reconnectMaxDelay: Math.max(...cs.map((c) => c.reconnectMaxDelay ?? 30_000)),
          connectTimeout: Math.max(...cs.map((c) => c.connectTimeout ?? 10_000)),
        },
        g.points,
        this.pki,
        emit,
        board,
        log,
      );
      this.links.set(key, link);
    }
  }

  async start(): Promise<void> {
    for (const link of this.links.values()) link.start();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.links.values()].map((l) => l.stop()));
    await this.pki.dispose();
  }

  /** Notifications (or poll answers) per device. */
  stats(): ConnectorStats {
    return this.counters.stats();
  }

  serves(device: string): boolean {
    return this.counters.has(device);
  }
}
