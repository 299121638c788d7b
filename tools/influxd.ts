/**
 * A throwaway InfluxDB 1.x server for tests: Debian's `/usr/bin/influxd` (1.6) on a temp dir and
 * free ports, never the default 8086/8088. Installed by test/setup/ensure-deps.sh.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './ports.js';
import { spawnDaemon, type Daemon } from './proc.js';

export const INFLUXD_BIN = process.env.INFLUXD_BIN ?? '/usr/bin/influxd';

export interface InfluxdHandle {
  host: string;
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** Temp dir holding the config, meta/data/wal and influxd.log; removed by stop(). */
  dataDir: string;
  /** Stop the server (SIGTERM), keeping its data: an outage. */
  pause(): Promise<void>;
  /** Start it again on the same port and data; resolves when /ping answers. */
  resume(): Promise<void>;
  /** Stop and remove the data. */
  stop(): Promise<void>;
  /** Process id of the running server (0 while paused); CPU accounting in the bench. */
  pid(): number;
}

export interface InfluxdOptions {
  /** Deadline for `/ping` to answer 204 (default 30 s). */
  startTimeout?: number;
  /** HTTP port to use (for example to restart a server on the port of a stopped one); free port by default. */
  port?: number;
}

function config(dir: string, httpPort: number, rpcPort: number): string {
  const q = (s: string) => JSON.stringify(s);
  return `# written by tools/influxd.ts
reporting-enabled = false
# Backup/restore RPC service; defaults to :8088 and would collide between parallel servers.
bind-address = ${q(`127.0.0.1:${rpcPort}`)}

[meta]
  dir = ${q(join(dir, 'meta'))}
  retention-autocreate = true
  logging-enabled = false

[data]
  dir = ${q(join(dir, 'data'))}
  wal-dir = ${q(join(dir, 'wal'))}
  index-version = "inmem"
  query-log-enabled = false
  cache-max-memory-size = 268435456

[coordinator]
  log-queries-after = "0s"

[retention]
  enabled = true

[shard-precreation]
  enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = ${q(`127.0.0.1:${httpPort}`)}
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false
  unix-socket-enabled = false

[ifql]
  enabled = false

[logging]
  level = "warn"
  suppress-logo = true

[continuous_queries]
  enabled = true
  log-enabled = false

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false
`;
}

/** Environment without INFLUXDB_* overrides, which influxd would apply over the config file. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('INFLUXDB_')) env[k] = v;
  return env;
}

async function ping(url: string): Promise<boolean> {
  const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
  await res.arrayBuffer();
  return res.status === 204;
}

/** Start influxd and resolve once `/ping` answers 204. */
export async function startInfluxd(opts: InfluxdOptions = {}): Promise<InfluxdHandle> {
  if (!existsSync(INFLUXD_BIN)) {
    throw new Error(`${INFLUXD_BIN} not found: install Debian package influxdb (bash test/setup/ensure-deps.sh)`);
  }
  const startTimeout = opts.startTimeout ?? 30_000;
  let lastFailure = '';
  // Free ports can be taken between choosing and binding them: retry a few times.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'influxd-test-'));
    const [freeHttp, rpcPort] = (await freePorts(2)) as [number, number];
    const httpPort = opts.port ?? freeHttp;
    const host = '127.0.0.1';
    const url = `http://${host}:${httpPort}`;
    const confFile = join(dir, 'influxdb.conf');
    writeFileSync(confFile, config(dir, httpPort, rpcPort));
    let daemon: Daemon | null = null;
    const resume = async () => {
      const d = spawnDaemon(INFLUXD_BIN, ['-config', confFile], { logFile: join(dir, 'influxd.log'), env: cleanEnv() });
      daemon = d;
      await d.ready(() => ping(url), { timeout: startTimeout, interval: 100, what: `influxd /ping on ${url}` });
    };
    const pause = async () => {
      await daemon?.stop(5000);
      daemon = null;
    };
    const stop = async () => {
      try {
        await pause();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    try {
      await resume();
      return { host, port: httpPort, url, dataDir: dir, pause, resume, stop, pid: () => (daemon as Daemon | null)?.child.pid ?? 0 };
    } catch (err) {
      const tail = (daemon as Daemon | null)?.logTail() ?? '';
      await stop();
      lastFailure = `${err instanceof Error ? err.message : String(err)}\n--- influxd.log ---\n${tail}`;
      if (!/address already in use/i.test(tail)) break;
    }
  }
  throw new Error(`could not start influxd: ${lastFailure}`);
}
