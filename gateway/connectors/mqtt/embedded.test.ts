/**
 * Devices publishing into the site broker that runs in the gateway's process (broker/index.ts):
 * the connector takes the broker's authorized publishes by function call, with the device's
 * topic/payload mapping, the broker's ACLs, and a QoS 1 PUBACK that comes only once the reading
 * was handled. Devices are real mqtt.js clients over TCP.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startBroker, type RunningBroker } from '../../../broker/index.js';
import { startGateway } from '../../app.js';
import { hashPassword } from '../../auth/password.js';
import { loadConfig } from '../../site/load.js';
import type { DeviceConfig } from '../../config/schema.js';
import { Recorder, tempDir, testLogger } from '../../../test/helpers/connectors.js';
import { servedBy } from './client.js';
import { MqttConnector, mqtt } from './index.js';

const dir = tempDir('mqtt-embedded');
const TOPIC = 'site/demo/fire_panel/fire-1/telemetry';
const OTHER = 'site/demo/fire_panel/fire-2/telemetry';
let broker: RunningBroker;
let connector: MqttConnector;
const rec = new Recorder(dir.path);
/** Set by a test to make handling a reading slow (a pipeline under load). */
let handlingMs = 0;
let handledAt = 0;
const clients: MqttClient[] = [];

function devices(url: string): DeviceConfig[] {
  const connection = (topic: string) => ({ url, topic, qos: 1, username: 'gateway', password: 'gw-pass' });
  return [
    { id: 'fire-1', type: 'fire_panel', protocol: 'mqtt', connection: connection(TOPIC), points: [{ name: 'fire_alarm', path: 'fire_alarm' }, { name: 'battery_voltage', path: 'power.battery_v' }] },
    { id: 'fire-2', type: 'fire_panel', protocol: 'mqtt', connection: connection(OTHER), points: [{ name: 'fire_alarm', path: 'fire_alarm' }] },
  ];
}

const device = async (): Promise<MqttClient> => {
  const c = await connectAsync(broker.url, { username: 'fire-1', password: 'fire-pass', reconnectPeriod: 0, protocolVersion: 4 });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  broker = await startBroker({
    port: 0,
    host: '127.0.0.1',
    log: testLogger('broker'),
    site: 'demo',
    deviceTypes: { 'fire-1': 'fire_panel', 'fire-2': 'fire_panel' },
    config: {
      users: [
        { username: 'gateway', role: 'gateway', passwordHash: await hashPassword('gw-pass') },
        { username: 'fire-1', role: 'device', device: 'fire-1', passwordHash: await hashPassword('fire-pass') },
      ],
    },
  });
  const emit = rec.ctx.emit;
  const ctx = {
    ...rec.ctx,
    embeddedBroker: broker.embedded,
    emit: (readings: Parameters<typeof emit>[0]) => {
      const until = Date.now() + handlingMs;
      while (Date.now() < until); // a slow pipeline holds the event loop, as a real one would
      emit(readings);
      handledAt = Date.now();
    },
  };
  connector = mqtt.create(devices(broker.url), ctx) as MqttConnector;
  await connector.start();
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  await connector?.stop();
  await broker?.stop();
  dir.remove();
});

