/**
 * An owner on a phone (390×844, Debian's headless Chromium via playwright-core) against
 * `demo/start.ts`: opens the URL of a printed label (taken from `GET /api/owner-codes`), sends a
 * request with a photo (seed 2.1), follows it, and after the staff resolve it rates the work 4 with
 * a comment through the one-time feedback link (seed 2.3), which is refused the second time.
 * The request page is saved to test/artifacts/ (with UPDATE_SCREENSHOTS=1, to docs/screenshots/ for the README).
 */
import { mkdirSync } from 'node:fs';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkOrder } from '../../gateway/core/model.js';
import { demoSetup, startDemo, stopDemo, type Demo } from '../helpers/demo.js';

const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const SCREENSHOTS = new URL(process.env.UPDATE_SCREENSHOTS ? '../../docs/screenshots/' : '../artifacts/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });
mkdirSync(SCREENSHOTS, { recursive: true });

const setup = await demoSetup('gw-owner-e2e-');
let demo: Demo | undefined;
let browser: Browser | undefined;
let page: Page;
let auth: Record<string, string> = {};
const cspViolations: string[] = [];

const byId = (id: string) => page.locator(`[data-testid="${id}"]`);
const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}owner-${name}.png`, fullPage: true });

async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${setup.api}${path}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  [demo, browser] = await Promise.all([
    startDemo(setup),
    launchChromium(),
  ]);
  page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  page.setDefaultTimeout(20_000);
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
  const login = await api<{ token: string }>('POST', '/api/auth/login', { username: 'admin', password: 'admin-demo' });
  auth = { authorization: `Bearer ${login.token}` };
});

afterAll(async () => {
  await browser?.close();
  await stopDemo(demo);
});

describe('the desk prints the labels', () => {
  it('shows one label per device with its QR code, place in both languages, print layout without the frame', async () => {
    const desk = await browser!.newPage({ viewport: { width: 1024, height: 1200 } });
    try {
      desk.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
      await desk.goto(`${setup.api}/#/owner-codes`);
      await desk.locator('[data-testid="login-username"]').fill('dispatcher');
      await desk.locator('[data-testid="login-password"]').fill('dispatcher-demo');
      await desk.locator('[data-testid="login-submit"]').click();
      await desk.locator('[data-testid="nav-owner-codes"]').click();
      const labels = desk.locator('[data-testid^="owner-label-"]');
      await labels.first().waitFor();
      expect(await labels.count()).toBe(10);
      const lift = desk.locator('[data-testid="owner-label-elev-1"]');
      expect(await lift.textContent()).toMatch(/A 栋 电梯.*Elevator A1, building A/);
      expect(await lift.getAttribute('data-url')).toMatch(/\/r\/[A-Za-z0-9_-]{22}$/);
      // The QR image decoded and drawn (an SVG from the gateway).
      expect(await lift.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
      await desk.emulateMedia({ media: 'print' });
      expect(await desk.locator('.topbar').isVisible()).toBe(false);
      await desk.screenshot({ path: `${ARTIFACTS}owner-labels-print.png`, fullPage: true });
    } finally {
      await desk.close();
    }
  });
});

