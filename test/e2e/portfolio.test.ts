/**
 * The company demo end to end (`demo/portfolio.ts` as a child process, every port free and given by
 * environment, data in a temp folder): three estates, a 3-node NATS cluster, PostgreSQL and head
 * office. (a) A fault injected at harbour's simulators reaches head office's order list within
 * 5 s of the injection, which includes the pump rule's 1 s on-delay and the 500 ms pump poll of
 * demo/estates/estate.yaml. (b) In headless Chromium the service desk sees all three estates
 * online, harbour's order, both languages, and a new request for hillside applied by the estate.
 * (c) SIGINT stops the whole process tree. Screenshots go to test/artifacts/ (gitignored).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estatePortVar, portDefaults } from '../../demo/portfolio/layout.js';
import { freePorts } from '../../tools/ports.js';
import { waitFor } from '../../tools/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test/artifacts/');
mkdirSync(ARTIFACTS, { recursive: true });

/**
 * A run of free ports below the kernel's ephemeral range: the demo binds them over ~20 s, and a
 * port the kernel hands out (freePorts) may meanwhile be taken by any outgoing connection.
 */
async function quietPorts(count: number): Promise<number[]> {
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  if (!(low > 20_000 + count)) return freePorts(count);
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (low - 20_000 - count));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if ((await Promise.all(ports.map(bindable))).every(Boolean)) return ports;
  }
  return freePorts(count);
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}

const portNames = Object.keys(portDefaults());
const freeList = await quietPorts(portNames.length);
const ports: Record<string, number> = Object.fromEntries(portNames.map((n, i) => [n, freeList[i]!]));
// PostgreSQL runs as nobody when the test runs as root: the folder must be reachable by it.
const dataDir = mkdtempSync(join(tmpdir(), 'portfolio-e2e-'));
chmodSync(dataDir, 0o755);

const hqUrl = `http://127.0.0.1:${ports.PORTFOLIO_HQ_PORT}`;
const control = (site: string) => `http://127.0.0.1:${ports[estatePortVar(site, 'SIM_CONTROL_PORT')]}`;

let proc: ChildProcess;
let out = '';
let exited: Promise<number | string>;
let browser: Browser | undefined;
let page: Page;
/** pid → start time of every process under the portfolio, taken while it runs. */
let tree = new Map<number, string>();

