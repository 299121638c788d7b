/**
 * `npm run bench` (issue 10): the gateway against the hardware ceiling and against Node-RED, in
 * one bounded run on loopback. Writes bench/results/latest.json and latest.md.
 *
 *   npx tsx bench/run.ts [--quick] [--rounds 3] [--only ingest,embedded,fields,latency,scale] [--no-nodered]
 *                        [--nodered-dir DIR] [--profile] [--keep] [--out DIR]
 *
 * Everything it starts (influxd, the aedes broker, gateway, subscriber, publisher, simulators and
 * Node-RED children) runs in its own process and is stopped at the end; temp folders are removed
 * (`--keep` keeps them, with the logs). `--nodered-dir` reuses (or fills) an install folder
 * instead of a fresh temp one. `--profile` runs the gateway children with `--cpu-prof` and keeps
 * the .cpuprofile files under <out>/profiles.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem, release, hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { io, type Socket } from 'socket.io-client';
import { startInfluxd, type InfluxdHandle } from '../test/helpers/influxd.js';
import { startMosquitto, type MosquittoHandle } from '../test/helpers/mosquitto.js';
import { freePort } from '../test/helpers/ports.js';
import type { FieldSpec } from './children/publisher.js';
import { CpuWindow, RssSampler } from './lib/cpu.js';
import { countValues, dropDatabase, traceLanding } from './lib/influx.js';
import { onInterrupt, type Child } from './lib/proc.js';
import { benchAuth, demoBrokerSettings, writeDemoSite, writeMqttSite, type BenchAuth } from './lib/site.js';
import { round, sleep, summarize, timeToReach } from './lib/stats.js';
import { renderMarkdown } from './lib/report.js';
import { BenchContext, ROOT, waitSubscribed, type GatewayChild } from './phases/context.js';
import { embeddedPhase } from './phases/embedded.js';
import { fieldsPhase } from './phases/fields.js';
import { ingestPhase } from './phases/ingest.js';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    'no-nodered': { type: 'boolean', default: false },
    'nodered-dir': { type: 'string' },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench', 'results') },
  },
});
const QUICK = flags.quick!;
/** Interleaved rounds of each comparison (bench/lib/rounds.ts). */
const ROUNDS = Math.max(1, Number(flags.rounds));
const phases = new Set((flags.only ?? 'ingest,embedded,fields,latency,scale').split(',').map((s) => s.trim()));

/**
 * Sizes of the full run and of `--quick` (message counts are multiples of 5,000, the batch size).
 * A run lasts several seconds per contender, so the writers' last partial batch (flushed by time,
 * at most 1 s) weighs little in the rate.
 */
const SIZE = QUICK
  ? { ingest: { 0: 30_000, 1: 20_000 }, rawLines: 150_000, fieldsMsgs: 10_000, rawFieldLines: 50_000, faults: { mqtt: 40, opcua: 40, modbus: 20 }, scaleS: 60, scaleWarmS: 5 }
  : { ingest: { 0: 600_000, 1: 300_000 }, rawLines: 500_000, fieldsMsgs: 200_000, rawFieldLines: 200_000, faults: { mqtt: 200, opcua: 200, modbus: 100 }, scaleS: 300, scaleWarmS: 10 };
const MODBUS_POLL_MS = 250;
/** The simulated meter's RMS window: 10 cycles at 50 Hz (IEC 61000-4-30), part of the Modbus source's delay. */
const METER_WINDOW_MS = 200;
/** The demo site's OPC UA monitored items: a change waits up to one sampling and one publishing interval. */
const OPCUA_SAMPLING_MS = 250;
const OPCUA_PUBLISHING_MS = 250;
/** Ingest B: device telemetry at QoS 0, as most meters and gateways publish it. */
const FIELDS_QOS: 0 | 1 = 0;
const SCALE = { devices: 1000, points: 20, hz: 1 };

