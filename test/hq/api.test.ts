/**
 * The head-office API with `app.inject()` over a real PostgreSQL filled through applyEvents and
 * applyRollups: tokens and roles, estate scoping, order filters and the overdue flag, ranking
 * order, trend aggregation, coded 400s, commands stored while NATS is absent.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../gateway/auth/password.js';
import { createLogger } from '../../gateway/core/log.js';
import type { HqApiContext } from '../../hq/api/context.js';
import { buildHqApi } from '../../hq/api/server.js';
import type { HqUserConfig } from '../../hq/api/roles.js';
import { HqUserBook } from '../../hq/api/users.js';
import { CommandDesk } from '../../hq/commands.js';
import { migrate } from '../../hq/db/migrate.js';
import { createPool, type Db } from '../../hq/db/pool.js';
import { applyEvents, applyRollups } from '../../hq/ingest/apply.js';
import { HqMetrics } from '../../hq/metrics.js';
import { startPostgres, type PostgresHandle } from '../../tools/postgres.js';
import { T0, alarm, envelope, order, rollup, status } from './fixtures.js';

const H = 3_600_000;
const NOW = T0 + 25 * H;
let pgServer: PostgresHandle;
let pool: Db;
let app: FastifyInstance;
let ctx: HqApiContext;
const tokens: Record<string, string> = {};
const ids = { a1: '00000000-0000-4000-8000-0000000000a1', a2: '00000000-0000-4000-8000-0000000000a2', b1: '00000000-0000-4000-8000-0000000000b1' };

beforeAll(async () => {
  pgServer = await startPostgres();
  pool = createPool(pgServer.url);
  await migrate(pool);
  const log = createLogger('test', 'silent');
  const hash = await hashPassword('pw');
  const users: HqUserConfig[] = [
    { username: 'admin', passwordHash: hash, role: 'hq-admin' },
    { username: 'desk', passwordHash: hash, role: 'hq-desk' },
    { username: 'sup', passwordHash: hash, role: 'hq-supervisor' },
    { username: 'planner', passwordHash: hash, role: 'hq-viewer' },
    { username: 'north', passwordHash: hash, role: 'hq-desk', sites: ['a'] },
  ];
  const metrics = new HqMetrics(async () => ({}));
  ctx = {
    pool, users: new HqUserBook(users, Buffer.alloc(32, 3), H, () => NOW), desk: new CommandDesk(pool, () => null, log, () => NOW),
    metrics, now: () => NOW, startedAt: T0, statusPeriodMs: 300_000, loginAttemptsPerMinute: 100,
    probe: async () => ({ nats: { connected: false }, consumers: {} }), dashboardDir: '/nonexistent-dashboard',
  };
  app = await buildHqApi(ctx, log);

  const c = await pool.connect();
  try {
    await applyEvents(c, [
      status('a', 1, {}, NOW - 60_000),
      envelope('a', 2, 'order.changed', { ...order({ id: ids.a1, number: 'WO-A-20261103-0001', status: 'closed', respondedAt: T0 + 600_000, resolvedAt: T0 + 2 * H, closedAt: T0 + 3 * H, feedback: { rating: 5, comment: null, at: T0 + 3 * H } }), action: 'closed' }),
      envelope('a', 3, 'order.created', { ...order({ id: ids.a2, number: 'WO-A-20261103-0002', priority: 'normal', category: 'general', title: 'Lobby door =cmd', respondBy: T0 + 24 * H }), action: 'created' }),
      envelope('a', 4, 'alarm.raised', alarm({ id: 'a-al-1' })),
      status('b', 1, { offline: 3 }, T0),
      envelope('b', 2, 'order.changed', { ...order({ id: ids.b1, number: 'WO-B-20261103-0001', status: 'accepted', respondedAt: T0 + 3 * H, assignee: 'wang' }), action: 'accepted' }),
      status('c', 1, {}, T0),
    ], { now: NOW - 60_000 });
    const m0 = Math.floor(T0 / H) * H;
    const row = (mean: number, count = 60) => ({ device: 'pump-1', equipment: 'pump', point: 'vibration', min: mean - 1, mean, max: mean + 1, count });
    await applyRollups(c, [
      rollup('a', m0, [row(2)]), rollup('a', m0 + 60_000, [row(4, 20)]), rollup('a', m0 + H, [row(8)]),
      rollup('b', m0, [row(10)]),
      rollup('b', m0 + 120_000, [{ ...row(50), equipment: 'elevator', point: 'vibration', device: 'lift-1' }]),
    ]);
  } finally {
    c.release();
  }
  for (const u of users) {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: u.username, password: 'pw' } });
    expect(res.statusCode, res.body).toBe(200);
    tokens[u.username] = res.json<{ token: string }>().token;
  }
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
  await pgServer?.stop();
});

const get = (url: string, as?: string) => app.inject({ method: 'GET', url, headers: as ? { authorization: `Bearer ${tokens[as] ?? as}` } : {} });
const post = (url: string, as: string, payload: object) => app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${tokens[as]}` } });

describe('access', () => {
  it('needs a token everywhere except login and minimal health', async () => {
    const none = await get('/api/sites');
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ statusCode: 401, code: 'HQ_ERR_UNAUTHORIZED' });
    expect((await get('/api/orders', 'forged.token.here')).statusCode).toBe(401);
    const health = await get('/api/health');
    expect(health.statusCode).toBe(200);
    expect(Object.keys(health.json()).sort()).toEqual(['status', 'uptimeSeconds']);
    expect((await get('/api/health', 'planner')).json().components).toMatchObject({ postgres: { ok: true }, nats: { connected: false } });
    const bad = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'desk', password: 'nope' } });
    expect(bad.json()).toMatchObject({ code: 'HQ_ERR_UNAUTHORIZED', message: 'wrong username or password' });
    expect((await get('/api/auth/me', 'north')).json()).toEqual({ username: 'north', role: 'hq-desk', sites: ['a'] });
  });

  it('enforces roles: viewers read, supervisors rank, the desk sends commands, admins scrape', async () => {
    const asViewer = await post('/api/sites/a/requests', 'planner', { title: 'Leak in B2', category: 'water' });
    expect(asViewer.statusCode).toBe(403);
    expect(asViewer.json().code).toBe('HQ_ERR_FORBIDDEN');
    expect((await get('/api/ranking?kpi=sla&month=2026-11', 'planner')).statusCode).toBe(403);
    expect((await get('/api/ranking?kpi=sla&month=2026-11', 'sup')).statusCode).toBe(200);
    expect((await post('/api/sites/a/requests', 'sup', { title: 'x', category: 'water' })).statusCode).toBe(403);
    expect((await get('/metrics')).statusCode).toBe(401);
    expect((await get('/metrics', 'desk')).statusCode).toBe(403);
    const m = await get('/metrics', 'admin');
    expect(m.statusCode).toBe(200);
    for (const name of ['hq_events_applied_total', 'hq_rejected_total', 'hq_events_duplicate_total', 'hq_gaps_open', 'hq_apply_batch_seconds']) expect(m.body).toContain(name);
  });

  it('limits a sites-restricted user to its estates', async () => {
    const sites = (await get('/api/sites', 'north')).json().sites as { site: string }[];
    expect(sites.map((s) => s.site)).toEqual(['a']);
    const orders = (await get('/api/orders', 'north')).json();
    expect(orders.orders.map((o: { site: string }) => o.site)).toEqual(['a', 'a']);
    expect((await get('/api/orders?site=b', 'north')).json().code).toBe('HQ_ERR_SITE_FORBIDDEN');
    expect((await post(`/api/orders/${ids.b1}/assign`, 'north', { assignee: 'li' })).statusCode).toBe(403);
    expect((await get('/api/ranking?kpi=sla&month=2026-11', 'north')).json().rows.map((r: { site: string }) => r.site)).toEqual(['a']);
  });
});

describe('estates and orders', () => {
  it('summarises each estate', async () => {
    const { sites } = (await get('/api/sites', 'planner')).json();
    expect(sites).toHaveLength(3);
    expect(sites[0]).toMatchObject({
      site: 'a', name: 'Estate a', code: 'A', url: 'http://a.example', comm: 'online', lastSeq: 4, watermark: 4, gap: null,
      devices: 10, devicesOffline: 1, activeAlarms: 1, urgentOpen: 0, overdue: 1, slaThisMonth: 0.5,
    });
    expect(sites[1]).toMatchObject({ site: 'b', comm: 'offline', devicesOffline: 3, urgentOpen: 1, overdue: 0, slaThisMonth: 0 });
    expect(sites[2]).toMatchObject({ site: 'c', slaThisMonth: null });
  });

  it('filters orders and flags the overdue ones', async () => {
    const all = (await get('/api/orders', 'planner')).json();
    expect(all.total).toBe(3);
    const overdue = (await get('/api/orders?overdue=true', 'planner')).json();
    expect(overdue.orders.map((o: { id: string }) => o.id)).toEqual([ids.a2]);
    expect(overdue.orders[0]).toMatchObject({ site: 'a', overdue: true, number: 'WO-A-20261103-0002', url: `http://a.example/#/orders/${ids.a2}` });
    expect((await get('/api/orders?overdue=false', 'planner')).json().total).toBe(2);
    expect((await get('/api/orders?site=b', 'planner')).json().orders.map((o: { id: string }) => o.id)).toEqual([ids.b1]);
    expect((await get('/api/orders?category=general', 'planner')).json().total).toBe(1);
    expect((await get('/api/orders?state=open', 'planner')).json().total).toBe(2);
    expect((await get('/api/orders?state=closed', 'planner')).json().orders[0].feedback.rating).toBe(5);
    expect((await get('/api/orders?q=wo-b-2026', 'planner')).json().total).toBe(1);
    expect((await get('/api/orders?q=%25', 'planner')).json().total).toBe(0);
    const page = (await get('/api/orders?limit=1&offset=5', 'planner')).json();
    expect(page).toEqual({ total: 3, orders: [] });
    expect((await get('/api/alarms?active=true', 'planner')).json()).toMatchObject({ total: 1, alarms: [{ id: 'a-al-1', site: 'a' }] });
  });

  it('answers bad query values with a coded 400 naming the parameter', async () => {
    for (const [url, text] of [
      ['/api/orders?limit=0', 'querystring.limit'],
      ['/api/orders?overdue=maybe', 'querystring.overdue'],
      ['/api/orders?state=lost', 'querystring.state'],
      ['/api/orders?site=Bad%20Site', 'querystring.site'],
      ['/api/orders?colour=red', 'colour'],
      ['/api/ranking?kpi=speed&month=2026-11', 'querystring.kpi'],
      ['/api/ranking?kpi=sla&month=2026-13', 'querystring.month'],
      ['/api/trends?equipment=pump&point=vibration&from=1&to=2&step=1h', 'querystring.from'],
      ['/api/trends?equipment=pump&point=vibration&from=1795000000000&to=1794000000000&step=1h', 'must be before'],
      ['/api/trends?equipment=pump&point=vibration&from=1790000000000&to=1795000000000&step=1m', 'at most 2 days'],
    ] as const) {
      const res = await get(url, 'sup');
      expect(res.statusCode, url).toBe(400);
      expect(res.json().code, url).toMatch(/^HQ_ERR_BAD_(REQUEST|RANGE)$/);
      expect(res.json().message, url).toContain(text);
    }
  });
});

describe('reports and trends', () => {
  it('ranks estates best first and reports every KPI with company totals', async () => {
    const sla = (await get('/api/ranking?kpi=sla&month=2026-11', 'sup')).json();
    expect(sla).toMatchObject({ month: '2026-11', kpi: 'sla', better: 'higher' });
    expect(sla.rows).toEqual([
      { rank: 1, site: 'a', name: 'Estate a', value: 0.5, orders: 2 },
      { rank: 2, site: 'b', name: 'Estate b', value: 0, orders: 1 },
      { rank: 3, site: 'c', name: 'Estate c', value: null, orders: 0 },
    ]);
    const response = (await get('/api/ranking?kpi=response&month=2026-11', 'sup')).json();
    expect(response.better).toBe('lower');
    expect(response.rows.map((r: { site: string; value: number | null }) => [r.site, r.value])).toEqual([['a', 10], ['b', 180], ['c', null]]);
    const report = (await get('/api/report?month=2026-11', 'sup')).json();
    expect(report.sites[0]).toMatchObject({ site: 'a', orders: 2, slaCompliance: 0.5, satisfaction: 5, mttrH: 2, overdue: 1, backlog: 1 });
    expect(report.company).toMatchObject({ orders: 3, slaCompliance: 1 / 3, overdue: 2, backlog: 2 });
    const csv = await get('/api/report.csv?month=2026-11', 'sup');
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\n')[0]).toBe('month,site,name,orders,slaCompliance,meanResponseMin,mttrH,overdue,backlog,satisfaction,escalations');
  });

  it('aggregates rollups per step across estates', async () => {
    const m0 = Math.floor(T0 / H) * H;
    const q = (step: string, from = m0, to = m0 + 2 * H) => get(`/api/trends?equipment=pump&point=vibration&from=${from}&to=${to}&step=${step}`, 'planner');
    const hourly = (await q('1h')).json();
    expect(hourly).toMatchObject({ equipment: 'pump', point: 'vibration', step: '1h' });
    expect(hourly.series).toEqual([
      { site: 'a', device: 'pump-1', points: [{ t: m0, min: 1, mean: 2.5, max: 5, count: 80 }, { t: m0 + H, min: 7, mean: 8, max: 9, count: 60 }] },
      { site: 'b', device: 'pump-1', points: [{ t: m0, min: 9, mean: 10, max: 11, count: 60 }] },
    ]);
    const minutes = (await q('1m', m0, m0 + 10 * 60_000)).json();
    expect(minutes.series[0].points.map((p: { mean: number }) => p.mean)).toEqual([2, 4]);
    const daily = (await q('1d', m0 - 86_400_000, m0 + 86_400_000)).json();
    const day = Math.floor(m0 / 86_400_000) * 86_400_000;
    expect(daily.series[0].points).toEqual([{ t: day, min: 1, mean: (2 * 60 + 4 * 20 + 8 * 60) / 140, max: 9, count: 140 }]);
    const onlyB = (await get(`/api/trends?equipment=pump&point=vibration&from=${m0}&to=${m0 + H}&step=1h&site=b`, 'planner')).json();
    expect(onlyB.series.map((s: { site: string }) => s.site)).toEqual(['b']);
  });
});

describe('commands', () => {
  it('stores a hotline request as a pending command while NATS is absent', async () => {
    const res = await post('/api/sites/a/requests', 'desk', { title: 'Water leak in B2', category: 'water', device: 'pump-1' });
    expect(res.statusCode, res.body).toBe(202);
    const { command } = res.json();
    expect(command).toMatchObject({ site: 'a', kind: 'create-request', actor: 'desk', status: 'pending', publishedAt: null, command: { title: 'Water leak in B2', device: 'pump-1' } });
    expect((await get(`/api/commands/${command.id}`, 'planner')).json().id).toBe(command.id);
    expect((await get(`/api/commands/${command.id}`, 'north')).statusCode).toBe(200);
    expect((await post('/api/sites/zz/requests', 'desk', { title: 'x', category: 'water' })).statusCode).toBe(404);
    const assign = await post(`/api/orders/${ids.b1}/assign`, 'desk', { assignee: 'zhao' });
    expect(assign.statusCode).toBe(202);
    expect(assign.json().command.command).toEqual({ kind: 'assign', order: ids.b1, assignee: 'zhao' });
    expect((await post(`/api/orders/${ids.b1}/transition`, 'desk', { to: 'flying' })).statusCode).toBe(400);
    expect((await post('/api/orders/nope/assign', 'desk', { assignee: 'x' })).statusCode).toBe(404);
    const list = (await get('/api/commands?status=pending', 'planner')).json();
    expect(list.commands).toHaveLength(2);
    expect((await get('/api/commands?site=a', 'north')).json().commands).toHaveLength(1);

    // The estate answers: the command is applied and names the order it made.
    const c = await pool.connect();
    try {
      await applyEvents(c, [envelope('a', 5, 'command.applied', { command: command.id, kind: 'create-request', orderId: 'o-new', number: 'WO-A-20261104-0001' })], { now: NOW });
    } finally {
      c.release();
    }
    expect((await get(`/api/commands/${command.id}`, 'planner')).json()).toMatchObject({ status: 'applied', orderId: 'o-new', orderNumber: 'WO-A-20261104-0001' });
  });

  it('answers / with a 503 page when the dashboard is not built', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build:dashboard');
  });

  it('serves the built head-office pages with / as hq.html', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hq-dist-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'hq.html'), '<!doctype html><title>HQ</title>');
    writeFileSync(join(dir, 'assets', 'hq.js'), 'console.log(1)');
    const built = await buildHqApi({ ...ctx, dashboardDir: dir }, createLogger('test', 'silent'));
    try {
      const root = await built.inject({ method: 'GET', url: '/' });
      expect(root.statusCode).toBe(200);
      expect(root.body).toContain('<title>HQ</title>');
      expect((await built.inject({ method: 'GET', url: '/assets/hq.js' })).statusCode).toBe(200);
      expect((await built.inject({ method: 'GET', url: '/api/sites' })).statusCode).toBe(401);
    } finally {
      await built.close();
    }
  });
});
