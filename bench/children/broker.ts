/**
 * Bench child: the project's aedes broker (broker/index.ts) on a free loopback port. Anonymous
 * clients are allowed (`allowAnonymous`, if the broker has device auth), so the bench measures
 * the message path, not the login.
 */
import { createLogger } from '../../gateway/core/log.js';
import { startBroker } from '../../broker/index.js';
import { serveParent, toParent } from '../lib/proc.js';

const log = createLogger('bench-broker', process.env.BENCH_LOG_LEVEL ?? 'warn');
// `config.allowAnonymous` (broker with device auth) and the older top-level flag, passed through
// a variable so either shape of BrokerOptions accepts it. The connection-rate guard is raised:
// the bench opens many clients from 127.0.0.1.
// BENCH_ARGS may carry the demo site's broker accounts (the gateway logs in with one of them).
const args = JSON.parse(process.env.BENCH_ARGS ?? '{}') as { config?: Record<string, unknown>; site?: string; deviceTypes?: Record<string, string> };
const limits = { ...((args.config?.limits as Record<string, unknown> | undefined) ?? {}), connectionsPerSecond: 10_000 };
const opts = {
  port: 0,
  host: '127.0.0.1',
  log,
  allowAnonymous: true,
  config: { ...(args.config ?? {}), allowAnonymous: true, limits },
  ...(args.site ? { site: args.site } : {}),
  ...(args.deviceTypes ? { deviceTypes: args.deviceTypes } : {}),
};
const broker = await startBroker(opts as unknown as Parameters<typeof startBroker>[0]);
serveParent({ cpu: () => ({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss }) }, () => broker.stop());
toParent({ type: 'ready', port: broker.port, url: broker.url });
