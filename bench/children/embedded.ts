/**
 * Bench child: the single-box setup, the site broker (broker/index.ts) and the gateway in one
 * process, the gateway taking the broker's publishes in process (gateway/core/embedded-broker.ts).
 * Config from argv[2], broker port from BENCH_ARGS {"port"} (the config's device url points at it),
 * history into GW_INFLUX_URL. Answers `stats` like the gateway child (bench/children/gateway.ts).
 */
import { startBroker } from '../../broker/index.js';
import { createGateway } from '../../gateway/app.js';
import { loadConfig } from '../../gateway/site/load.js';
import { createLogger } from '../../gateway/core/log.js';
import { serveParent, toParent } from '../lib/proc.js';

const file = process.argv[2];
if (!file) throw new Error('usage: embedded.ts <site.yaml>');
const args = JSON.parse(process.env.BENCH_ARGS ?? '{}') as { port: number };
const level = process.env.BENCH_LOG_LEVEL ?? 'warn';
// Anonymous publishers, as for the broker child (bench/children/broker.ts): the bench measures the message path.
const broker = await startBroker({
  port: args.port,
  host: '127.0.0.1',
  log: createLogger('bench-broker', level),
  config: { allowAnonymous: true, limits: { connectionsPerSecond: 10_000 } },
});
const gw = await createGateway(loadConfig(file), {
  log: createLogger('gateway', level),
  port: 0,
  host: '127.0.0.1',
  embeddedBroker: broker.embedded,
  ...(process.env.GW_INFLUX_URL ? { influxUrl: process.env.GW_INFLUX_URL } : {}),
});
const running = await gw.start();

serveParent(
  {
    stats: () => ({
      totalReadings: gw.pipeline.totalReadings,
      cpu: process.cpuUsage(),
      rss: process.memoryUsage().rss,
      broker: broker.stats(),
    }),
    device: (m) => ({ comm: gw.pipeline.live.comm(String(m.id)) }),
  },
  async () => {
    await gw.stop();
    await broker.stop();
  },
);
toParent({ type: 'ready', url: running.url, port: running.port, brokerUrl: broker.url });
