/**
 * A whole company on one machine, for the head-office failure tests: a 3-node NATS cluster, a
 * PostgreSQL, Mosquitto, head-office processes (`hq/main.ts`, real child processes that can be
 * SIGKILLed) and estate gateways (test/helpers/estate.ts) whose uplink runs through TCP relays,
 * one per NATS node, so a test can cut an estate's link for real. `compare()` reads both ends, the
 * estate's SQLite and head office's PostgreSQL, and says exactly what differs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { hashPassword } from '../../gateway/auth/password.js';
import { startEstate, type RunningEstate } from '../helpers/estate.js';
import { startMosquitto, type MosquittoHandle } from '../../tools/mosquitto.js';
import { startNatsCluster, type NatsCluster } from '../../tools/nats.js';
import { freePort } from '../../tools/ports.js';
import { startPostgres, type PostgresHandle } from '../../tools/postgres.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../../tools/wait.js';

export interface HqProcess {
  url: string;
  proc: ChildProcess;
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface Company {
  cluster: NatsCluster;
  pg: PostgresHandle;
  mosquitto: MosquittoHandle;
  db: pg.Pool;
  estates: RunningEstate[];
  proxies: Map<string, TcpProxy[]>;
  hqs: HqProcess[];
  startHq(): Promise<HqProcess>;
  deskToken: string;
  stop(): Promise<void>;
}

export const DESK_PASSWORD = 'hq-desk-test-password';
const TOKEN_SECRET = 'company-token-secret-for-tests-0123456789';

export async function startCompany(sites: { site: string; code: string }[], panels: number): Promise<Company> {
  const [cluster, pgServer, mosquitto] = await Promise.all([
    startNatsCluster({ estates: sites.map((s) => s.site) }), startPostgres(), startMosquitto(),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'company-'));
  const httpPorts: number[] = [];
  const configFile = (port: number) => {
    const file = join(dir, `hq-${port}.json`);
    writeFileSync(file, JSON.stringify({
      http: { host: '127.0.0.1', port },
      nats: { servers: cluster.urls, user: cluster.hqCredentials.user, password: cluster.hqCredentials.pass, replicas: 3, streamsMB: { events: 256, rollups: 256, commands: 64 } },
      postgres: { url: pgServer.url },
      estates: sites.map((s) => ({ site: s.site, name: `${s.site} estate`, code: s.code })),
      users: [{ username: 'desk', role: 'hq-desk', passwordHash: deskHash }],
      gapGraceSeconds: 5,
      statusPeriodSeconds: 30,
    }));
    return file;
  };
  const deskHash = await hashPassword(DESK_PASSWORD);
  const hqs: HqProcess[] = [];
  const launchHq = async (): Promise<HqProcess> => {
    const port = await freePort();
    httpPorts.push(port);
    const proc = spawn(process.execPath, ['--import', 'tsx', 'hq/main.ts'], {
      env: { ...process.env, HQ_CONFIG: configFile(port), HQ_TOKEN_SECRET: TOKEN_SECRET, LOG_LEVEL: process.env.HQ_LOG_LEVEL ?? 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    process.once('exit', () => proc.kill('SIGKILL'));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/api/health`)).ok, { what: `head office on ${port}`, timeout: 60_000, interval: 200 })
      .catch((err: unknown) => { throw new Error(`${String(err)}\n${out.slice(-3000)}`); });
    const hq: HqProcess = {
      url, proc, output: () => out,
      kill: async (signal) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill(signal);
        await gone;
      },
    };
    hqs.push(hq);
    return hq;
  };
  await Promise.all([launchHq(), launchHq()]);

  const proxies = new Map<string, TcpProxy[]>();
  const estates = await Promise.all(sites.map(async (s) => {
    const relays = await Promise.all(cluster.nodes.map((n) => startTcpProxy({ port: n.clientPort })));
    proxies.set(s.site, relays);
    const creds = cluster.estateCredentials(s.site);
    return startEstate({
      site: s.site, code: s.code, panels, mqttUrl: mosquitto.url,
      nats: { servers: relays.map((r) => r.url()), user: creds.user, password: creds.pass },
    });
  }));

  const db = new pg.Pool({ connectionString: pgServer.url, max: 3 });
  db.on('error', () => undefined); // idle connections die when a test restarts PostgreSQL
  const login = await fetch(`${hqs[0]!.url}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'desk', password: DESK_PASSWORD }),
  });
  const deskToken = ((await login.json()) as { token: string }).token;

  return {
    cluster, pg: pgServer, mosquitto, db, estates, proxies, hqs, deskToken,
    startHq: launchHq,
    async stop() {
      await Promise.allSettled(estates.map((e) => e.stop()));
      await Promise.allSettled(hqs.map((h) => h.kill('SIGTERM')));
      await db.end().catch(() => undefined);
      for (const relays of proxies.values()) await Promise.allSettled(relays.map((r) => r.close()));
      await Promise.allSettled([cluster.stop(), pgServer.stop(), mosquitto.stop()]);
    },
  };
}

/** What an estate holds: its last event seq, and its orders and alarms by id. */
export function estateState(e: RunningEstate) {
  const db = new Database(join(e.dataDir, 'gateway.db'), { readonly: true, fileMustExist: true });
  try {
    const last = (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").get() as { seq: number } | undefined)?.seq ?? 0;
    const orders = db.prepare('SELECT id, status, occurrences, assignee FROM work_orders ORDER BY id').all() as { id: string; status: string; occurrences: number; assignee: string | null }[];
    const alarms = db.prepare('SELECT id, state FROM alarms ORDER BY id').all() as { id: string; state: string }[];
    const unsent = (db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL').get() as { n: number }).n;
    return { last, orders, alarms, unsent };
  } finally {
    db.close();
  }
}

/** The same, as head office has it. */
export async function hqState(db: pg.Pool, site: string) {
  const ev = await db.query<{ n: string; max: number | null; distinct_seq: string }>(
    'SELECT COUNT(*) AS n, MAX(seq) AS max, COUNT(DISTINCT seq) AS distinct_seq FROM events WHERE site = $1', [site]);
  const est = await db.query<{ watermark: string }>('SELECT watermark FROM estates WHERE site = $1', [site]);
  const orders = await db.query<{ id: string; status: string; occurrences: number; assignee: string | null }>(
    `SELECT id, status, (doc->>'occurrences')::int AS occurrences, assignee FROM orders WHERE site = $1 ORDER BY id COLLATE "C"`, [site]);
  const alarms = await db.query<{ id: string; state: string }>(`SELECT id, state FROM alarms WHERE site = $1 ORDER BY id COLLATE "C"`, [site]);
  return {
    events: Number(ev.rows[0]!.n), distinctSeq: Number(ev.rows[0]!.distinct_seq), maxSeq: ev.rows[0]!.max ?? 0,
    watermark: Number(est.rows[0]?.watermark ?? 0), orders: orders.rows, alarms: alarms.rows,
  };
}

/**
 * Waits until head office has exactly what each estate has: every event once (count = distinct
 * seqs = last seq = watermark), and every order and alarm in the same state.
 */
export async function converged(company: Company, timeout = 120_000): Promise<{ site: string; events: number }[]> {
  let last = '';
  return waitFor(async () => {
    const out: { site: string; events: number }[] = [];
    for (const e of company.estates) {
      const a = estateState(e);
      const b = await hqState(company.db, e.site);
      const diff: string[] = [];
      if (a.unsent) diff.push(`${a.unsent} unsent`);
      if (b.events !== a.last || b.distinctSeq !== a.last || b.watermark !== a.last) diff.push(`events ${b.events}/${b.distinctSeq}/wm ${b.watermark} vs seq ${a.last}`);
      if (JSON.stringify(b.orders) !== JSON.stringify(a.orders)) diff.push(`orders differ (${b.orders.length} vs ${a.orders.length})`);
      if (JSON.stringify(b.alarms) !== JSON.stringify(a.alarms)) diff.push(`alarms differ (${b.alarms.length} vs ${a.alarms.length})`);
      if (diff.length) { last = `${e.site}: ${diff.join(', ')}`; return false; }
      out.push({ site: e.site, events: a.last });
    }
    return out;
  }, { what: 'head office to hold exactly what every estate holds', timeout, interval: 500 }).catch((err: unknown) => {
    throw new Error(`${String(err)}; last difference: ${last}`);
  });
}

/** `n` fire alarms raised and cleared across the estate's panels; resolves when the estate has recorded them. */
export async function faultBurst(e: RunningEstate, n: number): Promise<void> {
  const before = estateState(e).alarms.length;
  for (let i = 0; i < n; i++) {
    const panel = e.panels[i % e.panels.length]!;
    await e.publish(panel, { fire_alarm: true, trouble: i % 3 === 0 });
    await e.publish(panel, { fire_alarm: false, trouble: false });
  }
  await waitFor(() => estateState(e).alarms.length >= before + n, { what: `${e.site} to record ${n} alarms`, timeout: 60_000, interval: 200 });
}

/** Moves every open order of the estate one step (new → accepted → dispatched), through its API. */
export async function moveOrders(e: RunningEstate): Promise<number> {
  const list = await e.api<{ id: string; status: string }[]>('GET', '/api/work-orders?open=true&limit=1000');
  let moved = 0;
  for (const o of list.body) {
    const to = o.status === 'new' ? 'accepted' : o.status === 'accepted' ? 'dispatched' : null;
    if (!to) continue;
    const r = await e.api('POST', `/api/work-orders/${o.id}/transition`, { to, note: 'moving', ...(to === 'accepted' ? { assignee: 'desk' } : {}) });
    if (r.status === 200) moved++;
  }
  return moved;
}
