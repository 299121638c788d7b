/**
 * The monthly archive on a real SQLite file and a fake clock (seed 6.x; gateway/archive/):
 * report numbers (per-category SLA, response times, satisfaction, missed deadlines with their
 * reason), month bounds in the estate's time zone, the workbook read back with exceljs (sheets,
 * cell types, formula escaping), freezing (served bytes and ETag survive later order changes; the
 * trigger refuses UPDATE and DELETE), 400s for bad months, and the roles on a real gateway.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmRepository } from '../alarms/repository.js';
import { archiveApi } from '../api/archive.js';
import { accessFor } from '../api/auth/policy.js';
import { registerErrorHandler } from '../api/errors.js';
import { createGateway, type Gateway } from '../app.js';
import { loadConfig } from '../site/load.js';
import { createLogger } from '../core/log.js';
import type { Alarm } from '../core/model.js';
import { openDatabase } from '../storage/sqlite.js';
import { WorkOrderRepository } from '../workorders/repository.js';
import { WorkOrderService } from '../workorders/service.js';
import { SlaBook } from '../workorders/sla.js';
import { archiveSource } from './index.js';
import { monthOf } from './month.js';
import type { MonthlyReport } from './report.js';
import { ArchiveService } from './service.js';

const log = createLogger('test', 'silent');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** November 2026 in Shanghai: 2026-10-31T16:00Z to 2026-11-30T16:00Z. */
const NOV = { from: Date.UTC(2026, 9, 31, 16), to: Date.UTC(2026, 10, 30, 16) };
const T0 = Date.UTC(2026, 10, 2, 8);
const FORMULA_TITLE = '=HYPERLINK("http://example.invalid","lift")';

function rig() {
  const clock = { now: NOV.from };
  const db = openDatabase(mkdtempSync(join(tmpdir(), 'gw-archive-')), 'gateway.db');
  const orders = new WorkOrderService(new WorkOrderRepository(db, { estate: { site: 'riverside', code: 'RVS' } }), new SlaBook([]), log, () => clock.now);
  const alarmRepo = new AlarmRepository(db, 'riverside');
  const archive = new ArchiveService({
    db, source: archiveSource(orders, alarmRepo), estate: { site: 'riverside', code: 'RVS', name: '滨江花园' }, log,
    firstDataAt: () => (db.prepare('SELECT MIN(fault_at) AS t FROM work_orders').get() as { t: number | null }).t,
  });
  return { clock, db, orders, alarmRepo, archive };
}

/** A November with one order of each kind of outcome. */
function november() {
  const r = rig();
  const { clock, orders, alarmRepo } = r;
  const at = (t: number) => (clock.now = t);
  // B: 01:00 on 1 November in Shanghai (still 31 October in UTC); answered in 30 min, rated 5.
  const bAt = Date.UTC(2026, 9, 31, 17);
  at(bAt);
  const b = orders.create({ device: 'pump-2', fault: 'leak', category: 'water', title: 'Leak in B2', faultAt: bAt }, 'dispatcher');
  at(bAt + 30 * MIN);
  orders.transition(b.id, 'accepted', 'dispatcher', { assignee: 'tech' });
  for (const s of ['dispatched', 'on_site', 'resolved'] as const) orders.transition(b.id, s, 'tech');
  orders.transition(b.id, 'closed', 'dispatcher', { feedback: { rating: 5 } });

  // A: water, 1 h to respond (seed 2.1); escalated at 90 min, answered at 2 h with a note, rated 4.
  at(T0);
  const a = orders.create({ device: 'pump-1', fault: 'pressure_low', category: 'water', title: 'No water on floor 12' }, 'dispatcher');
  at(T0 + 90 * MIN);
  orders.escalateOverdue();
  at(T0 + 2 * HOUR);
  orders.transition(a.id, 'accepted', 'dispatcher', { note: 'waiting for the pump contractor', assignee: 'tech' });
  orders.transition(a.id, 'dispatched', 'tech');
  orders.transition(a.id, 'on_site', 'tech');
  orders.addLedger(a.id, { personnel: ['Li Wei'], tools: ['=cmd|calc', 'multimeter'], result: 'replaced the pressure switch', safetyMeasures: '+isolated the pump' }, 'tech');
  orders.transition(a.id, 'resolved', 'tech');
  orders.transition(a.id, 'closed', 'dispatcher', { feedback: { rating: 4, comment: 'slow but fixed' } });

  // C: elevator alarm with a formula-like message; answered in 10 min, on site at 3 h (2 h due), no rating.
  const cAt = T0 + 2 * DAY;
  const alarm: Alarm = { id: 'al-1', site: 'riverside', device: 'elev-1', rule: 'elevator.fault', fault: 'door', severity: 'major', category: 'elevator',
    message: FORMULA_TITLE, state: 'active_unack', value: true, raisedAt: cAt, clearedAt: null, ackedAt: null, ackedBy: null, workOrderId: null };
  at(cAt);
  alarmRepo.insert(alarm);
  const c = orders.fromAlarm(alarm);
  at(cAt + 10 * MIN);
  orders.transition(c.id, 'accepted', 'tech');
  at(cAt + 150 * MIN);
  orders.escalateOverdue();
  at(cAt + 3 * HOUR);
  orders.transition(c.id, 'dispatched', 'tech');
  orders.transition(c.id, 'on_site', 'tech');
  orders.transition(c.id, 'resolved', 'tech');
  orders.transition(c.id, 'closed', 'tech');

  // D: general request cancelled after its 24 h response deadline, with the reason.
  const dAt = T0 + 3 * DAY;
  at(dAt);
  const d = orders.create({ device: null, fault: 'lobby_light', category: 'general', title: 'Lobby light flickers' }, 'dispatcher');
  at(dAt + 25 * HOUR);
  orders.transition(d.id, 'cancelled', 'dispatcher', 'duplicate of the owner call WO-RVS-20261105-0001');

  // E: power fault still open (nobody answered); F: December, not in the report.
  const eAt = T0 + 10 * DAY;
  at(eAt);
  const e = orders.create({ device: 'power-1', fault: 'phase_loss', category: 'power', title: 'Phase loss in tower A' }, 'dispatcher');
  at(NOV.to + HOUR);
  orders.create({ device: 'pump-1', fault: 'december', category: 'water', title: 'December order' }, 'dispatcher');
  return { ...r, a, b, c, d, e };
}

