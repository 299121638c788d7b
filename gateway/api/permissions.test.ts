/**
 * Work-order permissions depend on the target state (gateway/workorders/permissions.ts): cancelling
 * and owner feedback are the desk's, an order whose alarm is active is cancelled only with a reason
 * (and the alarm then shows no order), assignees are known users. A real gateway on demo/site.yaml.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../app.js';
import { loadConfig } from '../site/load.js';
import { createLogger } from '../core/log.js';
import type { Alarm, WorkOrder } from '../core/model.js';

let gw: Gateway;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  const loaded = loadConfig(new URL('../../demo/site.yaml', import.meta.url).pathname, { GW_DATA_DIR: mkdtempSync(join(tmpdir(), 'gw-perm-')) });
  gw = await createGateway(loaded, { log: createLogger('test', 'silent') });
  for (const user of ['dispatcher', 'tech']) {
    const res = await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user, password: `${user}-demo` } });
    tokens[user] = res.json<{ token: string }>().token;
  }
});
afterAll(() => gw?.stop());

const call = async <T = { code: string; message: string }>(as: string, method: 'GET' | 'POST', url: string, payload?: object) => {
  const res = await gw.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[as]}` }, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.json<T>() };
};
const move = (as: string, id: string, body: object) => call<WorkOrder & { code: string; message: string }>(as, 'POST', `/api/work-orders/${id}/transition`, body);

describe('work-order permissions by target state', () => {
  it('lets only the desk cancel the order of an active alarm, with a reason; the alarm then shows no order', async () => {
    gw.pipeline.ingest([{ device: 'fire-1', point: 'trouble', value: true, quality: 'good', ts: Date.now() }]);
    const alarm = (await call<Alarm[]>('tech', 'GET', '/api/alarms?device=fire-1')).body.find((a) => a.fault === 'trouble')!;
    expect(alarm.state).toBe('active_unack');
    const orderId = alarm.workOrderId!;
    expect(orderId).toBeTruthy();
    expect((await move('dispatcher', orderId, { to: 'accepted', assignee: 'tech' })).status).toBe(200);

    const byTech = await move('tech', orderId, { to: 'cancelled', note: 'looks fine to me' });
    expect(byTech.status).toBe(403);
    expect(byTech.body.code).toBe('GW_ERR_FORBIDDEN');
    const noReason = await move('dispatcher', orderId, { to: 'cancelled' });
    expect(noReason.status).toBe(400);
    expect(noReason.body).toMatchObject({ code: 'GW_ERR_REASON_REQUIRED', message: expect.stringContaining('active alarm') });
    expect((await call<Alarm>('tech', 'GET', `/api/alarms/${alarm.id}`)).body.workOrderId).toBe(orderId);

    const cancelled = await move('dispatcher', orderId, { to: 'cancelled', note: 'panel contractor on site under their own contract' });
    expect(cancelled.body.status).toBe('cancelled');
    expect((await call<Alarm>('tech', 'GET', `/api/alarms/${alarm.id}`)).body).toMatchObject({ state: 'active_unack', workOrderId: null });
  });

  it("keeps owner feedback and closing an owner's request for the desk", async () => {
    const created = await call<WorkOrder>('dispatcher', 'POST', '/api/work-orders', { device: 'pump-2', fault: 'owner_noise', category: 'water', title: 'Owner reports a noisy pump' });
    const id = created.body.id;
    await move('dispatcher', id, { to: 'accepted', assignee: 'tech' });
    for (const to of ['dispatched', 'on_site', 'resolved']) expect((await move('tech', id, { to })).status).toBe(200);
    const selfRated = await move('tech', id, { to: 'closed', feedback: { rating: 5, comment: 'great job' } });
    expect(selfRated.status).toBe(403);
    expect(selfRated.body.message).toContain('dispatcher');
    expect((await move('tech', id, { to: 'closed' })).status).toBe(403);
    const closed = await move('dispatcher', id, { to: 'closed', feedback: { rating: 4, comment: 'owner called back: quiet now' } });
    expect(closed.body).toMatchObject({ status: 'closed', feedback: { rating: 4 } });
  });

  it('accepts only known users (technician or above) as assignees', async () => {
    const created = await call<WorkOrder>('dispatcher', 'POST', '/api/work-orders', { device: 'pump-1', fault: 'owner_leak', category: 'water', title: 'Leak under the pump' });
    const id = created.body.id;
    for (const assignee of ['ghost-user-does-not-exist', 'viewer']) {
      const viaAssign = await call('dispatcher', 'POST', `/api/work-orders/${id}/assign`, { assignee });
      expect(viaAssign.status).toBe(400);
      expect(viaAssign.body).toMatchObject({ code: 'GW_ERR_UNKNOWN_USER', message: expect.stringContaining(assignee) });
      expect((await move('dispatcher', id, { to: 'accepted', assignee })).body.code).toBe('GW_ERR_UNKNOWN_USER');
    }
    expect((await call<WorkOrder>('dispatcher', 'POST', `/api/work-orders/${id}/assign`, { assignee: 'tech' })).body.assignee).toBe('tech');
  });
});
