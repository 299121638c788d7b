/**
 * Test helpers shared by the connector tests (free ports and `waitFor` come from tools/): a
 * recording ConnectorContext, and child processes (pymodbus, mosquitto) that are
 * started until they say they are ready and killed for sure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { ConnectorContext } from '../../gateway/core/connector.js';
import type { Logger } from '../../gateway/core/log.js';
import type { CommStatus, Reading } from '../../gateway/core/reading.js';
import type { Truthy } from '../../tools/wait.js';

/** Logger for tests: silent unless TEST_LOG_LEVEL is set (debug, info...). */
export function testLogger(name = 'test'): Logger {
  return pino({ name, level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

export interface StatusEvent {
  device: string;
  status: CommStatus;
  reason?: string;
  at: number;
}

/** A ConnectorContext that records everything a connector reports. */
export class Recorder {
  readonly batches: Reading[][] = [];
  readonly statuses: StatusEvent[] = [];
  readonly ctx: ConnectorContext;
  private readonly waiters = new Set<() => void>();

  constructor(dataDir = tmpdir(), log: Logger = testLogger()) {
    this.ctx = {
      emit: (readings) => {
        this.batches.push(readings);
        this.wake();
      },
      status: (device, status, reason) => {
        this.statuses.push({ device, status, ...(reason !== undefined ? { reason } : {}), at: Date.now() });
        this.wake();
      },
      log,
      dataDir,
    };
  }

  get readings(): Reading[] {
    return this.batches.flat();
  }

  /** Latest reading of a point, optionally only among those that arrived after `since` (index into readings). */
  latest(device: string, point: string, since = 0): Reading | undefined {
    const all = this.readings;
    for (let i = all.length - 1; i >= since; i--) {
      const r = all[i]!;
      if (r.device === device && r.point === point) return r;
    }
    return undefined;
  }

  /** Latest comm status reported for a device. */
  status(device: string): StatusEvent | undefined {
    for (let i = this.statuses.length - 1; i >= 0; i--) if (this.statuses[i]!.device === device) return this.statuses[i];
    return undefined;
  }

  /**
   * Resolves with `probe`'s first truthy value, checked now and after every reading batch and status
   * the connector reports: it waits on the connector's events, not on a clock that load can outrun
   * (the test's own timeout bounds it).
   */
  until<T>(probe: () => T): Promise<Truthy<T>> {
    return new Promise((resolve) => {
      const check = () => {
        const v = probe();
        if (!v) return;
        this.waiters.delete(check);
        resolve(v as Truthy<T>);
      };
      this.waiters.add(check);
      check();
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** A mark to pass as `since` to `latest`: only readings that arrive from now on count. */
  mark(): number {
    return this.readings.length;
  }
}

/**
 * Spawns a process and resolves once a line of its stdout/stderr matches `ready`.
 * Rejects (and kills it) when it exits first or the deadline passes.
 */
export function startProcess(
  command: string,
  args: string[],
  ready: RegExp,
  opts: { timeout?: number; cwd?: string } = {},
): Promise<ChildProcess> {
  const { timeout = 15_000 } = opts;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} not ready within ${timeout} ms; output:\n${output}`));
    }, timeout);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code ?? signal}) before it was ready; output:\n${output}`));
    });
  });
}

/** Kills a child process and resolves once it has exited. */
export function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** A fresh temporary folder; `remove()` deletes it. */
export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * A TCP server on `port` that accepts connections and never says a word: the worst kind of peer
 * (a hung PLC, a half-dead broker). `close()` drops every connection.
 */
export async function silentServer(port: number): Promise<{ accepted: () => number; close: () => Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  let accepted = 0;
  const srv = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

/** Measures how long `fn` takes, in ms. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}