describe('monthly report numbers', () => {
  it('counts per-category SLA, response times, satisfaction and the missed deadlines with their reason', async () => {
    const { archive, clock, a, c, d, e } = november();
    clock.now = NOV.to + DAY;
    const { report } = await archive.month('2026-11');
    expect(report).toMatchObject({ month: '2026-11', timezone: 'Asia/Shanghai', from: NOV.from, to: NOV.to, status: 'open', provisional: true,
      estate: { code: 'RVS', name: '滨江花园' } });
    // Orders by fault time in Shanghai: B (1 Nov 01:00 local) is in, the December order is not.
    expect(report.incidents.orders).toMatchObject({ total: 5, cancelled: 1, byPriority: { urgent: 4, normal: 1, emergency: 0 } });
    expect(report.incidents.orders.byCategory.water).toMatchObject({ total: 2, urgent: 2 });
    expect(report.incidents.alarms).toEqual({ total: 1, byCategory: { elevator: 1 }, bySeverity: { major: 1 } });

    const sla = Object.fromEntries(report.sla.map((s) => [s.category, s]));
    expect(sla.water!.response).toEqual({ due: 2, met: 1, rate: 0.5 });
    expect(sla.elevator!.response).toEqual({ due: 1, met: 1, rate: 1 });
    expect(sla.elevator!.onSite).toEqual({ due: 1, met: 0, rate: 0 });
    expect(sla.power!.response).toEqual({ due: 1, met: 0, rate: 0 });
    expect(sla.general).toBeUndefined(); // cancelled orders are left out (gateway/workorders/kpis.ts)

    // Responses 30, 120 and 10 min: mean 53.3, median 30, p90 (nearest rank) 120.
    expect(report.times.responded).toBe(3);
    expect(report.times.meanResponseMinutes).toBeCloseTo(160 / 3, 6);
    expect(report.times.medianResponseMinutes).toBe(30);
    expect(report.times.p90ResponseMinutes).toBe(120);
    expect(report.times.mttrHours).not.toBeNull();

    // Three closed orders, two rated (5 and 4).
    expect(report.satisfaction).toMatchObject({ closed: 3, rated: 2, meanRating: 4.5, byRating: { '4': 1, '5': 1 } });
    expect(report.satisfaction.shareRated).toBeCloseTo(2 / 3, 9);

    const missed = report.missed.map((m) => ({ number: m.number, deadline: m.deadline, late: m.lateMinutes, escalated: m.escalatedAt, note: m.note, cancellation: m.cancellation }));
    expect(missed).toEqual([
      { number: a.number, deadline: 'respond', late: 60, escalated: T0 + 90 * MIN, note: 'waiting for the pump contractor', cancellation: null },
      { number: c.number, deadline: 'on_site', late: 60, escalated: T0 + 2 * DAY + 150 * MIN, note: null, cancellation: null },
      { number: d.number, deadline: 'respond', late: 60, escalated: null, note: null, cancellation: 'duplicate of the owner call WO-RVS-20261105-0001' },
      // Still unanswered: late until the month's end (the report's asOf).
      { number: e.number, deadline: 'respond', late: Math.round((NOV.to - (T0 + 10 * DAY + HOUR)) / MIN), escalated: null, note: null, cancellation: null },
    ]);
  });

  it('puts month bounds at local midnight of the estate, and a configured zone moves them', () => {
    expect(monthOf('2026-11', 'Asia/Shanghai')).toEqual({ month: '2026-11', ...NOV });
    expect(monthOf('2026-11', 'UTC')).toEqual({ month: '2026-11', from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 11, 1) });
    // Daylight saving: Berlin's November starts at +01:00, its October at +02:00.
    expect(monthOf('2026-10', 'Europe/Berlin').from).toBe(Date.UTC(2026, 8, 30, 22));
    expect(monthOf('2026-11', 'Europe/Berlin').from).toBe(Date.UTC(2026, 9, 31, 23));
  });
});

