/**
 * Fault tests (issue 9, item 4) against real sockets: the site broker with its accounts, the
 * gateway listening on HTTP, a real MQTT device client and real HTTP clients.
 *  - 10,000 malformed MQTT payloads on the fire panel's topic → no crash, each one counted
 *  - 10,000 malformed API bodies → coded 4xx, never a 5xx or a stack, each one counted
 *  - broker restart → the gateway and the device reconnect and resubscribe; data flows again
 *  - unwritable data folder → `gateway/main.ts` exits 2 with GW_ERR_DATA_DIR, no stack trace
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/index.js';
import { startGateway, type RunningGateway } from '../../gateway/app.js';
import { hashPassword } from '../../gateway/auth/password.js';
import { loadConfig } from '../../gateway/site/load.js';
import { createLogger } from '../../gateway/core/log.js';
import type { DeviceView } from '../../gateway/core/model.js';
import { freePort } from '../../tools/ports.js';
import { waitFor } from '../../tools/wait.js';

const N = 10_000;
const TOPIC = 'site/demo/fire_panel/fire-1/telemetry';
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'gw-faults-'));
const configFile = join(dir, 'site.yaml');
let brokerPort: number;
let broker: RunningBroker;
let gw: RunningGateway;
let device: MqttClient;
let token = '';
let brokerUsers: { username: string; role: 'gateway' | 'device'; device?: string; passwordHash: string }[];

const startSiteBroker = () =>
  startBroker({ port: brokerPort, host: '127.0.0.1', log, site: 'demo', deviceTypes: { 'fire-1': 'fire_panel' }, config: { users: brokerUsers } });

const api = async <T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T; text: string }> => {
  const res = await fetch(`${gw.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body: body as T, text };
};
/** Sum of a Prometheus metric's samples whose labels contain `match`. */
const metric = async (name: string, match = ''): Promise<number> => {
  const { text } = await api<string>('/metrics');
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(match))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
};
const fire = async () => (await api<DeviceView>('/api/devices/fire-1')).body;

