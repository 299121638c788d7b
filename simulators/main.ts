/**
 * `npm run simulators`: the simulators standalone. Settings come from flags or the environment:
 *   --opcua-port  SIM_OPCUA_PORT (4840)     --pump1-port  SIM_PUMP1_PORT (5020)
 *   --pump2-port  SIM_PUMP2_PORT (5021)     --power-port  SIM_POWER_PORT (5022)
 *   --control-port SIM_CONTROL_PORT (8081)  --broker-url  BROKER_URL (mqtt://127.0.0.1:1883)
 *   --host SIM_HOST (127.0.0.1)  --seed SIM_SEED (1)  --time-scale SIM_TIME_SCALE (1)  --pki-dir SIM_PKI_DIR
 * Ctrl-C / SIGTERM stops everything cleanly.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startSimulators } from './index.js';

const { values: flags } = parseArgs({
  options: Object.fromEntries(
    ['host', 'opcua-port', 'pump1-port', 'pump2-port', 'power-port', 'control-port', 'broker-url', 'seed', 'time-scale', 'pki-dir'].map((k) => [
      k,
      { type: 'string' as const },
    ]),
  ),
});
const env = process.env;
const setting = (flag: string, name: string): string | undefined => (flags[flag] as string | undefined) ?? env[name];
const num = (flag: string, name: string, fallback: number): number => {
  const raw = setting(flag, name);
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(n)) {
    process.stderr.write(`invalid number for --${flag} / ${name}: ${raw}\n`);
    process.exit(2);
  }
  return n;
};

const log = pino({ name: 'simulators', level: env.LOG_LEVEL ?? 'info' });
const pkiDir = setting('pki-dir', 'SIM_PKI_DIR');
try {
  const sims = await startSimulators({
    host: setting('host', 'SIM_HOST') ?? '127.0.0.1',
    opcuaPort: num('opcua-port', 'SIM_OPCUA_PORT', 4840),
    modbusPorts: {
      'pump-1': num('pump1-port', 'SIM_PUMP1_PORT', 5020),
      'pump-2': num('pump2-port', 'SIM_PUMP2_PORT', 5021),
      'power-1': num('power-port', 'SIM_POWER_PORT', 5022),
    },
    controlPort: num('control-port', 'SIM_CONTROL_PORT', 8081),
    brokerUrl: setting('broker-url', 'BROKER_URL') ?? 'mqtt://127.0.0.1:1883',
    seed: num('seed', 'SIM_SEED', 1),
    timeScale: num('time-scale', 'SIM_TIME_SCALE', 1),
    ...(pkiDir ? { pkiDir } : {}),
    log,
  });
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
