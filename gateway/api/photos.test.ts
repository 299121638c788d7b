/**
 * Photos on work orders (gateway/api/photos.ts) and `Idempotency-Key` (gateway/api/idempotency.ts)
 * on a real gateway built from demo/site.yaml, driven with inject(): size and type limits (type by
 * the first bytes, not the header), only the assignee's technician may add, traversal attempts find
 * nothing, and a step sent twice with one key is done once.
 */
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { png } from '../../test/helpers/png.js';
import { createGateway, type Gateway } from '../app.js';
import { loadConfig } from '../site/load.js';
import { createLogger } from '../core/log.js';
import type { WorkOrder } from '../core/model.js';
import { PHOTO_MAX_BYTES, type Photo } from '../workorders/photos.js';

const dataDir = mkdtempSync(join(tmpdir(), 'gw-photo-'));
let gw: Gateway;
const tokens: Record<string, string> = {};

/** A minimal baseline JPEG header (SOI, SOF0 with the size, EOI): enough for the type check. */
function jpegHeader(w: number, h: number): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x0b, 0x08, h >> 8, h & 0xff, w >> 8, w & 0xff, 0x01, 0x01, 0x11, 0x00]);
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00]), sof, Buffer.from([0xff, 0xd9])]);
}

beforeAll(async () => {
  const loaded = loadConfig(new URL('../../demo/site.yaml', import.meta.url).pathname, { GW_DATA_DIR: dataDir });
  gw = await createGateway(loaded, { log: createLogger('test', 'silent') });
  for (const user of ['dispatcher', 'tech', 'viewer']) {
    const res = await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: user, password: `${user}-demo` } });
    tokens[user] = res.json<{ token: string }>().token;
  }
});
afterAll(() => gw?.stop());

const auth = (as: string) => ({ authorization: `Bearer ${tokens[as]}` });
const json = async <T>(as: string, method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) => {
  const res = await gw.app.inject({ method, url, headers: { ...auth(as), ...headers }, ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.json<T & { code?: string; message?: string }>(), headers: res.headers };
};
const upload = (as: string, orderId: string, body: Buffer, type: string, query = '') =>
  gw.app.inject({ method: 'POST', url: `/api/work-orders/${orderId}/photos${query}`, headers: { ...auth(as), 'content-type': type }, payload: body });

async function orderFor(assignee: string, fault: string): Promise<WorkOrder> {
  const created = await json<WorkOrder>('dispatcher', 'POST', '/api/work-orders', { device: 'pump-2', fault, category: 'water', title: 'Owner reports a leak' });
  expect(created.status).toBe(201);
  const moved = await json<WorkOrder>('dispatcher', 'POST', `/api/work-orders/${created.body.id}/transition`, { to: 'accepted', assignee });
  expect(moved.status).toBe(200);
  return moved.body;
}

describe('photos on a work order', () => {
  it('stores a photo of a ledger entry under the data folder and serves it back with auth', async () => {
    const order = await orderFor('tech', 'leak_photo');
    const entry = await json<{ seq: number }>('tech', 'POST', `/api/work-orders/${order.id}/ledger`, { personnel: ['Li Wei'], tools: ['wrench'], result: 'valve replaced', safetyMeasures: 'isolated' });
    const image = png(40, 30);
    const res = await upload('tech', order.id, image, 'image/png', `?entry=${entry.body.seq}`);
    expect(res.statusCode).toBe(201);
    const photo = res.json<Photo>();
    expect(photo).toMatchObject({ orderId: order.id, ledgerSeq: entry.body.seq, mime: 'image/png', bytes: image.length, width: 40, height: 30, createdBy: 'tech' });
    const file = join(dataDir, 'photos', order.id, `${photo.id}.png`);
    expect(statSync(file).size).toBe(image.length);

    const list = await json<Photo[]>('viewer', 'GET', `/api/work-orders/${order.id}/photos`);
    expect(list.body.map((p) => p.id)).toEqual([photo.id]);
    const back = await gw.app.inject({ method: 'GET', url: `/api/work-orders/${order.id}/photos/${photo.id}`, headers: auth('viewer') });
    expect(back.statusCode).toBe(200);
    expect(back.headers['content-type']).toBe('image/png');
    expect(back.rawPayload.equals(image)).toBe(true);
    const anonymous = await gw.app.inject({ method: 'GET', url: `/api/work-orders/${order.id}/photos/${photo.id}` });
    expect(anonymous.statusCode).toBe(401);

    const noEntry = await upload('tech', order.id, image, 'image/png', '?entry=999');
    expect(noEntry.statusCode).toBe(400);
  });

  it('refuses too large a photo and a type that the first bytes do not prove, with coded errors', async () => {
    const order = await orderFor('tech', 'leak_limits');
    const big = Buffer.concat([jpegHeader(800, 600), Buffer.alloc(PHOTO_MAX_BYTES)]);
    const tooBig = await upload('tech', order.id, big, 'image/jpeg');
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json<{ code: string }>().code).toBe('GW_ERR_PHOTO_TOO_LARGE');

    const html = await upload('tech', order.id, Buffer.from('<html><script>alert(1)</script></html>'), 'image/jpeg');
    expect(html.statusCode).toBe(415);
    expect(html.json<{ code: string }>().code).toBe('GW_ERR_PHOTO_TYPE');
    const gif = await upload('tech', order.id, Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 'image/gif');
    expect(gif.json<{ code: string }>().code).toBe('GW_ERR_PHOTO_TYPE');
    // A PNG sent as JPEG: the header lies, the bytes decide.
    const mislabelled = await upload('tech', order.id, png(4, 4), 'image/jpeg');
    expect(mislabelled.statusCode).toBe(415);
    expect(mislabelled.json<{ message: string }>().message).toContain('image/png');
    const huge = await upload('tech', order.id, png(9000, 1), 'image/png');
    expect(huge.json<{ code: string }>().code).toBe('GW_ERR_PHOTO_TYPE');
    const ok = await upload('tech', order.id, jpegHeader(800, 600), 'image/jpeg');
    expect(ok.statusCode).toBe(201);
    expect(ok.json<Photo>()).toMatchObject({ mime: 'image/jpeg', width: 800, height: 600 });
    expect(readdirSync(join(dataDir, 'photos', order.id))).toEqual([`${ok.json<Photo>().id}.jpg`]);
  });

  it('lets only the assigned technician add photos', async () => {
    const order = await orderFor('dispatcher', 'leak_owner');
    const res = await upload('tech', order.id, png(4, 4), 'image/png');
    expect(res.statusCode).toBe(403);
    expect(res.json<{ code: string }>().code).toBe('GW_ERR_FORBIDDEN');
    expect(existsSync(join(dataDir, 'photos', order.id))).toBe(false);
    expect((await upload('viewer', order.id, png(4, 4), 'image/png')).statusCode).toBe(403);
    expect((await upload('dispatcher', order.id, png(4, 4), 'image/png')).statusCode).toBe(201);
  });

  it('finds nothing for traversal attempts in the order or photo id', async () => {
    const order = await orderFor('tech', 'leak_traversal');
    const photo = (await upload('tech', order.id, png(4, 4), 'image/png')).json<Photo>();
    for (const url of [
      `/api/work-orders/${order.id}/photos/..%2F..%2Fgateway.db`,
      `/api/work-orders/${order.id}/photos/${photo.id}%2F..%2F..%2F..%2Fgateway.db`,
      `/api/work-orders/..%2F..%2Fgateway.db/photos/${photo.id}`,
      `/api/work-orders/${order.id}/photos/../../../gateway.db`,
      `/api/work-orders/%2E%2E/photos/${photo.id}`,
    ]) {
      const res = await gw.app.inject({ method: 'GET', url, headers: auth('tech') });
      expect([400, 404], url).toContain(res.statusCode);
      expect(res.headers['content-type'], url).toContain('application/json');
    }
    const up = await upload('tech', '..%2F..%2Fetc', png(4, 4), 'image/png');
    expect(up.statusCode).toBe(404);
    expect(readdirSync(join(dataDir, 'photos')).every((d) => /^[0-9a-f-]{36}$/.test(d))).toBe(true);
  });
});

