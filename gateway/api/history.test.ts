/** /api/history (tiers, several points, caps, errors), /api/history.csv and /api/events on the embedded store. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../app.js';
import { loadConfig } from '../site/load.js';
import { createLogger } from '../core/log.js';
import type { Reading } from '../core/reading.js';

let gw: Gateway;
let auth: Record<string, string> = {};
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 3 days of voltage at 1 min, current at 1 min, ending an hour ago on an hour boundary. */
const end = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
const start = end - 3 * DAY;

beforeAll(async () => {
  const loaded = loadConfig(new URL('../../demo/site.yaml', import.meta.url).pathname, {
    GW_DATA_DIR: mkdtempSync(join(tmpdir(), 'gw-hist-api-')),
  });
  gw = await createGateway(loaded, { log: createLogger('test', 'silent') });
  const login = await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'admin-demo' } });
  auth = { authorization: `Bearer ${login.json<{ token: string }>().token}` };
  const batch: Reading[] = [];
  for (let ts = start, i = 0; ts < end; ts += 60_000, i++) {
    batch.push({ device: 'power-1', point: 'voltage_l1', value: i === 1000 ? 260 : 230, quality: 'good', ts });
    batch.push({ device: 'power-1', point: 'current_l1', value: 10 + (i % 10), quality: 'good', ts });
  }
  gw.history.write(batch);
  gw.history.writeEvent({ ts: start + 5000, device: 'power-1', kind: 'alarm', action: 'raised', id: 'al-9', text: 'over-voltage' });
  await gw.history.flush();
});
afterAll(() => gw.stop());

const get = async <T>(url: string) => {
  const res = await gw.app.inject({ method: 'GET', url, headers: auth });
  return { status: res.statusCode, body: (String(res.headers['content-type'] ?? '').includes('json') ? res.json() : res.body) as T, headers: res.headers };
};
interface Series { point: string; samples: Array<{ ts: number; value: number; min?: number; max?: number }> }

