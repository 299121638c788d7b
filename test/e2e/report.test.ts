/**
 * The monthly report page in a real browser: Debian's headless Chromium driven by playwright-core,
 * against `demo/start.ts` on free ports (test/helpers/demo.ts). A dispatcher works two owner
 * requests through the API (one closed with a rating, one cancelled with a reason), opens
 * `#/report?month=<this month>` (zh-CN by default), switches to English, checks that print media
 * hides the navigation, and downloads the month's workbook through the page's button, read back
 * with exceljs. The screenshot goes to test/artifacts/ (with UPDATE_SCREENSHOTS=1, to docs/screenshots/ for the README).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSetup, startDemo, stopDemo, type Demo } from '../helpers/demo.js';

const SCREENSHOTS = new URL(process.env.UPDATE_SCREENSHOTS ? '../../docs/screenshots/' : '../artifacts/', import.meta.url).pathname;
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
mkdirSync(SCREENSHOTS, { recursive: true });
mkdirSync(ARTIFACTS, { recursive: true });

const setup = await demoSetup('gw-report-');
let demo: Demo | undefined;
let browser: Browser | undefined;
let page: Page;
const byId = (id: string) => page.locator(`[data-testid="${id}"]`);

/** The current month in the estate's default zone (gateway/archive/month.ts). */
const month = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(Date.now()).slice(0, 7);

beforeAll(async () => {
  [demo, browser] = await Promise.all([
    startDemo(setup),
    launchChromium(),
  ]);
  page = await browser.newPage({ viewport: { width: 1100, height: 1300 }, acceptDownloads: true });
  page.setDefaultTimeout(20_000);
});

afterAll(async () => {
  await browser?.close();
  await stopDemo(demo);
});

async function apiAs(token: string, method: 'GET' | 'POST', path: string, body?: object): Promise<{ id: string; status: string }> {
  const res = await fetch(`${setup.api}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}),
  });
  expect(res.ok, `${method} ${path}: ${res.status}`).toBe(true);
  return (await res.json()) as { id: string; status: string };
}

describe('monthly report in headless Chromium', () => {
  it('shows the month, switches to English, prints without navigation and downloads the workbook', async () => {
    const login = await fetch(`${setup.api}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'dispatcher', password: 'dispatcher-demo' }) });
    const { token } = (await login.json()) as { token: string };
    const done = await apiAs(token, 'POST', '/api/work-orders', { device: 'pump-1', fault: 'owner_noise', category: 'water', title: '业主反映水泵噪音' });
    for (const to of ['accepted', 'dispatched', 'on_site', 'resolved']) await apiAs(token, 'POST', `/api/work-orders/${done.id}/transition`, { to, assignee: 'tech' });
    await apiAs(token, 'POST', `/api/work-orders/${done.id}/transition`, { to: 'closed', feedback: { rating: 4, comment: '已安静' } });
    const dup = await apiAs(token, 'POST', '/api/work-orders', { device: null, fault: 'lobby_light', category: 'general', title: '=大堂灯闪烁' });
    await apiAs(token, 'POST', `/api/work-orders/${dup.id}/transition`, { to: 'cancelled', note: '与业主电话报修重复' });

    await page.goto(`${setup.api}/`);
    await byId('login-username').fill('dispatcher');
    await byId('login-password').fill('dispatcher-demo');
    await byId('login-submit').click();
    await byId('nav-report').waitFor();
    await page.goto(`${setup.api}/#/report?month=${month}`);
    const report = page.locator(`[data-testid="report"][data-month="${month}"]`);
    await report.waitFor();
    expect(await report.getAttribute('data-status')).toBe('open');
    expect(await byId('report-header').innerText()).toContain(month);
    expect(await byId('report-header').innerText()).toContain('月度服务报告');
    expect(await byId('report-status').innerText()).toContain('未归档');
    expect(await byId('report-satisfaction').innerText()).toContain('4 / 5');
    await page.screenshot({ path: `${SCREENSHOTS}monthly-report.png`, fullPage: true });

    await byId('lang-switch').click();
    await page.locator('[data-testid="lang-switch"][data-lang="en"]').waitFor();
    await page.locator('[data-testid="report-header"]:has-text("Monthly service report")').waitFor();
    expect(await byId('report-status').innerText()).toContain('Provisional');
    expect(await byId('report-footer').innerText()).toContain('Asia/Shanghai');

    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.topbar').isVisible()).toBe(false);
    expect(await page.locator('nav').isVisible()).toBe(false);
    expect(await byId('report-xlsx').isVisible()).toBe(false);
    expect(await byId('report-sla').isVisible()).toBe(true);
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('[data-testid="report-missed"]')!).breakBefore)).toBe('page');
    await page.screenshot({ path: `${ARTIFACTS}report-print.png`, fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    expect(await page.locator('nav').isVisible()).toBe(true);

    const [download] = await Promise.all([page.waitForEvent('download'), byId('report-xlsx').click()]);
    expect(download.suggestedFilename()).toBe(`archive-DEMO-${month}.xlsx`);
    const path = `${ARTIFACTS}report-${month}.xlsx`;
    await download.saveAs(path);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(readFileSync(path) as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Summary', 'Orders', 'Ledger', 'Missed deadlines']);
    const titles: string[] = [];
    wb.getWorksheet('Orders')!.eachRow((row, i) => { if (i > 1) titles.push(String(row.getCell(7).value)); });
    expect(titles).toEqual(expect.arrayContaining(['业主反映水泵噪音', "'=大堂灯闪烁"]));
  });
});
