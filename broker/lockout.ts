/**
 * MQTT password guessing (README.md "Login failures"): failures are counted per username and per
 * client address over a window. After `delayAfter` failures each further attempt waits longer
 * (250 ms doubling up to 8 s) before its password is checked; after `banAfter` failures the key is
 * banned for `banMs` and refused without a check. An address that logged in as a user before keeps
 * that user's login (a guessing stranger cannot lock a real device out of its own account).
 * Failures are logged as one summary line per interval, not one line per try.
 */
import type { Logger } from '../gateway/core/log.js';

export interface LockoutOptions {
  delayAfter: number;
  banAfter: number;
  banMs: number;
  /** Failures older than this are forgotten. */
  windowMs?: number;
}

interface Entry {
  failures: number;
  last: number;
  bannedUntil: number;
}

const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 8000;

export class LoginLockout {
  private readonly entries = new Map<string, Entry>();
  private readonly known = new Set<string>();
  private readonly windowMs: number;

  constructor(private readonly opts: LockoutOptions, private readonly now: () => number = Date.now) {
    this.windowMs = opts.windowMs ?? Math.max(opts.banMs, 15 * 60_000);
  }

  /** Before a password check: `banned`, or how long to wait first. */
  check(username: string, addr: string): { banned: boolean; delayMs: number } {
    const keys = this.keysFor(username, addr);
    let worst = 0;
    for (const k of keys) {
      const e = this.entry(k);
      if (e && e.bannedUntil > this.now()) return { banned: true, delayMs: 0 };
      worst = Math.max(worst, e?.failures ?? 0);
    }
    const over = worst - this.opts.delayAfter;
    return { banned: false, delayMs: over < 0 ? 0 : Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** over) };
  }

  /** Records a failure; returns the keys that became banned by it. */
  fail(username: string, addr: string): string[] {
    const now = this.now();
    const banned: string[] = [];
    for (const k of this.keysFor(username, addr)) {
      const e = this.entry(k) ?? { failures: 0, last: now, bannedUntil: 0 };
      e.failures++;
      e.last = now;
      if (e.failures >= this.opts.banAfter && e.bannedUntil <= now) {
        e.bannedUntil = now + this.opts.banMs;
        banned.push(k);
      }
      this.entries.set(k, e);
    }
    return banned;
  }

  succeed(username: string, addr: string): void {
    this.entries.delete(`addr ${addr}`);
    this.known.add(`${username}@${addr}`);
  }

  /** The username's own count does not bind an address that logged in as that user before. */
  private keysFor(username: string, addr: string): string[] {
    return this.known.has(`${username}@${addr}`) ? [`addr ${addr}`] : [`user ${username}`, `addr ${addr}`];
  }

  private entry(k: string): Entry | undefined {
    const e = this.entries.get(k);
    if (e && e.bannedUntil <= this.now() && this.now() - e.last > this.windowMs) {
      this.entries.delete(k);
      return undefined;
    }
    return e;
  }
}

/** Counts refused logins and writes one summary line per `intervalMs` (and one per new ban). */
export class FailureLog {
  private count = 0;
  private readonly addrs = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly log: Logger, intervalMs = 60_000) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Usernames are never logged here: one may be a password typed into the wrong field. */
  failed(addr: string): void {
    if (this.count === 0) this.log.warn({ addr }, 'MQTT login refused (further refusals are summarised)');
    this.count++;
    this.addrs.set(addr, (this.addrs.get(addr) ?? 0) + 1);
  }

  banned(keys: string[], banMs: number): void {
    // Keys are "addr <ip>" or "user <name>"; a user key is logged only as a count (it may be a password).
    const addrs = keys.filter((k) => k.startsWith('addr ')).map((k) => k.slice(5));
    this.log.warn({ addrs, users: keys.length - addrs.length, banSeconds: banMs / 1000 }, 'MQTT logins banned for repeated failures');
  }

  flush(): void {
    if (this.count <= 1) {
      this.count = 0;
      this.addrs.clear();
      return;
    }
    this.log.warn({ refused: this.count, byAddress: Object.fromEntries([...this.addrs].slice(0, 20)) }, 'MQTT logins refused since the last summary');
    this.count = 0;
    this.addrs.clear();
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
