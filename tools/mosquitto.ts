/**
 * A throwaway Mosquitto broker for tests: Debian's `/usr/sbin/mosquitto` on a free port with a
 * temp config (anonymous, no persistence), never the default 1883. Used as a "foreign" broker.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort } from './ports.js';
import { spawnDaemon } from './proc.js';

export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

export interface MosquittoHandle {
  host: string;
  port: number;
  /** mqtt://127.0.0.1:<port> */
  url: string;
  /** Temp dir with mosquitto.conf and mosquitto.log; removed by stop(). */
  dir: string;
  /** Process id (CPU accounting in the bench). */
  pid: number;
  stop(): Promise<void>;
}

/** `extraConfig`: more mosquitto.conf lines (e.g. queue limits for the bench). */
export async function startMosquitto(opts: { startTimeout?: number; extraConfig?: readonly string[] } = {}): Promise<MosquittoHandle> {
  if (!existsSync(MOSQUITTO_BIN)) {
    throw new Error(`${MOSQUITTO_BIN} not found: install Debian package mosquitto (bash test/setup/ensure-deps.sh)`);
  }
  let lastFailure = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'mosquitto-test-'));
    const port = await freePort();
    const host = '127.0.0.1';
    const confFile = join(dir, 'mosquitto.conf');
    writeFileSync(
      confFile,
      [
        '# written by tools/mosquitto.ts',
        `listener ${port} ${host}`,
        'allow_anonymous true',
        'persistence false',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        'log_type notice',
        ...(opts.extraConfig ?? []),
        '',
      ].join('\n'),
    );
    const daemon = spawnDaemon(MOSQUITTO_BIN, ['-c', confFile], { logFile: join(dir, 'mosquitto.log') });
    const stop = async () => {
      try {
        await daemon.stop(5000);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    try {
      await daemon.ready(() => canConnect(port, host), {
        timeout: opts.startTimeout ?? 15_000,
        interval: 50,
        what: `mosquitto accepting connections on ${host}:${port}`,
      });
      return { host, port, url: `mqtt://${host}:${port}`, dir, pid: daemon.child.pid ?? 0, stop };
    } catch (err) {
      const tail = daemon.logTail();
      await stop();
      lastFailure = `${err instanceof Error ? err.message : String(err)}\n--- mosquitto.log ---\n${tail}`;
      if (!/address already in use/i.test(tail)) break;
    }
  }
  throw new Error(`could not start mosquitto: ${lastFailure}`);
}
