/**
 * `npm run bench:hq [-- --quick]` (tsx bench/hq.ts): head office under the load of many estates,
 * on one machine, with the real engines: a 3-node NATS JetStream cluster (streams R3, one user per
 * estate), a PostgreSQL 15, head-office processes (`hq/main.ts`, children) and the estates in one
 * child (bench/hq/estates.ts: per estate its own SQLite outbox, the real repositories and an
 * `UplinkLink` with its own NATS connection and credentials).
 *
 * Phases, in this order (one run):
 *  1. events_per_s["1"]: an event backlog of every estate, published by the estates' uplinks into
 *     ESTATE_EVENTS with no head office running; then 1 hq process starts and the clock runs until
 *     PostgreSQL holds all of it (sum of the estates' watermarks, checked against the events count).
 *  2. events_per_s["2"]: tables truncated, the durable consumer deleted, the same backlog with 2 hq
 *     processes; CPU per event of hq, NATS and PostgreSQL (postmaster + backends) in this window.
 *  3. rollup_points_per_s: a backlog of 1-minute rollup batches (RollupSink, one per estate and
 *     minute) in ESTATE_ROLLUPS, applied by 2 hq processes (rows = point-minutes per second).
 *  4. drain: the uplinks are down while one outage window of events (steady rate, `at` spread
 *     over the window) and rollups (every minute of the window) is written into every outbox; the
 *     uplinks connect and the clock runs until head office holds all of it. ratio = window / drain.
 *  5. e2e_ms: steady load through the uplinks with 2 hq processes; estate commit (`at`) to the
 *     commit of the PostgreSQL transaction that inserted the event (track_commit_timestamp).
 *
 * Each phase's progress is sampled every 250 ms with the CPU of every process group; throughput
 * and cores are taken between the first sample with progress and the first with all of it.
 * Writes bench/results/hq.json and prints a table with the targets.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Streams } from '../gateway/core/envelope.js';
import { RollupSink } from '../gateway/uplink/rollups.js';
import { ensureCommandConsumer, ensureStreams } from '../hq/nats/streams.js';
import { DURABLES } from '../hq/ingest/consumer.js';
import { startNatsCluster, NATS_SERVER_BIN, type NatsCluster } from '../tools/nats.js';
import { startPostgres, PG_BIN, type PostgresHandle } from '../tools/postgres.js';
import { onInterrupt, spawnTs, type Child } from './lib/proc.js';
import { percentile, round, sleep } from './lib/stats.js';
import { ratioPerRound, spreadOf } from './lib/rounds.js';
import { groupCpu, machineCpuUs, postmasterPid, startHqProcess, type Group, type HqChild, type HqSettings } from './hq/infra.js';

const quick = process.argv.includes('--quick');
const argNum = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const P = {
  estates: argNum('estates', quick ? 20 : 100),
  devices: 100,
  points: 20,
  /** Events per estate in the backlog of phases 1-2. */
  backlogEvents: argNum('backlog-events', quick ? 400 : 1500),
  /** Minutes of rollups per estate in the backlog of phase 3. */
  rollupMinutes: argNum('rollup-minutes', quick ? 2 : 5),
  /** Steady event rate per estate (events/s): one fault-cycle step every 2 s, ~43,000 events a day per estate. */
  rate: argNum('rate', 0.5),
  e2eSeconds: argNum('e2e-seconds', quick ? 25 : 90),
  e2eWarmupSeconds: quick ? 5 : 10,
  /** Outage window, minutes (60 = the 1-hour outage). */
  outageMinutes: argNum('outage-minutes', quick ? 3 : 60),
  /** Interleaved rounds of the 1-vs-2-process comparison (1, 2, 1, 2 …), each on a fresh consumer and empty tables. */
  rounds: argNum('rounds', 3),
};
const MINUTE = 60_000;
const MiB = 1024 * 1024;

const started = new Date();
const dir = mkdtempSync(join(tmpdir(), 'bench-hq-'));
let cluster: NatsCluster | null = null;
let pgh: PostgresHandle | null = null;
let estatesChild: Child | null = null;
let nc: NatsConnection | null = null;
let db: pg.Client | null = null;
const hqs: HqChild[] = [];

