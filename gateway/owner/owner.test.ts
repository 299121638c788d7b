/**
 * Owners' requests from labels, follow links and feedback links through the real gateway
 * (`inject()`): seed 2.1 (requests, 24 h initial response) and seed 2.3 (feedback after completion).
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../app.js';
import { loadConfig } from '../site/load.js';
import { createLogger } from '../core/log.js';
import type { WorkOrder } from '../core/model.js';
import type { KpiReport } from '../workorders/kpis.js';
import { waitFor } from '../../tools/wait.js';
import type { FollowView, LabelView } from './service.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0 a small test picture')]);
const PHONE = '13812345678';

let gw: Gateway;
let dataDir: string;
let auth: Record<string, string> = {};
let labels: LabelView[] = [];
let hook: Server;
const messages: { event: string; action: string | null; data: { to: string; text: string; link: string } }[] = [];

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      messages.push(JSON.parse(body) as (typeof messages)[number]);
      res.end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  dataDir = mkdtempSync(join(tmpdir(), 'gw-owner-'));
  const loaded = loadConfig(new URL('../../demo/site.yaml', import.meta.url).pathname, { GW_DATA_DIR: dataDir });
  // A site routes `owner-message` to its SMS gateway by webhook (gateway/notify/webhooks.ts filter).
  loaded.config.notifications.webhooks = [{ url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/sms`, secret: 'test-secret', events: ['owner-message'] }];
  gw = await createGateway(loaded, { log: createLogger('test', 'silent') });
  const login = await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'admin-demo' } });
  auth = { authorization: `Bearer ${login.json<{ token: string }>().token}` };
  const res = await gw.app.inject({ method: 'GET', url: '/api/owner-codes', headers: { ...auth, host: 'estate.example:8080' } });
  expect(res.statusCode).toBe(200);
  labels = res.json<{ codes: LabelView[] }>().codes;
});
afterAll(async () => {
  await gw.stop();
  hook.close();
});

let ipSeq = 1;
const freshIp = () => `10.0.${Math.floor(ipSeq / 250)}.${(ipSeq++ % 250) + 1}`;
const tokenOf = (label: LabelView) => new URL(label.url).pathname.split('/').pop()!;
const label = (device: string) => labels.find((l) => l.device === device)!;

async function submit(body: Record<string, unknown>, ip = freshIp()) {
  const res = await gw.app.inject({ method: 'POST', url: '/api/owner/requests', payload: body, remoteAddress: ip });
  return res;
}
const request = (device = 'pump-1', extra: Record<string, unknown> = {}) =>
  ({ code: tokenOf(label(device)), category: 'water', description: '地下室水泵房漏水 / water on the pump-room floor', phone: PHONE, ...extra });

async function staffMove(id: string, ...steps: string[]): Promise<WorkOrder> {
  let last: WorkOrder | undefined;
  for (const to of steps) {
    const res = await gw.app.inject({ method: 'POST', url: `/api/work-orders/${id}/transition`, payload: { to }, headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    last = res.json<WorkOrder>();
  }
  return last!;
}
const orderOfFollow = (follow: string) => gw.owner!.tokens.verify(follow.split('/').pop()!, 'f')!;

describe('labels (QR codes)', () => {
  it('lists one label per device with a public URL on an unguessable token and a QR SVG, for the desk only', async () => {
    expect(labels).toHaveLength(10);
    const pump = label('pump-1');
    expect(pump).toMatchObject({ category: 'water', location: { zh: expect.stringContaining('水泵房'), en: expect.stringContaining('pump') } });
    expect(pump.url).toMatch(/^http:\/\/estate\.example:8080\/r\/[A-Za-z0-9_-]{22}$/);
    expect(pump.url).not.toContain('pump-1');
    expect(pump.svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(new Set(labels.map(tokenOf)).size).toBe(10);
    const anon = await gw.app.inject({ method: 'GET', url: '/api/owner-codes' });
    expect(anon.statusCode).toBe(401);
  });

  it('answers a label token with its place; an unknown, altered or enumerated token gets the same 404', async () => {
    const ok = await gw.app.inject({ method: 'GET', url: `/api/owner/codes/${tokenOf(label('elev-1'))}` });
    expect(ok.json()).toMatchObject({ category: 'elevator', categories: ['general', 'water', 'power', 'elevator'] });
    const t = tokenOf(label('elev-1'));
    const bodies = new Set<string>();
    for (const bad of ['elev-1', '1', `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`, 'x'.repeat(22)]) {
      const res = await gw.app.inject({ method: 'GET', url: `/api/owner/codes/${bad}` });
      expect(res.statusCode).toBe(404);
      bodies.add(res.body);
    }
    expect([...bodies]).toEqual([JSON.stringify({ code: 'GW_ERR_NOT_FOUND', message: 'link not found' })]);
    const page = await gw.app.inject({ method: 'GET', url: `/r/${t}` });
    expect([200, 404]).toContain(page.statusCode); // 200 once the dashboard is built
  });
});

describe('an owner request', () => {
  it('creates an order with the 24 h initial-response clock, the label device, the description and a masked phone', async () => {
    const res = await submit(request('pump-2', { category: 'general', photo: `data:image/jpeg;base64,${JPEG.toString('base64')}` }));
    expect(res.statusCode, res.body).toBe(201);
    const { follow } = res.json<{ follow: string }>();
    expect(follow).toMatch(/^\/r\/follow\/[A-Za-z0-9_-]{50}$/);
    const order = gw.orders.get(orderOfFollow(follow).o)!;
    expect(order).toMatchObject({ source: 'manual', category: 'general', device: 'pump-2', status: 'new' });
    expect(order.respondBy - order.faultAt).toBe(24 * HOUR);
    expect(order.evidence).toMatchObject({ request: { channel: 'qr', code: 'pump-2', description: expect.stringContaining('漏水'), contact: '+86 138****5678', photo: true } });
    expect(JSON.stringify(order)).not.toContain(PHONE);
    const contact = await gw.app.inject({ method: 'GET', url: `/api/work-orders/${order.id}/owner`, headers: auth });
    expect(contact.json()).toMatchObject({ phone: `+86${PHONE}`, photo: true, code: 'pump-2' });
    const photo = await gw.app.inject({ method: 'GET', url: `/api/work-orders/${order.id}/owner/photo`, headers: auth });
    expect(photo.headers['content-type']).toBe('image/jpeg');
    expect(photo.rawPayload.equals(JPEG)).toBe(true);
    expect(readdirSync(join(dataDir, 'owner-photos'))).toHaveLength(1);
    // The follow link also goes to the owner as an `owner-message` (webhook-routable).
    const msg = await waitFor(() => messages.find((m) => m.data.link.endsWith(follow)), { what: 'owner-message with the follow link' });
    expect(msg).toMatchObject({ event: 'owner-message', action: 'follow', data: { to: `+86${PHONE}`, link: `http://estate.example:8080${follow}` } });
  });

  it('refuses a photo that is not JPEG, PNG or WebP by its bytes (415), whatever it claims', async () => {
    const fake = Buffer.from('<svg onload="alert(1)"></svg>').toString('base64');
    const res = await submit(request('pump-1', { photo: `data:image/jpeg;base64,${fake}` }));
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ code: 'GW_ERR_UNSUPPORTED_MEDIA_TYPE' });
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    expect((await submit(request('pump-1', { photo: png.toString('base64') }))).statusCode).toBe(201);
  });

  it('caps the body (413), validates the phone and the category, and refuses a filled honeypot', async () => {
    const big = await submit(request('pump-1', { photo: 'A'.repeat(2_000_000) }));
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ code: 'GW_ERR_PAYLOAD_TOO_LARGE' });
    const photoTooBig = await submit(request('pump-1', { photo: Buffer.concat([JPEG, Buffer.alloc(1_060_000)]).toString('base64') }));
    expect(photoTooBig.statusCode).toBe(413);
    expect(photoTooBig.json<{ message: string }>().message).toContain('body.photo');
    for (const phone of ['12345', '1381234567', '+0123456789', '23812345678']) {
      const res = await submit(request('pump-1', { phone }));
      expect(res.statusCode, phone).toBe(400);
      expect(res.json<{ message: string }>().message).toContain('body.phone');
    }
    expect((await submit(request('pump-1', { phone: '+86 138-1234-5678' }))).statusCode).toBe(201);
    expect((await submit(request('pump-1', { phone: '+447911123456' }))).statusCode).toBe(201);
    expect((await submit(request('pump-1', { category: 'predictive' }))).statusCode).toBe(400);
    expect((await submit(request('pump-1', { category: 'fire' }))).statusCode).toBe(400);
    const bot = await submit(request('pump-1', { website: 'http://spam.example' }));
    expect(bot.statusCode).toBe(400);
  });

  it('limits requests per address per hour and per label per day: 429 with Retry-After', async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++) expect((await submit(request('power-1', { category: 'power' }), ip)).statusCode).toBe(201);
    const over = await submit(request('power-1', { category: 'power' }), ip);
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ code: 'GW_ERR_RATE_LIMITED' });
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(3600);
    // 20 a day for one label, whatever the addresses: 5 taken above.
    for (let i = 0; i < 15; i++) expect((await submit(request('power-1', { category: 'power' }))).statusCode).toBe(201);
    const label429 = await submit(request('power-1', { category: 'power' }));
    expect(label429.statusCode).toBe(429);
    expect(Number(label429.headers['retry-after'])).toBeLessThanOrEqual(86_400);
    expect((await submit(request('elev-2', { category: 'elevator' }))).statusCode).toBe(201);
  });
});

describe('the follow link', () => {
  it('shows that order only: status, times, notes to the owner; never another order, nothing after expiry', async () => {
    const a = (await submit(request('elev-1', { category: 'elevator' }))).json<{ follow: string }>().follow;
    const b = (await submit(request('elev-1', { category: 'elevator', description: 'B 的描述' }))).json<{ follow: string }>().follow;
    const idA = orderOfFollow(a).o;
    const idB = orderOfFollow(b).o;
    await staffMove(idA, 'accepted');
    const note = await gw.app.inject({ method: 'POST', url: `/api/work-orders/${idA}/owner-notes`, payload: { text: '维修人员 30 分钟内到达' }, headers: auth });
    expect(note.statusCode).toBe(201);
    const view = (await gw.app.inject({ method: 'GET', url: `/api/owner/follow/${a.split('/').pop()}` })).json<FollowView>();
    expect(view).toMatchObject({ status: 'accepted', category: 'elevator', notes: [{ text: '维修人员 30 分钟内到达' }] });
    expect(view.timeline.map((s) => s.status)).toEqual(['new', 'accepted']);
    expect(JSON.stringify(view)).not.toMatch(/138|B 的描述|description|assignee|number/);
    const viewB = (await gw.app.inject({ method: 'GET', url: `/api/owner/follow/${b.split('/').pop()}` })).json<FollowView>();
    expect(viewB).toMatchObject({ status: 'new', notes: [] });

    // A's signature on B's id, a made-up id, a desk order, flipped bits: the same 404.
    const rawA = Buffer.from(a.split('/').pop()!, 'base64url');
    const swapped = Buffer.concat([rawA.subarray(0, 1), Buffer.from(idB.replace(/-/g, ''), 'hex'), rawA.subarray(17)]).toString('base64url');
    const flipped = Buffer.from(rawA.map((b, i) => (i === rawA.length - 1 ? b ^ 1 : b))).toString('base64url');
    const staffOrder = (await gw.app.inject({ method: 'POST', url: '/api/work-orders', payload: { fault: 'leak', category: 'general', title: 'desk order' }, headers: auth })).json<WorkOrder>();
    const tries = [swapped, flipped, gw.owner!.tokens.follow('00000000-0000-4000-8000-000000000000', Date.now() + DAY), gw.owner!.tokens.follow(staffOrder.id, Date.now() + DAY), 'garbage', 'A'.repeat(50)];
    for (const tok of tries) {
      const res = await gw.app.inject({ method: 'GET', url: `/api/owner/follow/${tok}` });
      expect(res.statusCode, tok).toBe(404);
      expect(res.json()).toEqual({ code: 'GW_ERR_NOT_FOUND', message: 'link not found' });
    }
    // A feedback token is not a follow token.
    expect((await gw.app.inject({ method: 'GET', url: `/api/owner/follow/${gw.owner!.tokens.feedback(idA, Date.now() + DAY).token}` })).statusCode).toBe(404);
    // owner.followDays (90) later, on a fake clock: expired.
    const real = gw.owner!.clock;
    gw.owner!.clock = () => real() + 91 * DAY;
    try {
      const expired = await gw.app.inject({ method: 'GET', url: `/api/owner/follow/${a.split('/').pop()}` });
      expect(expired.statusCode).toBe(410);
      expect(expired.json()).toMatchObject({ code: 'GW_ERR_LINK_EXPIRED' });
    } finally {
      gw.owner!.clock = real;
    }
  });

  it('is in order ids that are not sequential', async () => {
    const ids = await Promise.all([1, 2].map(async () => orderOfFollow((await submit(request('pump-1'))).json<{ follow: string }>().follow).o));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
  });
});

describe('the feedback link (seed 2.3)', () => {
  const feedbackMessage = (orderId: string) =>
    waitFor(async () => {
      const c = (await gw.app.inject({ method: 'GET', url: `/api/work-orders/${orderId}/owner`, headers: auth })).json<{ feedbackLink: string | null }>();
      return c.feedbackLink && messages.find((m) => m.action === 'feedback' && m.data.link.endsWith(c.feedbackLink!)) && c.feedbackLink;
    }, { what: 'the feedback owner-message' });

  it('is sent on resolve, closes the order with the rating (actor owner) and works once', async () => {
    const follow = (await submit(request('pump-1', { category: 'water' }))).json<{ follow: string }>().follow;
    const id = orderOfFollow(follow).o;
    await staffMove(id, 'accepted', 'dispatched', 'on_site', 'resolved');
    const link = await feedbackMessage(id);
    const token = link.split('/').pop()!;
    const view = await gw.app.inject({ method: 'GET', url: `/api/owner/feedback/${token}` });
    expect(view.json()).toMatchObject({ status: 'resolved', category: 'water' });
    const sent = await gw.app.inject({ method: 'POST', url: `/api/owner/feedback/${token}`, payload: { rating: 4, comment: '修得很快 quick' } });
    expect(sent.statusCode, sent.body).toBe(200);
    const order = gw.orders.get(id)!;
    expect(order).toMatchObject({ status: 'closed', feedback: { rating: 4, comment: '修得很快 quick' } });
    expect(gw.orders.audit(id).find((a) => a.action === 'feedback')).toMatchObject({ actor: 'owner' });
    const again = await gw.app.inject({ method: 'POST', url: `/api/owner/feedback/${token}`, payload: { rating: 1 } });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'GW_ERR_LINK_USED' });
    expect(gw.orders.get(id)!.feedback!.rating).toBe(4);
  });

  it('refuses tampered, foreign-nonce and expired links', async () => {
    const id = orderOfFollow((await submit(request('pump-2', { category: 'water' }))).json<{ follow: string }>().follow).o;
    await staffMove(id, 'accepted', 'dispatched', 'on_site', 'resolved');
    const token = (await feedbackMessage(id)).split('/').pop()!;
    const claims = gw.owner!.tokens.verify(token, 'b')!;
    const raw = Buffer.from(token, 'base64url');
    raw.writeUInt32BE(raw.readUInt32BE(17) + 365 * 86_400, 17); // a year more, same signature
    const notFound = [
      raw.toString('base64url'),
      gw.owner!.tokens.feedback(id, claims.e).token, // authentic, but a nonce never sent
      gw.owner!.tokens.feedback(id, claims.e + DAY, claims.n).token, // the nonce with another expiry
      gw.owner!.tokens.follow(id, claims.e), // a follow link is no feedback link
    ];
    for (const t of notFound) {
      const res = await gw.app.inject({ method: 'POST', url: `/api/owner/feedback/${t}`, payload: { rating: 5 } });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ code: 'GW_ERR_NOT_FOUND', message: 'link not found' });
    }
    const real = gw.owner!.clock;
    gw.owner!.clock = () => claims.e + 1000;
    try {
      const res = await gw.app.inject({ method: 'POST', url: `/api/owner/feedback/${token}`, payload: { rating: 5 } });
      expect(res.statusCode).toBe(410);
      expect(res.json()).toMatchObject({ code: 'GW_ERR_LINK_EXPIRED' });
    } finally {
      gw.owner!.clock = real;
    }
    expect(gw.orders.get(id)!.status).toBe('resolved');
  });

  it('without an answer the system closes the order after owner.feedbackWaitDays ("no feedback"), and the link then expires', async () => {
    const id = orderOfFollow((await submit(request('elev-2', { category: 'elevator' }))).json<{ follow: string }>().follow).o;
    const resolved = await staffMove(id, 'accepted', 'dispatched', 'on_site', 'resolved');
    const token = (await feedbackMessage(id)).split('/').pop()!;
    expect(gw.owner!.tick(resolved.resolvedAt! + 3 * DAY - 1000)).toEqual([]);
    expect(gw.owner!.tick(resolved.resolvedAt! + 3 * DAY + 1000)).toContain(resolved.number);
    const order = gw.orders.get(id)!;
    expect(order).toMatchObject({ status: 'closed', feedback: null });
    expect(gw.orders.audit(id).at(-1)).toMatchObject({ actor: 'system', to: 'closed', detail: 'no feedback' });
    const late = await gw.app.inject({ method: 'POST', url: `/api/owner/feedback/${token}`, payload: { rating: 5 } });
    expect(late.statusCode).toBe(410);
    expect(late.json()).toMatchObject({ code: 'GW_ERR_LINK_EXPIRED' });
  });

  it('joins the KPIs: mean rating and share rated, per category', async () => {
    const k = (await gw.app.inject({ method: 'GET', url: '/api/kpis', headers: auth })).json<KpiReport>();
    // Closed owners' requests so far: water rated 4, water and elevator closed by the wait.
    expect(k.satisfaction).toMatchObject({ closed: 3, rated: 1, ratedShare: 1 / 3, meanRating: 4 });
    expect(k.satisfaction.byCategory).toEqual({
      water: { closed: 2, rated: 1, ratedShare: 0.5, meanRating: 4 },
      elevator: { closed: 1, rated: 0, ratedShare: 0, meanRating: null },
    });
    const csv = (await gw.app.inject({ method: 'GET', url: '/api/kpis.csv', headers: auth })).body;
    expect(csv).toContain('owner_rating_mean,,4');
    expect(csv).toContain('owner_rated_share,elevator,0');
  });
});
