/**
 * Persistent sessions at the packet level: a hand-driven MQTT 3.1.1 client over TCP that
 * acknowledges only when told to, so a session can be cut at any point of a QoS 1 or QoS 2 flow.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { generate, parser, type Packet } from 'mqtt-packet';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../gateway/core/log.js';
import { waitFor } from '../tools/wait.js';
import { startBroker, type RunningBroker } from './index.js';

let broker: RunningBroker;
let pub: MqttClient;
const open: Socket[] = [];
beforeAll(async () => {
  broker = await startBroker({ port: 0, host: '127.0.0.1', log: createLogger('test', 'silent'), config: { allowAnonymous: true } });
  pub = await connectAsync(broker.url, { clientId: 'raw-publisher', reconnectPeriod: 0 });
});
afterAll(async () => {
  for (const s of open) s.destroy();
  pub?.end(true);
  await broker?.stop();
});

type Publish = Packet & { cmd: 'publish'; messageId: number; payload: Buffer; dup: boolean };

/** One TCP connection speaking MQTT by hand: every packet the broker sends is kept in `got`. */
class RawSession {
  readonly got: Packet[] = [];
  closed = false;
  private constructor(readonly socket: Socket) {
    const p = parser({ protocolVersion: 4 });
    p.on('packet', (pk: Packet) => this.got.push(pk));
    socket.on('data', (b) => p.parse(b));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static async open(clientId: string, clean: boolean, to: RunningBroker = broker): Promise<RawSession> {
    const socket = tcpConnect(to.port, '127.0.0.1');
    open.push(socket);
    await new Promise<void>((res, rej) => socket.once('connect', res).once('error', rej));
    const s = new RawSession(socket);
    s.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean, keepalive: 60 });
    await waitFor(() => s.got.some((p) => p.cmd === 'connack'), { what: 'CONNACK' });
    return s;
  }

  send(p: Packet): void {
    this.socket.write(generate(p));
  }

  publishes(): Publish[] {
    return this.got.filter((p): p is Publish => p.cmd === 'publish');
  }

  async subscribe(topic: string, qos: 1 | 2): Promise<void> {
    this.send({ cmd: 'subscribe', messageId: 60_000, subscriptions: [{ topic, qos }] });
    await waitFor(() => this.got.some((p) => p.cmd === 'suback'), { what: 'SUBACK' });
  }

  async close(): Promise<void> {
    this.socket.destroy();
    await waitFor(() => this.closed, { what: 'socket closed' });
  }
}

const publishAll = (topic: string, from: number, to: number, qos: 1 | 2, via = pub) =>
  Promise.all(Array.from({ length: to - from }, (_, i) => via.publishAsync(topic, String(from + i), { qos })));

