/**
 * Bench child: the demo site's simulators (simulators/index.ts) on free loopback ports, the fire
 * panel publishing to the bench broker (env BENCH_ARGS {"brokerUrl", "pkiDir"}). `ready` carries the
 * ports and the site config's port variables for them (sitePortVars).
 */
import { pino } from 'pino';
import { FREE_MODBUS_PORTS, sitePortVars, startSimulators } from '../../simulators/index.js';
import { serveParent, toParent } from '../lib/proc.js';

const args = JSON.parse(process.env.BENCH_ARGS ?? '{}') as { brokerUrl: string; pkiDir?: string };
const stack = await startSimulators({
  host: '127.0.0.1',
  opcuaPort: 0,
  modbusPorts: FREE_MODBUS_PORTS,
  controlPort: 0,
  brokerUrl: args.brokerUrl,
  ...(args.pkiDir ? { pkiDir: args.pkiDir } : {}),
  log: pino({ name: 'simulators', level: process.env.BENCH_LOG_LEVEL ?? 'warn' }),
});
serveParent({}, () => stack.stop());
toParent({ type: 'ready', ports: stack.ports, sitePortVars: sitePortVars(stack.ports), controlUrl: stack.controlUrl, opcuaEndpoint: stack.opcuaEndpoint });
