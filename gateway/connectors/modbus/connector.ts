/**
 * The Modbus TCP connector: one link (connection + serialized queue) per host:port, one poller
 * per device. Devices on different links never wait for each other.
 */
import type { DeviceConfig } from '../../config/schema.js';
import type { Connector, ConnectorContext } from '../../core/connector.js';
import { StatusBoard, emitSafely } from '../common/report.js';
import { toDeviceSpec, type DeviceSpec } from './config.js';
import { ModbusLink } from './link.js';
import { DevicePoller } from './poller.js';

export class ModbusConnector implements Connector {
  readonly links = new Map<string, ModbusLink>();
  readonly pollers = new Map<string, DevicePoller>();

  constructor(devices: DeviceConfig[], ctx: ConnectorContext) {
    const log = ctx.log.child({ connector: 'modbus' });
    const specs = devices.map(toDeviceSpec);
    const byLink = new Map<string, DeviceSpec[]>();
    for (const s of specs) {
      const key = `${s.host}:${s.port}`;
      byLink.set(key, [...(byLink.get(key) ?? []), s]);
    }
    const board = new StatusBoard(ctx);
    const emit = (readings: Parameters<typeof ctx.emit>[0]) => emitSafely(ctx, readings);
    for (const [key, group] of byLink) {
      const first = group[0]!;
      const link = new ModbusLink({
        host: first.host,
        port: first.port,
        connectTimeout: Math.max(...group.map((d) => d.timeout)),
        reconnectDelay: Math.min(...group.map((d) => d.reconnectDelay)),
        reconnectMaxDelay: Math.max(...group.map((d) => d.reconnectMaxDelay)),
        log,
      });
      this.links.set(key, link);
      for (const s of group) this.pollers.set(s.id, new DevicePoller(s, link, emit, board, log));
    }
  }

  private started = false;

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const link of this.links.values()) link.start();
    for (const poller of this.pollers.values()) poller.start();
  }

  async stop(): Promise<void> {
    for (const poller of this.pollers.values()) poller.stop();
    for (const link of this.links.values()) link.close();
  }
}
