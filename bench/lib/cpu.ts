/**
 * CPU time and memory of another process, read from /proc (Linux): utime + stime of
 * /proc/<pid>/stat (clock ticks, converted to µs) and VmRSS of /proc/<pid>/status.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** `getconf CLK_TCK` (100 on every common Linux), read once. */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime (+ cutime + cstime with `reaped`: children it has waited for) of `pid`, µs; 0 when it is gone. */
export function pidCpuUs(pid: number, reaped = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    // Fields after the name start at field 3 (state); utime, stime, cutime, cstime are fields 14-17.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const t = Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0);
    return (t * 1e6) / clockTicks();
  } catch {
    return 0;
  }
}

/** Pids whose parent is `ppid`. */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === ppid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU µs of `pid` with its children: the live ones and those it has reaped. */
export function cpuTimeUs(pid: number): number {
  return pidCpuUs(pid, true) + childrenOf(pid).reduce((s, c) => s + pidCpuUs(c), 0);
}

/** Resident set size of `pid` in MB (VmRSS). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU used by `pid` and its children between `start()` and `read()`, with wall time: µs, and cores on average. */
export class CpuWindow {
  private cpu0 = 0;
  private wall0 = 0;
  constructor(readonly pid: number) {}

  start(): this {
    this.cpu0 = cpuTimeUs(this.pid);
    this.wall0 = performance.now();
    return this;
  }

  /** CPU µs and wall ms since start(). */
  read(): { cpuUs: number; wallMs: number; cores: number } {
    const cpuUs = cpuTimeUs(this.pid) - this.cpu0;
    const wallMs = performance.now() - this.wall0;
    return { cpuUs, wallMs, cores: wallMs > 0 ? cpuUs / 1000 / wallMs : 0 };
  }
}

/** Samples RSS every `intervalMs` and keeps the peak and the last value. */
export class RssSampler {
  peakMb = 0;
  lastMb = 0;
  samples = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(readonly pid: number, private readonly intervalMs = 1000) {}

  start(): this {
    const sample = () => {
      try {
        this.lastMb = rssMb(this.pid);
        this.peakMb = Math.max(this.peakMb, this.lastMb);
        this.samples++;
      } catch {
        // process gone
      }
    };
    sample();
    this.timer = setInterval(sample, this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
