/**
 * An influxd that can be stopped and started again on the same port **with its data kept**
 * (test/helpers/influxd.ts starts each server on a fresh temp dir, so a restart there is an empty
 * server). Used by the store-and-forward tests of gateway/history: an outage must not lose what
 * was written before it.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INFLUXD_BIN } from './influxd.js';
import { freePorts } from './ports.js';
import { spawnDaemon, type Daemon } from './proc.js';
import { waitFor } from './wait.js';

export interface RestartableInfluxd {
  host: string;
  port: number;
  url: string;
  /** Stop the server (SIGTERM), keeping its data. */
  pause(): Promise<void>;
  /** Start it again on the same port and data; resolves when /ping answers. */
  resume(): Promise<void>;
  /** Stop and remove the data. */
  stop(): Promise<void>;
}

function config(dir: string, httpPort: number, rpcPort: number): string {
  const q = (s: string) => JSON.stringify(s);
  return `reporting-enabled = false
bind-address = ${q(`127.0.0.1:${rpcPort}`)}
[meta]
  dir = ${q(join(dir, 'meta'))}
  logging-enabled = false
[data]
  dir = ${q(join(dir, 'data'))}
  wal-dir = ${q(join(dir, 'wal'))}
  index-version = "inmem"
  query-log-enabled = false
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[http]
  bind-address = ${q(`127.0.0.1:${httpPort}`)}
  log-enabled = false
[logging]
  level = "warn"
  suppress-logo = true
[continuous_queries]
  log-enabled = false
`;
}

async function ping(url: string): Promise<boolean> {
  const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
  await res.arrayBuffer();
  return res.status === 204;
}

export async function startRestartableInfluxd(): Promise<RestartableInfluxd> {
  if (!existsSync(INFLUXD_BIN)) throw new Error(`${INFLUXD_BIN} not found: install Debian package influxdb`);
  const dir = mkdtempSync(join(tmpdir(), 'influxd-restart-'));
  const [port, rpcPort] = (await freePorts(2)) as [number, number];
  const confFile = join(dir, 'influxdb.conf');
  writeFileSync(confFile, config(dir, port, rpcPort));
  const host = '127.0.0.1';
  const url = `http://${host}:${port}`;
  let daemon: Daemon | null = null;

  const resume = async () => {
    const d = spawnDaemon(INFLUXD_BIN, ['-config', confFile], { logFile: join(dir, 'influxd.log'), env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    daemon = d;
    await waitFor(
      async () => {
        if (d.hasExited()) throw new Error(`influxd exited early: ${d.logTail()}`);
        return ping(url);
      },
      { timeout: 30_000, interval: 50, what: `influxd /ping on ${url}` },
    );
  };
  const pause = async () => {
    await daemon?.stop(5000);
    daemon = null;
  };
  await resume();
  return {
    host,
    port,
    url,
    pause,
    resume,
    async stop() {
      await pause();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