describe('Excel workbook', () => {
  it('has the four sheets, typed cells in Shanghai time, frozen filterable headers and escaped formula-like text', async () => {
    const { archive, clock, a, b, c } = november();
    clock.now = NOV.to + DAY;
    const { xlsx } = await archive.month('2026-11');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Summary', 'Orders', 'Ledger', 'Missed deadlines']);

    const ws = wb.getWorksheet('Orders')!;
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(ws.autoFilter).toBeTruthy();
    const header = (ws.getRow(1).values as unknown[]).slice(1).map(String);
    expect(header[0]).toContain('Number');
    expect(header).toHaveLength(18);
    const rows = new Map<string, ExcelJS.Row>();
    ws.eachRow((row, i) => { if (i > 1) rows.set(String(row.getCell(1).value), row); });
    expect(rows.size).toBe(5);
    const rowB = rows.get(b.number)!;
    // Fault time 2026-10-31T17:00Z shows as 2026-11-01 01:00 (Asia/Shanghai) and is an Excel date.
    expect(rowB.getCell(9).value).toEqual(new Date(Date.UTC(2026, 10, 1, 1)));
    expect(rowB.getCell(9).numFmt).toBe('yyyy-mm-dd hh:mm');
    expect(rowB.getCell(2).value).toBe('RVS');
    expect(rowB.getCell(16).value).toBe('met');
    expect(rowB.getCell(18).value).toBe(5);
    expect(rows.get(a.number)!.getCell(16).value).toBe('missed');
    // The alarm's formula-like message is text, escaped like the CSV export (gateway/core/csv.ts).
    const title = rows.get(c.number)!.getCell(7);
    expect(title.value).toBe(`'${FORMULA_TITLE}`);
    expect(title.type).toBe(ExcelJS.ValueType.String);

    const ledger = wb.getWorksheet('Ledger')!;
    expect(ledger.getRow(2).getCell(1).value).toBe(a.number);
    expect(ledger.getRow(2).getCell(2).value).toBeInstanceOf(Date);
    expect(ledger.getRow(2).getCell(4).value).toBe("'=cmd|calc, multimeter");
    expect(ledger.getRow(2).getCell(6).value).toBe("'+isolated the pump");

    const missed = wb.getWorksheet('Missed deadlines')!;
    expect(missed.rowCount).toBe(5);
    expect(missed.getRow(2).getCell(7).value).toBe(60);
    expect(missed.getRow(2).getCell(10).value).toBe('waiting for the pump contractor');

    const summary = wb.getWorksheet('Summary')!;
    const mean = summary.getColumn(1).values.findIndex((v) => String(v).startsWith('mean rating'));
    expect(summary.getRow(mean).getCell(4).value).toBe(4.5);
  });
});