const INGEST_FIELDS: FieldSpec[] = [['voltage_l1', 229.5], ['current_l1', 52.3], ['active_power', 34.7]];
const PUMP_FIELDS: FieldSpec[] = [
  ['enabled', true], ['running', true], ['auto_mode', true], ['pressure_setpoint', 0.45], ['discharge_pressure', 0.44],
  ['suction_pressure', 0.08], ['flow', 12.5], ['motor_current', 7.2], ['bearing_temp', 45.3], ['vibration', 1.8],
  ['run_hours', 12345.6], ['starts', 321],
];
const SCALE_FIELDS: FieldSpec[] = [
  ...PUMP_FIELDS,
  ['inlet_temp', 14.2], ['outlet_temp', 14.6], ['active_power', 7.4], ['energy_kwh', 52311.2], ['power_factor', 0.91],
  ['voltage', 229.4], ['frequency', 50.01], ['speed_rpm', 2870],
];
/** Rules the ingest sites evaluate on every message (none trips with the values above). */
const POWER_RULES = [
  { id: 'power-undervoltage', equipment: 'power', point: 'voltage_l1', below: 198, clear: 202, for: '2s', fault: 'undervoltage', severity: 'major', category: 'power', message: 'L1 voltage below 198 V' },
  { id: 'power-overvoltage', equipment: 'power', point: 'voltage_l1', above: 253, clear: 249, fault: 'overvoltage', severity: 'major', category: 'power', message: 'L1 voltage above 253 V' },
];
const PUMP_RULES = [
  { id: 'pump-low-pressure', equipment: 'pump', point: 'discharge_pressure', below: 0.25, clear: 0.3, for: '2s', fault: 'low_pressure', severity: 'major', category: 'water', message: 'Discharge pressure below 0.25 MPa' },
  { id: 'pump-bearing-temp', equipment: 'pump', point: 'bearing_temp', above: 90, clear: 85, fault: 'bearing_overtemp', severity: 'major', category: 'water', message: 'Bearing above 90 °C' },
];

// --- state shared by the phases ----------------------------------------------------------------

const tmp = mkdtempSync(join(tmpdir(), 'facility-bench-'));
const logDir = join(tmp, 'logs');
mkdirSync(logDir);
let influxd: InfluxdHandle | undefined;
let broker: Child | undefined;
let brokerUrl = '';
let mosquitto: MosquittoHandle | undefined;
/**
 * The broker the current phase feeds: Mosquitto for ingest A and B (the broker most sites run,
 * the same one for every contender, queues unbounded so that nobody loses messages to a full
 * queue), the project's aedes broker with the demo accounts for latency and scale.
 */
const path = { url: '', pid: 0, name: '' };
let auth: BenchAuth;
const profileDir = join(flags.out!, 'profiles');
const ctx = new BenchContext(tmp, logDir, flags.profile ? profileDir : null);
const { notes, errors } = ctx;
const say = (msg: string) => ctx.say(msg);
const log = (name: string) => ctx.log(name);
const child = (script: string, name: string, opts: { env?: Record<string, string>; args?: string[] } = {}) => ctx.child(script, name, opts);
const publisher = (name: string, args: Record<string, unknown>) => ctx.publisher(name, path.url, args);
const startGatewayChild = (name: string, config: string, db: string) => ctx.gateway(name, config, db);

// --- Ingest A -------------------------------------------------------------------------------

// --- Latency --------------------------------------------------------------------------------

interface Arrival { t: number; kind: 'work-order' | 'alarm'; device: string; fault: string; state?: string }

async function connectSocket(url: string): Promise<Socket> {
  const attempt = (token?: string) =>
    new Promise<Socket>((resolveSock, reject) => {
      const s = io(url, { transports: ['websocket'], reconnection: false, timeout: 10_000, ...(token ? { auth: { token } } : {}) });
      s.once('connect', () => resolveSock(s));
      s.once('connect_error', (err) => {
        s.close();
        reject(err);
      });
    });
  const login = async (): Promise<string | undefined> => {
    const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: auth.username, password: auth.password }) });
    if (!res.ok) return undefined;
    return ((await res.json()) as { token?: string }).token;
  };
  const token = auth.users ? await login().catch(() => undefined) : undefined;
  try {
    return await attempt(token);
  } catch (err) {
    if (token) throw err;
    const t = await login().catch(() => undefined);
    if (!t) throw err;
    return attempt(t);
  }
}

