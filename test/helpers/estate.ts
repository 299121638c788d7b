/**
 * One estate for the head-office tests: the real gateway (`gateway/main.ts`) as a child process,
 * with fire panels over MQTT (a fault is one publish away, with no on-delay), embedded storage in
 * a temp folder, a dispatcher account for the REST API, and an uplink to the NATS cluster. The
 * uplink's servers can be TCP relays (test/helpers/tcp-proxy.ts) so a test can cut it for real.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as mqttConnect, type MqttClient } from 'mqtt';
import { hashPassword } from '../../gateway/auth/password.js';
import { freePort } from '../../tools/ports.js';

export interface EstateOptions {
  site: string;
  code: string;
  panels: number;
  mqttUrl: string;
  nats: { servers: string[]; user: string; password: string };
  /** Passed to `uplink.backlogAlarm`. */
  backlogAlarm?: number;
}

export interface RunningEstate {
  site: string;
  url: string;
  dataDir: string;
  panels: string[];
  /** Publish one fire-panel message (`ts` = now, increasing). */
  publish(panel: string, payload: Record<string, unknown>): Promise<void>;
  /** Authenticated call to the estate's API. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  output(): string;
  stop(): Promise<void>;
  /** Start again on the same data folder and port. */
  restart(): Promise<void>;
}

const PASSWORD = 'estate-desk-password';
let lastTs = 0;

export async function startEstate(o: EstateOptions): Promise<RunningEstate> {
  const dataDir = mkdtempSync(join(tmpdir(), `estate-${o.site}-`));
  const port = await freePort();
  const panels = Array.from({ length: o.panels }, (_, i) => `fire-${i + 1}`);
  const hash = await hashPassword(PASSWORD);
  const config = {
    site: { id: o.site, name: `${o.site} estate`, code: o.code, url: `http://127.0.0.1:${port}` },
    dataDir, http: { host: '127.0.0.1', port },
    devices: panels.map((id) => ({
      id, type: 'fire_panel', protocol: 'mqtt',
      connection: { url: o.mqttUrl, topic: `estate/${o.site}/${id}`, qos: 1, clientId: `gw-${o.site}-${id}` },
      points: [{ name: 'fire_alarm', path: 'fire_alarm' }, { name: 'trouble', path: 'trouble' }, { name: 'supervisory', path: 'supervisory' }],
      staleAfter: 3600,
    })),
    users: [{ username: 'desk', passwordHash: hash, role: 'admin' }],
    uplink: {
      servers: o.nats.servers, user: o.nats.user, password: o.nats.password, discover: false,
      statusEverySeconds: 30, ...(o.backlogAlarm ? { backlogAlarm: o.backlogAlarm } : {}),
    },
  };
  const file = join(dataDir, 'site.json');
  writeFileSync(file, JSON.stringify(config, null, 2));

  let proc: ChildProcess | null = null;
  let out = '';
  let token = '';
  const url = `http://127.0.0.1:${port}`;
  const mqtt: MqttClient = mqttConnect(o.mqttUrl, { clientId: `test-pub-${o.site}-${process.pid}` });
  await new Promise<void>((resolve, reject) => mqtt.once('connect', () => resolve()).once('error', reject));

  const launch = () => new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts', '--config', file], {
      env: { ...process.env, LOG_LEVEL: process.env.ESTATE_LOG_LEVEL ?? 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc = p;
    // Only this process's output says it listens (`out` still holds the previous run's).
    let own = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.length > 200_000) out = out.slice(-100_000);
      if (own.length < 100_000) own += d.toString();
      if (own.includes(`gateway listening on`)) { p.stdout!.off('data', ready); resolve(); }
    };
    const ready = () => undefined;
    p.stdout!.on('data', onData).on('data', ready);
    p.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    p.once('exit', (code) => reject(new Error(`estate ${o.site} exited with ${code}:\n${out.slice(-4000)}`)));
  });
  const killOnExit = () => proc?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const login = async () => {
    const r = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'desk', password: PASSWORD }) });
    token = ((await r.json()) as { token: string }).token;
  };

  await launch();
  await login();

  const stop = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 8000);
    await gone;
    clearTimeout(t);
  };

  return {
    site: o.site, url, dataDir, panels,
    async publish(panel, payload) {
      const ts = Math.max(Date.now(), lastTs + 1);
      lastTs = ts;
      await mqtt.publishAsync(`estate/${o.site}/${panel}`, JSON.stringify({ ts, ...payload }), { qos: 1 });
    },
    async api<T>(method: string, path: string, body?: unknown) {
      const r = await fetch(`${url}${path}`, {
        method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: r.status, body: (await r.json().catch(() => null)) as T };
    },
    output: () => out,
    async stop() {
      await stop();
      process.removeListener('exit', killOnExit);
      await mqtt.endAsync();
    },
    async restart() {
      await stop();
      await launch();
      await login();
    },
  };
}
