/**
 * A Connector whose implementation is imported on `start()`. Keeps heavy protocol libraries
 * (node-opcua takes about a second to import) out of processes that only load the registry to
 * validate a config. Until it has started it serves its devices with zero counters.
 */
import type { Connector, ConnectorStats } from '../../core/connector.js';
import { MessageCounters } from './counters.js';

export function deferred(devices: readonly string[], build: () => Promise<Connector>): Connector {
  let inner: Promise<Connector> | undefined;
  let ready: Connector | undefined;
  const idle = new MessageCounters(devices);
  return {
    async start() {
      inner ??= build().then((c) => (ready = c));
      await (await inner).start();
    },
    async stop() {
      if (!inner) return;
      const c = await inner.catch(() => undefined);
      await c?.stop();
    },
    stats(): ConnectorStats {
      return (ready ?? idle).stats();
    },
    serves: (device) => idle.has(device),
  };
}