beforeAll(async () => {
  brokerPort = await freePort();
  brokerUsers = [
    { username: 'gateway', role: 'gateway', passwordHash: await hashPassword('gw-pass') },
    { username: 'fire-1', role: 'device', device: 'fire-1', passwordHash: await hashPassword('fire-pass') },
  ];
  writeFileSync(
    configFile,
    `site: { id: demo, name: Fault tests }
dataDir: \${GW_DATA_DIR}
http: { host: 127.0.0.1, port: 0 }
devices:
  - id: fire-1
    type: fire_panel
    protocol: mqtt
    connection: { url: "mqtt://127.0.0.1:${brokerPort}", topic: ${TOPIC}, qos: 1, username: gateway, password: gw-pass, reconnectPeriod: 200 }
    points:
      - { name: fire_alarm, path: fire_alarm }
      - { name: trouble, path: trouble }
      - { name: battery_voltage, path: power.battery_v, unit: V }
users:
  - { username: admin, role: admin, passwordHash: "${await hashPassword('admin-pass')}" }
`,
  );
  broker = await startSiteBroker();
  gw = await startGateway(loadConfig(configFile, { GW_DATA_DIR: join(dir, 'data') }), { log });
  token = (await (await fetch(`${gw.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin-pass' }) })).json() as { token: string }).token;
  device = await connectAsync(`mqtt://fire-1:fire-pass@127.0.0.1:${brokerPort}`, { reconnectPeriod: 200, clientId: 'fault-test-fire-1' });
  await device.subscribeAsync('site/demo/fire_panel/fire-1/command', { qos: 1 });
  await waitFor(async () => {
    await device.publishAsync(TOPIC, JSON.stringify({ fire_alarm: false, trouble: false, power: { battery_v: 27.2 } }), { qos: 1 });
    return (await fire()).comm === 'online';
  }, { timeout: 15_000, interval: 300, what: 'fire-1 online through the broker' });
});
afterAll(async () => {
  device?.end(true);
  await gw?.stop();
  await broker?.stop();
});

const MALFORMED_MQTT: ((i: number) => string | Buffer)[] = [
  (i) => `not json ${i}`,
  () => '{"fire_alarm": tru',
  () => '[1,2,3]',
  () => 'null',
  () => '"a string"',
  () => JSON.stringify({ fire_alarm: { nested: true }, trouble: [1], power: 'none' }),
  () => JSON.stringify({ ts: 'yesterday', fire_alarm: false, trouble: false, power: { battery_v: 27 } }),
  () => JSON.stringify({ unrelated: 1 }),
  (i) => Buffer.from([0xff, 0xfe, 0x00, i & 0xff]),
  () => '{'.repeat(2000),
  () => '',
];

const MALFORMED_BODIES: { path: string; body: string; type?: string }[] = [
  { path: '/api/work-orders', body: '{"fault":' },
  { path: '/api/work-orders', body: '{}' },
  { path: '/api/work-orders', body: JSON.stringify({ fault: 'Bad Name!', category: 'water', title: 'x' }) },
  { path: '/api/work-orders', body: JSON.stringify({ fault: 'x', category: 'lava', title: 'x' }) },
  { path: '/api/work-orders', body: JSON.stringify({ fault: 'x', category: 'water', title: 'x', admin: true }) },
  { path: '/api/work-orders', body: JSON.stringify({ fault: 'x', category: 'water', title: 'y'.repeat(5000) }) },
  { path: '/api/work-orders', body: '[]' },
  { path: '/api/work-orders', body: 'null' },
  { path: '/api/work-orders', body: 'fault=x', type: 'application/x-www-form-urlencoded' },
  { path: '/api/work-orders/WO-1/transition', body: JSON.stringify({ to: 'teleported' }) },
  { path: '/api/work-orders/WO-1/transition', body: JSON.stringify({ to: 42 }) },
  { path: '/api/alarms/a-1/ack', body: JSON.stringify({ comment: 1234 }) },
  { path: '/api/alarms/a-1/ack', body: '\u0000\u0001garbage' },
];

describe('fault tolerance', () => {
  it(`counts ${N} malformed MQTT payloads on the fire panel topic without crashing`, async () => {
    const before = await metric('gw_connector_malformed_total', 'device="fire-1"');
    await Promise.all(Array.from({ length: N }, (_, i) => device.publishAsync(TOPIC, MALFORMED_MQTT[i % MALFORMED_MQTT.length]!(i), { qos: 1 })));
    await waitFor(async () => (await metric('gw_connector_malformed_total', 'device="fire-1"')) - before >= N, { timeout: 30_000, interval: 250, what: `${N} malformed payloads counted` });
    expect((await metric('gw_connector_malformed_total', 'device="fire-1"')) - before).toBe(N);
    // Still alive and still reading good data.
    await device.publishAsync(TOPIC, JSON.stringify({ fire_alarm: false, trouble: false, power: { battery_v: 26.5 } }), { qos: 1 });
    await waitFor(async () => (await fire()).points.battery_voltage?.value === 26.5, { timeout: 10_000, what: 'a good payload after the junk' });
    expect((await api<{ status: string }>('/api/health')).status).toBe(200);
  });

  it(`answers ${N} malformed API bodies with coded 4xx errors and counts them`, async () => {
    const before = await metric('gw_api_errors_total', 'status="4');
    const statuses = new Map<number, number>();
    // Plain node:http with keep-alive: the cheapest real HTTP client, so the 10,000 stay quick.
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const post = (path: string, body: string, type: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(`${gw.url}${path}`, { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': type } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    let next = 0;
    const worker = async () => {
      while (next < N) {
        const b = MALFORMED_BODIES[next++ % MALFORMED_BODIES.length]!;
        const res = await post(b.path, b.body, b.type ?? 'application/json');
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const code = (JSON.parse(res.text) as { code?: string }).code;
        if (res.status < 400 || res.status >= 500 || !code?.startsWith('GW_ERR_') || res.text.includes('    at ')) {
          throw new Error(`${b.path} ${JSON.stringify(b.body).slice(0, 60)} → ${res.status} ${res.text.slice(0, 200)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    agent.destroy();
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(N);
    expect(Math.max(...statuses.keys())).toBeLessThan(500);
    expect((await metric('gw_api_errors_total', 'status="4')) - before).toBe(N);
  }, 120_000);

  it('reconnects the gateway and the device after a broker restart and resubscribes both', async () => {
    await broker.stop();
    await waitFor(async () => (await fire()).comm !== 'online', { timeout: 10_000, what: 'fire-1 offline while the broker is down' });
    broker = await startSiteBroker();
    // The device's own subscription (command topic) is restored by its client.
    const command = new Promise<string>((resolve) => device.once('message', (_t, p) => resolve(p.toString())));
    await waitFor(async () => {
      if (!device.connected) return false;
      await device.publishAsync(TOPIC, JSON.stringify({ fire_alarm: false, trouble: false, power: { battery_v: 25.75 } }), { qos: 1 });
      const f = await fire();
      return f.comm === 'online' && f.points.battery_voltage?.value === 25.75;
    }, { timeout: 20_000, interval: 300, what: 'data through the restarted broker' });
    const gwClient = await connectAsync(`mqtt://gateway:gw-pass@127.0.0.1:${brokerPort}`, { reconnectPeriod: 0 });
    await waitFor(async () => {
      await gwClient.publishAsync('site/demo/fire_panel/fire-1/command', 'self-test', { qos: 1 });
      return Promise.race([command, new Promise<false>((r) => setTimeout(() => r(false), 200))]);
    }, { timeout: 10_000, interval: 0, what: 'a command delivered to the resubscribed device' });
    expect(await command).toBe('self-test');
    gwClient.end(true);
  });

  it('refuses to start on an unwritable data folder with GW_ERR_DATA_DIR, exit code 2 and no stack', async () => {
    const notADir = join(dir, 'a-file');
    writeFileSync(notADir, 'x');
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts', '--config', configFile], {
      env: { ...process.env, GW_DATA_DIR: join(notADir, 'data'), LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, out).toBe(2);
    expect(out).toContain('GW_ERR_DATA_DIR');
    expect(out).toContain(join(notADir, 'data'));
    expect(out).not.toMatch(/\n\s+at /);
  });
});
