/**
 * `stats()` for connectors whose devices answer in batches (a Modbus poll, an OPC UA notification):
 * each run of one device's readings handed to the pipeline counts as one message.
 */
import type { ConnectorStats, DeviceCounters } from '../../core/connector.js';
import type { Reading } from '../../core/reading.js';

export class MessageCounters {
  private readonly devices = new Map<string, DeviceCounters>();

  constructor(ids: Iterable<string>) {
    for (const id of ids) this.devices.set(id, { messages: 0, malformed: 0 });
  }

  /** Count the readings of a batch, one message per run of one device. */
  note(readings: readonly Reading[]): void {
    let last: string | undefined;
    for (const r of readings) {
      if (r.device === last) continue;
      last = r.device;
      const c = this.devices.get(r.device);
      if (c) c.messages++;
    }
  }

  has(device: string): boolean {
    return this.devices.has(device);
  }

  stats(): ConnectorStats {
    return summarize(this.devices);
  }
}

/** Totals and a per-device copy of counters: the `stats()` of every connector. */
export function summarize(counters: Iterable<[string, DeviceCounters]>): ConnectorStats {
  let messages = 0;
  let malformed = 0;
  const devices: Record<string, DeviceCounters> = {};
  for (const [id, c] of counters) {
    devices[id] = { ...c };
    messages += c.messages;
    malformed += c.malformed;
  }
  return { messages, malformed, devices };
}
