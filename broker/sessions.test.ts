/**
 * Persistent sessions [MQTT-3.1.2-4]: a subscriber with clean = false that comes back while
 * publishing goes on must get what was stored for it and what arrives meanwhile, each message
 * once and in the order it was published [MQTT-4.6.0-6], without being thrown off. Real clients
 * over TCP; the publisher never stops, so the reconnect always races live traffic.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../gateway/core/log.js';
import { waitFor } from '../tools/wait.js';
import { startBroker, type RunningBroker } from './index.js';

const log = createLogger('test', 'silent');
let broker: RunningBroker;
const clients: MqttClient[] = [];
beforeAll(async () => {
  broker = await startBroker({ port: 0, host: '127.0.0.1', log, config: { allowAnonymous: true } });
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await broker?.stop();
});

const TOPICS = ['s/fp-1/telemetry', 's/fp-2/telemetry', 's/fp-3/telemetry'];

async function subscriber(received: { topic: string; n: number }[], drops: { n: number }): Promise<MqttClient> {
  const c = await connectAsync(broker.url, { clientId: 'persistent-sub', clean: false, reconnectPeriod: 0, protocolVersion: 4 });
  clients.push(c);
  c.on('message', (topic, payload) => received.push({ topic, n: Number(payload.toString()) }));
  c.on('close', () => drops.n++);
  return c;
}

describe('persistent session coming back during live traffic', () => {
  it('gets every stored and live message once and in order per topic, and stays connected', async () => {
    const received: { topic: string; n: number }[] = [];
    const drops = { n: 0 };
    let sub = await subscriber(received, drops);
    await sub.subscribeAsync(Object.fromEntries(TOPICS.map((t) => [t, { qos: 1 as const }])));
    const pub = await connectAsync(broker.url, { clientId: 'publisher', reconnectPeriod: 0 });
    clients.push(pub);
    let n = 0;
    const publish = (count: number) => {
      const acks: Promise<unknown>[] = [];
      for (let i = 0; i < count; i++, n++) acks.push(pub.publishAsync(TOPICS[n % TOPICS.length]!, String(n), { qos: 1 }));
      return Promise.all(acks);
    };
    await publish(30);
    await waitFor(() => received.length === 30, { timeout: 10_000, what: 'the first 30 messages' });
    await sub.endAsync();
    await publish(600); // stored for the session while it is away
    const before = drops.n;
    // Live messages keep coming while the session reconnects and its queue is sent.
    let live = true;
    const feeding = (async () => {
      while (live && n < 3000) await publish(20);
    })();
    sub = await subscriber(received, drops);
    const dropped = () => drops.n > before;
    await waitFor(() => dropped() || received.length >= 1200, { timeout: 20_000, what: 'live traffic after the reconnect' });
    live = false;
    await feeding;
    const total = n;
    await waitFor(() => dropped() || received.length >= total, { timeout: 20_000, what: `all ${total} messages` });
    expect(dropped(), 'the session was thrown off').toBe(false);
    // Anything late or doubled would arrive before this marker.
    await pub.publishAsync(TOPICS[0]!, 'end', { qos: 1 });
    await waitFor(() => received.some((r) => Number.isNaN(r.n)), { timeout: 10_000, what: 'the end marker' });
    const got = received.filter((r) => !Number.isNaN(r.n));
    expect(got.length, 'no message twice').toBe(total);
    expect(new Set(got.map((r) => r.n)).size).toBe(total);
    for (const t of TOPICS) {
      const seq = got.filter((r) => r.topic === t).map((r) => r.n);
      expect(seq, `${t} in publish order`).toEqual([...seq].sort((a, b) => a - b));
    }
  });

  it('sends a backlog of 20,000 while publishing goes on, in order, and finishes', async () => {
    const received: number[] = [];
    const drops = { n: 0 };
    const join = async () => {
      const c = await connectAsync(broker.url, { clientId: 'backlog-sub', clean: false, reconnectPeriod: 0 });
      clients.push(c);
      c.on('message', (_t, payload) => received.push(Number(payload.toString())));
      c.on('close', () => drops.n++);
      return c;
    };
    const first = await join();
    await first.subscribeAsync('s/backlog/telemetry', { qos: 1 });
    await first.endAsync();
    const pub = await connectAsync(broker.url, { clientId: 'backlog-publisher', reconnectPeriod: 0 });
    clients.push(pub);
    let n = 0;
    const publish = (count: number) => Promise.all(Array.from({ length: count }, () => pub.publishAsync('s/backlog/telemetry', String(n++), { qos: 1 })));
    for (let i = 0; i < 20; i++) await publish(1000);
    // 20,000 more arrive while the backlog is sent: live ones must wait for it, and it must end.
    const feeding = (async () => {
      while (n < 40_000) await publish(100);
    })();
    await join();
    await feeding;
    await waitFor(() => drops.n > 1 || received.length >= 40_000, { timeout: 15_000, interval: 20, what: () => `40,000 messages, got ${received.length}` });
    expect(drops.n, 'thrown off').toBe(1);
    expect(received.length).toBe(40_000);
    expect(received.every((v, i) => v === i), 'every message once, in publish order').toBe(true);
  }, 20_000);
});
