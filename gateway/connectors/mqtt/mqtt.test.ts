/**
 * The MQTT connector against an in-process aedes broker and a real mosquitto: nested JSON paths,
 * payload timestamps, bare numeric payloads, wildcards, malformed payloads (counted, logged at a
 * bounded rate, harmless), broker restarts, the persistent session, and a bounded stop().
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../config/schema.js';
import { Recorder, silentServer, tempDir, timed } from '../../../test/helpers/connectors.js';
import { freePort } from '../../../tools/ports.js';
import { waitFor } from '../../../tools/wait.js';
import { aedesBroker, mosquittoBroker, type TestBroker } from './fixtures/brokers.js';
import { redact } from './client.js';
import { MqttConnector, defaultClientId, mqtt } from './index.js';
import { getPath, parsePayload, parseTimestamp } from './payload.js';
import { topicMatches } from './topic.js';

const dir = tempDir('mqtt-test');

/** A logger whose warnings the test can count. */
function capturingLogger() {
  const lines: { level: number; msg: string; device?: string; problems?: string[] }[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), lines };
}

function devices(url: string): DeviceConfig[] {
  const connection = (topic: string, extra: Record<string, unknown> = {}) => ({ url, topic, qos: 1, reconnectPeriod: 200, ...extra });
  return [
    {
      id: 'fire-1',
      type: 'fire_panel',
      protocol: 'mqtt',
      connection: connection('site/t/fire-1/telemetry'),
      points: [
        { name: 'fire_alarm', path: 'fire_alarm' },
        { name: 'mains_voltage', path: 'power.mains_v' },
        { name: 'battery_voltage', path: 'power.battery_v' },
        { name: 'zone_3', path: 'zones.2' },
      ],
    },
    { id: 'meter-1', type: 'power', protocol: 'mqtt', connection: connection('site/t/meter-1/kwh', { qos: 0 }), points: [{ name: 'energy', path: 'energy' }] },
    { id: 'any-status', type: 'pump', protocol: 'mqtt', connection: connection('site/t/+/status'), points: [{ name: 'state', path: 'state' }] },
  ];
}

const FIRE = 'site/t/fire-1/telemetry';
const fire = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ fire_alarm: false, power: { mains_v: 230.5, battery_v: 27.2 }, zones: [0, 0, 1], ...extra });

