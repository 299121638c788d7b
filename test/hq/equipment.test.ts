/**
 * Head office knows the equipment type of each alarm's and order's device (docs/head-office.md),
 * end to end with real processes: an estate gateway (fire panels over MQTT) uplinks through a
 * 3-node NATS cluster to head office and PostgreSQL. A fire alarm's order arrives with its
 * panel's type and keeps it as the order moves; an owner's request taken by the service desk has
 * no device, and so no type.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../tools/wait.js';
import { converged, faultBurst, moveOrders, startCompany, type Company } from './harness.js';

interface HqItem { id: string; device: string | null; equipment: string | null; status?: string }

let company: Company;

beforeAll(async () => {
  company = await startCompany([{ site: 'harbour', code: 'HBR' }], 1);
  await converged(company);
}, 240_000);

afterAll(async () => {
  await company?.stop();
}, 60_000);

async function hq<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${company.hqs[0]!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${company.deskToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const orders = async () => (await hq<{ orders: HqItem[] }>('GET', '/api/orders?site=harbour')).orders;

describe('equipment type at head office', () => {
  it("an order uplinked from a fire panel arrives with the panel's type and keeps it as it moves", async () => {
    const [estate] = company.estates;
    await faultBurst(estate!, 1);
    const order = await waitFor(async () => (await orders()).find((o) => o.device === 'fire-1'), { what: 'the fire-1 order at head office', timeout: 30_000 });
    expect(order.equipment).toBe('fire_panel');
    const alarms = (await hq<{ alarms: HqItem[] }>('GET', '/api/alarms?site=harbour')).alarms;
    const ofPanel = alarms.filter((a) => a.device === 'fire-1');
    expect(ofPanel.length).toBeGreaterThan(0); // the fire alarm, and the trouble contact raised with it
    expect(new Set(ofPanel.map((a) => a.equipment))).toEqual(new Set(['fire_panel']));

    expect(await moveOrders(estate!)).toBeGreaterThan(0);
    await converged(company);
    expect((await orders()).find((o) => o.id === order.id)).toMatchObject({ status: 'accepted', equipment: 'fire_panel' });
  });

  it("an owner's request has no device, and head office names no type for it", async () => {
    const { command } = await hq<{ command: { id: string } }>('POST', '/api/sites/harbour/requests', { title: 'Owner call: water in lobby B', category: 'water' });
    const applied = await waitFor(async () => {
      const c = await hq<{ status: string; orderId: string | null }>('GET', `/api/commands/${command.id}`);
      return c.status === 'applied' && c.orderId;
    }, { what: 'the request applied at harbour', timeout: 60_000 });
    const order = await waitFor(async () => (await orders()).find((o) => o.id === applied), { what: 'the request at head office', timeout: 30_000 });
    expect(order).toMatchObject({ device: null, equipment: null });
  });
});
