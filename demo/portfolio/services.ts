/**
 * Processes of the company demo (demo/portfolio.ts): a child-process wrapper, a 3-node NATS
 * JetStream cluster configured by hq/nats/config.ts, and a PostgreSQL 15 server, each on a data
 * folder that is kept between runs. Unlike the launchers for tests and benchmarks (tools/nats.ts, postgres.ts:
 * temp dirs, free ports, removed on stop) nothing here deletes data.
 *
 * Every child runs in its own process group, so a Ctrl-C in the terminal reaches only the
 * portfolio, which then stops the children in order. Readiness is always a polled condition.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { renderNatsConfig, type EstateCredentials, type HqCredentials } from '../../hq/nats/config.js';
import { waitFor } from '../../tools/wait.js';
import type { NatsNodePorts } from './layout.js';

const run = promisify(execFile);

export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
/** PostgreSQL refuses to run as root: as root it runs as `nobody`. */
const NOBODY = 65534;
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** `waitFor` (tools/wait.ts) with the portfolio's positional arguments and a 200 ms default interval. */
export async function waitUntil<T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs: number, intervalMs = 200): Promise<T> {
  return (await waitFor(fn, { what, timeout: timeoutMs, interval: intervalMs })) as T;
}

/** Throws a clear error naming the variable when a port is taken. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `port ${port} (${what}) is already in use` : `port ${port} (${what}): ${err.message}`)));
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve()));
  });
}

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  logFile: string;
  /** Exit code or signal name. */
  exited: Promise<string>;
  hasExited(): boolean;
  /** Captured stdout+stderr (piped children only). */
  output(): string;
  logTail(bytes?: number): string;
  /** Send `signal`, SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const live = new Set<Child>();
/** Last resort when the portfolio itself dies: no child outlives it. */
process.on('exit', () => {
  for (const c of live) if (!c.hasExited()) try { c.proc.kill('SIGKILL'); } catch { /* already gone */ }
});

/**
 * Start a child process in its own process group; its output is appended to `logFile`. With
 * `capture`, stdout and stderr are also kept in memory (for a readiness line).
 */
export function spawnChild(name: string, cmd: string, args: string[], opts: { logFile: string; env: NodeJS.ProcessEnv; cwd?: string; capture?: boolean }): Child {
  let proc: ChildProcess;
  let out = '';
  if (opts.capture) {
    proc = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const file = createWriteStream(opts.logFile, { flags: 'a' });
    const take = (d: Buffer) => {
      file.write(d);
      out += d.toString();
      if (out.length > 100_000) out = out.slice(-50_000);
    };
    proc.stdout!.on('data', take);
    proc.stderr!.on('data', take);
    proc.once('close', () => file.end());
  } else {
    const fd = openSync(opts.logFile, 'a');
    try {
      proc = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, detached: true, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
  }
  let ended = false;
  const exited = new Promise<string>((resolve) => {
    proc.once('exit', (code, signal) => { ended = true; resolve(code !== null ? `exit code ${code}` : `signal ${signal ?? '?'}`); });
    proc.once('error', (err) => { ended = true; resolve(`could not start: ${err.message}`); });
  });
  const logTail = (bytes = 3000) => {
    try {
      const text = readFileSync(opts.logFile, 'utf8');
      return text.length > bytes ? `...${text.slice(-bytes)}` : text;
    } catch {
      return '';
    }
  };
  const child: Child = {
    name, proc, pid: proc.pid ?? 0, logFile: opts.logFile, exited,
    hasExited: () => ended,
    output: () => out,
    logTail,
    stop: async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000) => {
      if (!ended) {
        proc.kill(signal);
        const timer = setTimeout(() => { if (!ended) proc.kill('SIGKILL'); }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      live.delete(child);
    },
  };
  live.add(child);
  void exited.then(() => live.delete(child));
  return child;
}

/** Fails fast when the child exits while something is awaited. */
export async function whileRunning<T>(child: Child, work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    child.exited.then((how) => { throw new Error(`${child.name} stopped during start (${how}); log ${child.logFile}:\n${child.logTail()}`); }),
  ]);
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  return (await res.json()) as T;
}

export interface NatsClusterSpec {
  /** Folder with one sub-folder per node (config, JetStream store, log). */
  dir: string;
  host: string;
  nodes: NatsNodePorts[];
  estates: EstateCredentials[];
  hq: HqCredentials;
  /** JetStream file limit per node; must cover the streams' max_bytes (demo/portfolio/hq.yaml). */
  maxFileStore: string;
}

