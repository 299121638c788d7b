/**
 * socket.io sessions end with their token (gateway/api/auth/socket.ts): refused without a token,
 * disconnected at the token's expiry while telemetry flows, and cut off when the config file
 * removes the user or changes the role (gateway/auth/reload.ts). A real gateway and real sockets.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../app.js';
import { TokenSigner } from '../../auth/token.js';
import { loadConfig } from '../../site/load.js';
import { createLogger } from '../../core/log.js';

let gw: Gateway;
let url: string;
let file: string;
let dataDir: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-sock-'));
  file = join(dir, 'site.yaml');
  copyFileSync(new URL('../../../demo/site.yaml', import.meta.url).pathname, file);
  dataDir = join(dir, 'data');
  gw = await createGateway(loadConfig(file, { GW_DATA_DIR: dataDir }), { log: createLogger('test', 'silent'), usersReloadMs: 100 });
  await gw.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
});
afterAll(() => gw?.stop());

const login = async (username: string) =>
  (await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: `${username}-demo` } })).json<{ token: string }>().token;

function connect(token?: string): Promise<Socket> {
  const s = io(url, { transports: ['websocket'], reconnection: false, ...(token ? { auth: { token } } : {}) });
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', (err) => { s.close(); reject(err); });
  });
}
const ended = (s: Socket) => new Promise<{ code: string; at: number }>((resolve) => {
  let code = '';
  s.once('session-ended', (e: { code: string }) => { code = e.code; });
  s.once('disconnect', () => resolve({ code, at: Date.now() }));
});

describe('socket.io sessions', () => {
  it('refuses a handshake without a token', async () => {
    const err = (await connect().catch((e: unknown) => e)) as { data?: { code?: string } };
    expect(err.data?.code).toBe('GW_ERR_UNAUTHORIZED');
  });

  it("disconnects at the token's expiry, while telemetry keeps flowing", async () => {
    // A short-lived token signed with the gateway's own secret (its lifetime is config, auth.tokenTtl).
    const secret = Buffer.from(readFileSync(join(dataDir, 'token-secret'), 'utf8').trim(), 'hex');
    const { token, expiresAt } = new TokenSigner(secret, 2000).sign('viewer', 'viewer');
    const s = await connect(token);
    const telemetryAt: number[] = [];
    s.on('telemetry', () => telemetryAt.push(Date.now()));
    const feed = setInterval(() => gw.pipeline.ingest([{ device: 'pump-1', point: 'discharge_pressure', value: Math.random(), quality: 'good', ts: Date.now() }]), 50);
    try {
      const end = await ended(s);
      expect(end.code).toBe('GW_ERR_UNAUTHORIZED');
      expect(end.at).toBeGreaterThanOrEqual(expiresAt - 50);
      expect(telemetryAt.length).toBeGreaterThan(0);
      expect(telemetryAt.filter((t) => t > expiresAt + 300)).toEqual([]);
    } finally {
      clearInterval(feed);
      s.close();
    }
    expect((await gw.app.inject({ method: 'GET', url: '/api/devices', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
  });

  it('cuts off a removed user and a changed role when the config file changes', async () => {
    const [tech, viewer] = [await connect(await login('tech')), await connect(await login('viewer'))];
    const admin = await connect(await login('admin'));
    const endings = Promise.all([ended(tech), ended(viewer)]);
    const yaml = readFileSync(file, 'utf8');
    writeFileSync(file, yaml.replace(/^ {2}- \{ username: tech,.*\n/m, '').replace('username: viewer, role: viewer', 'username: viewer, role: technician'));
    const [t, v] = await endings;
    expect([t.code, v.code]).toEqual(['GW_ERR_UNAUTHORIZED', 'GW_ERR_UNAUTHORIZED']);
    expect(admin.connected).toBe(true);
    admin.close();
  });
});
