/**
 * `HQ_CONFIG=hq.yaml npx tsx hq/main.ts`: one head-office process (app.ts). Start as many as
 * needed behind a load balancer; they share the durable consumers and the database.
 * SIGTERM/SIGINT stop it gracefully: the API closes, the consumers finish their batch (acked only
 * after commit), NATS drains, the pool ends.
 */
import { createLogger } from '../gateway/core/log.js';
import { GatewayError } from '../gateway/core/errors.js';
import { startHq } from './app.js';
import { loadHqConfig } from './config.js';

const log = createLogger('hq');
const file = process.env.HQ_CONFIG ?? 'hq.yaml';

try {
  const config = loadHqConfig(file);
  const hq = await startHq(config, { log });
  log.info({ url: hq.url, estates: config.estates.length }, 'head office up');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    hq.stop().then(() => process.exit(0), (err: unknown) => {
      log.error({ err: err instanceof Error ? err.message : String(err) }, 'unclean stop');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
} catch (err) {
  if (err instanceof GatewayError) log.error({ code: err.code }, err.message);
  else log.error({ err }, 'head office failed to start');
  process.exit(1);
}