describe('Idempotency-Key', () => {
  it('does a transition, a ledger entry and a photo once however often they are sent', async () => {
    const order = await orderFor('tech', 'leak_retry');
    const key = { 'idempotency-key': 'step-0001-transition' };
    const first = await json<WorkOrder>('tech', 'POST', `/api/work-orders/${order.id}/transition`, { to: 'dispatched' }, key);
    const again = await json<WorkOrder>('tech', 'POST', `/api/work-orders/${order.id}/transition`, { to: 'dispatched' }, key);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    // Without the key the same step is a conflict: the order is already dispatched.
    expect((await json('tech', 'POST', `/api/work-orders/${order.id}/transition`, { to: 'dispatched' })).status).toBe(409);

    const ledgerKey = { 'idempotency-key': 'step-0002-ledger' };
    const body = { personnel: ['Li Wei'], tools: [], result: 'checked', safetyMeasures: 'none needed' };
    const [l1, l2] = await Promise.all([
      json<{ seq: number }>('tech', 'POST', `/api/work-orders/${order.id}/ledger`, body, ledgerKey),
      json<{ seq: number }>('tech', 'POST', `/api/work-orders/${order.id}/ledger`, body, ledgerKey),
    ]);
    expect(l1.body.seq).toBe(l2.body.seq);
    const photoKey = { 'idempotency-key': 'step-0003-photo' };
    for (let i = 0; i < 2; i++) {
      const res = await gw.app.inject({ method: 'POST', url: `/api/work-orders/${order.id}/photos`, headers: { ...auth('tech'), ...photoKey, 'content-type': 'image/png' }, payload: png(4, 4) });
      expect(res.statusCode).toBe(201);
    }
    const detail = await json<WorkOrder & { audit: { action: string; to: string | null }[]; ledger: unknown[] }>('tech', 'GET', `/api/work-orders/${order.id}`);
    expect(detail.body.audit.filter((a) => a.action === 'transition' && a.to === 'dispatched')).toHaveLength(1);
    expect(detail.body.ledger).toHaveLength(1);
    expect((await json<Photo[]>('tech', 'GET', `/api/work-orders/${order.id}/photos`)).body).toHaveLength(1);

    // The same key for another request is refused; another user's key space is their own.
    const reused = await json('tech', 'POST', `/api/work-orders/${order.id}/transition`, { to: 'on_site' }, ledgerKey);
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('GW_ERR_IDEMPOTENCY_KEY');
    const bad = await json('tech', 'POST', `/api/work-orders/${order.id}/transition`, { to: 'on_site' }, { 'idempotency-key': 'a/b' });
    expect(bad.body.code).toBe('GW_ERR_IDEMPOTENCY_KEY');
  });
});
