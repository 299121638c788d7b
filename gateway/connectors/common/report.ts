/**
 * Helpers every connector shares for talking to its `ConnectorContext`: status reports without
 * repeats, emits that can never throw into a timer, and warnings at a bounded rate.
 */
import type { ConnectorContext } from '../../core/connector.js';
import type { CommStatus, Reading } from '../../core/reading.js';
import type { Logger } from '../../core/log.js';

/** Forwards `status()` only when a device's status or reason actually changes. */
export class StatusBoard {
  private readonly last = new Map<string, string>();

  constructor(private readonly ctx: ConnectorContext) {}

  set(device: string, status: CommStatus, reason?: string): void {
    const key = `${status}\u0000${reason ?? ''}`;
    if (this.last.get(device) === key) return;
    this.last.set(device, key);
    try {
      this.ctx.status(device, status, reason);
    } catch (err) {
      this.ctx.log.error({ err, device }, 'status handler threw');
    }
  }

  get(device: string): CommStatus | undefined {
    const v = this.last.get(device);
    return v === undefined ? undefined : (v.split('\u0000')[0] as CommStatus);
  }
}

/** `ctx.emit` guarded so a throwing pipeline cannot break a poll loop or a socket handler. */
export function emitSafely(ctx: ConnectorContext, readings: Reading[]): void {
  if (readings.length === 0) return;
  try {
    ctx.emit(readings);
  } catch (err) {
    ctx.log.error({ err }, 'emit handler threw');
  }
}

/**
 * Logs at most one warning per key per `intervalMs`; the ones in between are counted and the
 * count rides along with the next warning that gets through (`suppressed`).
 */
export class RateLimitedLog {
  private readonly next = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 10_000,
  ) {}

  warn(key: string, obj: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    const slot = this.next.get(key);
    if (slot && now < slot.at) {
      slot.suppressed++;
      return;
    }
    const suppressed = slot?.suppressed ?? 0;
    this.next.set(key, { at: now + this.intervalMs, suppressed: 0 });
    this.log.warn(suppressed ? { ...obj, suppressed } : obj, msg);
  }
}
