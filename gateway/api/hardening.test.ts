/**
 * The API against an attacker and a careless operator (README.md, "Security"): every route refuses
 * missing, forged and expired tokens; login failures log no typed username and are limited per
 * username (not only per address); security headers and a CSP on every response, HSTS with TLS;
 * path traversal and hostile bodies get coded 4xx and no stack; demo passwords on a public address
 * are announced at start. A real gateway built from demo/site.yaml.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../app.js';
import { TokenSigner } from '../auth/token.js';
import { loadConfig, type LoadedConfig } from '../site/load.js';
import { POLICY } from './auth/policy.js';

const DEMO = new URL('../../demo/site.yaml', import.meta.url).pathname;
const lines: string[] = [];
let waiters: { match: string; resolve: () => void }[] = [];
const captured = () => pino({ level: 'info' }, new Writable({
  write(chunk: Buffer, _enc, cb) {
    const l = chunk.toString();
    lines.push(l);
    waiters = waiters.filter((w) => (l.includes(w.match) ? (w.resolve(), false) : true));
    cb();
  },
}));
const logged = (match: string) => new Promise<void>((resolve) => (lines.some((l) => l.includes(match)) ? resolve() : waiters.push({ match, resolve })));
const fresh = (): LoadedConfig => loadConfig(DEMO, { GW_DATA_DIR: mkdtempSync(join(tmpdir(), 'gw-hard-')) });

let gw: Gateway;
let loaded: LoadedConfig;
let admin = '';
beforeAll(async () => {
  loaded = fresh();
  gw = await createGateway(loaded, { log: captured() });
  admin = (await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'admin-demo' } })).json<{ token: string }>().token;
});
afterAll(() => gw?.stop());
const as = (token: string) => ({ authorization: `Bearer ${token}` });

describe('tokens on every route', () => {
  it('answers 401 without a token, with a forged one and with an expired one, on every non-public route', async () => {
    const secret = Buffer.from(readFileSync(join(loaded.dataDir, 'token-secret'), 'utf8').trim(), 'hex');
    const expired = new TokenSigner(secret, 60_000, () => Date.now() - 3_600_000).sign('admin', 'admin').token;
    const [h, , sig] = new TokenSigner(secret, 60_000).sign('viewer', 'viewer').token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', role: 'admin', iat: 1, exp: 9_999_999_999 })).toString('base64url')}.${sig}`;
    const routes = Object.entries(POLICY)
      .filter(([, access]) => access !== 'public')
      .map(([key]) => key.split(' ') as ['GET' | 'POST', string])
      .filter(([method, url]) => gw.app.hasRoute({ method, url }));
    expect(routes.length).toBeGreaterThan(30);
    for (const [method, route] of routes) {
      const url = route.replace(/:\w+/g, 'x');
      for (const headers of [{}, as(forged), as(expired), as('garbage')]) {
        const res = await gw.app.inject({ method, url, headers, ...(method === 'POST' ? { payload: {} } : {}) });
        expect({ route, status: res.statusCode, code: res.json<{ code: string }>().code }).toEqual({ route, status: 401, code: 'GW_ERR_UNAUTHORIZED' });
      }
    }
  });
});

describe('login', () => {
  it('logs a failed login without the typed username', async () => {
    const typo = 'Tr0ub4dor&3-my-real-password';
    const res = await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: typo, password: 'x' } });
    expect(res.statusCode).toBe(401);
    await logged('login failed');
    expect(lines.join('')).not.toContain(typo);
  });

  it('limits attempts per username across addresses, and one busy address does not lock out the others', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'dispatcher', password: `guess-${i}` }, remoteAddress: `10.7.0.${i + 1}` });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    // Behind one shared address (NAT), twelve people mistyping once each are not refused.
    const nat = { remoteAddress: '10.8.0.1' };
    for (let i = 0; i < 12; i++) {
      expect((await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: `colleague${i}`, password: 'typo' }, ...nat })).statusCode).toBe(401);
    }
    expect((await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'viewer', password: 'viewer-demo' }, ...nat })).statusCode).toBe(200);
  });
});

describe('HTTP hardening', () => {
  it('sends nosniff, frame-ancestors and a CSP on every response, and no HSTS without TLS', async () => {
    for (const url of ['/api/health', '/api/nothing', '/docs/json']) {
      const res = await gw.app.inject({ method: 'GET', url });
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('serves HTTPS with HSTS when http.tls is configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const tlsLoaded = fresh();
    tlsLoaded.config.http.tls = { key: join(dir, 'key.pem'), cert: join(dir, 'cert.pem') };
    const tls = await createGateway(tlsLoaded, { log: pino({ level: 'silent' }) });
    try {
      await tls.app.listen({ port: 0, host: '127.0.0.1' });
      const port = (tls.app.server.address() as AddressInfo).port;
      const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/api/health', rejectUnauthorized: false }, (res) => { res.resume(); resolve(res.headers); }).on('error', reject).end();
      });
      expect(headers['strict-transport-security']).toMatch(/max-age=\d+/);
    } finally {
      await tls.stop();
    }
  });

  it('refuses path traversal in every spelling, without leaking a file', async () => {
    const secret = readFileSync(join(loaded.dataDir, 'token-secret'), 'utf8').trim();
    const variants = [
      '/../../../../etc/passwd', '/..%2f..%2f..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/%252e%252e/%252e%252e/etc/passwd',
      '/....//....//....//etc/passwd', '/..\\..\\..\\..\\etc\\passwd', '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd', '/docs/static/../../../../package.json',
      '/docs/static/..%2f..%2f..%2f..%2fpackage.json', '/docs/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/package.json', '/docs/static/..%5c..%5c..%5cpackage.json',
      '/docs/static/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/passwd', '/api/devices/..%2f..%2f..%2fetc%2fpasswd', '/api/work-orders/..%2f..%2fdata%2ftoken-secret',
      '/api/history?device=../../etc/passwd&point=x', '/api/history.csv?device=..%2f..%2fetc%2fpasswd&point=..%2f..', '/%00/etc/passwd', '/docs/static/%00../../package.json',
    ];
    expect(variants).toHaveLength(18);
    for (const url of variants) {
      const res = await gw.app.inject({ method: 'GET', url, headers: as(admin) });
      expect({ url, ok: res.statusCode >= 400 && res.statusCode < 500 }).toEqual({ url, ok: true });
      expect(res.body).not.toMatch(/root:.*:0:0:|"devDependencies"/);
      expect(res.body).not.toContain(secret);
    }
  });

  it('stores NUL, emoji and right-to-left text intact and refuses 10 MB and 120k-deep bodies, never with a stack', async () => {
    const title = 'pump \u0000 🚒🔥 \u202Eevil\u202C مضخة';
    const created = await gw.app.inject({ method: 'POST', url: '/api/work-orders', headers: as(admin), payload: { fault: 'unicode_check', category: 'general', title } });
    expect(created.statusCode).toBe(201);
    const stored = await gw.app.inject({ method: 'GET', url: `/api/work-orders/${created.json<{ id: string }>().id}`, headers: as(admin) });
    expect(stored.json<{ title: string }>().title).toBe(title);
    const hostile = [
      { body: JSON.stringify({ fault: 'big', category: 'general', title: 'x'.repeat(10 * 1024 * 1024) }), status: 413 },
      { body: `${'['.repeat(120_000)}${']'.repeat(120_000)}`, status: 400 },
      { body: `{"a":${'{"a":'.repeat(40_000)}1${'}'.repeat(40_001)}`, status: 400 },
    ];
    for (const h of hostile) {
      const res = await gw.app.inject({ method: 'POST', url: '/api/work-orders', headers: { ...as(admin), 'content-type': 'application/json' }, payload: h.body });
      expect(res.statusCode).toBe(h.status);
      expect(res.json<{ code: string }>().code).toMatch(/^GW_ERR_/);
      expect(res.body).not.toMatch(/\n\s+at /);
    }
  });
});

describe('demo credentials', () => {
  it('warns loudly at start when demo passwords are in use on a non-loopback address', async () => {
    const demo = fresh();
    demo.config.devices = [];
    const g = await createGateway(demo, { log: captured(), port: 0, host: '0.0.0.0' });
    try {
      const warned = logged('DEMO PASSWORDS IN USE');
      await g.start();
      await warned;
      const line = lines.find((l) => l.includes('DEMO PASSWORDS IN USE'))!;
      expect(JSON.parse(line)).toMatchObject({ level: 50, users: ['admin', 'dispatcher', 'tech', 'viewer'], host: '0.0.0.0' });
    } finally {
      await g.stop();
    }
  });
});
