/**
 * `npm run sim` / `npm run simulators`: the simulators standalone. `--help` prints the usage
 * below; flags win over the environment. Ctrl-C / SIGTERM stops everything cleanly.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startSimulators, type MqttAccount, type SimulatorOptions } from './index.js';
import { SCALE_TYPES, type Protocol } from './devices.js';
import { parseScale, scaleSiteDevicesYaml, type ScaleCounts } from './scale.js';
import { createLiveScenario, SCENARIOS, type ScenarioName } from './scenarios/index.js';

export const USAGE = `Facility equipment simulators: elevators (OPC UA); pumps, power meters, generators, water
tanks and chillers (Modbus TCP); fire panels and sump pumps (MQTT), with fault injection and slow
degradation scenarios.

Usage: npm run sim -- [options]

Site and time
  --seed N                 same seed, same readings and scenario draws        SIM_SEED (1)
  --time-scale X           simulated seconds per real second; 3600 = an hour  SIM_TIME_SCALE (1)
                           per second, 86400 = a day per second (degradation)
  --start ISO              simulated start time, e.g. 2026-01-05T06:00:00      SIM_START (now)
  --scenario DEV=NAME      start a degradation scenario on a device at launch; repeatable,
                           e.g. --scenario pump-1=bearing_wear --scenario elev-1=door_roller_wear
  --fail-after-days D      failure day of the --scenario runs (default drawn in [4, 12] from the seed)

Scenarios (also POST /devices/:id/scenario {"scenario","seed","failAfterDays"} on the control API)
${Object.entries(SCENARIOS)
  .map(([name, s]) => `  ${name.padEnd(25)}${s.types.join('/').padEnd(22)}${s.description}`)
  .join('\n')}

Scale mode (benchmarks)
  --scale SPEC             N devices per type instead of the demo site, e.g.
                           --scale elevator=250,pump=250,power=250,fire_panel=250,generator=10;
                           all=250 sets every type. Types, in layout order:
                           ${SCALE_TYPES.join(', ')}.
                           Ids elev-0001, pump-0001, power-0001, fire-0001, gen-0001, tank-0001,
                           chiller-0001, sump-0001. Elevators: one OPC UA server, a folder each.
                           Pumps, meters, generators, tanks, chillers: Modbus TCP servers of 247
                           unit ids each on ports --modbus-base-port, +1, ... Fire panels and sump
                           pumps: one MQTT client each. Ticks at 1 Hz.          SIM_SCALE
  --modbus-base-port P     first Modbus server port in scale mode              SIM_MODBUS_BASE_PORT (5020)
  --print-site-devices     print the gateway's matching site-config devices: YAML and exit

Ports and links (0 = a free port)
  --host H                 listen address                                      SIM_HOST (127.0.0.1)
  --opcua-port P           OPC UA, opc.tcp://H:P/facility                      SIM_OPCUA_PORT (4840)
  --pump1-port P           Modbus pump-1 (demo site)                           SIM_PUMP1_PORT (5020)
  --pump2-port P           Modbus pump-2 (demo site)                           SIM_PUMP2_PORT (5021)
  --power-port P           Modbus power-1 (demo site)                          SIM_POWER_PORT (5022)
  --generator-port P       Modbus gen-1 (demo site)                            SIM_GENERATOR_PORT (5023)
  --tank-port P            Modbus tank-1 (demo site)                           SIM_TANK_PORT (5024)
  --chiller-port P         Modbus chiller-1 (demo site)                        SIM_CHILLER_PORT (5025)
  --control-port P         control API (faults, scenarios, OPC UA restart)     SIM_CONTROL_PORT (8081)
  --broker URL             MQTT broker of the fire panels (alias --broker-url) BROKER_URL (mqtt://127.0.0.1:1883)
  --mqtt-accounts LIST     per-device broker accounts, replacing the URL's, e.g.
                           sump-1=sump-1:sump-1-demo (comma-separated)         SIM_MQTT_ACCOUNTS
  --protocols LIST         faces to start, e.g. modbus,opcua (default all)     SIM_PROTOCOLS
  --pki-dir DIR            OPC UA PKI folder (reuse it: first start runs openssl) SIM_PKI_DIR

Control API (see simulators/README.md)
  GET  /devices            devices, fault catalogue, active faults, scenario and its failureAt
  POST /devices/:id/faults {"fault":"slow_door"}; comm faults: silent, exception, slow
                           {"fault":"slow","delayMs":1500}, malformed (MQTT)
  POST /devices/:id/scenario, DELETE /devices/:id/scenario
  POST /opcua/restart      {"delayMs":2000}: OPC UA server down, back on the same port

Examples
  npm run sim -- --time-scale 3600 --scenario pump-1=bearing_wear --fail-after-days 3
  npm run sim -- --scale all=250 --modbus-base-port 15020 --opcua-port 14840
  npm run sim -- --scale all=250 --print-site-devices > /tmp/devices.yaml
`;

const STRING_FLAGS = [
  'host', 'opcua-port', 'pump1-port', 'pump2-port', 'power-port', 'generator-port', 'tank-port', 'chiller-port', 'control-port', 'broker-url', 'broker', 'seed', 'time-scale',
  'pki-dir', 'scale', 'modbus-base-port', 'start', 'fail-after-days', 'protocols', 'mqtt-accounts',
] as const;

let parsed;
try {
  parsed = parseArgs({
    options: {
      ...Object.fromEntries(STRING_FLAGS.map((k) => [k, { type: 'string' as const }])),
      scenario: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
      'print-site-devices': { type: 'boolean' },
    },
  });
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
const flags = parsed.values as Record<string, string | string[] | boolean | undefined>;
if (flags.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const env = process.env;
const fail = (msg: string): never => {
  process.stderr.write(`${msg}\n(see --help)\n`);
  process.exit(2);
};
const setting = (flag: string, name: string): string | undefined => (flags[flag] as string | undefined) ?? env[name];
const num = (flag: string, name: string, fallback: number): number => {
  const raw = setting(flag, name);
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(n)) fail(`invalid number for --${flag} / ${name}: ${raw}`);
  return n;
};

let scale: ScaleCounts | undefined;
const scaleSpec = setting('scale', 'SIM_SCALE');
if (scaleSpec) {
  try {
    scale = parseScale(scaleSpec);
  } catch (err) {
    fail((err as Error).message);
  }
}
const host = setting('host', 'SIM_HOST') ?? '127.0.0.1';
const opcuaPort = num('opcua-port', 'SIM_OPCUA_PORT', 4840);
const modbusBasePort = num('modbus-base-port', 'SIM_MODBUS_BASE_PORT', 5020);
const brokerUrl = (flags.broker as string | undefined) ?? setting('broker-url', 'BROKER_URL') ?? 'mqtt://127.0.0.1:1883';
const mqttAccounts: Record<string, MqttAccount> = {};
for (const entry of (setting('mqtt-accounts', 'SIM_MQTT_ACCOUNTS') ?? '').split(',').filter((e) => e.trim())) {
  const m = /^\s*([\w.-]+)=([^:]+):(.+?)\s*$/.exec(entry);
  if (!m) fail(`invalid --mqtt-accounts entry '${entry}': expected DEVICE=USER:PASSWORD`);
  mqttAccounts[m![1]!] = { username: m![2]!, password: m![3]! };
}

if (flags['print-site-devices']) {
  if (!scale) fail('--print-site-devices needs --scale');
  process.stdout.write(scaleSiteDevicesYaml({ counts: scale!, host, opcuaPort, modbusBasePort, brokerUrl }));
  process.exit(0);
}

const startRaw = setting('start', 'SIM_START');
const startTime = startRaw ? Date.parse(startRaw) : undefined;
if (startRaw && !Number.isFinite(startTime)) fail(`invalid --start: ${startRaw}`);
const protocolsRaw = setting('protocols', 'SIM_PROTOCOLS');
const protocols = protocolsRaw?.split(',').map((p) => p.trim()) as Protocol[] | undefined;
if (protocols?.some((p) => !['opcua', 'modbus', 'mqtt'].includes(p))) fail(`invalid --protocols: ${protocolsRaw} (opcua, modbus, mqtt)`);
const scenarios = ((flags.scenario as string[] | undefined) ?? []).map((s) => {
  const m = /^([\w.-]+)=(\w+)$/.exec(s);
  if (!m || !(m[2]! in SCENARIOS)) fail(`invalid --scenario '${s}': expected DEVICE=NAME with NAME one of ${Object.keys(SCENARIOS).join(', ')}`);
  return { device: m![1]!, scenario: m![2]! as ScenarioName };
});
const failAfterRaw = setting('fail-after-days', 'SIM_FAIL_AFTER_DAYS');
const failAfterDays = failAfterRaw ? num('fail-after-days', 'SIM_FAIL_AFTER_DAYS', 0) : undefined;
const seed = num('seed', 'SIM_SEED', 1);

const log = pino({ name: 'simulators', level: env.LOG_LEVEL ?? 'info' });
const pkiDir = setting('pki-dir', 'SIM_PKI_DIR');
const options: SimulatorOptions = {
  host,
  opcuaPort,
  modbusPorts: {
    'pump-1': num('pump1-port', 'SIM_PUMP1_PORT', 5020),
    'pump-2': num('pump2-port', 'SIM_PUMP2_PORT', 5021),
    'power-1': num('power-port', 'SIM_POWER_PORT', 5022),
    'gen-1': num('generator-port', 'SIM_GENERATOR_PORT', 5023),
    'tank-1': num('tank-port', 'SIM_TANK_PORT', 5024),
    'chiller-1': num('chiller-port', 'SIM_CHILLER_PORT', 5025),
  },
  controlPort: num('control-port', 'SIM_CONTROL_PORT', 8081),
  brokerUrl,
  mqttAccounts,
  seed,
  timeScale: num('time-scale', 'SIM_TIME_SCALE', 1),
  ...(startTime !== undefined ? { startTime } : {}),
  ...(scale ? { scale, modbusBasePort } : {}),
  ...(protocols ? { protocols } : {}),
  ...(pkiDir ? { pkiDir } : {}),
  log,
};
try {
  const sims = await startSimulators(options);
  for (const s of scenarios) {
    const d = sims.devices.find((x) => x.id === s.device);
    if (!d) throw new Error(`--scenario: no device '${s.device}'`);
    const driver = createLiveScenario({
      scenario: s.scenario,
      seed,
      model: d.model,
      now: sims.clock.now(),
      failAfterDays,
      tickSeconds: (sims.clock.tickMs / 1000) * sims.clock.timeScale,
      clockNow: () => sims.clock.now(),
    });
    d.setScenario(driver);
    const info = driver.info();
    log.info({ device: d.id, scenario: s.scenario, failureAt: info.failureAt && new Date(info.failureAt).toISOString(), indicator: info.indicator?.point }, 'scenario started');
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) process.exit(1); // second Ctrl-C: do not wait
    stopping = true;
    log.info({ signal }, 'stopping');
    setTimeout(() => process.exit(1), 5000).unref();
    void sims.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (err) {
  log.fatal({ err }, 'simulators failed to start');
  process.exit(2);
}
