/**
 * The Modbus connector: one link (connection or serial port + serialized queue) per host:port or
 * serial bus, one poller per device. Devices on different links never wait for each other.
 */
import type { DeviceConfig } from '../../config/schema.js';
import type { Connector, ConnectorContext, ConnectorStats, WriteResult } from '../../core/connector.js';
import { Errors } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { PointValue } from '../../core/reading.js';
import { ReportFilter } from '../common/filter.js';
import { MessageCounters } from '../common/counters.js';
import { StatusBoard, emitSafely } from '../common/report.js';
import { describeError } from '../common/timers.js';
import { describeLine, linkKey, toDeviceSpec, type DeviceSpec } from './config.js';
import { encodeRegisters } from './decode.js';
import { ModbusException, ModbusLink, NoResponse, writeFunctionCode, type WriteRequest } from './link.js';
import { DevicePoller } from './poller.js';

export class ModbusConnector implements Connector {
  readonly links = new Map<string, ModbusLink>();
  readonly pollers = new Map<string, DevicePoller>();
  /** Deadband / report-on-change state of every point that has a policy. */
  readonly filter = new ReportFilter();
  private readonly specs = new Map<string, { spec: DeviceSpec; link: ModbusLink }>();
  private readonly log: Logger;
  private readonly counters: MessageCounters;

  constructor(devices: DeviceConfig[], ctx: ConnectorContext) {
    const log = ctx.log.child({ connector: 'modbus' });
    this.log = log;
    const specs = devices.map(toDeviceSpec);
    for (const s of specs) for (const p of s.points) this.filter.set(s.id, p.name, p.report);
    const byLink = new Map<string, DeviceSpec[]>();
    for (const s of specs) {
      const key = linkKey(s.target);
      byLink.set(key, [...(byLink.get(key) ?? []), s]);
    }
    checkSharedLines(byLink);
    const board = new StatusBoard(ctx);
    this.counters = new MessageCounters(specs.map((s) => s.id));
    const emit = (readings: Parameters<typeof ctx.emit>[0]) => {
      this.counters.note(readings);
      emitSafely(ctx, this.filter.filter(readings));
    };
    for (const [key, group] of byLink) {
      const first = group[0]!;
      const link = new ModbusLink({
        target: first.target,
        unitIds: group.map((d) => d.unitId),
        connectTimeout: Math.max(...group.map((d) => d.timeout)),
        reconnectDelay: Math.min(...group.map((d) => d.reconnectDelay)),
        reconnectMaxDelay: Math.max(...group.map((d) => d.reconnectMaxDelay)),
        log,
      });
      this.links.set(key, link);
      for (const s of group) {
        this.pollers.set(s.id, new DevicePoller(s, link, emit, board, log));
        this.specs.set(s.id, { spec: s, link });
      }
    }
  }

  private started = false;

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const link of this.links.values()) link.start();
    for (const poller of this.pollers.values()) poller.start();
  }

  serves(device: string): boolean {
    return this.specs.has(device);
  }

  /** Poll answers per device. */
  stats(): ConnectorStats {
    return this.counters.stats();
  }

  /**
   * Write an engineering value to a point configured `writable: true`: the inverse of the read
   * path (offset, scale, type, byte order), then FC5/FC15 for coils or FC6/FC16 for holding
   * registers, queued on the device's link like a poll. The device is polled again right after,
   * so the new value shows up without waiting a full poll interval.
   */
  async write(device: string, point: string, value: PointValue): Promise<WriteResult> {
    const entry = this.specs.get(device);
    if (!entry) throw Errors.NOT_FOUND(`modbus device "${device}"`);
    const { spec, link } = entry;
    const p = spec.points.find((x) => x.name === point);
    if (!p) throw Errors.NOT_FOUND(`point "${point}" of device "${device}"`);
    if (!p.writable) throw Errors.BAD_REQUEST(`point "${point}" of device "${device}" is not writable (set writable: true in the config)`);
    let req: WriteRequest;
    if (p.table === 'coil') {
      if (typeof value !== 'boolean') throw Errors.BAD_REQUEST(`point "${point}" is a coil: the value must be true or false`);
      req = { table: 'coil', address: p.address, bits: [value], multiple: p.writeMultiple };
    } else {
      let words: number[];
      try {
        words = encodeRegisters(value as number | boolean, p.type, p.order, p.scale, p.offset);
      } catch (err) {
        throw Errors.BAD_REQUEST(`cannot write ${JSON.stringify(value)} to "${point}": ${describeError(err)}`);
      }
      req = { table: 'holding', address: p.address, words, multiple: p.writeMultiple };
    }
    const fc = writeFunctionCode(req);
    try {
      await link.write(spec.unitId, req, spec.timeout);
    } catch (err) {
      if (err instanceof ModbusException) throw Errors.MODBUS_EXCEPTION(err.code, err.message.replace(/^Modbus exception \d+: /, ''));
      if (err instanceof NoResponse) throw Errors.TIMEOUT(`write of ${device}.${point}`, spec.timeout);
      throw Errors.CONFLICT(`device "${device}" is not reachable: ${describeError(err)}`);
    }
    this.log.info({ device, point, value, fc }, 'modbus point written');
    this.pollers.get(device)?.wake();
    const detail = req.table === 'coil' ? { fc, address: req.address, bits: req.bits } : { fc, address: req.address, registers: req.words };
    return { device, point, value, detail };
  }

  async stop(): Promise<void> {
    for (const poller of this.pollers.values()) poller.stop();
    for (const link of this.links.values()) link.close();
  }
}

/**
 * Devices on one serial bus must agree on its line format: the bus has one speed. (A Modbus TCP
 * and an RTU-over-TCP device on the same host:port get different link keys; the server decides.)
 */
function checkSharedLines(byLink: Map<string, DeviceSpec[]>): void {
  const problems: string[] = [];
  for (const [key, group] of byLink) {
    const first = group[0]!;
    if (first.target.transport === 'tcp') continue;
    const line = describeLine(first.target.line);
    for (const d of group.slice(1)) {
      if (d.target.transport === 'tcp') continue;
      const other = describeLine(d.target.line);
      if (other !== line) problems.push(`device "${d.id}": connection is ${other} but "${first.id}" on the same bus ${key} is ${line}; one bus has one line format`);
    }
  }
  if (problems.length) throw Errors.CONFIG_INVALID('modbus devices', problems);
}
