/**
 * The dashboard in a real browser: Debian's headless Chromium (/usr/bin/chromium) driven by
 * playwright-core (no browser download), against `demo/start.ts` on free ports. A duty dispatcher
 * logs in, watches a live value change, a fault is injected through the simulator control API, the
 * work order appears without a page reload and is walked to closed with the UI buttons.
 * Screenshots of each step go to test/artifacts/ (gitignored).
 */
import { mkdirSync } from 'node:fs';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSetup, startDemo, stopDemo, type Demo } from '../helpers/demo.js';

const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

const setup = await demoSetup('gw-dash-');
let demo: Demo | undefined;
let browser: Browser | undefined;
let page: Page;
/** Content-Security-Policy violations the browser reports (gateway/api/headers.ts): none allowed. */
const cspViolations: string[] = [];

const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}dashboard-${name}.png`, fullPage: true });
const byId = (id: string) => page.locator(`[data-testid="${id}"]`);

beforeAll(async () => {
  [demo, browser] = await Promise.all([
    startDemo(setup),
    launchChromium(),
  ]);
  // Tablet portrait: what a technician carries.
  page = await browser.newPage({ viewport: { width: 768, height: 1024 } });
  page.setDefaultTimeout(20_000);
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
});

afterAll(async () => {
  await browser?.close();
  await stopDemo(demo);
});

describe('dashboard in headless Chromium', () => {
  it('logs in, shows live values, raises an order live and walks it to closed', async () => {
    await page.goto(`${setup.api}/`);
    await byId('login-form').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await shot('01-login');

    await byId('login-username').fill('dispatcher');
    await byId('login-password').fill('dispatcher-demo');
    await byId('login-submit').click();
    await page.locator('[data-testid="conn-indicator"][data-state="connected"]').waitFor();
    expect(await byId('user-name').getAttribute('data-role')).toBe('dispatcher');

    // A live value on the overview changes without any reload.
    const voltage = page.locator('[data-testid="value-power-1-voltage_l1"]:not([data-value=""])').first();
    await voltage.waitFor();
    const first = await voltage.getAttribute('data-value');
    await page.waitForFunction(
      (before) => {
        const el = document.querySelector('[data-testid="value-power-1-voltage_l1"]');
        return !!el && el.getAttribute('data-value') !== '' && el.getAttribute('data-value') !== before;
      },
      first,
      { polling: 100, timeout: 15_000 },
    );
    expect(await voltage.getAttribute('data-value')).not.toBe(first);
    await shot('02-overview-live');

    // Go to the work orders; mark the document so a reload would show.
    await byId('nav-orders').click();
    await page.locator('h1').first().waitFor();
    const navigations = await page.evaluate(() => performance.getEntriesByType('navigation').length);
    await page.evaluate(() => ((window as unknown as { __e2eMarker: string }).__e2eMarker = 'still-here'));

    const res = await fetch(`${setup.control}/devices/pump-1/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fault: 'low_pressure' }),
    });
    expect(res.ok).toBe(true);

    const row = page.locator('tr[data-testid^="order-row-"]:has(a[href="#/device/pump-1"])').first();
    await row.waitFor({ timeout: 30_000 });
    const testId = (await row.getAttribute('data-testid'))!;
    const number = testId.replace('order-row-', '');
    const orderRow = byId(testId);
    expect(await orderRow.getAttribute('data-status')).toBe('new');
    expect(await page.evaluate(() => (window as unknown as { __e2eMarker?: string }).__e2eMarker)).toBe('still-here');
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(navigations);
    expect(await orderRow.locator('[data-testid="sla-respond"]').getAttribute('data-sla')).toMatch(/running|warn/);
    await shot('03-order-new');

    for (const to of ['accepted', 'dispatched', 'on_site'] as const) {
      await orderRow.locator(`[data-testid="order-action-${to}"]`).click();
      await page.locator(`[data-testid="${testId}"][data-status="${to}"]`).waitFor();
      if (to === 'accepted') await shot('04-order-accepted');
    }

    // Detail page: SLA, execution ledger entry, resolve, close with the owner's feedback.
    await orderRow.locator('[data-testid="order-link"]').click();
    const detail = byId(`order-detail-${number}`);
    await detail.waitFor();
    await byId('ledger-personnel').fill('张工, 李工');
    await byId('ledger-tools').fill('压力表');
    await byId('ledger-result').fill('更换止回阀，压力恢复');
    await byId('ledger-safety').fill('断电挂牌');
    await byId('ledger-add').click();
    await page.locator('[data-testid^="ledger-entry-"]').first().waitFor();
    await byId('order-action-resolved').click();
    await page.locator(`[data-testid="order-detail-${number}"][data-status="resolved"]`).waitFor();
    await byId('feedback-rating').selectOption('5');
    await byId('feedback-comment').fill('处理及时');
    await shot('05-order-detail-resolved');
    await byId('order-action-closed').click();
    await page.locator(`[data-testid="order-detail-${number}"][data-status="closed"]`).waitFor();
    expect(await page.locator('[data-testid^="order-action-"]').count()).toBe(0);
    await shot('06-order-closed');

    // Back on the list, the row shows closed too.
    await byId('nav-orders').click();
    await page.locator(`[data-testid="${testId}"][data-status="closed"]`).waitFor();
    const token = await page.evaluate(() => (JSON.parse(sessionStorage.getItem('fgw.session') ?? '{}') as { token?: string }).token ?? '');
    const orders = (await (await fetch(`${setup.api}/api/work-orders`, { headers: { authorization: `Bearer ${token}` } })).json()) as { number: string; status: string; feedback?: { rating: number } | null }[];
    const closed = orders.find((o) => o.number === number);
    expect(closed?.status).toBe('closed');
    expect(closed?.feedback?.rating).toBe(5);
    expect(await page.evaluate(() => (window as unknown as { __e2eMarker?: string }).__e2eMarker)).toBe('still-here');
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(navigations);
  });

  it('shows a fault contact in red while it is true, as the fire panel descriptor says (alertWhenTrue)', async () => {
    await byId('nav-overview').click();
    const trouble = byId('value-fire-1-trouble');
    await page.locator('[data-testid="value-fire-1-trouble"][data-value="false"]').waitFor();
    expect(await trouble.evaluate((el) => el.classList.contains('v-alert'))).toBe(false);
    expect(await trouble.evaluate((el) => el.closest('.kv-row')?.querySelector('dt')?.textContent)).toBe('故障');

    const control = `${setup.control}/devices/fire-1/faults`;
    const inject = await fetch(control, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fault: 'trouble' }) });
    expect(inject.ok).toBe(true);
    await page.locator('[data-testid="value-fire-1-trouble"][data-value="true"].v-alert').waitFor();
    await shot('07-fire-trouble-red');
    expect((await fetch(`${control}/trouble`, { method: 'DELETE' })).ok).toBe(true);
    await page.locator('[data-testid="value-fire-1-trouble"][data-value="false"]:not(.v-alert)').waitFor();
  });

  it('shows the equipment page with trend ranges, the planning desk and the KPIs, in English too', async () => {
    await page.goto(`${setup.api}/#/device/pump-1`);
    await byId('device-page-pump-1').waitFor();
    await page.locator('[data-testid="trend-chart"][data-samples]').waitFor();
    await byId('trend-range-24h').click();
    await page.locator('[data-testid="trend-range-24h"][aria-pressed="true"]').waitFor();
    await page.locator('[data-testid="trend-chart"][data-samples] .u-over').waitFor();
    await byId('device-orders').locator('a').first().waitFor();
    await shot('08-device-24h');

    await byId('nav-planning').click();
    await page.locator('[data-testid="plans"] table, [data-testid="plans"] .msg:not(:has-text("…"))').first().waitFor();
    await page.locator('[data-testid^="health-"]').first().waitFor();
    await shot('09-planning');

    await byId('lang-switch').click();
    await page.locator('[data-testid="lang-switch"][data-lang="en"]').waitFor();
    await byId('nav-kpis').click();
    await byId('kpi-backlog').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await shot('10-kpis-en-large');
  });

  it('runs under the gateway\'s Content-Security-Policy without a single violation', async () => {
    const res = await fetch(`${setup.api}/`);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(cspViolations).toEqual([]);
  });
});
