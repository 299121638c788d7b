/**
 * The technician's phone view (README.md, "On a phone") in headless Debian Chromium at 390 × 844
 * (touch, mobile viewport) against `demo/start.ts` on free ports. A dispatcher assigns an elevator
 * order to the demo technician; the technician sees it as a card that fits the screen (countdown,
 * location, equipment, the big next-step button: the bug was columns cut off at this width), walks
 * it accept → dispatch → on site (arrival time shown), adds a ledger entry with a camera photo far
 * larger than the upload limit (shrunk in the browser to ≤ 1600 px), then presses "resolved" with
 * the network down: the step shows pending, and when the network is back its first answer is lost
 * on the way (the gateway did it) and the retry with the same Idempotency-Key is answered from the
 * stored answer, so the audit trail has exactly one transition. Screenshots in test/artifacts/, and
 * the two README pictures too (in docs/screenshots/ with UPDATE_SCREENSHOTS=1).
 */
import { mkdirSync, statSync } from 'node:fs';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { png } from '../helpers/png.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkOrder } from '../../gateway/core/model.js';
import { PHOTO_MAX_BYTES, type Photo } from '../../gateway/workorders/photos.js';
import { demoSetup, startDemo, stopDemo, type Demo } from '../helpers/demo.js';

const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const DOCS = new URL(process.env.UPDATE_SCREENSHOTS ? '../../docs/screenshots/' : '../artifacts/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });
mkdirSync(DOCS, { recursive: true });
const WIDTH = 390;
const HEIGHT = 844;
/** Longest side the dashboard shrinks photos to (dashboard/src/phone/photo.ts). */
const MAX_SIDE = 1600;

const setup = await demoSetup('gw-phone-');
let demo: Demo | undefined;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
const tokens: Record<string, string> = {};

const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}phone-${name}.png` });
const byId = (id: string) => page.locator(`[data-testid="${id}"]`);

async function call<T>(as: string, method: 'GET' | 'POST', path: string, body?: object): Promise<T> {
  const res = await fetch(`${setup.api}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[as]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Every given element lies inside the viewport's width. */
async function expectWithinWidth(ids: string[], scope = page.locator('body')): Promise<void> {
  for (const id of ids) {
    const box = await scope.locator(`[data-testid="${id}"]`).first().boundingBox();
    expect(box, id).not.toBeNull();
    expect(box!.x, id).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width, id).toBeLessThanOrEqual(WIDTH);
  }
}

