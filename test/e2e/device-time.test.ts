/**
 * Device time is trusted only within bounds (docs/design.md §9), with real processes: a Mosquitto broker
 * and a node-opcua server feed a real gateway (gateway/app.ts). A fire panel whose clock is 9 min
 * fast sends one message, then a real fire alarm comes: the alarm is raised within 1 s, the fast
 * reading is stamped with its arrival time, counted and shown as a device diagnostic. A clock set
 * back by 1 h loses nothing: every reading reaches the live view and the alarm engine.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { DataType } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../gateway/app.js';
import { loadConfig } from '../../gateway/site/load.js';
import { createLogger } from '../../gateway/core/log.js';
import type { Alarm, DeviceView } from '../../gateway/core/model.js';
import { startOpcuaServer, type TestServer } from '../../gateway/connectors/opcua/fixtures/server.js';
import { freePort } from '../../tools/ports.js';
import { startMosquitto, type MosquittoHandle } from '../../tools/mosquitto.js';
import { waitFor } from '../../tools/wait.js';
import { adminAuth, ADMIN_PASSWORD_HASH } from '../helpers/admin.js';

const NINE_MIN = 9 * 60_000;
const HOUR = 3_600_000;
let mosq: MosquittoHandle;
let opc: TestServer;
let gw: Gateway;
let pub: mqtt.MqttClient;
let auth: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'gw-devtime-'));

beforeAll(async () => {
  mosq = await startMosquitto();
  const opcPort = await freePort();
  opc = await startOpcuaServer(opcPort, join(dir, 'pki'), {
    'fp-ua.fire_alarm': { dataType: DataType.Boolean, value: false },
    'fp-ua.battery_voltage': { dataType: DataType.Double, value: 27.1 },
  });
  const file = join(dir, 'site.yaml');
  writeFileSync(file, `
site: { id: devtime, name: Device time }
dataDir: ./data
users:
  - { username: admin, role: admin, passwordHash: "${ADMIN_PASSWORD_HASH}" }
devices:
  - id: fp-mqtt
    type: fire_panel
    protocol: mqtt
    connection: { url: "${mosq.url}", topic: devtime/fp-mqtt/telemetry, qos: 1, reconnectPeriod: 200 }
    points: [{ name: fire_alarm, path: fire_alarm }, { name: battery_voltage, path: battery_v }]
  - id: fp-ua
    type: fire_panel
    protocol: opcua
    connection: { endpoint: "${opc.endpoint}", samplingInterval: 50, publishingInterval: 100, reconnectDelay: 200, reconnectMaxDelay: 1000 }
    points: [{ name: fire_alarm, nodeId: "ns=1;s=fp-ua.fire_alarm" }, { name: battery_voltage, nodeId: "ns=1;s=fp-ua.battery_voltage" }]
`);
  gw = await createGateway(loadConfig(file), { log: createLogger('test', 'silent'), port: 0, host: '127.0.0.1' });
  await gw.start();
  auth = await adminAuth(gw.app);
  pub = await mqtt.connectAsync(mosq.url, { clientId: 'devtime-panel' });
  await waitFor(async () => (await get<DeviceView>('/api/devices/fp-ua')).points.fire_alarm?.quality === 'good', { timeout: 20_000, what: 'OPC UA panel online' });
  await waitFor(async () => {
    await pub.publishAsync('devtime/fp-mqtt/telemetry', JSON.stringify({ fire_alarm: false, battery_v: 27 }), { qos: 1 });
    return (await get<DeviceView>('/api/devices/fp-mqtt')).points.fire_alarm?.quality === 'good';
  }, { timeout: 20_000, what: 'MQTT panel subscribed' });
}, 60_000);

afterAll(async () => {
  await pub?.endAsync();
  await gw?.stop();
  await opc?.stop();
  await mosq?.stop();
});

const get = async <T>(url: string): Promise<T> => (await gw.app.inject({ url, headers: auth })).json<T>();
const activeFire = async (device: string) =>
  (await get<Alarm[]>(`/api/alarms?device=${device}`)).find((a) => a.fault === 'fire_alarm' && a.clearedAt === null);
const send = (body: Record<string, unknown>) => pub.publishAsync('devtime/fp-mqtt/telemetry', JSON.stringify(body), { qos: 1 });

let battery = 27;
describe.each([
  ['mqtt', 'fp-mqtt', async (fire: boolean, ts: number) => { await send({ fire_alarm: fire, battery_v: 27, ts }); },
    async (ts: number) => { await send({ fire_alarm: false, battery_v: (battery += 0.1), ts }); }],
  ['opcua', 'fp-ua', async (fire: boolean, ts: number) => { opc.set('fp-ua.fire_alarm', fire, { sourceTimestamp: new Date(ts) }); },
    async (ts: number) => { opc.set('fp-ua.battery_voltage', (battery += 0.1), { sourceTimestamp: new Date(ts) }); }],
])('device time over %s', (_protocol, device, set, status) => {
  it('raises a fire alarm within 1 s after a reading from a clock 9 min fast', async () => {
    const futureBefore = gw.pipeline.futureReadings;
    await status(Date.now() + NINE_MIN); // a panel message dated 9 min ahead
    const view = await waitFor(async () => { const d = await get<DeviceView>(`/api/devices/${device}`); return (d.clock?.futureReadings ?? 0) > 0 && d; },
      { timeout: 5000, what: 'the fast reading to arrive' });
    expect(view.clock!.lastAheadMs).toBeGreaterThan(NINE_MIN - 60_000);
    expect(view.points.battery_voltage!.ts).toBeLessThanOrEqual(Date.now()); // stamped with its arrival time
    expect(gw.pipeline.futureReadings).toBeGreaterThan(futureBefore);
    const metrics = await gw.app.inject({ url: '/metrics', headers: auth });
    expect(metrics.body).toMatch(/gw_readings_future_total\{[^}]*\} [1-9]/);

    const sent = Date.now();
    await set(true, sent);
    const alarm = await waitFor(() => activeFire(device), { timeout: 1000, interval: 20, what: 'fire alarm within 1 s' });
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(alarm.raisedAt).toBe(sent);
    await set(false, Date.now());
    await waitFor(async () => !(await activeFire(device)), { timeout: 5000, what: 'fire alarm cleared' });
  });

  it('loses nothing when the device clock is set back by 1 h', async () => {
    const base = Date.now() - HOUR;
    const raisedBefore = (await get<Alarm[]>(`/api/alarms?device=${device}`)).filter((a) => a.fault === 'fire_alarm').length;
    for (let i = 0; i < 3; i++) {
      await set(true, base + i * 2000);
      await waitFor(() => activeFire(device), { timeout: 2000, interval: 20, what: `fire alarm ${i} of the set-back clock` });
      await set(false, base + i * 2000 + 1000);
      await waitFor(async () => !(await activeFire(device)), { timeout: 2000, interval: 20, what: `clear ${i} of the set-back clock` });
    }
    const fires = (await get<Alarm[]>(`/api/alarms?device=${device}`)).filter((a) => a.fault === 'fire_alarm');
    expect(fires.length - raisedBefore).toBe(3);
    expect(fires.map((a) => a.raisedAt).filter((t) => t >= base && t < base + HOUR / 2).sort((a, b) => a - b)).toEqual([base, base + 2000, base + 4000]);
    expect((await get<DeviceView>(`/api/devices/${device}`)).comm).toBe('online');
  });
});
