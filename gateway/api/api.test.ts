import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../app.js';
import { loadConfig } from '../site/load.js';
import { createLogger } from '../core/log.js';
import type { Alarm, DeviceView, WorkOrder } from '../core/model.js';

let gw: Gateway;
let auth: Record<string, string> = {};
const t0 = Date.now() - 60_000;

beforeAll(async () => {
  const loaded = loadConfig(new URL('../../demo/site.yaml', import.meta.url).pathname, {
    GW_DATA_DIR: mkdtempSync(join(tmpdir(), 'gw-api-')),
  });
  gw = await createGateway(loaded, { log: createLogger('test', 'silent') });
  // Every /api route needs a token (demo users: README); admin may do everything.
  const login = await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'admin-demo' } });
  auth = { authorization: `Bearer ${login.json<{ token: string }>().token}` };
});
afterAll(() => gw.stop());

const get = async <T>(url: string): Promise<{ status: number; body: T }> => {
  const res = await gw.app.inject({ method: 'GET', url, headers: auth });
  return { status: res.statusCode, body: res.json() as T };
};
const post = async <T>(url: string, payload: unknown): Promise<{ status: number; body: T }> => {
  const res = await gw.app.inject({ method: 'POST', url, payload: payload as object, headers: auth });
  return { status: res.statusCode, body: res.json() as T };
};

describe('REST API', () => {
  it('lists every device with type, protocol, comm status and live values', async () => {
    gw.pipeline.ingest([{ device: 'pump-1', point: 'discharge_pressure', value: 0.48, quality: 'good', ts: t0 }]);
    const { status, body } = await get<DeviceView[]>('/api/devices');
    expect(status).toBe(200);
    expect(body).toHaveLength(10);
    const pump = body.find((d) => d.id === 'pump-1')!;
    expect(pump).toMatchObject({ type: 'pump', protocol: 'modbus', comm: 'online' });
    expect(pump.points.discharge_pressure).toMatchObject({ value: 0.48, quality: 'good', unit: 'MPa' });
    expect(body.find((d) => d.id === 'elev-1')).toMatchObject({ type: 'elevator', protocol: 'opcua', comm: 'connecting' });
  });

  it('returns stored history for a point and range', async () => {
    gw.pipeline.ingest([
      { device: 'power-1', point: 'voltage_l1', value: 229.5, quality: 'good', ts: t0 + 1000 },
      { device: 'power-1', point: 'voltage_l1', value: 230.1, quality: 'good', ts: t0 + 2000 },
    ]);
    const { status, body } = await get<{ samples: { ts: number; value: number }[] }>(
      `/api/history?device=power-1&point=voltage_l1&from=${t0}&to=${t0 + 5000}`,
    );
    expect(status).toBe(200);
    expect(body.samples).toEqual([{ ts: t0 + 1000, value: 229.5 }, { ts: t0 + 2000, value: 230.1 }]);
  });

  it('answers bad history requests with 400 or 404 and a code', async () => {
    const missing = await get<{ code: string; message: string }>('/api/history?device=power-1');
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'GW_ERR_BAD_REQUEST' });
    expect(missing.body.message).toContain('point');
    const badTime = await get<{ message: string }>('/api/history?device=power-1&point=voltage_l1&from=yesterday');
    expect(badTime.status).toBe(400);
    expect(badTime.body.message).toContain('from must be epoch milliseconds');
    const unknown = await get<{ code: string }>('/api/history?device=nope&point=x');
    expect(unknown).toMatchObject({ status: 404, body: { code: 'GW_ERR_NOT_FOUND' } });
  });

  it('turns a fault into an alarm and an order, and moves the order along its lifecycle', async () => {
    gw.pipeline.ingest([{ device: 'fire-1', point: 'fire_alarm', value: true, quality: 'good', ts: t0 + 3000 }]);
    const alarms = await get<Alarm[]>('/api/alarms');
    const alarm = alarms.body.find((a) => a.device === 'fire-1')!;
    expect(alarm).toMatchObject({ fault: 'fire_alarm', state: 'active_unack', severity: 'critical' });
    expect(alarm.workOrderId).toBeTruthy();

    const orders = await get<WorkOrder[]>('/api/work-orders');
    const order = orders.body.find((o) => o.device === 'fire-1')!;
    expect(order).toMatchObject({ id: alarm.workOrderId, priority: 'emergency', status: 'new', faultAt: t0 + 3000 });

    const illegal = await post<{ code: string }>(`/api/work-orders/${order.id}/transition`, { to: 'closed' });
    expect(illegal).toMatchObject({ status: 409, body: { code: 'GW_ERR_TRANSITION' } });
    const accepted = await post<WorkOrder>(`/api/work-orders/${order.number}/transition`, { to: 'accepted', assignee: 'tech' });
    expect(accepted).toMatchObject({ status: 200, body: { status: 'accepted', assignee: 'tech' } });
    const badBody = await post<{ code: string }>(`/api/work-orders/${order.id}/transition`, { to: 'teleported' });
    expect(badBody.status).toBe(400);

    const acked = await post<Alarm>(`/api/alarms/${alarm.id}/ack`, { comment: 'crew on the way' });
    expect(acked.body.state).toBe('active_ack');
  });

  it('takes an order entered by hand and refuses a duplicate open one', async () => {
    const body = { device: 'pump-2', fault: 'noise', category: 'water', title: 'Owner reports a noisy pump' };
    const first = await post<WorkOrder>('/api/work-orders', body);
    expect(first).toMatchObject({ status: 201, body: { source: 'manual', priority: 'urgent' } });
    expect(first.body.respondBy - first.body.faultAt).toBe(3_600_000);
    const again = await post<{ code: string }>('/api/work-orders', body);
    expect(again).toMatchObject({ status: 409, body: { code: 'GW_ERR_CONFLICT' } });
  });

  it('answers unknown routes and malformed JSON with coded errors, never a stack', async () => {
    expect(await get('/api/nothing-here')).toMatchObject({ status: 404, body: { code: 'GW_ERR_NOT_FOUND' } });
    const res = await gw.app.inject({ method: 'POST', url: '/api/work-orders', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"fault":' });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain(' at ');
    expect(res.json()).toHaveProperty('code');
  });
});
