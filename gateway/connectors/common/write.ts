/**
 * Writing a value to a device point, for whoever needs it (the REST API later). A connector that
 * can write has `write` (core/connector.ts); `writePoint` routes to the one serving the device, so
 * callers need not know which protocol a device speaks.
 *
 * Errors are GatewayErrors with an HTTP status: 404 unknown device or point, 400 point not
 * writable / value of the wrong kind or out of range / protocol without writes, 502 the device
 * refused (Modbus exception), 504 no answer, 409 no connection to the device right now.
 */
import type { Connector, WriteResult } from '../../core/connector.js';
import { Errors } from '../../core/errors.js';
import type { PointValue } from '../../core/reading.js';

/**
 * Write through whichever of `connectors` serves `device`. Throws NOT_FOUND when none does and
 * BAD_REQUEST when the one serving it cannot write.
 */
export async function writePoint(connectors: Connector | readonly Connector[], device: string, point: string, value: PointValue): Promise<WriteResult> {
  const list = Array.isArray(connectors) ? connectors : [connectors as Connector];
  const target = list.find((c) => c.serves(device));
  if (!target) throw Errors.NOT_FOUND(`device "${device}"`);
  if (!target.write) throw Errors.BAD_REQUEST(`device "${device}" speaks a protocol without writes`);
  return target.write(device, point, value);
}