describe('MQTT devices on the in-process broker', () => {
  it('serves only loopback urls on the broker port in process', () => {
    expect(servedBy(broker.url, broker.embedded)).toBe(true);
    expect(servedBy(`mqtt://localhost:${broker.port}`, broker.embedded)).toBe(true);
    expect(servedBy(`mqtt://127.0.0.1:${broker.port + 1}`, broker.embedded)).toBe(false);
    expect(servedBy(`mqtt://10.0.0.5:${broker.port}`, broker.embedded)).toBe(false);
    // no gateway client logged in: the connector took no TCP connection
    expect(broker.stats().connections).toBe(0);
  });

  it('turns a device publish into readings through the device mapping, without a client of its own', async () => {
    expect(rec.status('fire-1')).toMatchObject({ status: 'connecting' });
    const d = await device();
    await d.publishAsync(TOPIC, JSON.stringify({ fire_alarm: true, power: { battery_v: 27.1 }, ts: 1_700_000_000_000 }), { qos: 0 });
    const batch = await rec.until(() => rec.batches.find((b) => b[0]?.device === 'fire-1'));
    expect(batch).toEqual([
      { device: 'fire-1', point: 'fire_alarm', value: true, quality: 'good', ts: 1_700_000_000_000 },
      { device: 'fire-1', point: 'battery_voltage', value: 27.1, quality: 'good', ts: 1_700_000_000_000 },
    ]);
    expect(rec.status('fire-1')?.status).toBe('online');
    expect(broker.stats().connections).toBe(1); // the device only
  });

  it('ingests nothing the ACL refuses: a device publishing as another is cut off', async () => {
    const d = await device();
    const closed = new Promise<void>((resolve) => d.once('close', () => resolve()));
    d.publish(OTHER, JSON.stringify({ fire_alarm: true }), { qos: 1 });
    await closed;
    expect(broker.stats().publishDenied).toBe(1);
    expect(connector.stats().devices['fire-2']!.messages).toBe(0);
    expect(rec.readings.some((r) => r.device === 'fire-2')).toBe(false);
  });

  it('acknowledges a QoS 1 publish only after the reading was handled', async () => {
    // The device runs in its own process, so it sees the PUBACK the moment the broker writes it,
    // even while handling holds this process's event loop; it prints when that was.
    const script = `
      const mqtt = require('mqtt');
      const c = mqtt.connect(process.argv[1], { username: 'fire-1', password: 'fire-pass', reconnectPeriod: 0 });
      c.on('connect', () => c.publish(process.argv[2], '{"fire_alarm":false,"power":{"battery_v":26.5}}', { qos: 1 }, (err) => {
        console.log(JSON.stringify({ err: err ? err.message : null, pubackAt: Date.now() }));
        c.end();
      }));`;
    handlingMs = 400;
    const child = spawn(process.execPath, ['-e', script, broker.url, TOPIC], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));
    handlingMs = 0;
    const { err, pubackAt } = JSON.parse(out) as { err: string | null; pubackAt: number };
    expect(err).toBeNull();
    expect(rec.latest('fire-1', 'battery_voltage')?.value).toBe(26.5);
    // handling ended before the device got its PUBACK (a PUBACK written first arrives ~400 ms early)
    expect(pubackAt).toBeGreaterThanOrEqual(handledAt);
  });

  it('counts malformed payloads and keeps ingesting', async () => {
    const before = connector.stats().devices['fire-1']!;
    const d = await device();
    await d.publishAsync(TOPIC, 'not json', { qos: 1 });
    await d.publishAsync(TOPIC, '[1,2]', { qos: 1 });
    await d.publishAsync(TOPIC, JSON.stringify({ fire_alarm: true, power: { battery_v: 25.9 } }), { qos: 1 });
    // QoS 1 acknowledged means handled: no waiting needed
    const after = connector.stats().devices['fire-1']!;
    expect(after.malformed).toBe(before.malformed + 2);
    expect(after.messages).toBe(before.messages + 3);
    expect(rec.latest('fire-1', 'battery_voltage')?.value).toBe(25.9);
    expect(d.connected).toBe(true);
  });
});

describe('the gateway with the site broker in its process', () => {
  it('stores a device publish in the history, through the pipeline, and reports the broker in /metrics', async () => {
    const data = tempDir('mqtt-embedded-gw');
    const site = await startBroker({
      port: 0, host: '127.0.0.1', log: testLogger('broker'), site: 'demo', deviceTypes: { 'meter-1': 'power' },
      config: { users: [{ username: 'meter-1', role: 'device', device: 'meter-1', passwordHash: await hashPassword('meter-pass') }] },
    });
    const file = join(data.path, 'site.yaml');
    writeFileSync(file, stringify({
      site: { id: 'demo', name: 'Embedded broker test' },
      dataDir: join(data.path, 'data'),
      http: { host: '127.0.0.1', port: 0 },
      auth: { metrics: 'public' },
      devices: [{
        id: 'meter-1', type: 'power', protocol: 'mqtt',
        connection: { url: site.url, topic: 'site/demo/power/meter-1/telemetry', qos: 1 },
        points: [{ name: 'voltage_l1', path: 'v', unit: 'V' }],
      }],
    }));
    const gw = await startGateway(loadConfig(file), { log: testLogger('gateway'), port: 0, host: '127.0.0.1', embeddedBroker: site.embedded });
    try {
      const meter = await connectAsync(site.url, { username: 'meter-1', password: 'meter-pass', reconnectPeriod: 0 });
      clients.push(meter);
      const ts = Date.now() - 1000;
      await meter.publishAsync('site/demo/power/meter-1/telemetry', JSON.stringify({ v: 231.4, ts }), { qos: 1 });
            expect(gw.history.backend).toBe('embedded');
      await gw.history.flush();
      const samples = await gw.history.query({ device: 'meter-1', point: 'voltage_l1', from: ts - 1, to: ts + 1 });
      expect(samples.map((s) => [s.ts, s.value])).toEqual([[ts, 231.4]]);
      expect(site.stats().connections).toBe(1); // the meter; the gateway has no connection
      // A wrong password is refused (CONNACK 4) and counted where Prometheus sees it.
      await expect(connectAsync(site.url, { username: 'meter-1', password: 'wrong', reconnectPeriod: 0 })).rejects.toThrow();
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      expect(metrics).toMatch(/gw_broker_events_total\{[^}]*event="authFailures"[^}]*\} 1\n/);
      expect(metrics).toMatch(/gw_broker_events_total\{[^}]*event="sessionMessagesDropped"[^}]*\} 0\n/);
    } finally {
      await gw.stop();
      await site.stop();
      data.remove();
    }
  });
});