const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}portfolio-${name}.png`, fullPage: true });
const byId = (id: string) => page.locator(`[data-testid="${id}"]`);

/** `/proc/<pid>/stat`: parent pid, state and start time (fields after the command name). */
function stat(pid: number): { ppid: number; state: string; start: string } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, ppid: Number(f[1]), start: f[19]! };
  } catch {
    return null;
  }
}

function descendants(root: number): Map<number, string> {
  const children = new Map<number, number[]>();
  const starts = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (!s) continue;
    starts.set(Number(name), s.start);
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(name)]);
  }
  const found = new Map<number, string>();
  const queue = [...(children.get(root) ?? [])];
  while (queue.length) {
    const pid = queue.shift()!;
    found.set(pid, starts.get(pid)!);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** Still the same process and not a zombie. */
const alive = (pid: number, start: string) => {
  const s = stat(pid);
  return s !== null && s.start === start && s.state !== 'Z';
};

async function login(username: string, password: string): Promise<string> {
  const res = await fetch(`${hqUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

interface HqOrder { number: string; site: string; device: string | null; fault: string | null; status: string; title: string; faultAt: number; createdAt: number }

async function orders(token: string, site: string): Promise<HqOrder[]> {
  const res = await fetch(`${hqUrl}/api/orders?site=${site}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /api/orders?site=${site}: HTTP ${res.status}`);
  return ((await res.json()) as { orders: HqOrder[] }).orders;
}

beforeAll(async () => {
  // Head office serves the built pages (npm test and npm run portfolio build them first).
  if (!existsSync(join(ROOT, 'dashboard/dist/hq.html'))) {
    execFileSync('npx', ['vite', 'build', '--config', 'dashboard/vite.config.ts'], { cwd: ROOT, stdio: 'ignore' });
  }
  proc = spawn(process.execPath, ['--import', 'tsx', 'demo/portfolio.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), PORTFOLIO_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => { if (out.includes('Press Ctrl-C to stop.')) resolve(); };
    proc.stdout!.on('data', check);
    void exited.then((how) => reject(new Error(`portfolio exited (${how}) before it was ready:\n${out}`)));
  });
  [, browser] = await Promise.all([
    ready,
    launchChromium(),
  ]);
  tree = descendants(proc.pid!);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(20_000);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    proc.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  }
  // Whatever a failed test left behind.
  for (const [pid, start] of tree) if (alive(pid, start)) process.kill(pid, 'SIGKILL');
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('company demo: three estates, NATS, PostgreSQL, head office', () => {
  it('prints every URL and the demo logins', () => {
    for (const site of ['riverside', 'harbour', 'hillside']) {
      expect(out).toContain(`http://localhost:${ports[estatePortVar(site, 'GW_HTTP_PORT')]}/`);
      expect(out).toContain(`http://localhost:${ports[estatePortVar(site, 'SIM_CONTROL_PORT')]}/devices`);
    }
    expect(out).toContain(`http://localhost:${ports.PORTFOLIO_HQ_PORT}/`);
    expect(out).toContain('hq-desk / hq-desk-demo');
    expect(out).toContain('hq-admin / hq-admin-demo');
    // The per-run NATS passwords are never printed.
    expect(out).not.toMatch(/password/i);
    // Every process of the demo runs under it: 3 NATS nodes, PostgreSQL, head office, 3 estates.
    const cmds = [...tree.keys()].map((pid) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { return ''; } });
    expect(cmds.filter((c) => c.includes('nats-server'))).toHaveLength(3);
    expect(cmds.filter((c) => c.includes('demo/start.ts'))).toHaveLength(3);
    expect(cmds.filter((c) => c.includes('hq/main.ts'))).toHaveLength(1);
    expect(cmds.some((c) => /postgres -D/.test(c))).toBe(true);
  });

  it('(a) a fault at harbour is an order at head office within 5 s of the injection', async () => {
    const token = await login('hq-desk', 'hq-desk-demo');
    expect(await orders(token, 'harbour')).toEqual([]);
    const t0 = Date.now();
    const res = await fetch(`${control('harbour')}/devices/pump-1/faults`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fault: 'low_pressure' }),
    });
    expect(res.ok).toBe(true);
    const order = await waitFor(async () => (await orders(token, 'harbour')).find((o) => o.device === 'pump-1' && o.fault === 'low_pressure'), {
      timeout: 10_000, interval: 100, what: 'the harbour pump-1 order at head office',
    });
    const latency = Date.now() - t0;
    // faultAt: the first reading below the limit; createdAt: the estate's order, after the 1 s on-delay.
    process.stdout.write(`fault -> head-office order: ${latency} ms (reading below limit +${order.faultAt - t0} ms, estate order +${order.createdAt - t0} ms, seen at head office +${latency} ms)\n`);
    expect(latency).toBeLessThanOrEqual(5000);
    expect(order).toMatchObject({ site: 'harbour', status: 'new' });
    expect(order.number).toMatch(/^WO-HBR-/);
    // Only harbour has it.
    expect(await orders(token, 'riverside')).toEqual([]);
  });

  it('(b) the service desk works across estates in the browser, in both languages', async () => {
    await page.goto(`${hqUrl}/`);
    await byId('login-username').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await shot('01-login');
    await byId('login-username').fill('hq-desk');
    await byId('login-password').fill('hq-desk-demo');
    await byId('login-submit').click();
    await page.locator('[data-testid="user-role"][data-role="hq-desk"]').waitFor();

    // Estates overview: all three online, every device connected (the first heartbeat of an estate
    // may be sent while its devices still connect; the next one follows within seconds).
    for (const site of ['riverside', 'harbour', 'hillside']) {
      await page.locator(`[data-testid="site-card-${site}"][data-comm="online"]`).waitFor();
      await page.locator(`[data-testid="site-offline-${site}"][data-value^="0/"]`).waitFor();
    }
    await page.locator('[data-testid="site-alarms-harbour"]:not([data-value="0"])').waitFor();
    await shot('02-estates');

    // Harbour's card opens its orders.
    await byId('site-card-harbour').click();
    const row = page.locator('[data-testid^="orders-row-WO-HBR-"][data-site="harbour"]').first();
    await row.waitFor();
    expect(page.url()).toContain('site=harbour');
    expect(await page.locator('[data-testid^="orders-row-"]:not([data-site="harbour"])').count()).toBe(0);
    const headingZh = (await page.locator('h1').first().textContent())?.trim();
    await shot('03-orders-harbour');

    // English, then the request for hillside from the page.
    await byId('lang-switch').click();
    await page.locator('[data-testid="lang-switch"][data-lang="en"]').waitFor();
    await page.waitForFunction((before) => {
      const h1 = document.querySelector('h1');
      return !!h1 && h1.textContent?.trim() !== before && document.documentElement.lang === 'en';
    }, headingZh);
    const headingEn = (await page.locator('h1').first().textContent())?.trim();
    expect(headingEn).toMatch(/orders/i);
    await page.locator('[data-testid^="orders-row-WO-HBR-"]').first().waitFor();
    await shot('04-orders-harbour-en');

    await byId('new-request-open').click();
    await byId('new-request-form').waitFor();
    await byId('new-request-site').selectOption('hillside');
    await byId('new-request-category').selectOption('general');
    await byId('new-request-title').fill('Lobby door does not close (owner call)');
    await byId('new-request-description').fill('Reported on the company hotline.');
    await shot('05-new-request');
    await byId('new-request-submit').click();
    const status = byId('command-status').first();
    await status.waitFor();
    await page.locator('[data-testid="command-status"][data-status="applied"]').waitFor({ timeout: 30_000 });
    await shot('06-request-applied');
    const token = await login('hq-desk', 'hq-desk-demo');
    const hillside = await waitFor(async () => (await orders(token, 'hillside')).find((o) => o.title === 'Lobby door does not close (owner call)'), {
      timeout: 10_000, what: 'the hillside request at head office',
    });
    expect(hillside.number).toMatch(/^WO-HLS-/);

    // And back to Chinese.
    await byId('lang-switch').click();
    await page.locator('[data-testid="lang-switch"][data-lang="zh-CN"]').waitFor();
    await page.waitForFunction((zh) => document.querySelector('h1')?.textContent?.trim() === zh, headingZh);
    await shot('07-orders-zh');
  });

  it('(c) SIGINT stops every process of the demo', async () => {
    const now = descendants(proc.pid!);
    for (const [pid, start] of now) tree.set(pid, start);
    expect(tree.size).toBeGreaterThanOrEqual(8);
    const t0 = Date.now();
    proc.kill('SIGINT');
    const how = await exited;
    const took = Date.now() - t0;
    process.stdout.write(`portfolio stopped in ${took} ms\n`);
    expect(how).toBe(0);
    expect(took).toBeLessThan(15_000);
    expect(out).toContain('stopped');
    const left = await waitFor(() => [...tree].every(([pid, start]) => !alive(pid, start)) || null, {
      timeout: 5000, what: 'every child process to be gone',
    }).catch(() => [...tree].filter(([pid, start]) => alive(pid, start)).map(([pid]) => pid));
    expect(left).toBe(true);
  });
});
