/**
 * Talking to the bench's InfluxDB 1.x over plain HTTP: run InfluxQL, count what landed, wait
 * until a count stops growing, and write raw line protocol as fast as the server takes it
 * (the database ceiling).
 */
import { sleep } from './stats.js';

export interface InfluxTarget {
  /** http://127.0.0.1:<port> */
  url: string;
  db: string;
}

interface QueryResult {
  results?: Array<{ error?: string; series?: Array<{ name: string; columns: string[]; values?: unknown[][] }> }>;
  error?: string;
}

export async function influxQuery(url: string, q: string, db?: string): Promise<QueryResult> {
  const body = new URLSearchParams({ q, ...(db ? { db } : {}), epoch: 'ms' });
  const res = await fetch(`${url}/query`, { method: 'POST', body, signal: AbortSignal.timeout(60_000) });
  const json = (await res.json()) as QueryResult;
  const err = json.error ?? json.results?.find((r) => r.error)?.error;
  if (!res.ok || err) throw new Error(`InfluxQL ${q.slice(0, 80)}: HTTP ${res.status} ${err ?? ''}`);
  return json;
}

export async function createDatabase(url: string, db: string): Promise<void> {
  await influxQuery(url, `CREATE DATABASE "${db}"`);
}

export async function dropDatabase(url: string, db: string): Promise<void> {
  await influxQuery(url, `DROP DATABASE "${db}"`).catch(() => undefined);
}

/**
 * Number of stored field values: `SELECT count(*)` summed over every field of the measurement
 * (or only `field` when given: then it is the number of points that carry that field).
 */
export async function countValues(t: InfluxTarget, measurement: string, opts: { field?: string; where?: string } = {}): Promise<number> {
  const sel = opts.field ? `count("${opts.field}")` : 'count(*)';
  const q = `SELECT ${sel} FROM "${measurement}"${opts.where ? ` WHERE ${opts.where}` : ''}`;
  const json = await influxQuery(t.url, q, t.db);
  let total = 0;
  for (const s of json.results?.[0]?.series ?? []) {
    for (const row of s.values ?? []) for (let i = 1; i < row.length; i++) total += Number(row[i] ?? 0);
  }
  return total;
}

export interface LandingTrace {
  /** (performance.now() ms, count) samples. */
  series: Array<[number, number]>;
  final: number;
  /** performance.now() when the count last grew (or reached the target). */
  lastGrowthAt: number;
}

/**
 * Poll `count()` every `intervalMs` until it reaches `target`, or stops growing for `idleMs`
 * after `producerDone()` became true (`firstIdleMs` while nothing landed at all: a slow consumer
 * may still be working through its backlog), or `deadlineMs` passes.
 */
export async function traceLanding(
  count: () => Promise<number>,
  target: number,
  opts: { intervalMs?: number; idleMs?: number; firstIdleMs?: number; deadlineMs: number; producerDone?: () => boolean },
): Promise<LandingTrace> {
  const interval = opts.intervalMs ?? 200;
  const idle = opts.idleMs ?? 5000;
  const firstIdle = opts.firstIdleMs ?? 20_000;
  let producerDoneAt: number | undefined;
  const deadline = performance.now() + opts.deadlineMs;
  const series: Array<[number, number]> = [];
  let last = -1;
  let lastGrowthAt = performance.now();
  for (;;) {
    let c = last;
    try {
      c = await count();
    } catch {
      // a failed poll counts as no growth
    }
    const now = performance.now();
    series.push([now, c]);
    if (c > last) {
      last = c;
      lastGrowthAt = now;
    }
    if (c >= target) break;
    if (producerDoneAt === undefined && (opts.producerDone?.() ?? true)) producerDoneAt = now;
    if (producerDoneAt !== undefined && now - Math.max(lastGrowthAt, producerDoneAt) > (last > 0 ? idle : firstIdle)) break;
    if (now > deadline) break;
    await sleep(interval);
  }
  return { series, final: Math.max(0, last), lastGrowthAt };
}

/** Build `lines` lines of line protocol in bodies of `batch` lines. */
export function buildBodies(lines: number, batch: number, line: (i: number) => string): string[] {
  const bodies: string[] = [];
  for (let start = 0; start < lines; start += batch) {
    const part: string[] = [];
    for (let i = start; i < Math.min(lines, start + batch); i++) part.push(line(i));
    bodies.push(part.join('\n'));
  }
  return bodies;
}

/**
 * POST prebuilt bodies to /write with `inFlight` concurrent requests; resolves with the wall
 * time in ms. Any non-204 answer throws.
 */
export async function writeBodies(t: InfluxTarget, bodies: readonly string[], inFlight: number, precision = 'ms'): Promise<number> {
  const writeUrl = `${t.url}/write?db=${encodeURIComponent(t.db)}&precision=${precision}`;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const res = await fetch(writeUrl, { method: 'POST', body, headers: { 'content-type': 'text/plain' }, signal: AbortSignal.timeout(60_000) });
      const text = await res.text();
      if (res.status !== 204) throw new Error(`/write answered ${res.status}: ${text.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return performance.now() - t0;
}
