/**
 * Child processes with their output in a log file: `spawnLogged()` opens the log for the spawn
 * only, and tells when the process has ended and what its log says last. `spawnDaemon()` runs a
 * foreign daemon (influxd, mosquitto) for a test on top of it: it is ready when its probe says so
 * (or failed when it exits first), a stop sends SIGTERM then SIGKILL, and the daemon is killed if
 * the test process exits without stopping it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { waitFor, type WaitOptions } from './wait.js';

export interface LoggedProcess {
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** True once the process has ended. */
  hasExited(): boolean;
  /** Last `bytes` of the log file, for error messages. */
  logTail(bytes?: number): string;
}

export interface LoggedSpawnOptions {
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Open an IPC channel (`child.send`, `message` events) beside the output. */
  ipc?: boolean;
}

/** Start `cmd` with stdout and stderr appended to `opts.logFile`. */
export function spawnLogged(cmd: string, args: string[], opts: LoggedSpawnOptions): LoggedProcess {
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, { stdio: opts.ipc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd], env: opts.env ?? process.env, cwd: opts.cwd });
  } finally {
    closeSync(fd);
  }
  let ended = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      ended = true;
      resolve(`spawn error: ${err.message}`);
    });
  });
  const logTail = (bytes = 4000) => {
    try {
      const text = readFileSync(opts.logFile, 'utf8');
      return text.length > bytes ? `...${text.slice(-bytes)}` : text;
    } catch {
      return '';
    }
  };
  return { child, logFile: opts.logFile, exited, hasExited: () => ended, logTail };
}

export interface Daemon extends LoggedProcess {
  /**
   * Resolves once `probe` says the daemon serves (polled with waitFor); rejects at once when the
   * daemon exits first, and when `wait.timeout` passes.
   */
  ready(probe: () => Promise<boolean>, wait: WaitOptions): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface DaemonOptions {
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** How errors name the daemon (default: the command's file name). */
  name?: string;
}

export function spawnDaemon(cmd: string, args: string[], opts: DaemonOptions): Daemon {
  const p = spawnLogged(cmd, args, opts);
  const { child, exited } = p;
  const killOnExit = () => {
    if (!p.hasExited()) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  exited.then(() => process.removeListener('exit', killOnExit), () => undefined);

  const stop = async (graceMs = 5000) => {
    if (p.hasExited()) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (!p.hasExited()) child.kill('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([exited, killed]);
    clearTimeout(timer);
    await exited;
  };

  const ready = async (probe: () => Promise<boolean>, wait: WaitOptions) => {
    await waitFor(async () => p.hasExited() || probe(), wait);
    if (p.hasExited()) throw new Error(`${opts.name ?? basename(cmd)} exited early (${await exited})`);
  };

  return { ...p, ready, stop };
}
