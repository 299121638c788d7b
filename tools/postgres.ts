/**
 * A throwaway PostgreSQL 15 server for tests: Debian's binaries from /usr/lib/postgresql/15/bin,
 * `initdb` on a temp dir, the postmaster run directly on a free port with its unix socket in the
 * temp dir. PostgreSQL refuses to run as root, so as root every step runs as `nobody` (setpriv)
 * and the temp dir is handed to that user. Readiness is a connect loop (pg_isready), never a sleep.
 *
 * - `stop()`: clean shutdown, data removed.
 * - `restart()`: clean shutdown and start again on the same port and data (an outage).
 * - `kill()`: SIGKILL the postmaster (a crash); `restart()` then recovers from the WAL.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { spawnDaemon, type Daemon } from './proc.js';

const run = promisify(execFile);
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const NOBODY = 65534;

export interface PostgresHandle {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust auth, local only). */
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
  kill(): Promise<void>;
  /** Server log tail, for failure messages. */
  logTail(): string;
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** `cmd args` as the unprivileged user when this process is root. */
function command(bin: string, args: string[]): [string, string[]] {
  const path = join(PG_BIN, bin);
  return asRoot ? ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', path, ...args]] : [path, args];
}

function chownTree(dir: string): void {
  if (asRoot) chownSync(dir, NOBODY, NOBODY);
}

export async function startPostgres(opts: { startTimeout?: number } = {}): Promise<PostgresHandle> {
  if (!existsSync(join(PG_BIN, 'initdb'))) throw new Error(`${PG_BIN}/initdb not found: install Debian package postgresql-15 (bash test/setup/ensure-deps.sh)`);
  const root = mkdtempSync(join(tmpdir(), 'pg-test-'));
  const dataDir = join(root, 'data');
  const sockDir = join(root, 'sock');
  chownTree(root);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', HOME: root };
  const [initCmd, initArgs] = command('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  try {
    await run(initCmd, initArgs, { env, cwd: root });
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
  // The socket dir and the log file must belong to the server's user.
  mkdirSync(sockDir);
  chownTree(sockDir);
  writeFileSync(join(root, 'postgres.log'), '');
  chownTree(join(root, 'postgres.log'));

  let port = await freePort();
  let daemon: Daemon | null = null;
  const logFile = join(root, 'postgres.log');
  const timeout = opts.startTimeout ?? 30_000;

  const start = async () => {
    const [cmd, args] = command('postgres', [
      '-D', dataDir, '-p', String(port), '-k', sockDir,
      // fsync off only saves disk flushes: a killed postmaster loses nothing the OS already has.
      // synchronous_commit stays on: head office acks a message after its commit returns, and a
      // commit acknowledged before its WAL left shared memory would vanish in a crash test.
      '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off',
      '-c', 'full_page_writes=off', '-c', 'max_connections=100', '-c', 'shared_buffers=32MB',
    ]);
    const d = spawnDaemon(cmd, args, { logFile, env, cwd: root, name: 'postgres' });
    daemon = d;
    const isReady = () => run(join(PG_BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-t', '1']).then(() => true, () => false);
    await d.ready(isReady, { timeout, interval: 100, what: `postgres on port ${port}` });
  };
  const halt = async (signal: 'SIGINT' | 'SIGKILL') => {
    const d = daemon as Daemon | null;
    daemon = null;
    if (!d || d.hasExited()) return;
    // SIGINT: "fast" shutdown (rolls back open transactions, checkpoints, exits).
    d.child.kill(signal);
    await Promise.race([d.exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    if (!d.hasExited()) await d.stop(1000);
  };

  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (err) {
      const tail = (daemon as Daemon | null)?.logTail() ?? '';
      await halt('SIGKILL');
      if (attempt < 3 && /could not bind|already in use/i.test(tail)) {
        port = await freePort();
        continue;
      }
      rmSync(root, { recursive: true, force: true });
      throw new Error(`could not start postgres: ${err instanceof Error ? err.message : String(err)}\n--- log ---\n${tail}`);
    }
  }

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    logTail: () => (daemon as Daemon | null)?.logTail() ?? '',
    stop: async () => {
      await halt('SIGINT');
      rmSync(root, { recursive: true, force: true });
    },
    restart: async () => {
      await halt('SIGINT');
      await start();
    },
    kill: async () => halt('SIGKILL'),
  };
}
