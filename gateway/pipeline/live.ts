/**
 * Live state: the latest value of every point and the comm status of every device. This is what
 * `GET /api/devices` shows and what the dashboard paints on first load.
 */
import type { DeviceConfig } from '../config/schema.js';
import type { DeviceView, PointView } from '../core/model.js';
import type { CommStatus, Reading } from '../core/reading.js';

interface DeviceState {
  config: DeviceConfig;
  comm: CommStatus;
  commReason: string | undefined;
  lastSeen: number | null;
  points: Map<string, PointView>;
}

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
      this.devices.set(d.id, { config: d, comm: 'connecting', commReason: undefined, lastSeen: null, points });
    }
  }

  has(device: string, point: string): boolean {
    return this.devices.get(device)?.points.has(point) ?? false;
  }

  device(id: string): DeviceConfig | undefined {
    return this.devices.get(id)?.config;
  }

  /**
   * Applies one reading; returns the device's comm status (so the caller needs no second lookup),
   * or undefined when the device or point is not in the config.
   */
  apply(r: Reading): CommStatus | undefined {
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
    if (r.reason !== undefined || p.reason !== undefined) p.reason = r.reason;
    if (r.quality === 'good' && (d.lastSeen === null || r.ts > d.lastSeen)) d.lastSeen = r.ts;
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
      points: Object.fromEntries(d.points),
      ...counts,
    };
  }
}
