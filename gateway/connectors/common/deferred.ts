/**
 * A Connector whose implementation is imported on `start()`. Keeps heavy protocol libraries
 * (node-opcua takes about a second to import) out of processes that only load the registry to
 * validate a config.
 */
import type { Connector } from '../../core/connector.js';

export function deferred(build: () => Promise<Connector>): Connector {
  let inner: Promise<Connector> | undefined;
  return {
    async start() {
      inner ??= build();
      await (await inner).start();
    },
    async stop() {
      if (!inner) return;
      const c = await inner.catch(() => undefined);
      await c?.stop();
    },
  };
}