async function latencyPhase(): Promise<Record<string, unknown>> {
  const sim = child('simulators.ts', 'simulators', { env: { BENCH_ARGS: JSON.stringify({ brokerUrl }) } });
  let gw: GatewayChild | undefined;
  let sock: Socket | undefined;
  try {
    const ready = await sim.next('ready', 90_000);
    const ports = ready.ports as { opcua: number; modbus: Record<string, number>; control: number };
    const controlUrl = String(ready.controlUrl);
    const config = join(tmp, 'gw-latency.yaml');
    writeDemoSite(config, join(ROOT, 'demo', 'site.yaml'), {
      SIM_HOST: '127.0.0.1', SIM_OPCUA_PORT: String(ports.opcua), SIM_PUMP1_PORT: String(ports.modbus['pump-1']),
      SIM_PUMP2_PORT: String(ports.modbus['pump-2']), SIM_POWER_PORT: String(ports.modbus['power-1']),
      BROKER_HOST: '127.0.0.1', BROKER_PORT: new URL(brokerUrl).port, GW_DATA_DIR: join(tmp, 'gw-latency-data'), GW_HTTP_HOST: '127.0.0.1', GW_HTTP_PORT: '0',
    }, (site) => {
      const devices = site.devices as Array<{ id: string; connection: Record<string, unknown> }>;
      for (const d of devices) if (d.id === 'power-1') d.connection.pollInterval = MODBUS_POLL_MS;
      // Faults that show in one point at once; no on-delay, so the latency is the gateway's.
      // Same ids as the built-in rules (gateway/alarms/defaults.ts), so these replace them.
      const rules = ((site.rules as Array<{ id: string }> | undefined) ?? []).filter((r) => !/undervoltage|trapped/.test(r.id));
      rules.push(
        { id: 'elevator.trapped-passenger', equipment: 'elevator', point: 'trapped', equals: true, for: 0, fault: 'trapped_passenger', severity: 'critical', category: 'elevator', message: 'Passenger trapped' } as never,
        // `for: 0` explicitly: an override of a built-in rule inherits the keys it leaves out.
        { id: 'power.undervoltage-l1', equipment: 'power', point: 'voltage_l1', below: 198, clear: 202, for: 0, fault: 'undervoltage', severity: 'major', category: 'power', message: 'L1 voltage below 198 V' } as never,
      );
      site.rules = rules;
      if (auth.users) site.users = auth.users;
    });
    gw = await startGatewayChild('gw-latency', config, 'gw_latency');
    // All sources online before the first fault (a source that never comes online is skipped).
    const online = new Set<string>();
    const deadline = Date.now() + 45_000;
    for (const id of ['fire-1', 'elev-1', 'elev-2', 'power-1']) {
      while (Date.now() < deadline) {
        const s = await gw.child.request('device', { id });
        if (s.comm === 'online') {
          online.add(id);
          break;
        }
        await sleep(200);
      }
      if (!online.has(id)) notes.push(`latency: ${id} not online at the gateway within 45 s (see the gateway log); skipped`);
    }
    sock = await connectSocket(gw.url);
    const arrivals: Arrival[] = [];
    const waiters = new Set<() => void>();
    const push = (a: Arrival) => {
      arrivals.push(a);
      for (const w of waiters) w();
    };
    sock.on('work-order', (o: { device: string | null; fault: string }) => push({ t: performance.now(), kind: 'work-order', device: o.device ?? '', fault: o.fault }));
    sock.on('alarm', (a: { device: string; fault: string; state: string }) => push({ t: performance.now(), kind: 'alarm', device: a.device, fault: a.fault, state: a.state }));
    const waitFor = (pred: (a: Arrival) => boolean, since: number, ms: number) =>
      new Promise<Arrival | undefined>((resolveWait) => {
        const check = () => {
          const hit = arrivals.find((a) => a.t >= since && pred(a));
          if (hit) {
            waiters.delete(check);
            clearTimeout(timer);
            resolveWait(hit);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          resolveWait(undefined);
        }, ms);
        waiters.add(check);
        check();
      });
    const control = async (method: 'POST' | 'DELETE', device: string, fault?: string) => {
      const res = await fetch(`${controlUrl}/devices/${device}/faults`, {
        method,
        ...(fault ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fault }) } : {}),
      });
      await res.arrayBuffer();
      if (res.status >= 300) throw new Error(`${method} ${device} faults: HTTP ${res.status}`);
    };

    interface Source { device: string; fault: string; n: number; gapMs: number }
    const run = async (s: Source) => {
      const wo: number[] = [];
      const al: number[] = [];
      let missed = 0;
      let missedInRow = 0;
      if (!online.has(s.device)) return { wo, al, missed: s.n };
      await control('DELETE', s.device);
      await sleep(500);
      for (let i = 0; i < s.n; i++) {
        if (missedInRow >= 3) {
          notes.push(`latency: ${s.device}: 3 faults in a row raised no event within 5 s; stopped after ${i} faults`);
          missed += s.n - i;
          break;
        }
        const t0 = performance.now();
        await control('POST', s.device, s.fault);
        const [w, a] = await Promise.all([
          waitFor((x) => x.kind === 'work-order' && x.device === s.device && x.fault === s.fault, t0, 5000),
          waitFor((x) => x.kind === 'alarm' && x.device === s.device && x.fault === s.fault && x.state === 'active_unack', t0, 5000),
        ]);
        if (w) wo.push(w.t - t0);
        if (a) al.push(a.t - t0);
        if (!w && !a) {
          missed++;
          missedInRow++;
        } else {
          missedInRow = 0;
        }
        const t1 = performance.now();
        await control('DELETE', s.device);
        await waitFor((x) => x.kind === 'alarm' && x.device === s.device && x.fault === s.fault && x.state !== 'active_unack' && x.state !== 'active_ack', t1, 5000);
        // Random phase against the source's sampling/poll cycle.
        await sleep(20 + Math.random() * s.gapMs);
      }
      return { wo, al, missed };
    };
    const opcuaHalf = Math.ceil(SIZE.faults.opcua / 2);
    say(`latency: ${SIZE.faults.mqtt} fire alarms (MQTT), ${opcuaHalf * 2} trapped passengers (OPC UA, 2 lifts), ${SIZE.faults.modbus} undervoltages (Modbus, poll ${MODBUS_POLL_MS} ms)`);
    const [mqttR, e1, e2, modbusR] = await Promise.all([
      run({ device: 'fire-1', fault: 'fire_alarm', n: SIZE.faults.mqtt, gapMs: 100 }),
      run({ device: 'elev-1', fault: 'trapped_passenger', n: opcuaHalf, gapMs: 250 }),
      run({ device: 'elev-2', fault: 'trapped_passenger', n: opcuaHalf, gapMs: 250 }),
      run({ device: 'power-1', fault: 'undervoltage', n: SIZE.faults.modbus, gapMs: MODBUS_POLL_MS }),
    ]);
    const opcuaR = { wo: [...e1.wo, ...e2.wo], al: [...e1.al, ...e2.al], missed: e1.missed + e2.missed };
    const pick = (r: { wo: number[]; al: number[]; missed: number }, n: number, intervalMs: number, how: string) => {
      const event = r.wo.length >= r.al.length ? 'work-order' : 'alarm';
      const s = summarize(event === 'work-order' ? r.wo : r.al);
      return {
        p50: s.p50, p95: s.p95, p99: s.p99, interval_ms: intervalMs,
        event, faults: n, measured: s.n, missed: r.missed, max: s.max, mean: s.mean,
        alarm: summarize(r.al), work_order: summarize(r.wo), source: how,
      };
    };
    return {
      mqtt: pick(mqttR, SIZE.faults.mqtt, 0, 'fire-1 fire_alarm; the panel publishes on change (periodic telemetry every 1000 ms), so the interval is 0'),
      opcua: pick(opcuaR, opcuaHalf * 2, OPCUA_SAMPLING_MS + OPCUA_PUBLISHING_MS, `elev-1/elev-2 trapped_passenger; OPC UA samplingInterval ${OPCUA_SAMPLING_MS} ms + publishingInterval ${OPCUA_PUBLISHING_MS} ms (demo site): a change waits for both`),
      modbus: pick(modbusR, SIZE.faults.modbus, MODBUS_POLL_MS + METER_WINDOW_MS, `power-1 undervoltage; Modbus poll ${MODBUS_POLL_MS} ms (demo: 1000 ms) + the meter's ${METER_WINDOW_MS} ms RMS window (10 cycles, IEC 61000-4-30)`),
    };
  } finally {
    sock?.close();
    if (gw) await gw.child.stop();
    await sim.stop();
    await dropDatabase(influxd!.url, 'gw_latency');
  }
}

