/**
 * History benchmark (issue 5): sustained points/s through InfluxHistory into a real influxd, next
 * to raw line-protocol writes (5,000-line batches, 4 in flight) into the same influxd in the same
 * run; then the query latency of a 30-day trend of one point at 1 s resolution (2.6 M points,
 * written with raw line protocol, rolled up with the continuous queries' SELECT ... INTO).
 *
 *   npx tsx bench/history.ts            (npm run bench:history)
 *
 * Env: BENCH_SECONDS (write phase length per run, default 10). Writes bench/results/history.json
 * and prints a Markdown table. Starts and removes its own influxd (tools/influxd.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { pino } from 'pino';
import { startInfluxd, type InfluxdHandle } from '../tools/influxd.js';
import { InfluxHistory } from '../gateway/history/influx.js';
import { DAY, HOUR, pickResolution } from '../gateway/history/query.js';
import type { Reading } from '../gateway/core/reading.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const DEVICES = 100;
const POINTS = 10; // 1,000 series
const log = pino({ level: 'warn' });
const deviceInfo = (id: string) => ({ type: 'pump', building: `B${Number(id.slice(2)) % 4}` });

interface WriteResult { name: string; points: number; seconds: number; pointsPerSecond: number }

async function writerRun(server: InfluxdHandle, name: string, database: string, maxInFlight: number): Promise<WriteResult> {
  const h = new InfluxHistory({ config: { host: server.host, port: server.port, database }, site: 'bench', deviceInfo, log, maxInFlight });
  await h.init();
  const t0 = Date.now() - HOUR;
  const started = performance.now();
  const until = started + SECONDS * 1000;
  let tick = 0;
  let points = 0;
  const batch: Reading[] = new Array(DEVICES * POINTS);
  while (performance.now() < until) {
    // One scan of every device: 1,000 readings at one timestamp (1 ms apart per scan).
    const ts = t0 + tick++;
    let k = 0;
    for (let d = 0; d < DEVICES; d++) for (let p = 0; p < POINTS; p++) batch[k++] = { device: `p-${d}`, point: `v${p}`, value: (tick * 7 + d + p) % 1000 / 10, quality: 'good', ts };
    h.write(batch);
    points += batch.length;
    // Back-pressure as a real pipeline would see it: don't let more than ~4 batches wait (the store
    // buffers lines: one per device and scan, POINTS readings each; a batch is 5,000 lines).
    while (h.stats().buffered > 20_000) await new Promise((r) => setTimeout(r, 1));
  }
  await h.flush();
  const seconds = (performance.now() - started) / 1000;
  await h.close();
  return { name, points, seconds: round(seconds, 2), pointsPerSecond: Math.round(points / seconds) };
}

/** Raw line protocol: 5,000-line batches, `inFlight` concurrent POSTs, lines produced by `line(i)`. */
async function rawWrite(server: InfluxdHandle, database: string, total: number | null, line: (i: number) => string, inFlight = 4, rp = 'raw'): Promise<{ points: number; seconds: number }> {
  await query(server, `CREATE DATABASE "${database}"`);
  await query(server, `CREATE RETENTION POLICY "raw" ON "${database}" DURATION 31d REPLICATION 1 DEFAULT`).catch(() => undefined);
  const url = `${server.url}/write?db=${database}&rp=${rp}&precision=ms`;
  const started = performance.now();
  const until = started + SECONDS * 1000;
  let next = 0;
  const worker = async () => {
    for (;;) {
      if (total !== null ? next >= total : performance.now() >= until) return;
      const from = next;
      const n = total !== null ? Math.min(5000, total - from) : 5000;
      next += n;
      let body = '';
      for (let i = from; i < from + n; i++) body += line(i) + '\n';
      const res = await fetch(url, { method: 'POST', body });
      if (res.status !== 204) throw new Error(`raw write: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { points: next, seconds: (performance.now() - started) / 1000 };
}

async function query(server: InfluxdHandle, q: string, db?: string): Promise<unknown> {
  const res = await fetch(`${server.url}/query?${db ? `db=${db}&` : ''}q=${encodeURIComponent(q)}`, { method: 'POST' });
  const json = (await res.json()) as { results?: Array<{ error?: string }>; error?: string };
  const err = json.error ?? json.results?.[0]?.error;
  if (err) throw new Error(err);
  return json;
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const benchStart = Date.now();
  const server = await startInfluxd();
  try {
    // --- writes ---------------------------------------------------------------------------
    const writes: WriteResult[] = [];
    const t0 = Date.now() - HOUR;
    const raw = await rawWrite(server, 'bench_raw', null, (i) => {
      const scan = Math.floor(i / (DEVICES * POINTS));
      const d = Math.floor(i / POINTS) % DEVICES;
      const p = i % POINTS;
      return `pump,building=B${d % 4},device=p-${d},site=bench v${p}=${((scan * 7 + d + p) % 1000) / 10} ${t0 + scan}`;
    });
    writes.push({ name: 'raw line protocol (5,000-line batches, 4 in flight)', points: raw.points, seconds: round(raw.seconds, 2), pointsPerSecond: Math.round(raw.points / raw.seconds) });
    writes.push(await writerRun(server, 'InfluxHistory, 2 in flight', 'bench_writer2', 2));
    writes.push(await writerRun(server, 'InfluxHistory, defaults (5,000 lines/batch, 4 in flight)', 'bench_writer4', 4));

    // --- 30-day trend at 1 s ---------------------------------------------------------------
    const DB = 'bench_query';
    const store = new InfluxHistory({ config: { host: server.host, port: server.port, database: DB }, site: 'bench', deviceInfo, log, retentionDays: 31 });
    await store.init();
    const end = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
    const start = end - 30 * DAY;
    const N = 30 * 86_400; // 2,592,000
    const load = await rawWrite(server, DB, N, (i) => {
      const v = 50 + 20 * Math.sin(i / 3600) + (i % 86_400 === 43_200 ? 400 : 0);
      return `pump,building=B0,device=p-0,site=bench v0=${v.toFixed(3)} ${start + i * 1000}`;
    });
    const rollStart = performance.now();
    await store.refreshRollups(start, end);
    const rollupSeconds = (performance.now() - rollStart) / 1000;

    const cases: Array<{ name: string; from: number; resolution: 'raw' | '1m' | '1h' }> = [
      { name: '30 d, auto tier', from: start, resolution: pickResolution(start, end, store.retention) },
      { name: '7 d, auto tier', from: end - 7 * DAY, resolution: pickResolution(end - 7 * DAY, end, store.retention) },
      { name: '6 h, auto tier', from: end - 6 * HOUR, resolution: pickResolution(end - 6 * HOUR, end, store.retention) },
      { name: '30 d, forced raw (no rollups)', from: start, resolution: 'raw' },
    ];
    const queries = [];
    for (const c of cases) {
      const times: number[] = [];
      let returned = 0;
      const runs = c.resolution === 'raw' && end - c.from > DAY ? 3 : 7;
      for (let i = 0; i < runs; i++) {
        const q0 = performance.now();
        const rows = await store.query({ device: 'p-0', point: 'v0', from: c.from, to: end, limit: 2000, resolution: c.resolution });
        times.push(performance.now() - q0);
        returned = rows.length;
        if (c.name.startsWith('30 d, auto') && i === 0 && Math.max(...rows.map((r) => r.max ?? (r.value as number))) < 400) throw new Error('spike lost');
      }
      queries.push({ name: c.name, resolution: c.resolution, limit: 2000, returned, runs, medianMs: round(median(times)), maxMs: round(Math.max(...times)) });
    }
    await store.close();

    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memGiB: round(totalmem() / 2 ** 30), node: process.version, influxd: '1.6 (Debian package)' },
      writePhaseSeconds: SECONDS,
      series: DEVICES * POINTS,
      writes,
      trend30d: { points: N, loadSeconds: round(load.seconds, 1), loadPointsPerSecond: Math.round(N / load.seconds), rollupBackfillSeconds: round(rollupSeconds, 1), queries },
      totalSeconds: round((Date.now() - benchStart) / 1000, 1),
    };
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(new URL('./results/history.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');

    const lines = [
      `History benchmark, ${result.date.slice(0, 10)}: ${result.machine.cpus} × ${result.machine.cpuModel}, Node ${result.machine.node}, influxd 1.6; ${result.series} series, ${SECONDS} s per write run`,
      '',
      '| write path | field values | s | field values/s |',
      '|---|---:|---:|---:|',
      ...writes.map((w) => `| ${w.name} | ${w.points.toLocaleString('en')} | ${w.seconds} | ${w.pointsPerSecond.toLocaleString('en')} |`),
      '',
      `30-day trend of one point at 1 s: ${N.toLocaleString('en')} points loaded in ${result.trend30d.loadSeconds} s (${result.trend30d.loadPointsPerSecond.toLocaleString('en')}/s), rollups backfilled in ${result.trend30d.rollupBackfillSeconds} s`,
      '',
      '| query (limit 2000) | tier | samples | median ms | max ms |',
      '|---|---|---:|---:|---:|',
      ...queries.map((q) => `| ${q.name} | ${q.resolution} | ${q.returned} | ${q.medianMs} | ${q.maxMs} |`),
      '',
      `total ${result.totalSeconds} s`,
    ];
    console.log(lines.join('\n'));
  } finally {
    await server.stop();
  }
}

await main();
