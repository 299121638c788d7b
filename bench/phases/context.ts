/**
 * What every phase of `npm run bench` shares: the temp folder and logs, influxd, notes and
 * errors, and how a child (gateway, publisher, counter, broker) is started.
 */
import { join, resolve } from 'node:path';
import type { InfluxdHandle } from '../../tools/influxd.js';
import { createDatabase } from '../lib/influx.js';
import { spawnTs, type Child } from '../lib/proc.js';
import { sleep } from '../lib/stats.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');

/** A broker the bench feeds: its url and the pid whose CPU counts as the broker's. */
export interface BrokerPath {
  url: string;
  pid: number;
  name: string;
}

export interface GatewayChild {
  child: Child;
  url: string;
}

export class BenchContext {
  readonly notes: string[] = [];
  readonly errors: Record<string, string> = {};
  influxd: InfluxdHandle | undefined;

  constructor(
    readonly tmp: string,
    readonly logDir: string,
    /** `--cpu-prof` folder for the gateway children, or null. */
    readonly profileDir: string | null,
  ) {}

  say(msg: string): void {
    process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
  }

  log(name: string): string {
    return join(this.logDir, `${name}.log`);
  }

  get influx(): InfluxdHandle {
    if (!this.influxd) throw new Error('influxd is not running');
    return this.influxd;
  }

  child(script: string, name: string, opts: { env?: Record<string, string>; args?: string[]; profile?: boolean } = {}): Child {
    const execArgv = opts.profile && this.profileDir ? ['--cpu-prof', '--cpu-prof-dir', join(this.profileDir, name)] : [];
    return spawnTs(join(ROOT, 'bench', 'children', script), {
      name,
      logFile: this.log(name),
      cwd: ROOT,
      env: { ...process.env, ...opts.env },
      execArgv,
      args: opts.args ?? [],
    });
  }

  /** A publisher child (bench/children/publisher.ts) on `brokerUrl`, ready to `go`. */
  async publisher(name: string, brokerUrl: string, args: Record<string, unknown>): Promise<Child> {
    const p = this.child('publisher.ts', name, { env: { BENCH_ARGS: JSON.stringify({ url: brokerUrl, ...args }) } });
    await p.next('ready', 30_000);
    return p;
  }

  /** A gateway child (`script`: gateway.ts, or embedded.ts with its broker) writing into database `db`. */
  async gateway(name: string, config: string, db: string, script = 'gateway.ts', env: Record<string, string> = {}): Promise<GatewayChild> {
    await createDatabase(this.influx.url, db);
    const c = this.child(script, name, { args: [config], env: { GW_INFLUX_URL: `${this.influx.url}/${db}`, ...env }, profile: true });
    const ready = await c.next('ready', 90_000);
    return { child: c, url: String(ready.url) };
  }
}

/** Wait until the gateway's MQTT link has subscribed (device status reason), at most `ms`. */
export async function waitSubscribed(gw: GatewayChild, device: string, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const s = await gw.child.request('device', { id: device }).catch(() => undefined);
    const view = s?.view as { comm?: string; commReason?: string } | null | undefined;
    if (s?.comm === 'online' || /subscribed|in-process/.test(view?.commReason ?? '')) return true;
    await sleep(100);
  }
  return false;
}
