/**
 * Writing a value to a device point, for whoever needs it (the REST API later). A connector that
 * can write implements `WritableConnector`; `writePoint` finds out and calls it, so callers need
 * not know which protocol a device speaks.
 *
 * Errors are GatewayErrors with an HTTP status: 404 unknown device or point, 400 point not
 * writable / value of the wrong kind or out of range / protocol without writes, 502 the device
 * refused (Modbus exception), 504 no answer, 409 no connection to the device right now.
 */
import type { Connector } from '../../core/connector.js';
import { Errors } from '../../core/errors.js';
import type { PointValue } from '../../core/reading.js';

export interface WriteResult {
  device: string;
  point: string;
  /** The engineering value written. */
  value: PointValue;
  /** Protocol details of what went out, e.g. `{ fc: 16, address: 20, registers: [0x4148, 0] }`. */
  detail: Record<string, unknown>;
}

export interface WritableConnector extends Connector {
  /** Write `value` to `point` of `device`; resolves once the device confirmed it. */
  write(device: string, point: string, value: PointValue): Promise<WriteResult>;
  /** Whether this connector serves `device` (so callers holding several connectors can route). */
  serves(device: string): boolean;
}

export function isWritable(c: Connector): c is WritableConnector {
  return typeof (c as Partial<WritableConnector>).write === 'function' && typeof (c as Partial<WritableConnector>).serves === 'function';
}

/**
 * Write through whichever of `connectors` serves `device`. Throws NOT_FOUND when none does and
 * BAD_REQUEST when the one serving it cannot write.
 */
export async function writePoint(connectors: Connector | readonly Connector[], device: string, point: string, value: PointValue): Promise<WriteResult> {
  const list = Array.isArray(connectors) ? connectors : [connectors as Connector];
  const target = list.find((c) => isWritable(c) && c.serves(device)) as WritableConnector | undefined;
  if (!target) throw Errors.NOT_FOUND(`writable device "${device}"`);
  return target.write(device, point, value);
}