describe('persistent session at the packet level', () => {
  it('resends the PUBREL, not the PUBLISH, of a QoS 2 message cut between PUBREC and PUBCOMP [MQTT-4.4.0-1]', async () => {
    let s = await RawSession.open('raw-qos2', false);
    await s.subscribe('raw/q2', 2);
    await publishAll('raw/q2', 0, 1, 2);
    const first = (await waitFor(() => s.publishes()[0], { what: 'the PUBLISH' }));
    s.send({ cmd: 'pubrec', messageId: first.messageId });
    s.send({ cmd: 'pubrec', messageId: first.messageId }); // repeated: answered again, not an error
    await waitFor(() => s.got.filter((p) => p.cmd === 'pubrel').length === 2, { what: 'two PUBRELs' });
    await s.close();
    await publishAll('raw/q2', 1, 2, 2);
    s = await RawSession.open('raw-qos2', false);
    await waitFor(() => s.got.some((p) => p.cmd === 'pubrel') && s.publishes().length >= 1, { what: 'PUBREL and the new PUBLISH' });
    const rel = s.got.find((p) => p.cmd === 'pubrel')!;
    expect(rel.messageId).toBe(first.messageId);
    s.send({ cmd: 'pubcomp', messageId: first.messageId });
    const next = s.publishes()[0]!;
    s.send({ cmd: 'pubrec', messageId: next.messageId });
    await waitFor(() => s.got.filter((p) => p.cmd === 'pubrel').length === 2, { what: 'PUBREL of the second' });
    s.send({ cmd: 'pubcomp', messageId: next.messageId });
    await publishAll('raw/q2', 2, 3, 2);
    await waitFor(() => s.publishes().length === 2, { what: 'the third PUBLISH' });
    expect(s.publishes().map((p) => p.payload.toString())).toEqual(['1', '2']);
    expect(s.closed).toBe(false);
  });

  it('keeps delivering to a subscriber that never acknowledges, at a steady pace, as its queue grows', async () => {
    const s = await RawSession.open('raw-silent', false);
    await s.subscribe('raw/silent', 1);
    const t0 = Date.now();
    for (let i = 0; i < 60; i++) await publishAll('raw/silent', i * 1000, (i + 1) * 1000, 1);
    await waitFor(() => s.publishes().length === 60_000, { timeout: 10_000, interval: 20, what: () => `60,000 publishes, got ${s.publishes().length}` });
    // About 1.5 s here; a queue searched from its front per message took 12 s.
    expect(Date.now() - t0, 'ms to publish and deliver 60,000').toBeLessThan(6000);
    expect(s.publishes().every((p, i) => p.payload.toString() === String(i))).toBe(true);
    expect(s.closed).toBe(false);
  }, 20_000);

  it('keeps at most maxQueuedPerSession messages for a session, drops newer ones, and stays up', async () => {
    const small = await startBroker({ port: 0, host: '127.0.0.1', log: createLogger('test', 'silent'), config: { allowAnonymous: true, limits: { maxQueuedPerSession: 100 } } });
    const via = await connectAsync(small.url, { clientId: 'full-publisher', reconnectPeriod: 0 });
    try {
      // Away: 150 published, the first 100 kept.
      let s = await RawSession.open('raw-full', false, small);
      await s.subscribe('raw/full', 1);
      await s.close();
      await publishAll('raw/full', 0, 150, 1, via);
      s = await RawSession.open('raw-full', false, small);
      await waitFor(() => s.publishes().length >= 100, { what: 'the 100 kept' });
      // Connected but not acknowledging: the queue is full, the next ones are dropped, not sent.
      await publishAll('raw/full', 150, 160, 1, via);
      // Acknowledged: room again, and delivery goes on.
      for (const p of s.publishes()) s.send({ cmd: 'puback', messageId: p.messageId });
      s.send({ cmd: 'pingreq' }); // answered after the acknowledgements before it are handled
      await waitFor(() => s.got.some((p) => p.cmd === 'pingresp'), { what: 'PINGRESP' });
      expect(small.stats().sessionMessagesDropped).toBe(60);
      await publishAll('raw/full', 160, 161, 1, via);
      await waitFor(() => s.publishes().some((p) => p.payload.toString() === '160'), { what: 'the message after the acknowledgements' });
      expect(s.publishes().map((p) => Number(p.payload.toString()))).toEqual([...Array.from({ length: 100 }, (_, i) => i), 160]);
      expect(s.closed).toBe(false);
    } finally {
      via.end(true);
      await small.stop();
    }
  });

  it('is not thrown off when it comes back to a full queue while publishing goes on', async () => {
    const small = await startBroker({ port: 0, host: '127.0.0.1', log: createLogger('test', 'silent'), config: { allowAnonymous: true, limits: { maxQueuedPerSession: 100 } } });
    const via = await connectAsync(small.url, { clientId: 'full-publisher', reconnectPeriod: 0 });
    let live = true;
    try {
      let s = await RawSession.open('raw-full-live', false, small);
      await s.subscribe('raw/full-live', 1);
      await s.close();
      await publishAll('raw/full-live', 0, 100, 1, via);
      let n = 100;
      const feeding = (async () => {
        while (live) await publishAll('raw/full-live', n, (n += 10), 1, via);
      })().catch(() => undefined); // the publisher is closed under it if the test fails
      for (let round = 0; round < 10; round++) {
        s = await RawSession.open('raw-full-live', false, small);
        await waitFor(() => s.closed || s.publishes().length >= 100, { what: 'the full queue' });
        expect(s.closed, `thrown off on return ${round + 1}`).toBe(false);
        await s.close();
      }
      live = false;
      await feeding;
    } finally {
      live = false;
      via.end(true);
      await small.stop();
    }
  });
});