describe.each([
  ['aedes', (port: number) => aedesBroker(port)],
  ['mosquitto', (port: number) => mosquittoBroker(port, dir.path)],
])('mqtt connector against %s', (_name, makeBroker) => {
  let broker: TestBroker;
  let connector: MqttConnector;
  let second: MqttConnector | undefined;
  const captured = capturingLogger();
  const rec = new Recorder(dir.path, captured.log);
  const subscribed = () => [...connector.brokers.values()].every((b) => b.subscribed);

  beforeAll(async () => {
    broker = makeBroker(await freePort());
    await broker.start();
    connector = mqtt.create(devices(broker.url), rec.ctx) as MqttConnector;
    await connector.start();
    await waitFor(subscribed, { what: 'subscribed' });
  });

  afterAll(async () => {
    await connector?.stop();
    await second?.stop();
    await broker?.stop();
  });

  it('reads nested JSON paths and the payload timestamp, one batch per message', async () => {
    expect(rec.status('fire-1')).toMatchObject({ status: 'connecting', reason: 'subscribed; waiting for the first message' });
    await broker.publish(FIRE, fire({ fire_alarm: true, ts: 1_700_000_000_000 }));
    const batch = await waitFor(() => rec.batches.find((b) => b[0]?.device === 'fire-1'));
    expect(batch).toEqual([
      { device: 'fire-1', point: 'fire_alarm', value: true, quality: 'good', ts: 1_700_000_000_000 },
      { device: 'fire-1', point: 'mains_voltage', value: 230.5, quality: 'good', ts: 1_700_000_000_000 },
      { device: 'fire-1', point: 'battery_voltage', value: 27.2, quality: 'good', ts: 1_700_000_000_000 },
      { device: 'fire-1', point: 'zone_3', value: 1, quality: 'good', ts: 1_700_000_000_000 },
    ]);
    expect(rec.status('fire-1')?.status).toBe('online');

    await broker.publish(FIRE, fire({ ts: '2026-03-01T12:00:00.250Z' }));
    const r = await waitFor(() => rec.latest('fire-1', 'fire_alarm')?.value === false && rec.latest('fire-1', 'fire_alarm'));
    expect(r.ts).toBe(Date.parse('2026-03-01T12:00:00.250Z'));

    const before = Date.now();
    await broker.publish(FIRE, fire());
    const now = await waitFor(() => {
      const x = rec.latest('fire-1', 'mains_voltage');
      return x && x.ts >= before && x;
    });
    expect(now.ts).toBeLessThanOrEqual(Date.now());
  });

  it('accepts a bare number for a one-point device and matches wildcard topics', async () => {
    await broker.publish('site/t/meter-1/kwh', '1234.5', 0);
    await waitFor(() => rec.latest('meter-1', 'energy')?.value === 1234.5, { what: 'bare number' });
    await broker.publish('site/t/pump-9/status', '{"state":"running"}');
    await waitFor(() => rec.latest('any-status', 'state')?.value === 'running', { what: 'wildcard topic' });
  });

  it('counts malformed payloads, logs them at a bounded rate, and keeps working', async () => {
    const before = connector.stats().devices['fire-1']!;
    await broker.publish(FIRE, 'not json at all');
    await broker.publish(FIRE, '{"fire_alarm": true}'); // power.* and zones missing
    await broker.publish(FIRE, '[1, 2, 3]');
    await broker.publish(FIRE, fire({ ts: 'yesterday-ish' }));
    await broker.publish(FIRE, fire({ fire_alarm: { nested: 1 } })); // wrong type
    await waitFor(() => connector.stats().devices['fire-1']!.malformed === before.malformed + 5, {
      what: () => `5 malformed, stats ${JSON.stringify(connector.stats())}`,
    });
    expect(connector.stats().devices['fire-1']!.messages).toBe(before.messages + 5);
    // the wrong-typed field became a bad reading; the fields that were fine still arrived
    expect(rec.latest('fire-1', 'fire_alarm')).toMatchObject({ quality: 'bad', reason: 'fire_alarm is object' });
    // a burst of problems gives at most one warning per device per 10 s (the first one passes)
    const warnings = captured.lines.filter((l) => l.msg === 'malformed mqtt payload' && l.device === 'fire-1');
    expect(warnings.length).toBe(1);

    await broker.publish(FIRE, fire({ fire_alarm: true, ts: 1_800_000_000_000 }));
    await waitFor(() => rec.latest('fire-1', 'fire_alarm')?.ts === 1_800_000_000_000, { what: 'good message after bad ones' });
    expect(rec.latest('fire-1', 'fire_alarm')).toMatchObject({ value: true, quality: 'good' });
    expect(connector.stats().malformed).toBeGreaterThanOrEqual(5);
  });

  it('goes offline when the broker goes away, then reconnects and resubscribes', async () => {
    await broker.stop();
    await waitFor(() => rec.status('fire-1')?.status === 'offline', { what: 'offline' });
    expect(rec.status('meter-1')?.status).toBe('offline');
    await broker.start();
    await waitFor(subscribed, { timeout: 15_000, what: 'resubscribed' });
    await broker.publish(FIRE, fire({ ts: 1_800_000_000_001 }));
    await waitFor(() => rec.latest('fire-1', 'fire_alarm')?.ts === 1_800_000_000_001, { what: 'message after restart' });
    expect(rec.status('fire-1')?.status).toBe('online');
  });

  it('keeps a persistent session: QoS 1 messages sent while the gateway was stopped arrive after it starts', async () => {
    await connector.stop();
    await broker.publish(FIRE, fire({ ts: 1_800_000_000_002 }), 1);
    const rec2 = new Recorder(dir.path); // same data dir → same client id → same session
    second = mqtt.create(devices(broker.url), rec2.ctx) as MqttConnector;
    await second.start();
    await waitFor(() => rec2.latest('fire-1', 'fire_alarm')?.ts === 1_800_000_000_002, { what: 'queued message delivered' });
  });

  it('stops within 2 s when the broker is gone', async () => {
    await broker.stop();
    expect(await timed(() => second!.stop())).toBeLessThan(2000);
    second = undefined;
  });
});