describe('GET /api/history', () => {
  it('picks raw up to 6 h, 1-minute rollups up to 7 days, 1-hour rollups beyond', async () => {
    const raw = await get<{ resolution: string; samples: Series['samples']; series: Series[] }>(`/api/history?device=power-1&point=voltage_l1&from=${end - 2 * HOUR}&to=${end}`);
    expect(raw.status).toBe(200);
    expect(raw.body.resolution).toBe('raw');
    expect(raw.body.samples).toHaveLength(120);
    expect(raw.body.series).toEqual([{ point: 'voltage_l1', samples: raw.body.samples }]); // old shape + series
    const minute = await get<{ resolution: string; samples: Series['samples'] }>(`/api/history?device=power-1&point=voltage_l1&from=${start}&to=${end - 1}&limit=5000`);
    expect(minute.body.resolution).toBe('1m');
    expect(minute.body.samples).toHaveLength(3 * 24 * 60);
    const hour = await get<{ resolution: string; samples: Series['samples'] }>(`/api/history?device=power-1&point=voltage_l1&from=${end - 10 * DAY}&to=${end - 1}`);
    expect(hour.body.resolution).toBe('1h');
    expect(hour.body.samples).toHaveLength(72);
    expect(Math.max(...hour.body.samples.map((s) => s.max!))).toBe(260); // the spike survives
  });

  it('returns several points (a,b or repeated), each at most `limit` samples keeping min and max', async () => {
    for (const q of ['point=voltage_l1,current_l1', 'point=voltage_l1&point=current_l1']) {
      const { status, body } = await get<{ points: string[]; series: Series[]; samples?: unknown }>(`/api/history?device=power-1&${q}&from=${start}&to=${end}&limit=100`);
      expect(status).toBe(200);
      expect(body.points).toEqual(['voltage_l1', 'current_l1']);
      expect(body.samples).toBeUndefined();
      expect(body.series.map((s) => s.point)).toEqual(['voltage_l1', 'current_l1']);
      for (const s of body.series) expect(s.samples.length).toBeLessThanOrEqual(100);
      expect(Math.max(...body.series[0]!.samples.map((s) => s.max!))).toBe(260);
      expect(Math.min(...body.series[1]!.samples.map((s) => s.min!))).toBe(10);
    }
  });

  it('caps very large ranges and says so', async () => {
    const { status, body } = await get<{ from: number; to: number; capped: { maxRangeDays: number; requestedFrom: number } }>(`/api/history?device=power-1&point=voltage_l1&from=0&to=${end}`);
    expect(status).toBe(200);
    expect(body.to - body.from).toBe(400 * DAY);
    expect(body.capped).toMatchObject({ maxRangeDays: 400, requestedFrom: 0 });
  });

  it('answers bad parameters with 400 naming the parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['device=power-1&point=voltage_l1&limit=0', /limit/],
      ['device=power-1&point=voltage_l1&limit=abc', /limit/],
      ['device=power-1&point=voltage_l1&resolution=5m', /resolution/],
      ['device=power-1&point=voltage_l1&to=soon', /^to must be/],
      [`device=power-1&point=voltage_l1&from=${end}&to=${start}`, /from must not be after to/],
      [`device=power-1&point=voltage_l1&from=${end - 30 * DAY}&to=${end}&resolution=raw`, /resolution=raw/],
      ['device=power-1&point=,', /point/],
      ['device=power-1&point=voltage_l1&bogus=1', /bogus|additional/],
    ];
    for (const [q, msg] of cases) {
      const { status, body } = await get<{ code: string; message: string }>(`/api/history?${q}`);
      expect({ q, status, code: body.code }).toEqual({ q, status: 400, code: 'GW_ERR_BAD_REQUEST' });
      expect(body.message).toMatch(msg);
    }
    const unknown = await get<{ code: string; message: string }>('/api/history?device=power-1&point=voltage_l1,nope');
    expect(unknown).toMatchObject({ status: 404, body: { code: 'GW_ERR_NOT_FOUND' } });
    expect(unknown.body.message).toContain('power-1/nope');
  });
});

