/**
 * Dashboard budget (issue 7): 500 devices updating every second keep the page responsive, and the
 * initial JavaScript stays ≤ 250 KB gzipped. `npm run bench:dashboard` (after `npm run build:dashboard`).
 *
 * Self-contained: a stand-in gateway (node:http + socket.io) serves dashboard/dist, answers login,
 * /api/devices (500 synthetic devices), /api/alarms and /api/work-orders, and emits one `telemetry`
 * batch per second with 3 changed values for every device (1,500 values/s). Headless Debian Chromium
 * (/usr/bin/chromium via playwright-core) shows the overview; PerformanceObserver counts long tasks
 * (> 50 ms) and requestAnimationFrame measures frame times for DURATION_S seconds.
 * Env: BENCH_DEVICES (500), BENCH_SECONDS (20).
 */
import { readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { Server } from 'socket.io';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const BUDGET_KB = 250;
/** Samples of the trend served to the equipment page (the real gateway downsamples to 2,000). */
const TREND_POINTS = Number(process.env.BENCH_TREND_POINTS ?? 100_000);

interface Measured {
  frames: number; fps: number; p50: number; p95: number; p99: number; max: number; over50: number;
  longTasks: number; longTaskMax: number; longTaskTotal: number;
}
const dist = new URL('../dashboard/dist/', import.meta.url).pathname;
if (!existsSync(join(dist, 'index.html'))) throw new Error('dashboard/dist missing: run npm run build:dashboard first');

// Initial JS: the module scripts and modulepreloads index.html names (lazy chunks excluded).
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
const initialGzip = initial.reduce((n, f) => n + gzipSync(readFileSync(join(dist, f)), { level: 9 }).length, 0);

const TYPES = ['elevator', 'pump', 'power', 'fire_panel'] as const;
const POINTS: Record<(typeof TYPES)[number], string[]> = {
  elevator: ['floor', 'door_close_time', 'motor_current'],
  pump: ['discharge_pressure', 'flow', 'bearing_temp', 'vibration'],
  power: ['voltage_l1', 'active_power', 'thd_v'],
  fire_panel: ['fire_alarm', 'trouble', 'battery_voltage'],
};
const devices = Array.from({ length: DEVICES }, (_, i) => {
  const type = TYPES[i % TYPES.length]!;
  const now = Date.now();
  return {
    id: `dev-${i}`, name: `Device ${i}`, type, building: `B${Math.floor(i / 50) + 1}`, protocol: 'modbus', comm: 'online', lastSeen: now,
    points: Object.fromEntries(POINTS[type].map((p) => [p, { value: 1, quality: 'good', ts: now, unit: '' }])), activeAlarms: 0, openOrders: 0,
  };
});

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
const json = (res: import('node:http').ServerResponse, body: unknown) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/api/auth/login') return json(res, { token: 'bench', expiresAt: Date.now() + 3_600_000, user: { username: 'bench', role: 'viewer' } });
  if (url.pathname === '/api/devices') return json(res, devices);
  if (url.pathname === '/api/history') {
    // Ignores `limit` on purpose: the chart itself is what is measured with TREND_POINTS samples.
    const to = Number(url.searchParams.get('to') ?? Date.now());
    const from = Number(url.searchParams.get('from') ?? to - 3_600_000);
    const step = (to - from) / TREND_POINTS;
    const samples = Array.from({ length: TREND_POINTS }, (_, i) => ({ ts: Math.round(from + i * step), value: 100 + 10 * Math.sin(i / 500) + Math.random() }));
    return json(res, { device: url.searchParams.get('device'), point: url.searchParams.get('point'), from, to, resolution: 'raw', samples, series: [] });
  }
  if (url.pathname.startsWith('/api/')) return json(res, []);
  const file = join(dist, url.pathname === '/' ? 'index.html' : url.pathname);
  if (!file.startsWith(dist) || !existsSync(file)) return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
const io = new Server(server);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as import('node:net').AddressInfo).port;
let tickNo = 0;
const ticker = setInterval(() => {
  tickNo++;
  const ts = Date.now();
  const batch = devices.flatMap((d) => POINTS[d.type].slice(0, 3).map((p, k) => ({ device: d.id, point: p, value: Math.round((100 + Math.sin(tickNo + k) * 10 + Math.random()) * 100) / 100, quality: 'good', ts })));
  io.emit('telemetry', batch);
}, 1000);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.locator('[data-testid="login-username"]').fill('bench');
  await page.locator('[data-testid="login-password"]').fill('bench');
  await page.locator('[data-testid="login-submit"]').click();
  await page.locator(`[data-testid="device-tile-dev-${DEVICES - 1}"]`).waitFor({ timeout: 30_000 });
  await page.locator('[data-testid="conn-indicator"][data-state="connected"]').waitFor();
  // A string, not a function: tsx's name helpers (__name) do not exist in the page.
  const measure = `(async (seconds) => {
    const longTasks = [];
    const obs = new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration)));
    obs.observe({ type: 'longtask', buffered: false });
    const frames = [];
    let last = performance.now();
    const end = last + seconds * 1000;
    await new Promise((done) => {
      const step = (t) => {
        frames.push(t - last);
        last = t;
        if (t < end) requestAnimationFrame(step);
        else done();
      };
      requestAnimationFrame(step);
    });
    obs.disconnect();
    const sorted = [...frames].sort((a, b) => a - b);
    const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    return { frames: frames.length, fps: frames.length / seconds, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: sorted[sorted.length - 1] ?? 0,
      over50: frames.filter((f) => f > 50).length, longTasks: longTasks.length, longTaskMax: Math.max(0, ...longTasks), longTaskTotal: longTasks.reduce((a, b) => a + b, 0) };
  })(${SECONDS})`;
  const r = (await page.evaluate(measure)) as Measured;
  const f = (n: number) => n.toFixed(1);
  console.log(`dashboard bench: ${DEVICES} devices, ${DEVICES * 3} values/s, ${SECONDS} s in headless Chromium`);
  console.log(`  frames      ${r.frames} (${f(r.fps)} fps)  frame time p50 ${f(r.p50)} ms  p95 ${f(r.p95)} ms  p99 ${f(r.p99)} ms  max ${f(r.max)} ms  >50 ms: ${r.over50}`);
  console.log(`  long tasks  ${r.longTasks}  max ${f(r.longTaskMax)} ms  total ${f(r.longTaskTotal)} ms (${f((r.longTaskTotal / (SECONDS * 1000)) * 100)} % of the time)`);
  // A trend of TREND_POINTS samples on the equipment page: time to a drawn chart and the longest task.
  const trend = (await page.evaluate(`(async () => {
    const longTasks = [];
    const obs = new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration)));
    obs.observe({ type: 'longtask', buffered: false });
    const t0 = performance.now();
    location.hash = '#/device/dev-1';
    while (!document.querySelector('[data-testid="trend-chart"] canvas')) await new Promise((r) => setTimeout(r, 5));
    const drawn = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 1000));
    obs.disconnect();
    return { drawn, longTaskMax: Math.max(0, ...longTasks), longTasks: longTasks.length };
  })()`)) as { drawn: number; longTaskMax: number; longTasks: number };
  console.log(`  trend       ${TREND_POINTS} samples drawn in ${f(trend.drawn)} ms (fetch, parse, uPlot); longest task ${f(trend.longTaskMax)} ms`);
  console.log(`  initial JS  ${(initialGzip / 1024).toFixed(1)} KB gzipped (${initial.join(', ')}) budget ${BUDGET_KB} KB: ${initialGzip <= BUDGET_KB * 1024 ? 'OK' : 'OVER'}`);
  if (initialGzip > BUDGET_KB * 1024) process.exitCode = 1;
} finally {
  clearInterval(ticker);
  await browser.close();
  io.close();
  server.close();
}
