/**
 * Deadband and report-on-change on MQTT points, and `{device}` topic patterns, end to end through an
 * in-process aedes broker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../config/schema.js';
import { Recorder, tempDir } from '../../../test/helpers/connectors.js';
import { freePort } from '../../../tools/ports.js';
import { waitFor } from '../../../tools/wait.js';
import { aedesBroker, type TestBroker } from './fixtures/brokers.js';
import { MqttConnector, mqtt } from './index.js';

const dir = tempDir('mqtt-report');

describe('mqtt report policy', () => {
  let broker: TestBroker;
  let connector: MqttConnector;
  const rec = new Recorder(dir.path);

  beforeAll(async () => {
    broker = aedesBroker(await freePort());
    await broker.start();
    connector = mqtt.create(
      [
        {
          id: 'meter',
          type: 'power',
          protocol: 'mqtt',
          connection: { url: broker.url, topic: 'site/t/meter/telemetry', qos: 1, reconnectPeriod: 200 },
          points: [
            { name: 'voltage', path: 'v', unit: 'V', deadband: { type: 'absolute', value: 2 } },
            { name: 'breaker', path: 'breaker', report: { onChange: true } },
            { name: 'seq', path: 'seq' },
          ],
        },
        ...['pump-7', 'pump-8'].map((id): DeviceConfig => ({
          id,
          type: 'pump',
          protocol: 'mqtt',
          connection: { url: broker.url, topic: 'site/+/pump/{device}/telemetry', qos: 1, reconnectPeriod: 200 },
          points: [{ name: 'flow', path: 'flow' }],
        })),
      ],
      rec.ctx,
    ) as MqttConnector;
    await connector.start();
    await waitFor(() => [...connector.brokers.values()].every((b) => b.subscribed), { what: 'subscribed' });
  });

  afterAll(async () => {
    await connector?.stop();
    await broker?.stop();
    dir.remove();
  });

  it('drops changes inside the deadband and repeats of unchanged values; other points pass', async () => {
    const payloads = [
      { v: 230, breaker: true, seq: 1 },
      { v: 231.5, breaker: true, seq: 2 },
      { v: 232.5, breaker: true, seq: 3 },
      { v: 229, breaker: false, seq: 4 },
    ];
    for (const p of payloads) await broker.publish('site/t/meter/telemetry', JSON.stringify(p));
    await waitFor(() => rec.latest('meter', 'seq')?.value === 4, { what: 'four messages' });
    const values = (point: string) => rec.readings.filter((r) => r.point === point).map((r) => r.value);
    expect(values('seq')).toEqual([1, 2, 3, 4]);
    expect(values('voltage')).toEqual([230, 232.5, 229]);
    expect(values('breaker')).toEqual([true, false]);
    expect(connector.filter.suppressed).toBe(3);
  });

  it('binds {device} in a topic pattern to each device id', async () => {
    await broker.publish('site/riverside/pump/pump-7/telemetry', '{"flow": 7.5}');
    await broker.publish('site/riverside/pump/pump-8/telemetry', '{"flow": 8.5}');
    await waitFor(() => rec.latest('pump-7', 'flow') && rec.latest('pump-8', 'flow'), { what: 'both pumps' });
    expect(rec.readings.filter((r) => r.point === 'flow').map((r) => [r.device, r.value])).toEqual([
      ['pump-7', 7.5],
      ['pump-8', 8.5],
    ]);
  });
});
