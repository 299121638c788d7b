/**
 * Child processes of the bench: TypeScript children run with `node --import tsx` and an IPC
 * channel (request/answer messages), plain commands (Node-RED, npm) with their output in a log
 * file. Every child is registered and killed if the bench exits, is interrupted or fails.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnLogged, type LoggedProcess } from '../../tools/proc.js';

const live = new Set<ChildProcess>();
let hooked = false;
const interruptHooks: Array<() => Promise<void>> = [];

/** Run `fn` (bounded to 10 s) when the bench is interrupted, before the children are killed. */
export function onInterrupt(fn: () => Promise<void>): void {
  interruptHooks.push(fn);
  hookExit();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping children\n`);
      const deadline = new Promise<void>((r) => setTimeout(r, 10_000).unref());
      void Promise.race([Promise.allSettled(interruptHooks.map((h) => h())), deadline]).finally(() => {
        killAll();
        process.exit(130);
      });
    });
  }
}

export interface ChildMessage {
  type: string;
  [key: string]: unknown;
}

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<number | string>;
  /** Next message of this type (messages that arrived earlier and were not taken count too). */
  next(type: string, timeoutMs?: number): Promise<ChildMessage>;
  /** Send `{type, ...}` and wait for the answer of the same type. */
  request(type: string, extra?: Record<string, unknown>, timeoutMs?: number): Promise<ChildMessage>;
  send(msg: ChildMessage): void;
  logTail(bytes?: number): string;
  /** `stop` message (graceful), then SIGTERM, then SIGKILL. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Extra node flags, for example `--cpu-prof`. */
  execArgv?: string[];
  args?: string[];
}

function track(name: string, p: LoggedProcess, ipc: boolean): Child {
  const { child: proc, logFile, exited } = p;
  live.add(proc);
  hookExit();
  void exited.then(() => live.delete(proc));
  const inbox: ChildMessage[] = [];
  const waiting: Array<{ type: string; resolve: (m: ChildMessage) => void }> = [];
  if (ipc) {
    proc.on('message', (raw) => {
      const m = raw as ChildMessage;
      const w = waiting.findIndex((x) => x.type === m.type);
      if (w >= 0) waiting.splice(w, 1)[0]!.resolve(m);
      else inbox.push(m);
    });
  }
  const logTail = (bytes = 3000) => p.logTail(bytes);
  const next = (type: string, timeoutMs = 60_000) =>
    new Promise<ChildMessage>((resolve, reject) => {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return resolve(inbox.splice(i, 1)[0]!);
      if (p.hasExited()) return reject(new Error(`${name} has exited; waited for '${type}'\n${logTail()}`));
      const entry = { type, resolve: (m: ChildMessage) => { clearTimeout(timer); resolve(m); } };
      const timer = setTimeout(() => {
        const k = waiting.indexOf(entry);
        if (k >= 0) waiting.splice(k, 1);
        reject(new Error(`${name}: no '${type}' message within ${timeoutMs} ms\n${logTail()}`));
      }, timeoutMs);
      waiting.push(entry);
      void exited.then(() => {
        const k = waiting.indexOf(entry);
        if (k >= 0) {
          waiting.splice(k, 1);
          clearTimeout(timer);
          reject(new Error(`${name} exited while waiting for '${type}'\n${logTail()}`));
        }
      });
    });
  const send = (msg: ChildMessage) => {
    if (!p.hasExited() && proc.connected) proc.send(msg);
  };
  const request = (type: string, extra: Record<string, unknown> = {}, timeoutMs = 30_000) => {
    const p = next(type, timeoutMs);
    send({ type, ...extra });
    return p;
  };
  const stop = async (graceMs = 8000) => {
    if (p.hasExited()) return;
    if (ipc) send({ type: 'stop' });
    else proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
    await Promise.race([exited, grace]);
    clearTimeout(timer);
    if (!p.hasExited()) {
      proc.kill(ipc ? 'SIGTERM' : 'SIGKILL');
      const t2 = setTimeout(() => proc.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t2);
    }
  };
  return { name, proc, pid: proc.pid ?? -1, logFile, exited, next, request, send, logTail, stop };
}

const TSX_LOADER = 'tsx';

/** A TypeScript child under bench/children (or any path) with IPC. */
export function spawnTs(script: string | URL, opts: SpawnOptions): Child {
  const file = script instanceof URL ? fileURLToPath(script) : script;
  const args = [...(opts.execArgv ?? []), '--import', TSX_LOADER, file, ...(opts.args ?? [])];
  return track(opts.name, spawnLogged(process.execPath, args, { ...opts, ipc: true }), true);
}

/** Any command, output appended to the log file. */
export function spawnCmd(cmd: string, args: string[], opts: SpawnOptions): Child {
  return track(opts.name, spawnLogged(cmd, args, opts), false);
}

/** Run a command to completion; rejects on a non-zero exit with the log tail. */
export async function runCmd(cmd: string, args: string[], opts: SpawnOptions & { timeoutMs?: number }): Promise<void> {
  const c = spawnCmd(cmd, args, opts);
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
  const code = await c.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}\n${c.logTail(2000)}`);
}

// --- the child side ------------------------------------------------------------------------

/** In a child: send a message to the bench. */
export function toParent(msg: ChildMessage): void {
  process.send?.(msg);
}

/**
 * In a child: answer requests from the bench. The handler returns the answer's fields; `stop`
 * runs `onStop` then exits. The child also exits when the bench goes away.
 */
export function serveParent(handlers: Record<string, (m: ChildMessage) => unknown>, onStop: () => Promise<void>): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 6000);
    force.unref();
    try {
      await onStop();
    } finally {
      process.exit(0);
    }
  };
  process.on('message', (raw) => {
    const m = raw as ChildMessage;
    if (m.type === 'stop') return void stop();
    const h = handlers[m.type];
    if (!h) return;
    Promise.resolve()
      .then(() => h(m))
      .then(
        (answer) => toParent({ ...(answer as object), type: m.type }),
        (err: unknown) => toParent({ type: m.type, error: err instanceof Error ? err.message : String(err) }),
      );
  });
  process.on('disconnect', () => void stop());
  process.once('SIGTERM', () => void stop());
}
