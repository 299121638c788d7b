/**
 * The engines of the head-office bench and their CPU accounting: a 3-node NATS cluster and a
 * PostgreSQL 15 (the test helpers), head-office processes (`hq/main.ts`, real children), and CPU
 * per process group read from /proc: every pid of the group, PostgreSQL's postmaster with its
 * backends (live children, plus the time of exited ones the postmaster has reaped).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clockTicks, cpuTimeUs, pidCpuUs } from '../lib/cpu.js';
import { spawnCmd, type Child } from '../lib/proc.js';
import { freePort } from '../../tools/ports.js';

/** A process group: its pids are asked for at each sample (processes come and go between phases). */
export interface Group {
  name: string;
  pids(): number[];
  /** Pids that are parents of short-lived workers (their reaped children count). */
  parents?(): number[];
}

/** CPU µs of each group now. */
export function groupCpu(groups: Group[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const g of groups) {
    const parents = new Set(g.parents?.() ?? []);
    let us = 0;
    for (const p of parents) us += cpuTimeUs(p);
    for (const p of g.pids()) if (!parents.has(p)) us += pidCpuUs(p);
    out[g.name] = us;
  }
  return out;
}

/** Busy CPU time of the whole machine, µs (all cores, from /proc/stat). */
export function machineCpuUs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = v[0]! + v[1]! + v[2]! + v[5]! + v[6]! + v[7]!;
  return (busy * 1e6) / clockTicks();
}

export function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

export interface HqChild {
  child: Child;
  url: string;
}

export interface HqSettings {
  dir: string;
  natsUrls: string[];
  natsUser: string;
  natsPass: string;
  pgUrl: string;
  estates: { site: string; code: string }[];
  streamsMB: { events: number; rollups: number; commands: number };
}

let hqCount = 0;

/** One head-office process (`node --import tsx hq/main.ts`), as test/hq/harness.ts starts them; resolves once its API answers. */
export async function startHqProcess(s: HqSettings, onSpawn?: (h: HqChild) => void): Promise<HqChild> {
  const port = await freePort();
  const n = ++hqCount;
  const file = join(s.dir, `hq-${n}.json`);
  writeFileSync(file, JSON.stringify({
    http: { host: '127.0.0.1', port },
    nats: { servers: s.natsUrls, user: s.natsUser, password: s.natsPass, replicas: 3, streamsMB: s.streamsMB },
    postgres: { url: s.pgUrl },
    estates: s.estates.map((e) => ({ site: e.site, name: `${e.site} estate`, code: e.code })),
    gapGraceSeconds: 60,
    statusPeriodSeconds: 300,
  }));
  const child = spawnCmd(process.execPath, ['--import', 'tsx', 'hq/main.ts'], {
    name: `hq-${n}`, logFile: join(s.dir, `hq-${n}.log`),
    env: { ...process.env, HQ_CONFIG: file, HQ_TOKEN_SECRET: 'bench-token-secret-0123456789-abcdefghij', LOG_LEVEL: 'warn' },
  });
  const url = `http://127.0.0.1:${port}`;
  // Registered at once: its CPU counts from the first sample, start-up included in that baseline.
  onSpawn?.({ child, url });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`${url}/api/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (child.proc.exitCode !== null || Date.now() > deadline) throw new Error(`head office ${n} did not start\n${child.logTail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, url };
}
