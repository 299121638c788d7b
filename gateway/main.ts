/**
 * `tsx gateway/main.ts --config site.yaml`: runs the gateway until SIGINT/SIGTERM. A config error
 * prints the problems (path of the bad key, what was expected) and exits 2, without a stack trace.
 */
import { parseArgs } from 'node:util';
import { createLogger } from './core/log.js';
import { exitOnStartError, stopOnSignals } from './core/process.js';
import { loadConfig } from './site/load.js';
import { startGateway } from './app.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', short: 'c', default: process.env.GW_CONFIG ?? 'demo/site.yaml' },
    port: { type: 'string' },
  },
});

const log = createLogger('gateway');

try {
  const loaded = loadConfig(values.config!);
  const gw = await startGateway(loaded, {
    log,
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(process.env.GW_INFLUX_URL ? { influxUrl: process.env.GW_INFLUX_URL } : {}),
  });
  process.stdout.write(`gateway listening on ${gw.url} (config ${loaded.file})\n`);
  stopOnSignals(gw.stop);
} catch (err) {
  exitOnStartError(err, 'gateway');
}