// --- Scale ----------------------------------------------------------------------------------

async function scalePhase(): Promise<Record<string, unknown>> {
  const name = 'gw-scale';
  const db = 'gw_scale';
  const config = join(tmp, `${name}.yaml`);
  const prefix = 'bench/scale';
  const devices = Array.from({ length: SCALE.devices }, (_, d) => {
    const id = `dev-${String(d + 1).padStart(4, '0')}`;
    return { id, topic: `${prefix}/${id}/telemetry` };
  });
  const fields = SCALE_FIELDS.slice(0, SCALE.points);
  if (existsSync(join(ROOT, 'simulators', 'scale.ts'))) notes.push('scale: simulators/scale.ts exists, but the bench feeds the scale test from its own MQTT publisher (1 process, 1,000 device topics)');
  writeMqttSite({ file: config, dataDir: join(tmp, `${name}-data`), brokerUrl: path.url, qos: 1, clientId: `bench-${name}`, type: 'pump', devices, fields, rules: PUMP_RULES, auth });
  const gw = await startGatewayChild(name, config, db);
  let pub: Child | undefined;
  try {
    if (!(await waitSubscribed(gw, devices[devices.length - 1]!.id, 20_000))) notes.push('scale: no MQTT subscription report within 20 s; fed anyway');
    pub = await publisher('pub-scale', { mode: 'scale', qos: 1, devices: SCALE.devices, fields, hz: SCALE.hz, topicPrefix: prefix });
    await pub.request('go');
    say(`scale: ${SCALE.devices} devices × ${SCALE.points} points at ${SCALE.hz} Hz: ${SIZE.scaleWarmS} s warm-up, ${SIZE.scaleS} s measured`);
    await sleep(SIZE.scaleWarmS * 1000);
    const cpu = new CpuWindow(gw.child.pid).start();
    const brokerCpu = new CpuWindow(path.pid).start();
    const pubCpu = new CpuWindow(pub.pid).start();
    const before = await pub.request('count');
    const rss = new RssSampler(gw.child.pid, 1000).start();
    const lagSamples: number[] = [];
    const endAt = Date.now() + SIZE.scaleS * 1000;
    while (Date.now() < endAt) {
      await sleep(Math.min(10_000, endAt - Date.now()));
      const st = await gw.child.request('stats').catch(() => undefined);
      const h = st?.history as { buffered?: number } | null | undefined;
      if (h?.buffered !== undefined) lagSamples.push(h.buffered);
    }
    const usage = cpu.read();
    const brokerCores = brokerCpu.read().cores;
    const publisherCores = pubCpu.read().cores;
    const after = await pub.request('count');
    rss.stop();
    const halted = await pub.request('halt', {}, 30_000);
    // Every message handed to the broker counts as sent (PUBACKs lag when the gateway falls behind).
    const sentMsgs = Number(halted.published);
    const sentValues = sentMsgs * fields.length;
    // Let the gateway work off its backlog, then count what landed.
    const t0 = performance.now();
    const catchUp = await traceLanding(() => countValues({ url: influxd!.url, db }, 'pump'), sentValues, { intervalMs: 1000, idleMs: 5000, deadlineMs: 60_000 });
    await gw.child.request('flush', {}, 30_000).catch(() => undefined);
    const stats = await gw.child.request('stats').catch(() => undefined);
    const landed = await countValues({ url: influxd!.url, db }, 'pump');
    return {
      devices: SCALE.devices,
      points_per_device: fields.length,
      cpu_cores: round(usage.cores, 3),
      rss_mb: round(rss.peakMb, 1),
      dropped: sentValues - landed,
      rate_hz: SCALE.hz,
      measured_s: round(usage.wallMs / 1000, 1),
      warmup_s: SIZE.scaleWarmS,
      rss_end_mb: round(rss.lastMb, 1),
      sent_messages: sentMsgs,
      acked_messages: Number(halted.sent),
      catch_up_s: round(((timeToReach(catchUp.series, catchUp.final) ?? catchUp.lastGrowthAt) - t0) / 1000, 1),
      history_stats: stats?.history ?? null,
      publish_rate_per_s: round((Number(after.published) - Number(before.published)) / (usage.wallMs / 1000), 1),
      broker_cpu_cores: round(brokerCores, 3),
      publisher_cpu_cores: round(publisherCores, 3),
      publish_failed: Number(halted.failed),
      sent_values: sentValues,
      landed_values: landed,
      gateway_readings: stats ? Number(stats.totalReadings) : null,
      history_buffered_max: lagSamples.length ? Math.max(...lagSamples) : null,
      source: 'bench MQTT publisher (QoS 1, one topic per device, JSON of 20 fields), not the simulators',
    };
  } finally {
    if (pub) await pub.stop();
    await gw.child.stop();
    await dropDatabase(influxd!.url, db);
  }
}

