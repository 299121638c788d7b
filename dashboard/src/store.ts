/**
 * The dashboard's one copy of the gateway state, filled from REST and kept current by socket.io.
 * Views subscribe to fine-grained events so a telemetry batch touches only the cells it changes.
 */
import { isOpen } from './types.js';
import type { Alarm, DeviceStatusEvent, DeviceView, TelemetryEvent, WorkOrder } from './types.js';

export type ConnState = 'connecting' | 'connected' | 'reconnecting';

interface Events {
  /** The device list was replaced; `structural` when devices were added, removed or reordered. */
  devices: { structural: boolean };
  /** One device's comm status or counters changed. */
  device: string;
  telemetry: TelemetryEvent[];
  /** The alarm list was replaced. */
  alarms: undefined;
  alarm: Alarm;
  /** The work-order list was replaced. */
  orders: undefined;
  order: { order: WorkOrder; isNew: boolean };
  conn: ConnState;
}

type Handler<T> = (payload: T) => void;

class Store {
  devices = new Map<string, DeviceView>();
  alarms = new Map<string, Alarm>();
  orders = new Map<string, WorkOrder>();
  conn: ConnState = 'connecting';
  loaded = { devices: false, alarms: false, orders: false };

  private handlers = new Map<keyof Events, Set<Handler<never>>>();

  on<K extends keyof Events>(event: K, fn: Handler<Events[K]>): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(fn as Handler<never>);
    return () => set.delete(fn as Handler<never>);
  }

  private emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as Handler<Events[K]>)(payload);
      } catch (err) {
        console.error(`[store] ${event} handler failed`, err);
      }
    }
  }

  setConn(state: ConnState): void {
    if (state === this.conn) return;
    this.conn = state;
    this.emit('conn', state);
  }

  setDevices(list: DeviceView[]): void {
    const before = [...this.devices.keys()].join('\n');
    const next = new Map<string, DeviceView>();
    for (const d of list) {
      const old = this.devices.get(d.id);
      // A live value that arrived while the request was in flight is newer than the snapshot.
      if (old) {
        for (const [name, pv] of Object.entries(old.points)) {
          const fresh = d.points[name];
          if (!fresh) d.points[name] = pv;
          else if (pv.ts > fresh.ts) d.points[name] = { ...pv, unit: pv.unit ?? fresh.unit };
        }
      }
      next.set(d.id, d);
    }
    this.devices = next;
    this.loaded.devices = true;
    this.emit('devices', { structural: before !== list.map((d) => d.id).join('\n') });
  }

  applyTelemetry(batch: TelemetryEvent[]): void {
    const applied: TelemetryEvent[] = [];
    for (const ev of batch) {
      const dev = this.devices.get(ev.device);
      if (!dev) continue;
      const old = dev.points[ev.point];
      if (old && old.ts > ev.ts) continue;
      dev.points[ev.point] = { value: ev.value, quality: ev.quality, ts: ev.ts, unit: old?.unit };
      if (dev.lastSeen === null || ev.ts > dev.lastSeen) dev.lastSeen = ev.ts;
      applied.push(ev);
    }
    if (applied.length) this.emit('telemetry', applied);
  }

  applyStatus(ev: DeviceStatusEvent): void {
    const dev = this.devices.get(ev.device);
    if (!dev) return;
    dev.comm = ev.comm;
    dev.commReason = ev.reason;
    this.emit('device', dev.id);
  }

  setAlarms(list: Alarm[]): void {
    this.alarms = new Map(list.map((a) => [a.id, a]));
    this.loaded.alarms = true;
    this.emit('alarms', undefined);
  }

  upsertAlarm(a: Alarm): void {
    const prev = this.alarms.get(a.id);
    this.alarms.set(a.id, a);
    // Keep the device counter right until the next device refresh brings the server's count.
    const delta = Number(isActiveAlarm(a)) - Number(prev ? isActiveAlarm(prev) : false);
    const dev = this.devices.get(a.device);
    if (dev && delta !== 0) {
      dev.activeAlarms = Math.max(0, dev.activeAlarms + delta);
      this.emit('device', dev.id);
    }
    this.emit('alarm', a);
  }

  setOrders(list: WorkOrder[]): void {
    this.orders = new Map(list.map((o) => [o.id, o]));
    this.loaded.orders = true;
    this.emit('orders', undefined);
  }

  upsertOrder(o: WorkOrder): void {
    const prev = this.orders.get(o.id);
    if (prev && prev.updatedAt > o.updatedAt) return;
    this.orders.set(o.id, o);
    const delta = Number(isOpen(o.status)) - Number(prev ? isOpen(prev.status) : false);
    const dev = o.device ? this.devices.get(o.device) : undefined;
    if (dev && delta !== 0) {
      dev.openOrders = Math.max(0, dev.openOrders + delta);
      this.emit('device', dev.id);
    }
    this.emit('order', { order: o, isNew: !prev });
  }

  deviceName(id: string | null): string {
    if (!id) return '';
    return this.devices.get(id)?.name ?? id;
  }
}

export function isActiveAlarm(a: Alarm): boolean {
  return a.state === 'active_unack' || a.state === 'active_ack';
}

export function isUnackedAlarm(a: Alarm): boolean {
  return a.state === 'active_unack' || a.state === 'cleared_unack';
}

export const store = new Store();
