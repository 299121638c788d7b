import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../tools/influxd.js';
import { freePort } from '../../tools/ports.js';
import { waitFor } from '../../tools/wait.js';
import { Errors, GatewayError } from '../core/errors.js';
import type { Reading } from '../core/reading.js';
import { InfluxHistory, type InfluxHistoryOptions } from './influx.js';

const DEVICES: Record<string, { type: string; building?: string }> = {
  'pump-1': { type: 'pump', building: 'A' },
  'elev-1': { type: 'elevator', building: 'B' },
  'fire-1': { type: 'fire_panel' },
};

/** A pino logger whose JSON lines land in `lines`. */
function captureLog() {
  const lines: Array<{ level: number; msg: string; [k: string]: unknown }> = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}

let dbCounter = 0;

describe('InfluxHistory against a real influxd', () => {
  let server: InfluxdHandle;
  const stores: InfluxHistory[] = [];

  function store(extra: Partial<InfluxHistoryOptions> = {}, database = `t${++dbCounter}`): InfluxHistory {
    const s = new InfluxHistory({
      config: { host: server.host, port: server.port, database },
      site: 'demo',
      deviceInfo: (id) => DEVICES[id],
      log: pino({ level: 'silent' }),
      ...extra,
    });
    stores.push(s);
    return s;
  }

  function client(database: string) {
    return new InfluxDB({ host: server.host, port: server.port, database });
  }

  beforeAll(async () => {
    server = await startInfluxd();
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await server?.stop();
  });

  const t0 = Date.UTC(2026, 10, 28, 8, 0, 0);
  const r = (device: string, point: string, value: Reading['value'], ts: number): Reading => ({ device, point, value, quality: 'good', ts });

  it('init creates the database, retention policies and rollup continuous queries, idempotently', async () => {
    const h = store({ retentionDays: 7, rollupRetentionDays: { '1m': 60 } }, 'init_db');
    await h.init();
    await h.init(); // idempotent
    const again = store({ retentionDays: 7 }, 'init_db');
    await again.init(); // a second gateway start
    const c = client('init_db');
    expect(await c.getDatabaseNames()).toContain('init_db');
    const rps = await c.showRetentionPolicies('init_db');
    expect(rps.find((p) => p.name === 'raw')).toMatchObject({ default: true, duration: '168h0m0s' });
    expect(rps.find((p) => p.name === 'rollup_1m')).toMatchObject({ default: false, duration: '1440h0m0s' });
    expect(rps.find((p) => p.name === 'rollup_1h')).toMatchObject({ default: false, duration: '26280h0m0s' });
    const cqs = (await c.queryRaw('SHOW CONTINUOUS QUERIES')) as { results: Array<{ series: Array<{ name: string; values?: string[][] }> }> };
    const mine = cqs.results[0]!.series.find((x) => x.name === 'init_db')!.values!;
    expect(mine.map((v) => v[0]).sort()).toEqual(['cq_rollup_1h_v1', 'cq_rollup_1m_v1']);
    expect(mine.find((v) => v[0] === 'cq_rollup_1m_v1')![1]).toMatch(/RESAMPLE EVERY 1m FOR 5m BEGIN SELECT mean\(\*\), min\(\*\), max\(\*\) INTO init_db.rollup_1m.:MEASUREMENT FROM init_db.raw.\/\.\*\/ GROUP BY time\(1m\), \*/);
    expect(mine.find((v) => v[0] === 'cq_rollup_1h_v1')![1]).toMatch(/RESAMPLE EVERY 10m FOR 2h .* INTO init_db.rollup_1h.:MEASUREMENT .* GROUP BY time\(1h\), \*/);
  });

  it('writes readings of two devices and queries them back exactly', async () => {
    const h = store();
    await h.init();
    const pump: Reading[] = [];
    const elev: Reading[] = [];
    for (let i = 0; i < 20; i++) {
      pump.push(r('pump-1', 'discharge_pressure', 0.4 + i / 1000, t0 + i * 1000));
      pump.push(r('pump-1', 'motor_current', 12 + i, t0 + i * 1000));
      elev.push(r('elev-1', 'motor_current', 30.25 - i, t0 + i * 500 + 7));
    }
    h.write(pump);
    h.write(elev);
    await h.flush();
    // The two pump points of one timestamp share a point (line); the elevator has one per sample.
    expect(h.stats()).toMatchObject({ written: 40, writtenFields: 60, skipped: 0 });

    const q = await h.query({ device: 'pump-1', point: 'discharge_pressure', from: t0, to: t0 + 60_000 });
    expect(q).toEqual(pump.filter((x) => x.point === 'discharge_pressure').map((x) => ({ ts: x.ts, value: x.value })));
    const e = await h.query({ device: 'elev-1', point: 'motor_current', from: t0, to: t0 + 60_000 });
    expect(e).toEqual(elev.map((x) => ({ ts: x.ts, value: x.value })));
    // Same point name on another device is not mixed in.
    const pm = await h.query({ device: 'pump-1', point: 'motor_current', from: t0, to: t0 + 60_000 });
    expect(pm.map((s) => s.value)).toEqual(pump.filter((x) => x.point === 'motor_current').map((x) => x.value));
    // from/to are inclusive.
    const window = await h.query({ device: 'elev-1', point: 'motor_current', from: t0 + 1007, to: t0 + 2007 });
    expect(window.map((s) => s.ts)).toEqual([t0 + 1007, t0 + 1507, t0 + 2007]);
    expect(await h.query({ device: 'pump-1', point: 'nope', from: t0, to: t0 + 60_000 })).toEqual([]);
    expect(await h.query({ device: 'ghost', point: 'motor_current', from: t0, to: t0 + 60_000 })).toEqual([]);
  });

  it('stores the Grafana-friendly schema: measurement = type, tags site/building/device, float fields', async () => {
    const h = store({}, 'schema_db');
    await h.init();
    h.write([r('pump-1', 'motor_current', 12, t0), r('fire-1', 'battery_voltage', 27, t0)]);
    await h.flush();
    const c = client('schema_db');
    const rows = await c.query<Record<string, unknown>>(`SELECT * FROM pump`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ site: 'demo', building: 'A', device: 'pump-1', motor_current: 12 });
    const fields = await c.query<{ fieldKey: string; fieldType: string }>('SHOW FIELD KEYS FROM pump');
    expect(fields.map((f) => [f.fieldKey, f.fieldType])).toEqual([['motor_current', 'float']]);
    const fire = await c.query<Record<string, unknown>>(`SELECT * FROM fire_panel`);
    expect(fire[0]).toMatchObject({ site: 'demo', device: 'fire-1', battery_voltage: 27 });
    expect(fire[0]?.building).toBeUndefined(); // no building: no such tag in the series
  });

  it('round-trips booleans and strings, skips nulls and non-finite numbers', async () => {
    const h = store();
    await h.init();
    h.write([
      r('fire-1', 'fire_alarm', false, t0),
      r('fire-1', 'fire_alarm', true, t0 + 1000),
      r('fire-1', 'fire_alarm', null, t0 + 2000),
      r('fire-1', 'fire_alarm', false, t0 + 3000),
      r('elev-1', 'fault_code', 'E "door", zone=2 \\ ok', t0),
      r('elev-1', 'door_state', 'closed', t0),
      r('pump-1', 'flow', Number.NaN, t0),
      r('pump-1', 'flow', Number.POSITIVE_INFINITY, t0 + 1),
      r('pump-1', 'flow', -1.5e-7, t0 + 2),
    ]);
    await h.flush();
    const span = { from: t0, to: t0 + 10_000 };
    expect(await h.query({ device: 'fire-1', point: 'fire_alarm', ...span })).toEqual([
      { ts: t0, value: false },
      { ts: t0 + 1000, value: true },
      { ts: t0 + 3000, value: false },
    ]);
    expect(await h.query({ device: 'elev-1', point: 'fault_code', ...span })).toEqual([{ ts: t0, value: 'E "door", zone=2 \\ ok' }]);
    expect(await h.query({ device: 'elev-1', point: 'door_state', ...span })).toEqual([{ ts: t0, value: 'closed' }]);
    expect(await h.query({ device: 'pump-1', point: 'flow', ...span })).toEqual([{ ts: t0 + 2, value: -1.5e-7 }]);
    expect(h.stats()).toMatchObject({ written: 5, writtenFields: 6, skipped: 3 }); // elev-1's two strings share a point
  });

  it('writes the readings of one device and timestamp as one point; a repeated point keeps the later value', async () => {
    const db = 'merge_db';
    const h = store({}, db);
    await h.init();
    h.write([
      r('pump-1', 'flow', 1, t0),
      r('pump-1', 'running', true, t0),
      r('pump-1', 'mode', 'auto, "remote" \\', t0 + 0.2), // same ms once rounded
      r('pump-1', 'vibration', null, t0), // skipped, does not split the line
      r('pump-1', 'flow', 2, t0), // repeated: a second line, which overwrites flow
      r('pump-1', 'vibration', 0.5, t0),
      r('elev-1', 'motor_current', 30, t0), // another device: its own line
      r('pump-1', 'flow', 3, t0 + 1000), // another timestamp: its own line
    ]);
    await h.flush();
    expect(h.stats()).toMatchObject({ written: 4, writtenFields: 7, skipped: 1 });
    const rows = await client(db).query<Record<string, unknown>>(`SELECT flow, running, "mode", vibration FROM pump`);
    expect(rows.map(({ time, ...x }) => ({ ...x, time: (time as Date).getTime() }))).toEqual([
      { time: t0, flow: 2, running: true, mode: 'auto, "remote" \\', vibration: 0.5 },
      { time: t0 + 1000, flow: 3, running: null, mode: null, vibration: null },
    ]);
  });

  it('writes events with tags site/device/kind/action and fields id/text', async () => {
    const h = store({}, 'events_db');
    await h.init();
    h.writeEvent({ ts: t0, device: 'pump-1', kind: 'alarm', action: 'raised', id: 'al-1', text: 'Discharge pressure below 0.25 MPa' });
    h.writeEvent({ ts: t0 + 5, device: null, kind: 'work-order', action: 'created', id: 'wo-1', text: 'line one\nline "two"' });
    await h.flush();
    const rows = await client('events_db').query<Record<string, unknown>>('SELECT * FROM events');
    expect(rows.map((x) => ({ ...x, time: (x.time as Date).getTime() }))).toEqual([
      { time: t0, site: 'demo', device: 'pump-1', kind: 'alarm', action: 'raised', id: 'al-1', text: 'Discharge pressure below 0.25 MPa' },
      { time: t0 + 5, site: 'demo', device: null, kind: 'work-order', action: 'created', id: 'wo-1', text: 'line one\nline "two"' },
    ]);
  });

  it('batches: 5,000 points per request, at most 4 in flight, the rest on the 1 s timer', async () => {
    const h = store();
    await h.init();
    const readings: Reading[] = [];
    for (let i = 0; i < 33_000; i++) readings.push(r('pump-1', 'vibration', i, t0 + i));
    h.write(readings);
    // 6 full batches sealed at once; 4 go out, 2 wait; 3,000 points wait for the timer.
    expect(h.requestsInFlight).toBe(4);
    expect(h.stats().buffered).toBe(13_000);
    await waitFor(() => h.stats().written === 30_000, { timeout: 10_000, what: 'the six full batches' });
    expect(h.stats().buffered).toBe(3000);
    await waitFor(() => h.stats().written === 33_000, { timeout: 5000, what: 'the timer flush of the last 3,000 points' });
    const all = await h.query({ device: 'pump-1', point: 'vibration', from: t0, to: t0 + 33_000 });
    expect(all).toHaveLength(33_000);
    expect(all[32_999]).toEqual({ ts: t0 + 32_999, value: 32_999 });
  });

  it('flushes a small batch about 1 s after the first point without flush()', async () => {
    const h = store();
    await h.init();
    const start = Date.now();
    h.write([r('pump-1', 'starts', 1, t0)]);
    await waitFor(async () => (await h.query({ device: 'pump-1', point: 'starts', from: t0, to: t0 })).length === 1, {
      timeout: 5000,
      interval: 50,
      what: 'the timed flush',
    });
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
  });

  it('applies limit by downsampling, in time order and inside [from, to]', async () => {
    const db = 'limit_db';
    const h = store({}, db);
    await h.init();
    const readings: Reading[] = [];
    for (let i = 0; i < 2000; i++) readings.push(r('pump-1', 'bearing_temp', i % 100 === 50 ? 99 : 40, t0 + i * 1000));
    h.write(readings);
    await h.flush();
    const q = { device: 'pump-1', point: 'bearing_temp', from: t0, to: t0 + 1_999_000 };
    const small = await h.query({ ...q, limit: 100 });
    expect(small.length).toBeGreaterThan(0);
    expect(small.length).toBeLessThanOrEqual(100);
    expect(small.some((s) => s.value === 99)).toBe(true); // spikes survive (min/max per bucket)
    for (let i = 1; i < small.length; i++) expect(small[i]!.ts).toBeGreaterThan(small[i - 1]!.ts);
    expect(await h.query({ ...q, limit: 5000 })).toHaveLength(2000);

    // Past maxRawRows, InfluxDB aggregates (one LAST per bucket, buckets from `from`).
    const big = store({ maxRawRows: 500 }, db);
    const agg = await big.query({ ...q, limit: 50 });
    expect(agg).toHaveLength(50);
    expect(agg[0]!.ts).toBe(t0);
    for (const s of agg) expect(s.ts >= q.from && s.ts <= q.to).toBe(true);
    for (let i = 1; i < agg.length; i++) expect(agg[i]!.ts).toBeGreaterThan(agg[i - 1]!.ts);
  });

  it('bounds the store-and-forward queue: drops the oldest points with a counter and a warning', async () => {
    const { log, lines } = captureLog();
    const port = await freePort(); // nothing listens there
    const dir = mkdtempSync(join(tmpdir(), 'spool-bound-'));
    try {
      const h = new InfluxHistory({
        config: { host: '127.0.0.1', port, database: 'nowhere' },
        site: 'demo',
        deviceInfo: (id) => DEVICES[id],
        log,
        batchSize: 1000,
        spoolDir: dir,
        spoolMaxBytes: 64 * 1024, // segments of 8 KiB
        retryDelay: 60_000,
      });
      await h.init(); // resolves offline: InfluxDB is not needed to start
      expect(h.stats().online).toBe(false);
      expect(lines.some((l) => l.level === 40 && /not reachable at start/.test(l.msg))).toBe(true);
      let total = 0;
      for (let i = 0; i < 20; i++) {
        const batch: Reading[] = [];
        for (let j = 0; j < 1000; j++) batch.push(r('pump-1', 'flow', j, t0 + i * 1000 + j));
        h.write(batch);
        total += batch.length;
      }
      const stats = h.stats();
      expect(stats.spooled).toBe(total);
      expect(stats.queueBytes).toBeLessThanOrEqual(64 * 1024);
      expect(stats.dropped).toBeGreaterThan(0);
      expect(stats.dropped + stats.queuePoints).toBe(total);
      expect(lines.some((l) => l.level === 40 && /queue full, oldest points dropped/.test(l.msg))).toBe(true);
      const started = Date.now();
      await h.close(); // does not hang on an unreachable server
      expect(Date.now() - started).toBeLessThan(5000);
      h.write([r('pump-1', 'flow', 1, t0)]); // ignored after close
      expect(h.stats().buffered).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flush rejects with GW_ERR_HISTORY_UNAVAILABLE while InfluxDB is unreachable; the points stay queued', async () => {
    const port = await freePort();
    const h = new InfluxHistory({
      config: { host: '127.0.0.1', port, database: 'x' },
      site: 'demo',
      deviceInfo: () => undefined,
      log: pino({ level: 'silent' }),
    });
    await h.init();
    h.write([r('pump-1', 'flow', 1, t0)]);
    const err = await h.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: Errors.HISTORY_UNAVAILABLE.code, statusCode: 503 });
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect(h.stats()).toMatchObject({ online: false, queuePoints: 1 });
    await h.close();
  });
});
