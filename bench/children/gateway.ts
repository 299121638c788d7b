/**
 * Bench child: the gateway with its full pipeline (createGateway + start, exactly what
 * gateway/main.ts runs), config from argv[2], history into GW_INFLUX_URL. Answers `stats` with
 * its own counters, CPU and memory.
 */
import { createGateway } from '../../gateway/app.js';
import { loadConfig } from '../../gateway/site/load.js';
import { createLogger } from '../../gateway/core/log.js';
import { serveParent, toParent } from '../lib/proc.js';

const file = process.argv[2];
if (!file) throw new Error('usage: gateway.ts <site.yaml>');
const log = createLogger('gateway', process.env.BENCH_LOG_LEVEL ?? 'warn');
const loaded = loadConfig(file);
const gw = await createGateway(loaded, {
  log,
  port: 0,
  host: '127.0.0.1',
  ...(process.env.GW_INFLUX_URL ? { influxUrl: process.env.GW_INFLUX_URL } : {}),
});
const running = await gw.start();


serveParent(
  {
    stats: () => ({
      totalReadings: gw.pipeline.totalReadings,
      unknownReadings: gw.pipeline.unknownReadings,
      history: gw.history.stats(),
      cpu: process.cpuUsage(),
      rss: process.memoryUsage().rss,
      heapUsed: process.memoryUsage().heapUsed,
    }),
    device: (m) => {
      const id = String(m.id);
      const live = gw.pipeline.live as unknown as { comm(id: string): unknown; view?(id: string, c: { activeAlarms: number; openOrders: number }): unknown };
      return { comm: live.comm(id), view: live.view?.(id, { activeAlarms: 0, openOrders: 0 }) ?? null };
    },
    flush: async () => {
      await gw.history.flush();
      return { history: gw.history.stats() };
    },
  },
  () => gw.stop(),
);
toParent({ type: 'ready', url: running.url, port: running.port });
