/** REST of issue 6 on the demo config: shelve/unshelve, ledger, assign, feedback on close, KPIs (JSON, monthly report, CSV). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../app.js';
import { loadConfig } from '../site/load.js';
import { createLogger } from '../core/log.js';
import type { Alarm, WorkOrder } from '../core/model.js';

let gw: Gateway;
let auth: Record<string, string> = {};
const t0 = Date.now() - 60_000;

beforeAll(async () => {
  const loaded = loadConfig(new URL('../../demo/site.yaml', import.meta.url).pathname, { GW_DATA_DIR: mkdtempSync(join(tmpdir(), 'gw-maint-')) });
  gw = await createGateway(loaded, { log: createLogger('test', 'silent') });
  const login = await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'admin-demo' } });
  auth = { authorization: `Bearer ${login.json<{ token: string }>().token}` };
});
afterAll(() => gw.stop());

const call = async <T>(method: 'GET' | 'POST', url: string, payload?: unknown) => {
  const res = await gw.app.inject({ method, url, headers: auth, ...(payload ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: (String(res.headers['content-type'] ?? '').includes('json') ? res.json() : res.body) as T };
};

describe('alarm and work-order API', () => {
  it('shelves an alarm for a duration and unshelves it', async () => {
    gw.pipeline.ingest([{ device: 'fire-1', point: 'trouble', value: true, quality: 'good', ts: t0 }]);
    const alarm = (await call<Alarm[]>('GET', '/api/alarms?device=fire-1')).body.find((a) => a.fault === 'trouble')!;
    const bad = await call<{ code: string }>('POST', `/api/alarms/${alarm.id}/shelve`, { comment: 'no time' });
    expect(bad.status).toBe(400);
    const shelved = await call<Alarm>('POST', `/api/alarms/${alarm.id}/shelve`, { duration: '2h', comment: 'contractor booked' });
    expect(shelved.status).toBe(200);
    expect(shelved.body.shelvedUntil).toBeGreaterThan(Date.now() + 3_500_000);
    const un = await call<Alarm>('POST', `/api/alarms/${alarm.id}/unshelve`, {});
    expect(un.body.shelvedUntil).toBeNull();
  });

  it('assigns, logs execution, closes with feedback and shows it all on the order', async () => {
    const created = await call<WorkOrder>('POST', '/api/work-orders', { device: 'pump-2', fault: 'noise', category: 'water', title: 'Owner reports a noisy pump' });
    const id = created.body.id;
    expect((await call('POST', `/api/work-orders/${id}/ledger`, { personnel: ['li.wei'], tools: [], result: 'x', safetyMeasures: 'y' })).status).toBe(409);
    await call('POST', `/api/work-orders/${id}/transition`, { to: 'accepted' });
    expect((await call<WorkOrder>('POST', `/api/work-orders/${id}/assign`, { assignee: 'tech' })).body.assignee).toBe('tech');
    const entry = await call('POST', `/api/work-orders/${id}/ledger`, {
      time: new Date().toISOString(), personnel: ['li.wei'], tools: ['stethoscope'], result: 'loose coupling guard tightened', safetyMeasures: 'pump isolated, lock-out tag',
    });
    expect(entry.status).toBe(201);
    for (const to of ['dispatched', 'on_site', 'resolved']) await call('POST', `/api/work-orders/${id}/transition`, { to });
    expect((await call('POST', `/api/work-orders/${id}/transition`, { to: 'closed' })).status).toBe(400);
    expect((await call('POST', `/api/work-orders/${id}/transition`, { to: 'closed', feedback: { rating: 9 } })).status).toBe(400);
    const closed = await call<WorkOrder>('POST', `/api/work-orders/${id}/transition`, { to: 'closed', feedback: { rating: 5, comment: 'quiet now' } });
    expect(closed.body).toMatchObject({ status: 'closed', feedback: { rating: 5, comment: 'quiet now' } });
    const detail = await call<WorkOrder & { audit: { action: string; actor: string }[]; ledger: unknown[] }>('GET', `/api/work-orders/${id}`);
    expect(detail.body.ledger).toHaveLength(1);
    expect(detail.body.audit.map((e) => e.action)).toContain('feedback');
    expect(detail.body.audit[1]!.actor).toBe('admin'); // who: the logged-in user
  });

  it('serves KPIs as JSON, a monthly report and CSV', async () => {
    const k = await call<{ sla: Record<string, unknown>; backlog: { total: number }; pmCompliance: { rate: number | null } }>('GET', `/api/kpis?from=${t0 - 86_400_000}&to=${Date.now() + 1000}`);
    expect(k.status).toBe(200);
    expect(k.body.backlog.total).toBeGreaterThan(0);
    expect(k.body.pmCompliance.rate).toBeNull();
    const month = new Date().toISOString().slice(0, 7);
    const report = await call<{ month: string; kpis: unknown; breaches: unknown[] }>('GET', `/api/kpis/report?month=${month}`);
    expect(report.body).toMatchObject({ month, breaches: expect.any(Array) });
    expect((await call('GET', '/api/kpis/report?month=2026-13')).status).toBe(400);
    const csv = await gw.app.inject({ method: 'GET', url: '/api/kpis.csv', headers: auth });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\n')[1]).toBe('metric,scope,value');
  });
});