describe('GET /api/history.csv and /api/events', () => {
  it('exports a header row and one row per sample with ISO timestamps', async () => {
    const res = await get<string>(`/api/history.csv?device=power-1&point=voltage_l1,current_l1&from=${end - 3 * 60_000}&to=${end - 1}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="power-1_.*\.csv"/);
    const rows = res.body.trim().split('\n');
    expect(rows[0]).toBe('time,device,point,value');
    expect(rows).toHaveLength(1 + 6);
    expect(rows[1]).toBe(`${new Date(end - 3 * 60_000).toISOString()},power-1,voltage_l1,230`);
    const long = await get<string>(`/api/history.csv?device=power-1&point=voltage_l1&from=${start}&to=${end - 1}&resolution=1h`);
    expect(long.body.split('\n')[0]).toBe('time,device,point,value,min,max');
    expect(long.body.trim().split('\n')).toHaveLength(1 + 72);
    const bad = await get<{ message: string }>('/api/history.csv?device=power-1');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('point');
  });

  it('lists alarm and work-order events of a range', async () => {
    const { status, body } = await get<{ events: Array<{ id: string; kind: string }> }>(`/api/events?from=${start}&to=${start + 10_000}`);
    expect(status).toBe(200);
    expect(body.events).toEqual([{ ts: start + 5000, device: 'power-1', kind: 'alarm', action: 'raised', id: 'al-9', text: 'over-voltage' }]);
    expect((await get(`/api/events?from=x`)).status).toBe(400);
  });
});

describe('hostile values', () => {
  it('escapes cells that a spreadsheet would run as a formula, in the history export', async () => {
    const ts = end - 30 * 60_000;
    const evil = ["=cmd|' /C calc'!A0", '+1+2', '-2+3', '@SUM(A1)', '\tx', '\ry'];
    gw.pipeline.ingest(evil.map((value, i) => ({ device: 'fire-1', point: 'disabled_zones', value, quality: 'good' as const, ts: ts + i * 1000 })));
    await gw.history.flush();
    const csv = await get<string>(`/api/history.csv?device=fire-1&point=disabled_zones&from=${ts - 1}&to=${ts + 10_000}`);
    const cells = csv.body.trim().split('\n').slice(1).map((line) => line.slice(line.indexOf(',disabled_zones,') + ',disabled_zones,'.length));
    expect(cells).toEqual(["'=cmd|' /C calc'!A0", "'+1+2", "'-2+3", "'@SUM(A1)", "'\tx", `"'\ry"`]);
    // A negative number is still a number.
    gw.pipeline.ingest([{ device: 'power-1', point: 'current_l1', value: -3.5, quality: 'good', ts: end + 1000 }]);
    await gw.history.flush();
    const num = await get<string>(`/api/history.csv?device=power-1&point=current_l1&from=${end}&to=${end + 2000}`);
    expect(num.body.trim().split('\n')[1]).toMatch(/,-3\.5$/);
  });

  it('refuses a text value on a numeric point as bad quality, with the reason', async () => {
    gw.pipeline.ingest([{ device: 'fire-1', point: 'battery_voltage', value: 26.9, quality: 'good', ts: Date.now() - 1000 }]);
    gw.pipeline.ingest([{ device: 'fire-1', point: 'battery_voltage', value: "=cmd|' /C calc'!A0", quality: 'good', ts: Date.now() }]);
    const dev = await get<{ points: Record<string, { value: unknown; quality: string; reason?: string }> }>('/api/devices/fire-1');
    expect(dev.body.points.battery_voltage).toMatchObject({ value: null, quality: 'bad', reason: expect.stringContaining('expected a number') });
    // No unit, but numbers so far: the same.
    gw.pipeline.ingest([{ device: 'fire-1', point: 'zones_in_alarm', value: 0, quality: 'good', ts: Date.now() }]);
    gw.pipeline.ingest([{ device: 'fire-1', point: 'zones_in_alarm', value: 'lots', quality: 'good', ts: Date.now() }]);
    expect((await get<{ points: Record<string, { quality: string }> }>('/api/devices/fire-1')).body.points.zones_in_alarm!.quality).toBe('bad');
  });

  it('range-checks every time it takes, with a 400 that gives the allowed range', async () => {
    for (const url of ['/api/history.csv?device=power-1&point=voltage_l1&to=9000000000000000', '/api/history?device=power-1&point=voltage_l1&from=-5',
      '/api/kpis.csv?to=9000000000000000', '/api/kpis?from=-1', '/api/events?to=9000000000000000']) {
      const res = await get<{ code: string; message: string }>(url);
      expect(res.status, url).toBe(400);
      expect(res.body).toMatchObject({ code: 'GW_ERR_TIME_RANGE', message: expect.stringContaining('2100-01-01T00:00:00.000Z') });
    }
    const order = (await gw.app.inject({ method: 'POST', url: '/api/work-orders', headers: auth, payload: { fault: 'ledger_time', category: 'general', title: 'Ledger time check' } })).json<{ id: string }>();
    await gw.app.inject({ method: 'POST', url: `/api/work-orders/${order.id}/transition`, headers: auth, payload: { to: 'accepted' } });
    const entry = { personnel: ['tech'], tools: [], result: 'checked', safetyMeasures: 'none needed' };
    const far = await gw.app.inject({ method: 'POST', url: `/api/work-orders/${order.id}/ledger`, headers: auth, payload: { ...entry, time: 9e15 } });
    expect(far.statusCode).toBe(400);
    expect(far.json().code).toBe('GW_ERR_TIME_RANGE');
    expect((await gw.app.inject({ method: 'POST', url: `/api/work-orders/${order.id}/ledger`, headers: auth, payload: { ...entry, time: Date.now() } })).statusCode).toBe(201);
    expect((await get<{ ledger: unknown[] }>(`/api/work-orders/${order.id}`)).body.ledger).toHaveLength(1);
  });
});
