/**
 * `tsx broker/main.ts`: the site broker as its own process (docker-compose). The
 * broker takes its config as data; this entry loads the site config (`GW_CONFIG`, default
 * demo/site.yaml) and hands it the `broker:` section (accounts, ACLs, TLS, limits), the site id and
 * the device types. The port comes from `BROKER_PORT` (default 1883). A config error exits 2
 * without a stack trace.
 */
import { dirname } from 'node:path';
import { startBroker } from './index.js';
import { loadConfig } from '../gateway/config/load.js';
import { createLogger } from '../gateway/core/log.js';
import { exitOnStartError, stopOnSignals } from '../gateway/core/process.js';

const log = createLogger('broker');
try {
  const loaded = loadConfig(process.env.GW_CONFIG ?? 'demo/site.yaml');
  const broker = await startBroker({
    port: Number(process.env.BROKER_PORT ?? 1883),
    log,
    config: loaded.config.broker ?? {},
    site: loaded.config.site.id,
    deviceTypes: Object.fromEntries(loaded.config.devices.map((d) => [d.id, d.type])),
    configDir: dirname(loaded.file),
  });
  stopOnSignals(broker.stop);
} catch (err) {
  exitOnStartError(err, 'broker');
}
