/**
 * Live state: the latest value of every point and the comm status of every device. This is what
 * `GET /api/devices` shows and what the dashboard paints on first load.
 */
import type { DeviceConfig } from '../config/schema.js';
import type { DeviceClockView, DeviceView, PointView } from '../core/model.js';
import type { CommStatus, Reading } from '../core/reading.js';

interface DeviceState {
  config: DeviceConfig;
  comm: CommStatus;
  commReason: string | undefined;
  lastSeen: number | null;
  points: Map<string, PointView>;
  /** Device-clock diagnostic: readings dated after the gateway clock (docs/design.md §9). */
  clock: DeviceClockView | null;
}

/** Why a reading is not good: the connector's reason, or a generic one (every view carries one). */
export const reasonOf = (r: Reading): string =>
  r.reason ?? (r.quality === 'bad' ? 'bad quality reported by the connector' : 'uncertain quality reported by the connector');

export class LiveState {
  private readonly devices = new Map<string, DeviceState>();
  /** The device of the last `apply()`: a message's readings share it, one lookup per message. */
  private last: DeviceState | undefined;

  constructor(devices: readonly DeviceConfig[]) {
    for (const d of devices) {
      const points = new Map<string, PointView>();
      for (const p of d.points) {
        const unit = typeof p.unit === 'string' ? p.unit : undefined;
        points.set(String(p.name), { value: null, quality: 'uncertain', ts: 0, ...(unit ? { unit } : {}) });
      }
      this.devices.set(d.id, { config: d, comm: 'connecting', commReason: undefined, lastSeen: null, points, clock: null });
    }
  }

  has(device: string, point: string): boolean {
    return this.devices.get(device)?.points.has(point) ?? false;
  }

  device(id: string): DeviceConfig | undefined {
    return this.devices.get(id)?.config;
  }

  /**
   * Notes a reading of a known device dated `aheadMs` after the gateway clock (its time is replaced
   * by the arrival time); false when the device is not in the config.
   */
  clockAhead(device: string, aheadMs: number, at: number): boolean {
    const d = this.devices.get(device);
    if (!d) return false;
    const c = (d.clock ??= { futureReadings: 0, lastAheadMs: 0, lastAt: 0 });
    c.futureReadings++;
    c.lastAheadMs = aheadMs;
    c.lastAt = at;
    return true;
  }

  /**
   * Applies one reading that arrived at `arrival` (gateway clock); returns the device's comm status
   * (so the caller needs no second lookup), or undefined when the device or point is not in the config.
   * `lastSeen` is the arrival time: a device clock set back must not make a talking device stale.
   */
  apply(r: Reading, arrival: number = r.ts): CommStatus | undefined {
    let d = this.last;
    if (d === undefined || d.config.id !== r.device) {
      d = this.devices.get(r.device);
      if (!d) return undefined;
      this.last = d;
    }
    const p = d.points.get(r.point);
    if (!p) return undefined;
    p.value = r.value;
    p.quality = r.quality;
    p.ts = r.ts;
    // Why a point is not good travels with it (REST and socket.io views alike).
    if (r.quality === 'good') {
      if (p.reason !== undefined) delete p.reason;
      if (d.lastSeen === null || arrival > d.lastSeen) d.lastSeen = arrival;
    } else {
      p.reason = reasonOf(r);
    }
    return d.comm;
  }

  /** Sets comm status; returns true when it changed. */
  setComm(device: string, comm: CommStatus, reason?: string): boolean {
    const d = this.devices.get(device);
    if (!d || (d.comm === comm && d.commReason === reason)) return false;
    d.comm = comm;
    d.commReason = reason;
    return true;
  }

  comm(device: string): CommStatus | undefined {
    return this.devices.get(device)?.comm;
  }

  lastSeen(device: string): number | null {
    return this.devices.get(device)?.lastSeen ?? null;
  }

  value(device: string, point: string): PointView | undefined {
    return this.devices.get(device)?.points.get(point);
  }

  ids(): string[] {
    return [...this.devices.keys()];
  }

  view(id: string, counts: { activeAlarms: number; openOrders: number }): DeviceView | undefined {
    const d = this.devices.get(id);
    if (!d) return undefined;
    const { config: c } = d;
    return {
      id: c.id,
      name: c.name ?? c.id,
      type: c.type,
      ...(c.building ? { building: c.building } : {}),
      protocol: c.protocol,
      comm: d.comm,
      ...(d.commReason ? { commReason: d.commReason } : {}),
      lastSeen: d.lastSeen,
      ...(d.clock ? { clock: { ...d.clock } } : {}),
      points: Object.fromEntries(d.points),
      ...counts,
    };
  }
}