describe('an owner on a phone', () => {
  it('reports from a QR label with a photo, follows the order, rates it once', async () => {
    const { codes } = await api<{ codes: { device: string | null; url: string }[] }>('GET', '/api/owner-codes');
    const label = codes.find((c) => c.device === 'elev-1')!;
    expect(label.url).toMatch(new RegExp(`^${setup.api}/r/[A-Za-z0-9_-]{22}$`));

    await page.goto(label.url);
    await byId('owner-location').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await byId('owner-location').textContent()).toContain('电梯');
    expect(await byId('owner-category').inputValue()).toBe('elevator');

    // English one click away, and back.
    await byId('lang-switch').click();
    await page.locator('h1', { hasText: 'Report a problem' }).waitFor();
    await byId('lang-switch').click();
    await page.locator('h1', { hasText: '报修' }).waitFor();

    // A real photo: drawn in the page, 2400×1800 PNG, shrunk to JPEG in the browser before sending.
    const png = Buffer.from(await page.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 2400;
      c.height = 1800;
      const g = c.getContext('2d')!;
      g.fillStyle = '#7a8699';
      g.fillRect(0, 0, 2400, 1800);
      g.fillStyle = '#d23a2f';
      g.fillRect(600, 400, 1200, 1000);
      return c.toDataURL('image/png').split(',')[1]!;
    }), 'base64');
    await byId('owner-description').fill('电梯门关不上，反复开合 / the lift door keeps reopening');
    await byId('owner-phone').fill('138 1234 5678');
    await byId('owner-photo').setInputFiles({ name: 'door.png', mimeType: 'image/png', buffer: png });
    await page.locator('[data-testid="owner-photo-preview"][data-ready="true"]').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}owner-request.png`, fullPage: true });
    await byId('owner-submit').click();

    await byId('owner-done').waitFor();
    await page.locator('[data-testid="follow-status"][data-status="new"]').waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/r\/follow\/[A-Za-z0-9_-]{50}$/);
    await shot('follow-new');

    // The desk sees the order: 24 h initial response, the label's device, the photo (a JPEG now).
    const orders = await api<WorkOrder[]>('GET', '/api/work-orders?device=elev-1');
    const order = orders.find((o) => o.title.startsWith('Owner request'))!;
    expect(order).toMatchObject({ source: 'manual', category: 'elevator', status: 'new' });
    expect(order.respondBy - order.faultAt).toBe(24 * 3_600_000);
    const contact = await api<{ phone: string; photo: boolean }>('GET', `/api/work-orders/${order.id}/owner`);
    expect(contact).toMatchObject({ phone: '+8613812345678', photo: true });
    const photo = await fetch(`${setup.api}/api/work-orders/${order.id}/owner/photo`, { headers: auth });
    expect(photo.headers.get('content-type')).toBe('image/jpeg');
    expect((await photo.arrayBuffer()).byteLength).toBeLessThan(1024 * 1024);

    // The staff resolve it; a note to the owner shows on the follow page.
    await api('POST', `/api/work-orders/${order.id}/owner-notes`, { text: '已更换门机皮带' });
    for (const to of ['accepted', 'dispatched', 'on_site', 'resolved']) await api('POST', `/api/work-orders/${order.id}/transition`, { to });
    await byId('follow-refresh').click();
    await page.locator('[data-testid="follow-status"][data-status="resolved"]').waitFor();
    expect(await byId('follow-notes').textContent()).toContain('已更换门机皮带');

    // The feedback link the owner was sent (the desk sees the open one too).
    const { feedbackLink } = await api<{ feedbackLink: string }>('GET', `/api/work-orders/${order.id}/owner`);
    const followUrl = page.url();
    await page.goto(`${setup.api}${feedbackLink}`);
    await byId('feedback-star-4').click();
    await byId('feedback-comment').fill('师傅很专业 / quick and tidy');
    await shot('feedback');
    await byId('feedback-submit').click();
    await byId('feedback-done').waitFor();

    await page.goto(followUrl);
    await page.locator('[data-testid="follow-status"][data-status="closed"]').waitFor();
    expect(await byId('follow-feedback').getAttribute('data-rating')).toBe('4');
    const closed = await api<WorkOrder>('GET', `/api/work-orders/${order.id}`);
    expect(closed).toMatchObject({ status: 'closed', feedback: { rating: 4, comment: '师傅很专业 / quick and tidy' } });
    await shot('follow-closed');

    // The link works once.
    await page.goto(`${setup.api}${feedbackLink}`);
    await page.locator('[data-testid="feedback-error"][data-code="GW_ERR_LINK_USED"]').waitFor();
    await shot('feedback-used');
    expect(cspViolations).toEqual([]);
  });
});