describe('frozen months', () => {
  let app: FastifyInstance;
  let r: ReturnType<typeof november>;
  beforeAll(async () => {
    r = november();
    app = Fastify();
    registerErrorHandler(app);
    await app.register(archiveApi(r.archive));
  });
  afterAll(() => app.close());

  it('serves an open month live, then freezes it after the grace and serves the same bytes after changes', async () => {
    r.clock.now = NOV.to + 2 * DAY; // over, but within the 3-day grace
    const open = await app.inject({ url: '/api/archive/2026-11.xlsx' });
    expect(open.statusCode).toBe(200);
    expect(open.headers.etag).toBeUndefined();
    expect(open.headers['content-type']).toContain('spreadsheetml');
    expect((await app.inject({ url: '/api/archive/2026-11' })).json<MonthlyReport>()).toMatchObject({ status: 'open', provisional: true });
    expect((await app.inject({ url: '/api/archive' })).json<{ months: { month: string; status: string }[] }>().months)
      .toContainEqual(expect.objectContaining({ month: '2026-11', status: 'open' }));

    r.clock.now = NOV.to + 3 * DAY + MIN;
    const first = await app.inject({ url: '/api/archive/2026-11.xlsx' });
    expect(first.statusCode).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const report = (await app.inject({ url: '/api/archive/2026-11' })).json<MonthlyReport>();
    expect(report).toMatchObject({ status: 'closed', provisional: false });

    // The open order of November is answered and a new November order is entered late: the archive does not move.
    r.clock.now += HOUR;
    r.orders.transition(r.e.id, 'accepted', 'dispatcher', 'answered after the month closed');
    r.orders.create({ device: 'pump-2', fault: 'late_entry', category: 'water', title: 'Entered late', faultAt: T0 }, 'dispatcher');
    const again = await app.inject({ url: '/api/archive/2026-11.xlsx' });
    expect(again.headers.etag).toBe(etag);
    expect(again.rawPayload.equals(first.rawPayload)).toBe(true);
    expect((await app.inject({ url: '/api/archive/2026-11' })).json<MonthlyReport>()).toEqual(report);
    expect((await app.inject({ url: '/api/archive/2026-11.xlsx', headers: { 'if-none-match': etag } })).statusCode).toBe(304);
    const list = (await app.inject({ url: '/api/archive' })).json<{ months: { month: string; status: string; sha256: string | null }[] }>().months;
    expect(list).toContainEqual(expect.objectContaining({ month: '2026-11', status: 'closed', sha256: etag.slice(1, -1) }));
    expect(list[0]).toMatchObject({ month: '2026-12', status: 'open', sha256: null });

    expect(() => r.db.prepare("UPDATE archive_months SET sha256 = 'x' WHERE month = '2026-11'").run()).toThrow(/immutable/);
    expect(() => r.db.prepare("UPDATE archive_months SET xlsx = x'00'").run()).toThrow(/immutable/);
    expect(() => r.db.prepare('DELETE FROM archive_months').run()).toThrow(/immutable/);
  });

  it('freezes due months from the daily check', async () => {
    const fresh = november();
    fresh.clock.now = NOV.to + 4 * DAY;
    // The first order is 1 November (Shanghai), so November is the first month; December is still open.
    expect(await fresh.archive.closeDue()).toEqual(['2026-11']);
    expect(await fresh.archive.closeDue()).toEqual([]);
  });

  it('answers 400 for malformed months and months outside the time range', async () => {
    for (const [month, code] of [['2026-13', 'GW_ERR_BAD_REQUEST'], ['26-11', 'GW_ERR_BAD_REQUEST'], ['2026-11-01', 'GW_ERR_BAD_REQUEST'],
      ['1969-12', 'GW_ERR_TIME_RANGE'], ['2100-01', 'GW_ERR_TIME_RANGE'], ['2099-01', 'GW_ERR_TIME_RANGE']] as const) {
      for (const url of [`/api/archive/${month}`, `/api/archive/${month}.xlsx`]) {
        const res = await app.inject({ url });
        expect({ url, status: res.statusCode, code: res.json<{ code: string }>().code }).toEqual({ url, status: 400, code });
      }
    }
  });
});

describe('roles on a real gateway', () => {
  let gw: Gateway;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    const loaded = loadConfig(new URL('../../demo/site.yaml', import.meta.url).pathname, { GW_DATA_DIR: mkdtempSync(join(tmpdir(), 'gw-archive-api-')) });
    gw = await createGateway(loaded, { log });
    const res = await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'viewer', password: 'viewer-demo' } });
    tokens.viewer = res.json<{ token: string }>().token;
  });
  afterAll(() => gw?.stop());

  it('lets a viewer read the archive and nobody without a token', async () => {
    for (const route of ['/api/archive', '/api/archive/:month', '/api/archive/:month.xlsx']) expect(accessFor('GET', route)).toEqual({ access: 'viewer', fallback: false });
    const month = new Date().toISOString().slice(0, 7);
    for (const url of ['/api/archive', `/api/archive/${month}`, `/api/archive/${month}.xlsx`]) {
      expect((await gw.app.inject({ url })).statusCode).toBe(401);
      const res = await gw.app.inject({ url, headers: { authorization: `Bearer ${tokens.viewer}` } });
      expect(res.statusCode).toBe(200);
    }
    const post = await gw.app.inject({ method: 'POST', url: '/api/archive', headers: { authorization: `Bearer ${tokens.viewer}` } });
    expect([403, 404]).toContain(post.statusCode);
  });
});