describe('mqtt connector against a peer that never answers', () => {
  it('stays offline/connecting and still stops within 2 s', async () => {
    const port = await freePort();
    const peer = await silentServer(port);
    const rec = new Recorder(dir.path);
    const c = mqtt.create(devices(`mqtt://127.0.0.1:${port}`), rec.ctx);
    try {
      await c.start();
      expect(rec.status('fire-1')?.status).toBe('connecting');
      await waitFor(() => peer.accepted() > 0, { what: 'client connected to the mute peer' });
      await new Promise((r) => setTimeout(r, 300)); // TCP is up, CONNACK never comes
      expect(await timed(() => c.stop())).toBeLessThan(2000);
    } finally {
      await peer.close();
    }
  });
});

describe('mqtt payloads and topics', () => {
  const points = [
    { name: 'a', path: 'a' },
    { name: 'b', path: 'x.y' },
  ];

  it('walks dotted paths through objects and arrays', () => {
    const doc = { a: 1, x: { y: [10, { z: 'deep' }] } };
    expect(getPath(doc, 'a')).toBe(1);
    expect(getPath(doc, 'x.y.0')).toBe(10);
    expect(getPath(doc, 'x.y.1.z')).toBe('deep');
    expect(getPath(doc, 'x.nope')).toBeUndefined();
    expect(getPath(doc, 'a.b')).toBeUndefined();
    expect(getPath(doc, 'x.y.first')).toBeUndefined();
    expect(getPath({ constructor: 1 }, 'toString')).toBeUndefined();
  });

  it('reads timestamps in ms, seconds and ISO 8601', () => {
    expect(parseTimestamp(1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(parseTimestamp(1_700_000_000)).toBe(1_700_000_000_000);
    expect(parseTimestamp('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
    expect(parseTimestamp('soon')).toBeUndefined();
    expect(parseTimestamp(-5)).toBeUndefined();
  });

  it('reports problems without losing the good fields', () => {
    const r = parsePayload('d', points, '{"a": 2, "x": {"y": [1]}, "ts": 5000000000000}', 1);
    expect(r.readings).toEqual([
      { device: 'd', point: 'a', value: 2, quality: 'good', ts: 5_000_000_000_000 },
      { device: 'd', point: 'b', value: null, quality: 'bad', ts: 5_000_000_000_000, reason: 'x.y is an array' },
    ]);
    expect(r.problems).toEqual(['x.y is an array, expected a number, boolean or string']);
    expect(parsePayload('d', points, '{"a": null}', 7)).toEqual({
      readings: [{ device: 'd', point: 'a', value: null, quality: 'bad', ts: 7, reason: 'a is null' }],
      problems: ['x.y missing'],
    });
    expect(parsePayload('d', points, '42', 7).problems).toEqual(['bare value but the device has 2 points; expected a JSON object']);
    expect(parsePayload('d', [points[0]!], 'true', 7).readings).toEqual([{ device: 'd', point: 'a', value: true, quality: 'good', ts: 7 }]);
    expect(parsePayload('d', points, '"text"', 7).problems).toEqual(['expected a JSON object, got string']);
    expect(parsePayload('d', points, Buffer.from([0xff, 0xfe]), 7).problems[0]).toMatch(/^not JSON/);
  });

  it('matches MQTT wildcards', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/+/c', 'a/b/d')).toBe(false);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/#', 'a/b/c')).toBe(true);
    expect(topicMatches('#', '$SYS/x')).toBe(false);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
    expect(topicMatches('a/b', 'a/b')).toBe(true);
  });

  it('keeps credentials out of logged urls', () => {
    expect(redact('mqtt://user:secret@broker:1883')).toBe('mqtt://broker:1883');
    expect(redact('mqtts://broker:8883')).toBe('mqtts://broker:8883');
  });

  it('derives a stable client id of at most 23 characters', () => {
    const a = defaultClientId('/data', 'mqtt://h:1883');
    expect(a).toBe(defaultClientId('/data', 'mqtt://h:1883'));
    expect(a).not.toBe(defaultClientId('/other', 'mqtt://h:1883'));
    expect(a.length).toBeLessThanOrEqual(23);
    expect(a).toMatch(/^[0-9a-zA-Z-]+$/);
  });
});

afterAll(() => dir.remove());
