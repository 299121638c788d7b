/**
 * The site broker's security with real MQTT clients over TCP: credentials checked against scrypt
 * hashes, anonymous refused, topic ACLs per account, packet-size and connection-rate limits, TLS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as mqttConnect, connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../gateway/auth/password.js';
import { createLogger } from '../gateway/core/log.js';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { mayPublish, maySubscribe, principalFor } from './acl.js';
import { startBroker, type RunningBroker } from './index.js';
import { LoginLockout } from './lockout.js';

const log = createLogger('test', 'silent');
let broker: RunningBroker;
const clients: MqttClient[] = [];

const connect = async (opts: IClientOptions = {}, url = broker.url): Promise<MqttClient> => {
  const c = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  clients.push(c);
  return c;
};
const closed = (c: MqttClient) => new Promise<void>((resolve) => (c.connected ? c.once('close', () => resolve()) : resolve()));

beforeAll(async () => {
  broker = await startBroker({
    port: 0,
    host: '127.0.0.1',
    log,
    site: 'demo',
    deviceTypes: { 'fire-1': 'fire_panel' },
    config: {
      users: [
        { username: 'gateway', role: 'gateway', passwordHash: await hashPassword('gw-pass') },
        { username: 'fire-1', role: 'device', device: 'fire-1', passwordHash: await hashPassword('fire-pass') },
      ],
      limits: { maxPacketBytes: 1024, maxTopicLevels: 16, connectionsPerSecond: 50, maxClientIdLength: 128 },
    },
  });
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await broker?.stop();
});

describe('ACL rules', () => {
  const device = principalFor({ username: 'fire-1', role: 'device', device: 'fire-1', passwordHash: 'x' }, 'demo', { 'fire-1': 'fire_panel' });
  it('pins a device to its own topics and its command topic', () => {
    expect(mayPublish(device, 'site/demo/fire_panel/fire-1/telemetry')).toBe(true);
    expect(mayPublish(device, 'site/demo/fire_panel/fire-1/status')).toBe(true);
    expect(mayPublish(device, 'site/demo/fire_panel/fire-1')).toBe(false);
    expect(mayPublish(device, 'site/demo/fire_panel/fire-2/telemetry')).toBe(false);
    expect(mayPublish(device, 'site/other/fire_panel/fire-1/telemetry')).toBe(false);
    expect(mayPublish(device, '$SYS/x')).toBe(false);
    expect(maySubscribe(device, 'site/demo/fire_panel/fire-1/command')).toBe(true);
    expect(maySubscribe(device, 'site/demo/fire_panel/fire-1/#')).toBe(false);
    expect(maySubscribe(device, '#')).toBe(false);
    const gateway = principalFor({ username: 'gw', role: 'gateway', passwordHash: 'x' }, 'demo', {});
    expect(maySubscribe(gateway, '#')).toBe(true);
  });
});

describe('site broker', () => {
  it('refuses anonymous clients and wrong passwords', async () => {
    await expect(connect()).rejects.toThrow(/Not authorized/i);
    await expect(connect({ username: 'fire-1', password: 'nope' })).rejects.toThrow(/Bad username or password/i);
    await expect(connect({ username: 'ghost', password: 'fire-pass' })).rejects.toThrow(/Bad username or password/i);
    expect(broker.stats().authFailures).toBe(3);
  });

  it('lets a device publish its own telemetry, which the gateway account receives', async () => {
    const gw = await connect({ username: 'gateway', password: 'gw-pass' });
    const granted = await gw.subscribeAsync('#', { qos: 1 });
    expect(granted[0]!.qos).toBe(1);
    const got = new Promise<string>((resolve) => gw.on('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)));
    const dev = await connect({ username: 'fire-1', password: 'fire-pass' });
    await dev.publishAsync('site/demo/fire_panel/fire-1/telemetry', '{"fire_alarm":false}', { qos: 1 });
    expect(await got).toBe('site/demo/fire_panel/fire-1/telemetry {"fire_alarm":false}');
  });

  it('refuses a device subscription outside its command topic and disconnects a device publishing elsewhere', async () => {
    const dev = await connect({ username: 'fire-1', password: 'fire-pass' });
    const own = await dev.subscribeAsync('site/demo/fire_panel/fire-1/command');
    expect(own[0]!.qos).toBe(0);
    // SUBACK 0x80: mqtt.js turns the refusal into an error.
    await expect(dev.subscribeAsync('site/demo/#')).rejects.toThrow(/Subscribe error/);
    expect(broker.stats().subscribeDenied).toBe(1);
    const gone = closed(dev);
    dev.publish('site/demo/pump/pump-1/telemetry', '{}', { qos: 1 });
    await gone;
    expect(broker.stats().publishDenied).toBeGreaterThanOrEqual(1);
  });

  it('closes a connection that sends a packet larger than maxPacketBytes', async () => {
    const dev = await connect({ username: 'fire-1', password: 'fire-pass' });
    const gone = closed(dev);
    dev.publish('site/demo/fire_panel/fire-1/telemetry', 'x'.repeat(4096), { qos: 0 });
    await gone;
    expect(broker.stats().oversizedPackets).toBe(1);
  });

  it('limits new connections per address per second', async () => {
    const limited = await startBroker({ port: 0, host: '127.0.0.1', log, config: { allowAnonymous: true, limits: { connectionsPerSecond: 3, maxPacketBytes: 65536, maxTopicLevels: 16, maxClientIdLength: 128 } } });
    try {
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => connect({}, limited.url)));
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      expect(ok).toBeGreaterThanOrEqual(1);
      expect(ok).toBeLessThanOrEqual(6); // 3 per one-second window; the burst may straddle two windows
      expect(limited.stats().rateLimited).toBe(8 - ok);
    } finally {
      await limited.stop();
    }
  });

  it('serves MQTT over TLS when key and cert are configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'broker-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const tls = await startBroker({
      port: 0, host: '127.0.0.1', log, configDir: dir,
      config: { users: [{ username: 'gateway', role: 'gateway', passwordHash: await hashPassword('gw-pass') }], tls: { key: 'key.pem', cert: 'cert.pem' } },
    });
    try {
      expect(tls.url).toMatch(/^mqtts:/);
      const c = await connect({ username: 'gateway', password: 'gw-pass', rejectUnauthorized: false }, tls.url);
      expect(c.connected).toBe(true);
      // Plain MQTT to the TLS port: the handshake fails and the connection is closed.
      const plain = mqttConnect(tls.url.replace('mqtts:', 'mqtt:'), { username: 'gateway', password: 'gw-pass', reconnectPeriod: 0, connectTimeout: 5000 });
      clients.push(plain);
      await new Promise<void>((resolve) => plain.once('close', () => resolve()));
      expect(plain.connected).toBe(false);
    } finally {
      await tls.stop();
    }
  });
});

describe('abuse limits', () => {
  it('delays, then bans, password guessing, and logs a summary instead of a line per try', async () => {
    const lines: string[] = [];
    const sink = pino({ level: 'info' }, new Writable({ write(chunk: Buffer, _enc, cb) { lines.push(chunk.toString()); cb(); } }));
    const guarded = await startBroker({
      port: 0, host: '127.0.0.1', log: sink, site: 'demo', deviceTypes: { 'fire-1': 'fire_panel' },
      config: { users: [{ username: 'fire-1', role: 'device', device: 'fire-1', passwordHash: await hashPassword('fire-pass') }], limits: { loginFailuresBeforeDelay: 2, loginFailuresBeforeBan: 5, loginBanSeconds: 60 } },
    });
    try {
      const answers: { error: string; ms: number }[] = [];
      for (let i = 0; i < 8; i++) {
        const t = Date.now();
        const error = await connect({ username: 'fire-1', password: `guess-${i}` }, guarded.url).then(() => 'connected', (e: Error) => e.message);
        answers.push({ error, ms: Date.now() - t });
      }
      expect(answers.slice(0, 5).every((a) => /Bad username or password/i.test(a.error))).toBe(true);
      expect(answers.slice(5).every((a) => /Not authorized/i.test(a.error))).toBe(true);
      expect(answers[4]!.ms).toBeGreaterThan(answers[1]!.ms + 500); // 250 ms doubling after 2 failures
      // Banned: even the right password is refused for now.
      await expect(connect({ username: 'fire-1', password: 'fire-pass' }, guarded.url)).rejects.toThrow(/Not authorized/i);
      expect(guarded.stats().loginsBanned).toBe(4);
      const warnings = lines.filter((l) => l.includes('MQTT'));
      expect(warnings.length).toBeLessThanOrEqual(3);
      expect(lines.join('')).not.toContain('guess-');
    } finally {
      await guarded.stop();
    }
  });

  it('counts failures per username across addresses and per address across usernames', () => {
    let now = 0;
    const l = new LoginLockout({ delayAfter: 1, banAfter: 3, banMs: 60_000 }, () => now);
    for (const addr of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) l.fail('fire-1', addr);
    expect(l.check('fire-1', '10.0.0.4').banned).toBe(true);
    expect(l.check('gateway', '10.0.0.4').banned).toBe(false);
    for (const user of ['a', 'b', 'c']) l.fail(user, '10.0.0.9');
    expect(l.check('gateway', '10.0.0.9').banned).toBe(true);
    now += 61_000;
    expect(l.check('fire-1', '10.0.0.4').banned).toBe(false);
    // A device's own address keeps its account while strangers guess it.
    l.succeed('fire-1', '10.0.0.50');
    for (const addr of ['10.1.0.1', '10.1.0.2', '10.1.0.3']) l.fail('fire-1', addr);
    expect(l.check('fire-1', '10.1.0.4').banned).toBe(true);
    expect(l.check('fire-1', '10.0.0.50')).toEqual({ banned: false, delayMs: 0 });
  });

  it('applies maxClientIdLength to MQTT 3.1.1 clients too', async () => {
    await expect(connect({ username: 'gateway', password: 'gw-pass', clientId: 'x'.repeat(500), protocolVersion: 4 })).rejects.toThrow(/Identifier rejected/i);
    const ok = await connect({ username: 'gateway', password: 'gw-pass', clientId: 'x'.repeat(100), protocolVersion: 4 });
    expect(ok.connected).toBe(true);
  });

  it('keeps at most retainedPerAccount retained messages per device', async () => {
    const quota = await startBroker({
      port: 0, host: '127.0.0.1', log, site: 'demo', deviceTypes: { 'fire-1': 'fire_panel' },
      config: {
        users: [{ username: 'gateway', role: 'gateway', passwordHash: await hashPassword('gw-pass') }, { username: 'fire-1', role: 'device', device: 'fire-1', passwordHash: await hashPassword('fire-pass') }],
        limits: { retainedPerAccount: 5, retainedBytesPerAccount: 10_000 },
      },
    });
    try {
      const dev = await connect({ username: 'fire-1', password: 'fire-pass' }, quota.url);
      for (let i = 0; i < 20; i++) await dev.publishAsync(`site/demo/fire_panel/fire-1/r${i}`, 'x'.repeat(500), { qos: 1, retain: true });
      const gw = await connect({ username: 'gateway', password: 'gw-pass' }, quota.url);
      const got: string[] = [];
      let markerSeen = () => undefined as void;
      let fiveSeen = () => undefined as void;
      const marker = new Promise<void>((resolve) => (markerSeen = resolve));
      const five = new Promise<void>((resolve) => (fiveSeen = resolve));
      gw.on('message', (topic, _p, packet) => {
        if (topic.endsWith('/marker')) return markerSeen();
        if (packet.retain && got.push(topic) === 5) fiveSeen();
      });
      await gw.subscribeAsync('site/demo/fire_panel/fire-1/#', { qos: 1 });
      await five;
      // Whatever else was retained arrives before a message published after the subscription completed.
      await gw.publishAsync('site/demo/fire_panel/fire-1/marker', 'end', { qos: 1 });
      await marker;
      expect(got).toHaveLength(5);
      expect(quota.stats().retainedRefused).toBe(15);
    } finally {
      await quota.stop();
    }
  });
});