/** Start the nodes and resolve once each has routes to all peers and sees a JetStream meta leader. */
export async function startNatsCluster(spec: NatsClusterSpec, timeoutMs = 30_000): Promise<Child[]> {
  if (!existsSync(NATS_SERVER_BIN)) throw new Error(`${NATS_SERVER_BIN} not found: install the Debian package nats-server`);
  const names = spec.nodes.map((_, i) => `n${i + 1}`);
  const children: Child[] = [];
  try {
    spec.nodes.forEach((p, i) => {
      const nodeDir = join(spec.dir, names[i]!);
      const storeDir = join(nodeDir, 'jetstream');
      mkdirSync(storeDir, { recursive: true });
      const conf = join(nodeDir, 'nats.conf');
      // Holds this run's passwords: readable by its owner only.
      writeFileSync(conf, renderNatsConfig({
        name: names[i]!, host: spec.host, clientPort: p.client, clusterPort: p.cluster, httpPort: p.http, storeDir,
        routes: spec.nodes.filter((o) => o !== p).map((o) => `nats-route://${spec.host}:${o.cluster}`),
        estates: spec.estates, hq: spec.hq, maxMemoryStore: '64MB', maxFileStore: spec.maxFileStore,
      }), { mode: 0o600 });
      chmodSync(conf, 0o600);
      children.push(spawnChild(`nats-server ${names[i]}`, NATS_SERVER_BIN, ['-c', conf], { logFile: join(nodeDir, 'nats.log'), env: process.env }));
    });
    await Promise.all(children.map((c, i) => whileRunning(c, waitUntil(async () => {
      const mon = `http://${spec.host}:${spec.nodes[i]!.http}`;
      const routes = (await getJson<{ num_routes?: number }>(`${mon}/routez`)).num_routes ?? 0;
      if (routes < spec.nodes.length - 1) throw new Error(`${routes} of ${spec.nodes.length - 1} routes`);
      const leader = (await getJson<{ meta_cluster?: { leader?: string } }>(`${mon}/jsz`)).meta_cluster?.leader;
      if (!leader) throw new Error('no JetStream meta leader yet');
      return true;
    }, `${c.name} to join the cluster (log ${c.logFile})`, timeoutMs))));
    return children;
  } catch (err) {
    await Promise.all(children.map((c) => c.stop('SIGTERM', 3000)));
    throw err;
  }
}

export interface PostgresServer {
  child: Child;
  url: string;
}

/** `cmd args` as `nobody` when this process is root. */
function pgCommand(bin: string, args: string[]): [string, string[]] {
  const path = join(PG_BIN, bin);
  return asRoot ? ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', path, ...args]] : [path, args];
}

/**
 * PostgreSQL on `dir` (initdb on the first run; `dir/data` is kept), listening on 127.0.0.1:`port`
 * with trust authentication for local connections only.
 */
export async function startPostgres(dir: string, port: number, timeoutMs = 60_000): Promise<PostgresServer> {
  if (!existsSync(join(PG_BIN, 'initdb'))) throw new Error(`${PG_BIN}/initdb not found: install the Debian package postgresql-15`);
  const dataDir = join(dir, 'data');
  const sockDir = join(dir, 'sock');
  const logFile = join(dir, 'postgres.log');
  mkdirSync(sockDir, { recursive: true });
  if (!existsSync(logFile)) writeFileSync(logFile, '');
  if (asRoot) {
    for (const p of [dir, sockDir, logFile]) chownSync(p, NOBODY, NOBODY);
    // nobody must be able to reach the folder: a repository under /root is not reachable.
    const [cmd, args] = ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'test', '-w', dir]];
    if (!(await run(cmd, args).then(() => true, () => false))) {
      throw new Error(`PostgreSQL runs as "nobody" when started by root, and nobody cannot write ${dir} (a parent folder is closed to other users). Set PORTFOLIO_DATA_DIR to a folder under /var/tmp, for example PORTFOLIO_DATA_DIR=/var/tmp/portfolio`);
    }
  }
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', HOME: dir };
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    const [cmd, args] = pgCommand('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
    try {
      await run(cmd, args, { env, cwd: dir });
    } catch (err) {
      throw new Error(`initdb of ${dataDir} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
    }
  }
  const [cmd, args] = pgCommand('postgres', [
    '-D', dataDir, '-p', String(port), '-k', sockDir, '-c', 'listen_addresses=127.0.0.1',
    '-c', 'synchronous_commit=off', '-c', 'max_connections=50', '-c', 'shared_buffers=32MB',
  ]);
  const child = spawnChild('postgres', cmd, args, { logFile, env, cwd: dir });
  try {
    await whileRunning(child, waitUntil(
      () => run(join(PG_BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-t', '1']).then(() => true, () => false),
      `PostgreSQL on port ${port} (log ${logFile})`, timeoutMs,
    ));
  } catch (err) {
    // SIGINT: fast shutdown.
    await child.stop('SIGINT', 5000);
    throw err;
  }
  return { child, url: `postgres://postgres@127.0.0.1:${port}/postgres` };
}