// --- main -------------------------------------------------------------------------------------

function machine(): Record<string, unknown> {
  const c = cpus();
  let influxVersion: string | null = null;
  try {
    influxVersion = execFileSync('/usr/bin/influxd', ['version'], { encoding: 'utf8' }).trim();
  } catch {
    influxVersion = null;
  }
  return {
    host: hostname(), cpu_model: c[0]?.model ?? null, cores: c.length, mem_gb: round(totalmem() / 2 ** 30, 1),
    kernel: release(), node: process.version, influxd: influxVersion, loadavg_start: loadavg().map((x) => round(x, 2)),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const info = machine();
  say(`${QUICK ? 'quick' : 'full'} run, phases ${[...phases].join(',')}; temp ${tmp}`);
  if (flags.profile) mkdirSync(profileDir, { recursive: true });
  auth = await benchAuth();
  if (auth.users) notes.push('the gateway has API users: the bench adds a user and logs in for socket.io');
  influxd = await startInfluxd();
  ctx.influxd = influxd;
  say(`influxd on ${influxd.url}`);
  let brokerArgs: Record<string, unknown> = {};
  try {
    brokerArgs = demoBrokerSettings(join(ROOT, 'demo', 'site.yaml'));
  } catch (err) {
    notes.push(`demo broker accounts not read (${err instanceof Error ? err.message : String(err)}); the broker runs anonymous only`);
  }
  broker = child('broker.ts', 'broker', { env: { BENCH_ARGS: JSON.stringify(brokerArgs) } });
  brokerUrl = String((await broker.next('ready', 30_000)).url);
  say(`aedes broker on ${brokerUrl}`);
  if (phases.has('ingest') || phases.has('fields')) {
    // Unbounded queues and in-flight windows: Mosquitto's defaults (1,000 queued, 20 in flight)
    // silently drop QoS 0 and throttle QoS 1 for any consumer that falls behind.
    mosquitto = await startMosquitto({ extraConfig: ['max_queued_messages 0', 'max_inflight_messages 0', 'max_queued_bytes 0'] });
    say(`mosquitto on ${mosquitto.url}`);
  }
  const useMosquitto = () => Object.assign(path, { url: mosquitto!.url, pid: mosquitto!.pid, name: 'mosquitto' });
  const useAedes = () => Object.assign(path, { url: brokerUrl, pid: broker!.pid, name: 'aedes' });

  const result: Record<string, unknown> = { version: 1, quick: QUICK, started_at: new Date(started).toISOString(), machine: info };
  const ingest: Record<string, Record<string, unknown>> = {};
  let noderedInfo: Record<string, unknown> = {};

  if (phases.has('ingest')) {
    useMosquitto();
    const r = await ingestPhase(ctx, { ...path }, {
      rounds: ROUNDS, messages: SIZE.ingest, rawLines: SIZE.rawLines, fields: INGEST_FIELDS, rules: POWER_RULES, auth,
      nodered: { skip: flags['no-nodered']!, dir: flags['nodered-dir'] },
    });
    Object.assign(ingest, r.ingest);
    noderedInfo = r.nodered;
  }
  if (phases.has('embedded')) {
    try {
      const e = await embeddedPhase(ctx, { rounds: ROUNDS, messages: SIZE.ingest, fields: INGEST_FIELDS, rules: POWER_RULES, auth });
      for (const [q, v] of Object.entries(e)) {
        // ingest.qosN.embedded_points_per_s and aedes_ceiling_per_s: medians of the embedded phase.
        const into = (ingest[q] ??= { messages: v.messages });
        for (const key of ['embedded_points_per_s', 'embedded_cpu_us_per_point', 'embedded_lost', 'aedes_ceiling_per_s', 'aedes_ceiling_cpu_us_per_point']) into[key] = v[key];
        const spread = (v.spread ?? {}) as Record<string, unknown>;
        into.spread = { ...(into.spread as object | undefined), embedded: spread.embedded, aedes_ceiling: spread.aedes_ceiling };
      }
      result.embedded = e;
    } catch (err) {
      errors.embedded = err instanceof Error ? err.message.slice(0, 2000) : String(err);
      say(`embedded failed: ${errors.embedded.split('\n')[0]}`);
    }
  }
  result.ingest = ingest;
  result.nodered = noderedInfo;

  const guarded = async (key: string, fn: () => Promise<Record<string, unknown>>) => {
    if (!phases.has(key)) return null;
    try {
      return await fn();
    } catch (err) {
      errors[key] = err instanceof Error ? err.message.slice(0, 2000) : String(err);
      say(`${key} failed: ${errors[key]!.split('\n')[0]}`);
      return null;
    }
  };
  if (mosquitto) useMosquitto();
  result.fields = await guarded('fields', () => fieldsPhase(ctx, { ...path }, { rounds: ROUNDS, messages: SIZE.fieldsMsgs, rawLines: SIZE.rawFieldLines, qos: FIELDS_QOS, fields: PUMP_FIELDS, rules: PUMP_RULES, auth }));
  await mosquitto?.stop();
  mosquitto = undefined;
  useAedes();
  if (result.fields) say(`  gateway ${(result.fields as Record<string, unknown>).gateway_fields_per_s} fields/s, raw ${(result.fields as Record<string, unknown>).db_ceiling_fields_per_s} fields/s`);
  result.latency_ms = await guarded('latency', latencyPhase);
  if (result.latency_ms) {
    for (const [k, v] of Object.entries(result.latency_ms as Record<string, { p50: number; p95: number; p99: number; event: string; measured: number }>)) say(`  ${k}: p50 ${v.p50} p95 ${v.p95} p99 ${v.p99} ms (${v.event}, n=${v.measured})`);
  }
  result.scale = await guarded('scale', scalePhase);
  if (result.scale) {
    const s = result.scale as Record<string, unknown>;
    say(`  scale: ${s.cpu_cores} cores, ${s.rss_mb} MB, dropped ${s.dropped}`);
  }

  (result.machine as Record<string, unknown>).loadavg_end = loadavg().map((x) => round(x, 2));
  result.duration_s = round((Date.now() - started) / 1000, 1);
  result.notes = notes;
  result.errors = errors;
  result.command = `npx tsx bench/run.ts ${process.argv.slice(2).join(' ')}`.trim();

  mkdirSync(flags.out!, { recursive: true });
  writeFileSync(join(flags.out!, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(flags.out!, 'latest.md'), renderMarkdown(result));
  say(`wrote ${join(flags.out!, 'latest.json')} and latest.md in ${result.duration_s} s`);
}

async function cleanup(failed: boolean): Promise<void> {
  await broker?.stop().catch(() => undefined);
  await mosquitto?.stop().catch(() => undefined);
  await influxd?.stop().catch(() => undefined);
  if (flags.profile && existsSync(profileDir)) say(`CPU profiles in ${profileDir}: ${readdirSync(profileDir).join(', ')}`);
  if (flags.keep) {
    say(`kept ${tmp}`);
  } else {
    if (failed || Object.keys(errors).length) {
      // Keep the children's logs next to the results when something went wrong.
      try {
        cpSync(logDir, join(flags.out!, 'logs'), { recursive: true });
        say(`logs copied to ${join(flags.out!, 'logs')}`);
      } catch {
        // logs are a convenience
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

onInterrupt(() => cleanup(true));
try {
  await main();
  await cleanup(false);
  process.exit(0);
} catch (err) {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  await cleanup(true);
  process.exit(1);
}
