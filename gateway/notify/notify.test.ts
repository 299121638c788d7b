/**
 * Notifications against real receivers: a local HTTP server that checks the HMAC-SHA256 signature
 * (and answers 500 to the first delivery, so the retry is exercised), and the project's aedes
 * broker with a real MQTT subscriber.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../broker/index.js';
import { createLogger } from '../core/log.js';
import { Notifier } from './index.js';
import { WebhookNotifier } from './webhooks.js';

const log = createLogger('test', 'silent');
const SECRET = 's3cret-webhook-key';
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const readBody = (req: IncomingMessage) => new Promise<string>((resolve) => {
  let b = '';
  req.on('data', (d: Buffer) => (b += d.toString()));
  req.on('end', () => resolve(b));
});

function verify(secret: string, body: string, header: string | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const got = Buffer.from(header ?? '');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

async function receiver(failFirst: number) {
  const received: { body: Record<string, unknown>; valid: boolean; attempt: number }[] = [];
  let calls = 0;
  let notify: (() => void) | null = null;
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    calls++;
    if (calls <= failFirst) {
      res.writeHead(500).end('not now');
      return;
    }
    received.push({ body: JSON.parse(body) as Record<string, unknown>, valid: verify(SECRET, body, req.headers['x-signature-256'] as string), attempt: calls });
    res.writeHead(204).end();
    notify?.();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const next = (n: number) => new Promise<void>((resolve) => {
    const check = () => { if (received.length >= n) resolve(); };
    notify = check;
    check();
  });
  return { url, received, next, calls: () => calls };
}

describe('webhooks', () => {
  it('POSTs signed JSON, retries after a 500 with backoff and delivers once', async () => {
    const rx = await receiver(1);
    const hooks = new WebhookNotifier([{ url: rx.url, secret: SECRET }], 'demo', log, { baseDelayMs: 50 });
    cleanups.push(() => hooks.close());
    hooks.publish('work-order', { id: 'o1', number: 'WO-20261128-0001' }, 'created');
    await rx.next(1);
    expect(rx.calls()).toBe(2); // 500 first, then delivered
    expect(rx.received[0]).toMatchObject({ valid: true, body: { site: 'demo', event: 'work-order', action: 'created', data: { number: 'WO-20261128-0001' } } });
    await hooks.drained();
    expect(hooks.stats).toMatchObject({ delivered: 1, retried: 1, failed: 0, dropped: 0 });
    // A wrong secret does not verify: the receiver can tell.
    expect(verify('other', JSON.stringify(rx.received[0]!.body), 'sha256=00')).toBe(false);
  });

  it('filters by event kind, bounds the queue and never blocks the caller', async () => {
    const rx = await receiver(0);
    // Nothing listens on this port: deliveries wait between retries and fill the bounded queue.
    const hooks = new WebhookNotifier([
      { url: rx.url, secret: SECRET, events: ['escalation'] },
      { url: 'http://127.0.0.1:9/unreachable', secret: SECRET, events: ['alarm'] },
    ], 'demo', log, { maxQueue: 5, baseDelayMs: 60_000 });
    cleanups.push(() => hooks.close());
    const t = performance.now();
    for (let i = 0; i < 100; i++) hooks.publish('alarm', { i });
    hooks.publish('work-order', { ignored: true });
    hooks.publish('escalation', { orderId: 'o1', deadline: 'respond' });
    expect(performance.now() - t).toBeLessThan(200);
    await rx.next(1);
    expect(rx.received.map((r) => r.body.event)).toEqual(['escalation']);
    expect(hooks.stats.dropped).toBeGreaterThan(0);
    expect(hooks.stats.queued).toBeLessThanOrEqual(5);
  });

  it('does not follow a redirect: the signed body never reaches another address', async () => {
    const elsewhere = await receiver(0);
    const redirecting = createServer((_req, res) => res.writeHead(307, { location: elsewhere.url }).end());
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => redirecting.close(() => r())));
    const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/hook`;
    const hooks = new WebhookNotifier([{ url, secret: SECRET }], 'demo', log, { baseDelayMs: 50 });
    cleanups.push(() => hooks.close());
    hooks.publish('work-order', { id: 'o2' }, 'created');
    await hooks.drained();
    expect(elsewhere.calls()).toBe(0);
    expect(hooks.stats).toMatchObject({ delivered: 0, failed: 1 });
  });
});

describe('MQTT publications', () => {
  it('publishes work-order events on <site>/events/work-order/<id>', async () => {
    const broker = await startBroker({ port: 0, host: '127.0.0.1', log, config: { allowAnonymous: true } });
    cleanups.push(() => broker.stop());
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'cmms-test' });
    cleanups.push(() => sub.endAsync());
    await sub.subscribeAsync('demo/events/#', { qos: 1 });
    const got = new Promise<{ topic: string; payload: Record<string, unknown> }>((resolve) =>
      sub.on('message', (topic, payload) => resolve({ topic, payload: JSON.parse(payload.toString()) as Record<string, unknown> })));
    const n = new Notifier({ site: { id: 'demo', name: 'Demo' }, notifications: { webhooks: [], mqtt: { url: broker.url } } }, log);
    cleanups.push(() => n.close());
    n.publish('work-order', 'o-42', { id: 'o-42', status: 'new' }, 'created');
    const msg = await got;
    expect(msg.topic).toBe('demo/events/work-order/o-42');
    expect(msg.payload).toMatchObject({ event: 'work-order', action: 'created', data: { id: 'o-42', status: 'new' } });
  });
});
