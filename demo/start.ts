/**
 * `npm start`: the whole product on one machine, in one process: the MQTT broker, the equipment
 * simulators (2 elevators over OPC UA; 2 pumps, a power meter, a standby generator, a water tank
 * and a chiller over Modbus TCP; a fire panel and a sump pump over MQTT), and the gateway with embedded storage serving the API and the dashboard.
 * Ports come from the environment (defaults below); Ctrl-C stops everything within 5 s.
 * GW_CONFIG picks another site config (the company demo runs demo/estates/estate.yaml three times).
 */
import { dirname } from 'node:path';
import { createLogger } from '../gateway/core/log.js';
import { GatewayError } from '../gateway/core/errors.js';
import { loadConfig } from '../gateway/site/load.js';
import { startGateway } from '../gateway/app.js';
import { startBroker } from '../broker/index.js';
import { MODBUS_PORT_VARS, sitePortVars, startSimulators } from '../simulators/index.js';

const env = process.env;
const port = (name: string, fallback: number): number => Number(env[name] ?? fallback);
const log = createLogger('demo', env.LOG_LEVEL ?? 'warn');

const ports = {
  http: port('GW_HTTP_PORT', 8080),
  control: port('SIM_CONTROL_PORT', 8081),
  broker: port('BROKER_PORT', 1883),
  opcua: port('SIM_OPCUA_PORT', 4840),
};
/** The Modbus devices' ports given in the environment; the others keep the simulators' defaults (5020...). */
const modbusPorts = Object.fromEntries(Object.entries(MODBUS_PORT_VARS).flatMap(([id, name]) => (env[name] === undefined ? [] : [[id, Number(env[name])]])));

const stops: (() => Promise<void>)[] = [];
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (stopping) process.exit(code);
  stopping = true;
  process.stdout.write('\nstopping...\n');
  const force = setTimeout(() => {
    process.stderr.write('forced exit after 5 s\n');
    process.exit(1);
  }, 5000);
  force.unref();
  for (const stop of stops.reverse()) await stop().catch((err: unknown) => log.error({ err }, 'stop failed'));
  process.stdout.write('stopped\n');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  // The broker's accounts and ACLs come from the same site config the gateway reads.
  const configFile = env.GW_CONFIG ?? new URL('./site.yaml', import.meta.url).pathname;
  const site = loadConfig(configFile, env).config;
  const broker = await startBroker({
    port: ports.broker,
    host: '127.0.0.1',
    log: log.child({ room: 'broker' }),
    config: site.broker ?? {},
    site: site.site.id,
    deviceTypes: Object.fromEntries(site.devices.map((d) => [d.id, d.type])),
    configDir: dirname(configFile),
  });
  // The fire panel logs in with its own device account (demo credentials, see README).
  const simAuth = `${encodeURIComponent(env.SIM_MQTT_USER ?? 'fire-1')}:${encodeURIComponent(env.SIM_MQTT_PASSWORD ?? 'fire-1-demo')}@`;
  stops.push(broker.stop);
  const sims = await startSimulators({
    // SIM_BIND_HOST=0.0.0.0 makes the control API reachable from outside a container.
    host: env.SIM_BIND_HOST ?? '127.0.0.1',
    siteId: site.site.id,
    opcuaPort: ports.opcua,
    modbusPorts,
    // The sump-pump controller has its own broker account, as every MQTT device does (demo credentials).
    mqttAccounts: { 'sump-1': { username: env.SIM_SUMP_MQTT_USER ?? 'sump-1', password: env.SIM_SUMP_MQTT_PASSWORD ?? 'sump-1-demo' } },
    controlPort: ports.control,
    brokerUrl: broker.url.replace('://', `://${simAuth}`),
    log: log.child({ room: 'simulators' }),
  });
  stops.push(() => sims.stop());

  const loaded = loadConfig(configFile, {
    ...env,
    GW_HTTP_PORT: String(ports.http),
    BROKER_PORT: String(broker.port),
    ...sitePortVars(sims.ports),
  });
  // The broker is in this process: the gateway takes its publishes by function call.
  const gw = await startGateway(loaded, { log: createLogger('gateway', env.LOG_LEVEL ?? 'warn'), embeddedBroker: broker.embedded, ...(env.GW_INFLUX_URL ? { influxUrl: env.GW_INFLUX_URL } : {}) });
  stops.push(gw.stop);

  process.stdout.write(
    [
      '',
      'Facility gateway demo is running',
      `  Dashboard          http://localhost:${gw.port}/`,
      `  API                http://localhost:${gw.port}/api/devices`,
      `  Simulator control  http://localhost:${ports.control}/devices`,
      `  MQTT broker        mqtt://localhost:${broker.port}`,
      `  Data folder        ${loaded.dataDir} (history: ${gw.history.backend})`,
      '',
      `Try a fault:  curl -X POST -H 'content-type: application/json' -d '{"fault":"low_pressure"}' http://localhost:${ports.control}/devices/pump-1/faults`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n') + '\n',
  );
} catch (err) {
  if (err instanceof GatewayError) process.stderr.write(`error ${err.code}: ${err.message}\n`);
  else process.stderr.write(`demo failed to start: ${(err as Error).stack ?? String(err)}\n`);
  await shutdown(2);
}