async function cleanup(): Promise<void> {
  await Promise.allSettled(hqs.splice(0).map((h) => h.child.stop()));
  await estatesChild?.stop().catch(() => undefined);
  await db?.end().catch(() => undefined);
  await nc?.close().catch(() => undefined);
  await Promise.allSettled([cluster?.stop(), pgh?.stop()]);
  rmSync(dir, { recursive: true, force: true });
}
onInterrupt(cleanup);

const say = (s: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

/** JSON size of one rollup batch as RollupSink makes it (for the stream sizes). */
function sampleBatchBytes(): { bytes: number; rows: number } {
  let out = { bytes: 0, rows: 0 };
  const sink = new RollupSink({ site: 'estate-000', now: () => 0, equipmentOf: () => 'boiler', write: (b) => { if (!out.bytes) out = { bytes: JSON.stringify(b).length, rows: b.rows.length }; } });
  const minute = Math.floor(Date.now() / MINUTE) * MINUTE;
  const readings = [];
  for (let d = 0; d < P.devices; d++) for (let p = 0; p < P.points; p++) {
    readings.push({ device: `d${String(d).padStart(3, '0')}`, point: `p${p}`, value: 20 + Math.random() * 50, quality: 'good' as const, ts: minute + 5000 });
    readings.push({ device: `d${String(d).padStart(3, '0')}`, point: `p${p}`, value: 20 + Math.random() * 50, quality: 'good' as const, ts: minute + 35000 });
  }
  sink.onReadings(readings);
  sink.flush(true);
  return out;
}

interface Sample { t: number; v: number; cpu: Record<string, number>; machine: number }

/** Samples `progress` and the CPU of every group every 250 ms until `done` (or the timeout). */
async function sampleUntil(groups: Group[], progress: () => Promise<number>, done: (v: number) => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<Sample[]> {
  const out: Sample[] = [];
  const deadline = Date.now() + timeoutMs;
  let lastLog = Date.now();
  for (;;) {
    for (const h of hqs) if (h.child.proc.exitCode !== null) throw new Error(`${h.child.name} exited (${h.child.proc.exitCode})\n${h.child.logTail(3000)}`);
    const v = await progress();
    out.push({ t: Date.now(), v, cpu: groupCpu(groups), machine: machineCpuUs() });
    if (await done(v)) return out;
    if (Date.now() > deadline) throw new Error(`${what}: not done after ${timeoutMs / 1000} s (progress ${v})`);
    if (Date.now() - lastLog > 10_000) { say(`  … ${what}: ${Math.round(v)}`); lastLog = Date.now(); }
    await sleep(250);
  }
}

interface Window { seconds: number; amount: number; cpuUs: Record<string, number>; cores: Record<string, number> }

/** From the first sample with progress (or `fromIndex`) to the last sample. */
function windowOf(samples: Sample[], fromIndex?: number): Window {
  const i0 = fromIndex ?? Math.max(0, samples.findIndex((s) => s.v > samples[0]!.v));
  const a = samples[i0]!;
  const b = samples.at(-1)!;
  const seconds = (b.t - a.t) / 1000;
  const cpuUs: Record<string, number> = {};
  const cores: Record<string, number> = {};
  let ours = 0;
  for (const k of Object.keys(b.cpu)) {
    cpuUs[k] = b.cpu[k]! - a.cpu[k]!;
    ours += cpuUs[k]!;
    cores[k] = round(cpuUs[k]! / 1e6 / seconds, 2);
  }
  const machine = b.machine - a.machine;
  cores.other = round(Math.max(0, machine - ours) / 1e6 / seconds, 2);
  cores.machine_busy = round(machine / 1e6 / seconds, 2);
  return { seconds, amount: b.v - a.v, cpuUs, cores };
}

/** What limited a phase, from the cores each group used. */
function limitOf(cores: Record<string, number>, note = ''): string {
  const total = cpus().length;
  const busy = cores.machine_busy ?? 0;
  const groups = Object.entries(cores).filter(([k]) => k !== 'machine_busy').sort((x, y) => y[1] - x[1]);
  const list = groups.filter(([, v]) => v >= 0.02).map(([k, v]) => `${k} ${v}`).join(', ');
  const cpuBound = busy >= total * 0.85;
  return `${cpuBound ? `CPU-bound: the machine was busy ${busy} of ${total} cores` : `machine busy ${busy} of ${total} cores`} (${list})${note ? `; ${note}` : ''}`;
}

async function main(): Promise<void> {
  const loadStart = loadavg().map((x) => round(x, 2));
  const sites = Array.from({ length: P.estates }, (_, i) => ({ site: `estate-${String(i).padStart(3, '0')}`, code: `E${String(i).padStart(3, '0')}` }));
  const batch = sampleBatchBytes();
  const partsPerMinute = Math.ceil((P.devices * P.points) / 2000);
  const rowsPerMinute = P.devices * P.points;
  const e2eMinutes = Math.ceil(P.e2eSeconds / 60) + 1;
  const rollupMsgs = P.estates * partsPerMinute * (P.rollupMinutes + P.outageMinutes + e2eMinutes);
  const rollupsMB = Math.ceil((rollupMsgs * (batch.bytes + 200) * 1.25) / MiB) + 64;
  const eventMsgs = P.estates * (P.backlogEvents + P.rate * P.outageMinutes * 60 + P.rate * P.e2eSeconds + 20);
  const eventsMB = Math.ceil((eventMsgs * 2500) / MiB) + 64;
  const streamsMB = { events: eventsMB, rollups: rollupsMB, commands: 16 };
  const fs = statfsSync(tmpdir());
  const freeGB = (fs.bavail * fs.bsize) / 1024 ** 3;
  const needGB = ((rollupsMB + eventsMB) * 3 + rollupsMB * 1.2 + (P.estates * rowsPerMinute * (P.rollupMinutes + P.outageMinutes) * 250) / MiB) / 1024;
  say(`bench:hq ${quick ? '--quick ' : ''}${P.estates} estates × ${P.devices} devices × ${P.points} points; rollup batch ${(batch.bytes / 1024).toFixed(0)} KiB (${batch.rows} rows); streams ${JSON.stringify(streamsMB)} MiB; disk needed ≈ ${needGB.toFixed(1)} GB of ${freeGB.toFixed(0)} GB free`);
  if (needGB > freeGB * 0.8) throw new Error(`not enough disk in ${tmpdir()} for a ${P.outageMinutes}-minute outage: use --outage-minutes with a shorter window`);

  // Engines.
  [cluster, pgh] = await Promise.all([
    startNatsCluster({ estates: sites.map((s) => s.site), maxFileStore: `${eventsMB + rollupsMB + 16 + 256}MB`, startTimeout: 60_000 }),
    startPostgres(),
  ]);
  {
    const c = new pg.Client({ connectionString: pgh.url });
    await c.connect();
    // Commit times for the end-to-end latency; a WAL size that does not checkpoint every few seconds under bulk load.
    await c.query('ALTER SYSTEM SET track_commit_timestamp = on');
    await c.query("ALTER SYSTEM SET max_wal_size = '4GB'");
    await c.end();
    await pgh.restart();
  }
  db = new pg.Client({ connectionString: pgh.url });
  await db.connect();
  const cl = cluster;
  const pgHandle = pgh;
  nc = await connect({ servers: cl.urls, user: cl.hqCredentials.user, pass: cl.hqCredentials.pass, name: 'bench' });
  const jsm: JetStreamManager = await jetstreamManager(nc, { timeout: 20_000 });
  await ensureStreams(jsm, { eventsMaxBytes: streamsMB.events * MiB, rollupsMaxBytes: streamsMB.rollups * MiB, commandsMaxBytes: streamsMB.commands * MiB, replicas: 3 });
  for (let i = 0; i < sites.length; i += 10) await Promise.all(sites.slice(i, i + 10).map((s) => ensureCommandConsumer(jsm, s.site)));
  say(`NATS cluster (3 nodes) and PostgreSQL up; streams and ${sites.length} command consumers ready`);

  const settings: HqSettings = {
    dir, natsUrls: cl.urls, natsUser: cl.hqCredentials.user, natsPass: cl.hqCredentials.pass, pgUrl: pgHandle.url, estates: sites, streamsMB,
  };
  const estatesDir = join(dir, 'estates');
  mkdirSync(estatesDir);
  const est = spawnTs(new URL('./hq/estates.ts', import.meta.url), {
    name: 'estates', logFile: join(dir, 'estates.log'),
    env: { ...process.env, BENCH_ARGS: JSON.stringify({ dir: estatesDir, servers: cl.urls, devices: P.devices, points: P.points, estates: sites.map((s) => ({ ...s, user: cl.estateCredentials(s.site).user, pass: cl.estateCredentials(s.site).pass })) }) },
  });
  estatesChild = est;
  await est.next('ready', 120_000);

  const groups: Group[] = [
    { name: 'hq', pids: () => [], parents: () => hqs.map((h) => h.child.pid) },
    { name: 'nats', pids: () => cl.nodes.map((n) => n.pid).filter((p) => p > 0) },
    { name: 'postgres', pids: () => [], parents: () => [postmasterPid(pgHandle.dataDir)] },
    { name: 'estates', pids: () => [], parents: () => [est.pid] },
    { name: 'bench', pids: () => [process.pid] },
  ];
  type Backlog = { events: number; rollups: number; lastSeqs: number; published: number; rollupsPublished: number; errors: number };
  const backlog = async () => (await est.request('backlog')) as unknown as Backlog;
  const waitPublished = async (what: string) => {
    const t0 = Date.now();
    for (;;) {
      const b = await backlog();
      if (b.events === 0 && b.rollups === 0) break;
      if (Date.now() - t0 > 900_000) throw new Error(`${what}: the estates did not publish their backlog (${JSON.stringify(b)})`);
      await sleep(500);
    }
    return (Date.now() - t0) / 1000;
  };
  const watermarks = async () => Number((await db!.query<{ v: number }>('SELECT coalesce(sum(watermark), 0)::float8 AS v FROM estates').catch(() => ({ rows: [{ v: 0 }] }))).rows[0]!.v);
  const consumerLeft = async (durable: string, stream: string) => {
    const i = await jsm.consumers.info(stream, durable);
    return i.num_pending + i.num_ack_pending;
  };
  /** Messages not yet handed to a head-office process. */
  const consumerUndelivered = async (durable: string, stream: string) => (await jsm.consumers.info(stream, durable)).num_pending;
  const redelivered = async () => {
    const out: Record<string, number> = {};
    for (const [d, s] of [[DURABLES.events, Streams.events], [DURABLES.rollups, Streams.rollups]] as const) {
      out[d] = await jsm.consumers.info(s, d).then((i) => i.num_redelivered, () => -1);
    }
    return out;
  };
  const startHqs = async (n: number) => {
    await Promise.all(Array.from({ length: n }, () => startHqProcess(settings, (h) => hqs.push(h))));
  };
  const stopHqs = async () => { await Promise.all(hqs.splice(0).map((h) => h.child.stop(15_000))); };

  const phases: Record<string, Record<string, unknown>> = {};
  const result: Record<string, unknown> = {};

  // 1-2. Event backlog, applied by 1 then 2 hq processes.
  let t = Date.now();
  const appended = (await est.request('events', { perEstate: P.backlogEvents, from: null, to: null }, 600_000)).appended as number;
  await est.request('links', { on: true });
  const pubSeconds = await waitPublished('event backlog');
  await est.request('links', { on: false }, 60_000);
  const totalEvents = (await backlog()).lastSeqs;
  say(`event backlog: ${appended} events from ${P.estates} estates (${((Date.now() - t) / 1000).toFixed(1)} s; published by the uplinks in ${pubSeconds.toFixed(1)} s)`);

  const eventsPerS: Record<string, number> = {};
  const rates: Record<string, number[]> = { '1': [], '2': [] };
  let cpuPerEvent: Record<string, number> = {};
  const cpu2: { hq: number; nats: number; postgres: number }[] = [];
  let first = true;
  // Interleaved rounds (1, 2, 1, 2 …): a slow minute of the shared host lands on both contenders,
  // and the ratio is claimed only as the median of the per-round ratios.
  for (let round_ = 0; round_ < P.rounds; round_++) {
    for (const n of [1, 2]) {
      if (!first) {
        await db.query('TRUNCATE events, alarms, orders, ledger, escalations, gaps, rejected, estates');
        await jsm.consumers.delete(Streams.events, DURABLES.events);
      }
      first = false;
      const startedAt = Date.now();
      const starting = startHqs(n);
      const samples = await sampleUntil(groups, watermarks, (v) => v >= totalEvents, quick ? 60_000 : 600_000, `events with ${n} hq`);
      await starting;
      const w = windowOf(samples);
      const count = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]!.n);
      if (count !== totalEvents) throw new Error(`events table holds ${count}, expected ${totalEvents}`);
      const rate = Math.round(w.amount / w.seconds);
      rates[String(n)]!.push(rate);
      phases[`events_${n}hq_round${round_ + 1}`] = {
        events: totalEvents, seconds: round(w.seconds, 2), from_start_seconds: round((samples.at(-1)!.t - startedAt) / 1000, 1), cores: w.cores,
        limited_by: limitOf(w.cores), redelivered: await redelivered(),
      };
      if (n === 2) cpu2.push({ hq: w.cpuUs.hq! / w.amount, nats: w.cpuUs.nats! / w.amount, postgres: w.cpuUs.postgres! / w.amount });
      say(`round ${round_ + 1}, events, ${n} hq: ${rate} events/s (${w.amount} in ${w.seconds.toFixed(1)} s) cores ${JSON.stringify(w.cores)}`);
      await stopHqs();
    }
  }
  const med = (v: number[], digits = 0) => spreadOf(v, digits).median ?? NaN;
  const spread = (v: number[], digits = 0) => { const s = spreadOf(v, digits); return [s.min, s.max]; };
  for (const n of ['1', '2']) eventsPerS[n] = med(rates[n]!);
  const ratio = ratioPerRound(rates['2']!, rates['1']!);
  cpuPerEvent = { hq: med(cpu2.map((c) => c.hq), 1), nats: med(cpu2.map((c) => c.nats), 1), postgres: med(cpu2.map((c) => c.postgres), 1) };
  result.rounds = {
    events_per_s: { '1': rates['1'], '2': rates['2'] },
    spread: { '1': spread(rates['1']!), '2': spread(rates['2']!) },
    ratio_2_over_1: { per_round: ratio.per_round, median: ratio.median, spread: [ratio.min, ratio.max] },
  };
  result.events_per_s = eventsPerS;

  // 3. Rollup backlog, 2 hq processes.
  t = Date.now();
  const day0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000;
  const minutes = Array.from({ length: P.rollupMinutes }, (_, i) => day0 + 12 * 3_600_000 + i * MINUTE);
  const gen = await est.request('rollups', { minutes }, 900_000) as unknown as { batches: number; rows: number };
  await est.request('links', { on: true });
  const rPub = await waitPublished('rollup backlog');
  await est.request('links', { on: false }, 60_000);
  const r0 = await consumerLeft(DURABLES.rollups, Streams.rollups);
  say(`rollup backlog: ${gen.batches} batches, ${gen.rows} rows (${((Date.now() - t) / 1000).toFixed(1)} s; published in ${rPub.toFixed(1)} s); ${r0} messages pending`);
  const rowsPerMsg = gen.rows / gen.batches;
  {
    const starting = startHqs(2);
    // Progress = messages handed out (the first fetch starts the window); done = all acked after commit.
    const samples = await sampleUntil(groups, async () => r0 - (await consumerUndelivered(DURABLES.rollups, Streams.rollups)),
      async () => (await consumerLeft(DURABLES.rollups, Streams.rollups)) === 0, 900_000, 'rollups');
    await starting;
    const w = windowOf(samples);
    w.amount = r0;
    result.rollup_points_per_s = Math.round((w.amount * rowsPerMsg) / w.seconds);
    phases.rollups_2hq = { batches: gen.batches, rows: gen.rows, seconds: round(w.seconds, 2), cores: w.cores, limited_by: limitOf(w.cores), redelivered: await redelivered() };
    say(`rollups, 2 hq: ${result.rollup_points_per_s} rows/s cores ${JSON.stringify(w.cores)}`);
  }

  // 4. Outage and drain (uplinks down, 2 hq processes running).
  const outageMs = P.outageMinutes * MINUTE;
  const end = Math.floor(Date.now() / MINUTE) * MINUTE;
  t = Date.now();
  const drainEvents = (await est.request('events', { perEstate: Math.round(P.rate * outageMs / 1000), from: end - outageMs, to: end }, 900_000)).appended as number;
  const drainRoll = await est.request('rollups', { minutes: Array.from({ length: P.outageMinutes }, (_, i) => end - outageMs + i * MINUTE) }, 1_800_000) as unknown as { batches: number; rows: number };
  const lastSeqs = (await backlog()).lastSeqs;
  say(`outage of ${P.outageMinutes} min written into the outboxes: ${drainEvents} events, ${drainRoll.rows} rollup rows (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  {
    const t0 = Date.now();
    const cpu0 = groupCpu(groups);
    const m0 = machineCpuUs();
    await est.request('links', { on: true });
    let outboxEmpty = false;
    const samples = await sampleUntil(groups, watermarks, async (v) => {
      if (v < lastSeqs) return false;
      if (!outboxEmpty) { const b = await backlog(); outboxEmpty = b.events === 0 && b.rollups === 0; }
      return outboxEmpty && (await consumerLeft(DURABLES.rollups, Streams.rollups)) === 0;
    }, 1_800_000, 'drain (events applied)');
    samples.unshift({ t: t0, v: 0, cpu: cpu0, machine: m0 });
    const w = windowOf(samples, 0);
    result.drain = { seconds: round(w.seconds, 1), ratio: round(outageMs / 1000 / w.seconds, 1) };
    phases.drain_2hq = {
      outage_minutes: P.outageMinutes, events: drainEvents, rollup_rows: drainRoll.rows, rollup_batches: drainRoll.batches,
      seconds: round(w.seconds, 1), cores: w.cores, redelivered: await redelivered(), limited_by: limitOf(w.cores, 'the estates (their outbox reads and publishes) share the machine with head office here; each would run on its own gateway'),
    };
    say(`drain: ${w.seconds.toFixed(1)} s for ${P.outageMinutes} min (${(result.drain as { ratio: number }).ratio}×) cores ${JSON.stringify(w.cores)}`);
  }

  // 5. Steady load, end to end (uplinks up, 2 hq processes).
  let e2eRollupBatches = 0;
  {
    const before = (await backlog()).lastSeqs;
    const t0 = Date.now();
    const cpu0 = groupCpu(groups);
    const m0 = machineCpuUs();
    const run = await est.request('steady', { rate: P.rate, seconds: P.e2eSeconds }, (P.e2eSeconds + 120) * 1000) as unknown as { events: number; from: number; to: number; rollupBatches: number };
    const w = windowOf([{ t: t0, v: 0, cpu: cpu0, machine: m0 }, { t: Date.now(), v: run.events, cpu: groupCpu(groups), machine: machineCpuUs() }], 0);
    const target = before + run.events;
    e2eRollupBatches = run.rollupBatches;
    await sampleUntil(groups, watermarks, async (v) => v >= target && (await backlog()).rollups === 0 && (await consumerLeft(DURABLES.rollups, Streams.rollups)) === 0, 120_000, 'steady load applied');
    const { rows } = await db.query<{ ms: number }>(
      `SELECT extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000 - at AS ms FROM events WHERE at >= $1 AND at < $2`,
      [run.from + P.e2eWarmupSeconds * 1000, run.to],
    );
    const lat = rows.map((r) => Number(r.ms));
    const rx = await db.query<{ ms: number }>('SELECT received_at - at AS ms FROM events WHERE at >= $1 AND at < $2', [run.from + P.e2eWarmupSeconds * 1000, run.to]);
    const recv = rx.rows.map((r) => Number(r.ms));
    result.e2e_ms = { p50: round(percentile(lat, 50), 1), p99: round(percentile(lat, 99), 1) };
    phases.e2e_2hq = {
      seconds: P.e2eSeconds, warmup_seconds: P.e2eWarmupSeconds, events: run.events, measured: lat.length, rollup_batches: run.rollupBatches,
      p95: round(percentile(lat, 95), 1), max: round(Math.max(...lat), 1),
      received_at_p50: round(percentile(recv, 50), 1), received_at_p99: round(percentile(recv, 99), 1),
      cores: w.cores, limited_by: limitOf(w.cores), redelivered: await redelivered(),
    };
    say(`e2e: p50 ${result.e2e_ms && (result.e2e_ms as { p50: number }).p50} ms, p99 ${(result.e2e_ms as { p99: number }).p99} ms over ${lat.length} events; cores ${JSON.stringify(w.cores)}`);
  }
  result.cpu_us_per_event = cpuPerEvent;

  const rollupRows = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM rollups')).rows[0]!.n);
  const expectRows = gen.rows + drainRoll.rows + e2eRollupBatches * rowsPerMsg;
  const version = (cmd: string, a: string[]) => { try { return execFileSync(cmd, a, { encoding: 'utf8' }).trim(); } catch { return 'unknown'; } };
  result.meta = {
    date: started.toISOString(), quick, cores: cpus().length, cpu_model: cpus()[0]?.model ?? 'unknown', node: process.version,
    nats_server: version(NATS_SERVER_BIN, ['--version']), postgres: version(join(PG_BIN, 'postgres'), ['--version']),
    loadavg_start: loadStart, loadavg_end: loadavg().map((x) => round(x, 2)),
    estates: P.estates, devices: P.devices, points: P.points,
    rates: {
      steady_events_per_s_per_estate: P.rate, steady_events_per_s_total: P.rate * P.estates,
      event_mix: 'fault cycle of 10 events: alarm.raised, order.created, order.changed ×5 (accepted, dispatched, on_site, ledger, resolved, closed), alarm.changed, order.ledger',
      rollup_rows_per_minute_per_estate: rowsPerMinute, rollup_batch_kib: round(batch.bytes / 1024, 1),
    },
    backlogs: { events_per_estate: P.backlogEvents, events_total: totalEvents, rollup_minutes: P.rollupMinutes, rollup_rows: gen.rows, outage_minutes: P.outageMinutes },
    setup: {
      nats: '3 nodes, streams R3, file storage, one user per estate (own subjects, inbox prefix)', streams_mb: streamsMB,
      postgres: 'test helper settings (fsync=off, synchronous_commit=off, full_page_writes=off, shared_buffers=32MB) + track_commit_timestamp=on, max_wal_size=4GB',
      hq: 'hq/main.ts children, consumer batch 500, pool 10', e2e: 'estate commit (`at`) to pg_xact_commit_timestamp of the inserting transaction; received_at figures in phases.e2e_2hq',
      throughput_window: 'first 250 ms sample with progress to the first with all of it',
    },
    check: { events_in_postgres: totalEvents + drainEvents, rollup_rows_in_postgres: rollupRows, rollup_rows_expected: expectRows },
    phases,
  };

  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/hq.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);

  const e = result.events_per_s as Record<string, number>;
  const rr = (result.rounds as { ratio_2_over_1: { median: number; spread: number[] } }).ratio_2_over_1;
  const scale = rr.median;
  const d = result.drain as { seconds: number; ratio: number };
  const e2e = result.e2e_ms as { p50: number; p99: number };
  const ph = phases[`events_2hq_round${P.rounds}`] as { cores: Record<string, number> };
  const mark = (ok: boolean) => (ok ? 'met' : '**missed**');
  process.stdout.write([
    '',
    `Head office (${P.estates} estates × ${P.devices} devices × ${P.points} points; ${cpus().length} cores; steady ${P.rate} events/s per estate)`,
    '',
    '| measure | value | target |',
    '|---|---|---|',
    `| events/s, 1 hq (median of ${P.rounds} interleaved rounds) | ${e['1']} | |`,
    `| events/s, 2 hq (median) | ${e['2']} (median per-round ratio ${scale.toFixed(2)}×, spread ${rr.spread.join('–')}) | ≥ 1.6× when the CPU allows: ${mark(scale >= 1.6)} (machine busy ${ph.cores.machine_busy} of ${cpus().length} cores) |`,
    `| rollup rows/s (2 hq) | ${result.rollup_points_per_s} | |`,
    `| e2e p50 / p99 | ${e2e.p50} / ${e2e.p99} ms | p99 ≤ 1000 ms: ${mark(e2e.p99 <= 1000)} |`,
    `| drain of ${P.outageMinutes} min outage | ${d.seconds} s (${d.ratio}×) | ≥ 20×: ${mark(d.ratio >= 20)} |`,
    `| CPU µs/event hq / nats / postgres | ${cpuPerEvent.hq} / ${cpuPerEvent.nats} / ${cpuPerEvent.postgres} | |`,
    '',
    `rollup rows in PostgreSQL: ${rollupRows} of ${expectRows}; results in bench/results/hq.json`,
    '',
  ].join('\n'));
}

try {
  await main();
  await cleanup();
  process.exit(0);
} catch (err) {
  process.stderr.write(`bench:hq failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  for (const h of hqs) process.stderr.write(`--- ${h.child.name}\n${h.child.logTail(1500)}\n`);
  const ec = estatesChild as Child | null;
  if (ec) process.stderr.write(`--- estates\n${ec.logTail(1500)}\n`);
  await cleanup();
  process.exit(1);
}
