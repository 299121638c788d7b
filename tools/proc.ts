/**
 * Run a foreign daemon (influxd, mosquitto) for a test: output goes to a log file in its temp
 * dir, a stop sends SIGTERM then SIGKILL, and the daemon is killed if the test process exits
 * without stopping it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface Daemon {
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** True once the process has ended. */
  hasExited(): boolean;
  /** Last `bytes` of the log file, for error messages. */
  logTail(bytes?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnDaemon(cmd: string, args: string[], opts: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string }): Daemon {
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: opts.env ?? process.env, cwd: opts.cwd });
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
  const killOnExit = () => {
    if (!ended) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  exited.then(() => process.removeListener('exit', killOnExit), () => undefined);

  const logTail = (bytes = 4000) => {
    try {
      const text = readFileSync(opts.logFile, 'utf8');
      return text.length > bytes ? `...${text.slice(-bytes)}` : text;
    } catch {
      return '';
    }
  };

  const stop = async (graceMs = 5000) => {
    if (ended) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (!ended) child.kill('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([exited, killed]);
    clearTimeout(timer);
    await exited;
  };

  return { child, logFile: opts.logFile, exited, hasExited: () => ended, logTail, stop };
}
