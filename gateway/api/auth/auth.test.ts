/**
 * Who gets in: login, bearer tokens, the role table (viewer < technician < dispatcher < admin),
 * technicians limited to their own orders, login rate limit, socket.io handshake, /metrics and
 * /api/health access, OpenAPI at /docs, CORS closed. A real gateway built from demo/site.yaml.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../app.js';
import { hashPassword, verifyPassword } from '../../auth/password.js';
import { TokenSigner } from '../../auth/token.js';
import { loadConfig } from '../../site/load.js';
import { createLogger } from '../../core/log.js';
import type { WorkOrder } from '../../core/model.js';

let gw: Gateway;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  const loaded = loadConfig(new URL('../../../demo/site.yaml', import.meta.url).pathname, { GW_DATA_DIR: mkdtempSync(join(tmpdir(), 'gw-auth-')) });
  gw = await createGateway(loaded, { log: createLogger('test', 'silent') });
  for (const [user, pw] of [['admin', 'admin-demo'], ['dispatcher', 'dispatcher-demo'], ['tech', 'tech-demo'], ['viewer', 'viewer-demo']]) {
    const res = await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user, password: pw } });
    expect(res.statusCode, res.body).toBe(200);
    tokens[user!] = res.json<{ token: string }>().token;
  }
});
afterAll(() => gw?.stop());

const call = (method: 'GET' | 'POST' | 'OPTIONS', url: string, as?: string, payload?: object, headers: Record<string, string> = {}) =>
  gw.app.inject({ method, url, ...(payload ? { payload } : {}), headers: { ...headers, ...(as ? { authorization: `Bearer ${tokens[as] ?? as}` } : {}) } });

describe('passwords and tokens', () => {
  it('hashes with scrypt and verifies in constant time; malformed hashes never match', async () => {
    const h = await hashPassword('s3cret');
    expect(h).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(await verifyPassword('s3cret', h)).toBe(true);
    expect(await verifyPassword('s3cret!', h)).toBe(false);
    expect(await verifyPassword('s3cret', 'plain-text')).toBe(false);
  });

  it('rejects tampered and expired tokens', () => {
    let now = 1_000_000;
    const signer = new TokenSigner(Buffer.alloc(32, 7), 60_000, () => now);
    const { token } = signer.sign('viewer', 'viewer');
    expect(signer.verify(token)?.sub).toBe('viewer');
    const [h, body, sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'viewer', role: 'admin', iat: 1000, exp: 9_999_999_999 })).toString('base64url');
    expect(signer.verify(`${h}.${forged}.${sig}`)).toBeUndefined();
    expect(new TokenSigner(Buffer.alloc(32, 8), 60_000, () => now).verify(token)).toBeUndefined();
    now += 61_000;
    expect(signer.verify(token)).toBeUndefined();
    expect(body).toBeTruthy();
  });
});

describe('API access', () => {
  it('logs in with the demo users and refuses wrong passwords with a coded 401', async () => {
    const me = await call('GET', '/api/auth/me', 'tech');
    expect(me.json()).toEqual({ username: 'tech', role: 'technician' });
    const bad = await call('POST', '/api/auth/login', undefined, { username: 'admin', password: 'wrong' });
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toEqual({ code: 'GW_ERR_UNAUTHORIZED', message: 'wrong username or password' });
    const missing = await call('POST', '/api/auth/login', undefined, { username: 'admin' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().code).toBe('GW_ERR_BAD_REQUEST');
  });

  it('needs a valid bearer token on every /api route except login and health', async () => {
    const none = await call('GET', '/api/devices');
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.json().code).toBe('GW_ERR_UNAUTHORIZED');
    expect((await call('GET', '/api/devices', 'not-a-token')).statusCode).toBe(401);
    expect((await call('GET', '/api/work-orders', 'viewer')).statusCode).toBe(200);
    // A body is not even parsed for an anonymous caller.
    expect((await call('POST', '/api/work-orders', undefined, { junk: true })).statusCode).toBe(401);
  });

  it('lets a viewer only read, and checks each role per endpoint', async () => {
    const create = { device: 'pump-1', fault: 'auth_test', category: 'water', title: 'Checked by the auth test' };
    const asViewer = await call('POST', '/api/work-orders', 'viewer', create);
    expect(asViewer.statusCode).toBe(403);
    expect(asViewer.json().code).toBe('GW_ERR_FORBIDDEN');
    expect((await call('POST', '/api/work-orders', 'tech', create)).statusCode).toBe(403);
    const created = await call('POST', '/api/work-orders', 'dispatcher', create);
    expect(created.statusCode).toBe(201);
    const order = created.json<WorkOrder>();
    expect((await call('POST', `/api/alarms/nope/ack`, 'viewer', {})).statusCode).toBe(403);
    expect((await call('POST', `/api/alarms/nope/ack`, 'tech', {})).statusCode).toBe(404);

    // A technician moves only orders assigned to them.
    const notMine = await call('POST', `/api/work-orders/${order.id}/transition`, 'tech', { to: 'accepted' });
    expect(notMine.statusCode).toBe(403);
    expect(notMine.json().message).toContain('not assigned to you');
    const assigned = await call('POST', `/api/work-orders/${order.id}/transition`, 'dispatcher', { to: 'accepted', assignee: 'tech' });
    expect(assigned.json()).toMatchObject({ status: 'accepted', assignee: 'tech' });
    const moved = await call('POST', `/api/work-orders/${order.id}/transition`, 'tech', { to: 'dispatched' });
    expect(moved.statusCode, moved.body).toBe(200);
    const handOff = await call('POST', `/api/work-orders/${order.id}/transition`, 'tech', { to: 'on_site', assignee: 'someone.else' });
    expect(handOff.statusCode).toBe(403);
    // The audit trail names the real user.
    const detail = await call('GET', `/api/work-orders/${order.id}`, 'viewer');
    expect(JSON.stringify(detail.json().audit)).toContain('"tech"');
  });

  it('limits login attempts per username with a coded 429', async () => {
    const from = { remoteAddress: '10.9.9.9' };
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'dispatcher', password: `guess-${i}` }, ...from });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) expect(res.json().code).toBe('GW_ERR_RATE_LIMITED');
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    // Another address is not affected.
    expect((await call('POST', '/api/auth/login', undefined, { username: 'viewer', password: 'viewer-demo' })).statusCode).toBe(200);
  });

  it('serves minimal health to anyone and component states with a token', async () => {
    const anon = await call('GET', '/api/health');
    expect(anon.statusCode).toBe(200);
    expect(Object.keys(anon.json()).sort()).toEqual(['status', 'uptimeSeconds']);
    const full = (await call('GET', '/api/health', 'viewer')).json();
    expect(full.components.history.backend).toBe('embedded');
    expect(Object.keys(full.components.connectors).sort()).toEqual(['modbus', 'mqtt', 'opcua']);
  });

  it('serves /metrics to admins only, in Prometheus text', async () => {
    expect((await call('GET', '/metrics')).statusCode).toBe(401);
    expect((await call('GET', '/metrics', 'viewer')).statusCode).toBe(403);
    const res = await call('GET', '/metrics', 'admin');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    for (const name of ['gw_readings_total', 'gw_devices_online', 'gw_work_orders_open', 'gw_api_errors_total', 'gw_history_queue_depth']) expect(res.body).toContain(name);
    expect(res.body).toMatch(/gw_api_errors_total\{status="403",code="GW_ERR_FORBIDDEN",site="demo"\} \d+/);
  });

  it('publishes OpenAPI at /docs and keeps CORS closed', async () => {
    expect((await call('GET', '/docs')).statusCode).toBeLessThan(400);
    const spec = (await call('GET', '/docs/json')).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/auth/login', '/api/devices', '/api/work-orders/{id}/transition']));
    const pre = await call('OPTIONS', '/api/devices', undefined, undefined, { origin: 'https://evil.example', 'access-control-request-method': 'GET' });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const cross = await call('GET', '/api/devices', 'viewer', undefined, { origin: 'https://evil.example' });
    expect(cross.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses socket.io connections without a valid token', async () => {
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
    const refused = io(url, { transports: ['websocket'], reconnection: false, auth: { token: 'forged' } });
    const err = await new Promise<Error & { data?: { code?: string } }>((resolve) => refused.once('connect_error', resolve));
    expect(err.data?.code).toBe('GW_ERR_UNAUTHORIZED');
    refused.close();
    const ok = io(url, { transports: ['websocket'], reconnection: false, auth: { token: tokens.viewer } });
    await new Promise<void>((resolve, reject) => {
      ok.once('connect', () => resolve());
      ok.once('connect_error', reject);
    });
    ok.close();
  });
});