beforeAll(async () => {
  [demo, browser] = await Promise.all([
    startDemo(setup),
    launchChromium(),
  ]);
  context = await browser.newContext({ viewport: { width: WIDTH, height: HEIGHT }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  for (const user of ['dispatcher', 'tech']) {
    const res = await fetch(`${setup.api}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: `${user}-demo` }) });
    tokens[user] = ((await res.json()) as { token: string }).token;
  }
});

afterAll(async () => {
  await browser?.close();
  await stopDemo(demo);
});

describe('technician phone view at 390 × 844', () => {
  it('shows assigned orders as cards that fit, walks one to on site with a photo, and survives a network drop', async () => {
    const created = await call<WorkOrder>('dispatcher', 'POST', '/api/work-orders', { device: 'elev-1', fault: 'owner_stuck_door', category: 'elevator', title: '业主报告电梯门卡住' });
    await call<WorkOrder>('dispatcher', 'POST', `/api/work-orders/${created.id}/assign`, { assignee: 'tech' });
    expect(created.onSiteBy).not.toBeNull();

    await page.goto(`${setup.api}/`);
    await byId('login-username').fill('tech');
    await byId('login-password').fill('tech-demo');
    await byId('login-submit').click();
    // A technician on a phone lands on their own orders.
    const card = byId(`my-card-${created.number}`);
    await card.waitFor();
    expect(new URL(page.url()).hash).toBe('#/my');
    expect(await card.getAttribute('data-status')).toBe('new');
    await expect.poll(() => card.locator('[data-testid="sla-respond"]').getAttribute('data-sla')).toMatch(/running|warn/);
    expect(await card.locator('[data-testid="sla-onsite"]').textContent()).toMatch(/\d/);
    expect(await card.locator('[data-testid="card-location"]').textContent()).toContain('A');
    expect((await card.locator('[data-testid="card-equipment"]').textContent())?.trim()).toBe('电梯');
    await expectWithinWidth(['card-countdown', 'card-location', 'card-equipment', 'card-next'], card);
    const nextBox = (await card.locator('[data-testid="card-next"]').boundingBox())!;
    expect(nextBox.height).toBeGreaterThanOrEqual(44); // thumb-sized
    expect(nextBox.y + nextBox.height).toBeLessThanOrEqual(HEIGHT);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(WIDTH);
    await page.screenshot({ path: `${DOCS}phone-my-orders.png` });
    await shot('01-my-orders');

    // accept → dispatched → on site, one big button at a time.
    for (const to of ['accepted', 'dispatched', 'on_site'] as const) {
      const next = card.locator(`[data-testid="card-next"][data-to="${to}"][data-pending="false"]`);
      await next.tap();
      await page.locator(`[data-testid="my-card-${created.number}"][data-status="${to}"]`).waitFor();
    }
    const arrived = card.locator('[data-testid="card-onsite-at"]');
    await arrived.waitFor();
    const onSite = await call<WorkOrder>('tech', 'GET', `/api/work-orders/${created.id}`);
    expect(Number(await arrived.getAttribute('data-ts'))).toBe(onSite.onSiteAt);
    expect(await card.locator('[data-testid="sla-onsite"]').getAttribute('data-sla')).toBe('met');
    await shot('02-on-site');

    // The order page: a ledger entry with a photo straight from the camera, far over the limit.
    await card.locator('[data-testid="card-open"]').tap();
    await byId('ledger-form').waitFor();
    const original = png(3200, 2800, true);
    expect(original.length).toBeGreaterThan(PHOTO_MAX_BYTES);
    await byId('ledger-photo').setInputFiles({ name: 'IMG_0001.png', mimeType: 'image/png', buffer: original });
    const preview = byId('photo-preview');
    await preview.waitFor();
    expect(Number(await preview.getAttribute('data-width'))).toBe(MAX_SIDE);
    expect(Number(await preview.getAttribute('data-height'))).toBe(1400);
    await byId('ledger-tools').fill('门机调试仪, 万用表');
    await byId('ledger-result').fill('调整门机皮带，门开关正常');
    await byId('ledger-safety').fill('轿厢停靠基站，挂牌检修');
    await byId('ledger-add').tap();
    await page.locator('[data-testid^="ledger-entry-"]').first().waitFor();
    await page.locator('[data-testid="order-photos"][data-count="1"] img').waitFor();
    await expect.poll(() => page.locator('[data-testid="order-photos"] img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(MAX_SIDE);
    const photos = await call<Photo[]>('tech', 'GET', `/api/work-orders/${created.id}/photos`);
    expect(photos).toHaveLength(1);
    const [photo] = photos;
    const [entry] = await call<{ seq: number }[]>('tech', 'GET', `/api/work-orders/${created.id}/ledger`);
    expect(photo).toMatchObject({ mime: 'image/jpeg', width: MAX_SIDE, height: 1400, ledgerSeq: entry!.seq, createdBy: 'tech' });
    expect(photo!.bytes).toBeLessThan(original.length);
    expect(statSync(`${setup.dataDir}/photos/${created.id}/${photo!.id}.jpg`).size).toBe(photo!.bytes);
    await expectWithinWidth(['ledger-add', 'ledger-result', 'order-photos']);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(WIDTH);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${DOCS}phone-order.png`, fullPage: true });
    await shot('03-order-ledger-photo');

    // Network down: the next step waits, shown as pending; nothing reaches the gateway.
    await context.setOffline(true);
    const resolveBtn = byId('card-next');
    await page.locator('[data-testid="card-next"][data-to="resolved"][data-pending="false"]').tap();
    await page.locator('[data-testid="card-next"][data-to="resolved"][data-pending="true"]').waitFor();
    await byId('card-pending').waitFor();
    expect((await call<WorkOrder>('tech', 'GET', `/api/work-orders/${created.id}`)).status).toBe('on_site');
    expect(await resolveBtn.isDisabled()).toBe(true);
    await shot('04-offline-pending');

    // Network back, but the first answer is lost on the way (the gateway did the step): the retry
    // carries the same Idempotency-Key and gets the stored answer.
    const seen: { key: string | undefined; replayed: string | undefined; status: number | null }[] = [];
    await page.route(`**/api/work-orders/${created.id}/transition`, async (route) => {
      const key = route.request().headers()['idempotency-key'];
      const res = await route.fetch();
      seen.push({ key, replayed: res.headers()['idempotent-replayed'], status: seen.length === 0 ? null : res.status() });
      if (seen.length === 1) await route.abort('connectionreset');
      else await route.fulfill({ response: res });
    });
    await context.setOffline(false);
    await page.locator(`[data-testid="my-card-${created.number}"][data-status="resolved"]`).waitFor({ timeout: 30_000 });
    await byId('card-pending').waitFor({ state: 'detached', timeout: 30_000 });
    await byId('card-done').waitFor();
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(new Set(seen.map((s) => s.key)).size).toBe(1);
    expect(seen[1]).toMatchObject({ replayed: 'true', status: 200 });
    const final = await call<WorkOrder & { audit: { action: string; to: string | null }[] }>('tech', 'GET', `/api/work-orders/${created.id}`);
    expect(final.status).toBe('resolved');
    expect(final.audit.filter((a) => a.action === 'transition' && a.to === 'resolved')).toHaveLength(1);
    expect(final.audit.filter((a) => a.action === 'transition').map((a) => a.to)).toEqual(['accepted', 'dispatched', 'on_site', 'resolved']);
    await shot('05-back-online-resolved');
  });

  it('shows a step someone else overtook as a problem instead of retrying it forever, in English too', async () => {
    const created = await call<WorkOrder>('dispatcher', 'POST', '/api/work-orders', { device: 'pump-1', fault: 'owner_noise', category: 'water', title: 'Noisy pump' });
    await call<WorkOrder>('dispatcher', 'POST', `/api/work-orders/${created.id}/transition`, { to: 'accepted', assignee: 'tech' });
    await page.goto(`${setup.api}/#/my`);
    await byId('lang-switch').tap();
    await page.locator('[data-testid="lang-switch"][data-lang="en"]').waitFor();
    const card = byId(`my-card-${created.number}`);
    await card.locator('[data-testid="card-next"][data-to="dispatched"]').waitFor();
    expect((await card.locator('[data-testid="card-next"]').textContent())?.trim()).toBe('Set off to site');
    // Offline, the technician presses "dispatch"; meanwhile the desk cancels the order.
    await context.setOffline(true);
    await card.locator('[data-testid="card-next"][data-pending="false"]').tap();
    await card.locator('[data-testid="card-pending"]').waitFor();
    await call<WorkOrder>('dispatcher', 'POST', `/api/work-orders/${created.id}/transition`, { to: 'cancelled', note: 'owner withdrew the request' });
    await context.setOffline(false);
    // The cancelled order leaves the list once the refusal is in: check the problem on the queue.
    await expect.poll(() => page.evaluate(() => localStorage.getItem('fgw.steps.tech') ?? ''), { timeout: 30_000 }).toContain('"status":409');
    const state = JSON.parse((await page.evaluate(() => localStorage.getItem('fgw.steps.tech'))) ?? '{}') as { steps: unknown[]; problems: { orderId: string; code: string }[] };
    expect(state.steps).toEqual([]);
    expect(state.problems).toEqual([expect.objectContaining({ orderId: created.id, code: 'GW_ERR_TRANSITION' })]);
    const audit = (await call<{ audit: { action: string; to: string | null }[] }>('tech', 'GET', `/api/work-orders/${created.id}`)).audit;
    expect(audit.filter((a) => a.to === 'dispatched')).toHaveLength(0);
    await page.goto(`${setup.api}/#/my/${created.id}`);
    const problem = page.locator('[data-testid="card-problem"][data-status="409"]');
    await problem.waitFor();
    expect(await problem.textContent()).toContain('Someone else changed this order');
    await shot('06-conflict-en');
    await problem.locator('[data-testid="card-problem-dismiss"]').tap();
    await problem.waitFor({ state: 'detached' });
  });
});
