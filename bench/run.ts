/**
 * `npm run bench` (issue 10, issue 18): the gateway against the hardware ceiling and against
 * Node-RED, in one bounded run on loopback. Writes bench/results/latest.json and latest.md.
 *
 *   npx tsx bench/run.ts [--quick] [--rounds 3] [--only ingest,embedded,fields,latency,scale] [--no-nodered]
 *                        [--nodered-dir DIR] [--profile] [--keep] [--out DIR]
 *
 * One file per phase under bench/phases/: ingest (A: 3-field messages, gateway vs counting
 * subscriber vs DB ceiling vs Node-RED), embedded (the site broker in the gateway's process),
 * fields (B: 12-field messages), latency, scale. Each comparison runs `--rounds` interleaved
 * rounds (A B C A B C …, every contender fresh each round, bench/lib/rounds.ts): figures are
 * medians with min–max, ratios the median of per-round ratios, every round kept in latest.json.
 * `--quick --rounds 1` is a smoke run of about a minute per phase.
 *
 * Everything it starts (influxd, the aedes broker, gateway, subscriber, publisher, simulators and
 * Node-RED children) runs in its own process and is stopped at the end; temp folders are removed
 * (`--keep` keeps them, with the logs). `--nodered-dir` reuses (or fills) an install folder
 * instead of a fresh temp one. `--profile` runs the gateway children with `--cpu-prof` and keeps
 * the .cpuprofile files under <out>/profiles. */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem, release, hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { startInfluxd, type InfluxdHandle } from '../tools/influxd.js';
import { startMosquitto, type MosquittoHandle } from '../tools/mosquitto.js';
import type { FieldSpec } from './children/publisher.js';
import { onInterrupt, type Child } from './lib/proc.js';
import { benchAuth, demoBrokerSettings, type BenchAuth } from './lib/site.js';
import { round } from './lib/stats.js';
import { renderMarkdown } from './lib/report.js';
import { BenchContext, ROOT } from './phases/context.js';
import { embeddedPhase } from './phases/embedded.js';
import { fieldsPhase } from './phases/fields.js';
import { ingestPhase } from './phases/ingest.js';
import { latencyPhase } from './phases/latency.js';
import { scalePhase } from './phases/scale.js';

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
/** Ingest B: device telemetry at QoS 0, as most meters and gateways publish it. */
const FIELDS_QOS: 0 | 1 = 0;

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
const child = (script: string, name: string, opts: { env?: Record<string, string>; args?: string[] } = {}) => ctx.child(script, name, opts);

// --- Ingest A -------------------------------------------------------------------------------

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
  result.latency_ms = await guarded('latency', () => latencyPhase(ctx, { ...path }, { faults: SIZE.faults, auth }));
  if (result.latency_ms) {
    for (const [k, v] of Object.entries(result.latency_ms as Record<string, { p50: number; p95: number; p99: number; event: string; measured: number }>)) say(`  ${k}: p50 ${v.p50} p95 ${v.p95} p99 ${v.p99} ms (${v.event}, n=${v.measured})`);
  }
  result.scale = await guarded('scale', () => scalePhase(ctx, { ...path }, { seconds: SIZE.scaleS, warmupS: SIZE.scaleWarmS, fields: SCALE_FIELDS, rules: PUMP_RULES, auth }));
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
