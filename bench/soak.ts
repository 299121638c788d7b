/**
 * `npm run soak -- --minutes N [--load 10]`: the demo stack (broker with its accounts,
 * simulators, gateway with embedded storage) in this process at `--load` times its normal load,
 * for N minutes, then a report of memory growth, errors and lost readings.
 *
 * Load ×L: Modbus poll intervals and OPC UA sampling/publishing intervals ÷ L, the simulator
 * clock × L (values change L times as often), and L-1 extra MQTT publications per second on the
 * fire panel's topic (with the panel's own account) beside the simulator's one per second.
 *
 * Lost readings are counted two ways:
 *  - MQTT end to end: messages an independent subscriber saw on the fire panel topic vs the
 *    messages the gateway's MQTT connector received (gw_connector_messages_total);
 *  - pipeline → history: readings the pipeline accepted (gw_readings_total) vs reading values the
 *    history store wrote plus readings it had no value to store for (gw_history_points
 *    {stat="writtenFields"} + {stat="skipped"}) after the final flush. (`written` counts points,
 *    which hold several values each in InfluxDB, and events.)
 * Errors: log lines at level error or worse from every room, plus API 5xx.
 * Memory: RSS and V8 heap after warm-up vs at the end (both after a full GC), sampled every 10 s.
 * Exit code 1 when readings were lost or errors were logged.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { startBroker } from '../broker/index.js';
import { createGateway } from '../gateway/app.js';
import { loadConfig } from '../gateway/site/load.js';
import { FREE_MODBUS_PORTS, sitePortVars, startSimulators } from '../simulators/index.js';

const { values: args } = parseArgs({
  options: { minutes: { type: 'string', default: '2' }, load: { type: 'string', default: '10' }, keep: { type: 'boolean', default: false } },
});
const minutes = Number(args.minutes);
const load = Number(args.load);
if (!(minutes > 0) || !(load >= 1)) {
  process.stderr.write('usage: npm run soak -- --minutes N [--load 10] [--keep]\n');
  process.exit(2);
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const mem = () => {
  gc();
  const m = process.memoryUsage();
  return { rssMB: m.rss / 2 ** 20, heapMB: m.heapUsed / 2 ** 20 };
};

// Every room logs into one counting stream: errors are counted and the first few kept.
const logCounts = { warn: 0, error: 0 };
const firstErrors: string[] = [];
const log = pino(
  { level: 'warn', base: null },
  {
    write(line: string) {
      const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
      if (level >= 50) {
        logCounts.error++;
        if (firstErrors.length < 5) firstErrors.push(line.trim().slice(0, 300));
      } else if (level >= 40) logCounts.warn++;
    },
  },
);

const FIRE_TOPIC = 'site/demo/fire_panel/fire-1/telemetry';
const dataDir = mkdtempSync(join(tmpdir(), 'gw-soak-'));
const configFile = new URL('../demo/site.yaml', import.meta.url).pathname;
const metricsToken = randomBytes(24).toString('hex');
process.env.GW_METRICS_TOKEN = metricsToken;

const site = loadConfig(configFile, { ...process.env, GW_DATA_DIR: dataDir }).config;
const broker = await startBroker({
  port: 0, host: '127.0.0.1', log: log.child({ room: 'broker' }), config: site.broker ?? {}, site: site.site.id,
  deviceTypes: Object.fromEntries(site.devices.map((d) => [d.id, d.type])), configDir: dirname(configFile),
});
const brokerUrl = (user: string, pw: string) => broker.url.replace('://', `://${user}:${pw}@`);
const sims = await startSimulators({
  host: '127.0.0.1', opcuaPort: 0, modbusPorts: FREE_MODBUS_PORTS, controlPort: 0,
  brokerUrl: brokerUrl('fire-1', 'fire-1-demo'), mqttAccounts: { 'sump-1': { username: 'sump-1', password: 'sump-1-demo' } }, timeScale: load, log: log.child({ room: 'simulators' }),
});
const loaded = loadConfig(configFile, {
  ...process.env, GW_DATA_DIR: dataDir, GW_HTTP_PORT: '0', GW_HTTP_HOST: '127.0.0.1', BROKER_PORT: String(broker.port),
  ...sitePortVars(sims.ports),
});
for (const d of loaded.config.devices) {
  const c = d.connection as Record<string, unknown>;
  for (const key of ['pollInterval', 'samplingInterval', 'publishingInterval']) {
    if (typeof c[key] === 'number') c[key] = Math.max(25, Math.round((c[key] as number) / load));
  }
}
const gw = await createGateway(loaded, { log: log.child({ room: 'gateway' }) as never });
const running = await gw.start();

// An independent subscriber (gateway account, own client id) counts what was really published.
let published = 0;
const observer = await connectAsync(brokerUrl('gateway', 'gateway-demo'), { clientId: `soak-observer-${process.pid}`, reconnectPeriod: 1000 });
observer.on('message', () => published++);
await observer.subscribeAsync(FIRE_TOPIC, { qos: 1 });
// The extra MQTT load: L-1 messages per second, with the panel's own account.
const extra = await connectAsync(brokerUrl('fire-1', 'fire-1-demo'), { clientId: `soak-extra-${process.pid}`, reconnectPeriod: 1000 });
let seq = 0;
const extraTimer = load > 1 ? setInterval(() => {
  seq++;
  extra.publish(FIRE_TOPIC, JSON.stringify({ ts: Date.now(), fire_alarm: false, supervisory: false, trouble: false, zones_in_alarm: 0, disabled_zones: 0, power: { mains_v: 230 + (seq % 10) / 10, battery_v: 27.1 } }), { qos: 1 });
}, 1000 / (load - 1)) : undefined;

async function metrics(): Promise<Map<string, number>> {
  const text = await (await fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i).replace(/,?site="[^"]*"/, '').replace('{}', ''), Number(line.slice(i + 1)));
  }
  return out;
}
const sum = (m: Map<string, number>, prefix: string) => [...m].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const t0 = Date.now();
const warmUpMs = Math.min(20_000, minutes * 60_000 * 0.15);
process.stdout.write(`soak: load x${load} for ${minutes} min (warm-up ${Math.round(warmUpMs / 1000)} s), data ${dataDir}\n`);
await sleep(warmUpMs);
const start = mem();
const startMetrics = await metrics();
const samples: { t: number; rssMB: number; heapMB: number; readings: number }[] = [];
const endAt = t0 + minutes * 60_000;
while (Date.now() < endAt) {
  await sleep(Math.min(10_000, Math.max(0, endAt - Date.now())));
  const m = await metrics();
  const s = { t: (Date.now() - t0) / 1000, ...mem(), readings: sum(m, 'gw_readings_total') };
  samples.push(s);
  process.stdout.write(`  t=${s.t.toFixed(0)} s  rss ${s.rssMB.toFixed(1)} MB  heap ${s.heapMB.toFixed(1)} MB  readings ${s.readings}  ${sum(m, 'gw_readings_per_second').toFixed(0)}/s\n`);
}

// Stop the load, let the last messages arrive, flush the history, then count.
if (extraTimer) clearInterval(extraTimer);
await sleep(1500);
await gw.history.flush();
const end = mem();
const m = await metrics();
const received = m.get('gw_connector_messages_total{connector="mqtt",device="fire-1"}') ?? 0;
const base = startMetrics.get('gw_connector_messages_total{connector="mqtt",device="fire-1"}') ?? 0;
const ingested = sum(m, 'gw_readings_total');
const writtenFields = m.get('gw_history_points{stat="writtenFields"}');
const written = writtenFields === undefined ? undefined : writtenFields + (m.get('gw_history_points{stat="skipped"}') ?? 0);
const dropped = m.get('gw_history_points{stat="dropped"}') ?? 0;
const api5xx = [...m].filter(([k]) => k.startsWith('gw_api_errors_total{status="5')).reduce((a, [, v]) => a + v, 0);
const durationS = (Date.now() - t0) / 1000;
const slope = (() => {
  if (samples.length < 3) return null;
  const n = samples.length;
  const mx = samples.reduce((a, s) => a + s.t, 0) / n;
  const my = samples.reduce((a, s) => a + s.heapMB, 0) / n;
  const num = samples.reduce((a, s) => a + (s.t - mx) * (s.heapMB - my), 0);
  const den = samples.reduce((a, s) => a + (s.t - mx) ** 2, 0);
  return den ? (num / den) * 60 : null;
})();
const report = {
  minutes, load, durationS: Math.round(durationS),
  readings: { ingested, perSecond: Math.round(ingested / durationS), byConnector: Object.fromEntries([...m].filter(([k]) => k.startsWith('gw_readings_total{')).map(([k, v]) => [/connector="([^"]+)"/.exec(k)![1], v])) },
  mqtt: { published, received, lost: published - received, sinceWarmUp: received - base },
  history: { written: written ?? null, dropped, lost: written === undefined ? null : ingested - written },
  errors: { logErrors: logCounts.error, logWarnings: logCounts.warn, api5xx, first: firstErrors },
  memory: {
    startRssMB: +start.rssMB.toFixed(1), endRssMB: +end.rssMB.toFixed(1), rssGrowthMB: +(end.rssMB - start.rssMB).toFixed(1),
    startHeapMB: +start.heapMB.toFixed(1), endHeapMB: +end.heapMB.toFixed(1), heapGrowthMB: +(end.heapMB - start.heapMB).toFixed(1),
    heapSlopeMBPerMin: slope === null ? null : +slope.toFixed(2),
  },
};
process.stdout.write(`\n${JSON.stringify(report, null, 2)}\n`);

observer.end(true);
extra.end(true);
await running.stop();
await sims.stop();
await broker.stop();
if (!args.keep) rmSync(dataDir, { recursive: true, force: true });
const lost = report.mqtt.lost > 0 || (report.history.lost ?? 0) > 0;
process.stdout.write(`\nsoak ${lost || logCounts.error ? 'FAILED' : 'passed'}: ${report.mqtt.lost} MQTT messages and ${report.history.lost ?? '?'} history points lost, ${logCounts.error} errors logged, heap ${report.memory.heapGrowthMB >= 0 ? '+' : ''}${report.memory.heapGrowthMB} MB\n`);
process.exit(lost || logCounts.error ? 1 : 0);
