/**
 * Store-and-forward against a real influxd that is stopped and restarted on the same port with
 * its data kept (`pause()`/`resume()` of tools/influxd.ts): every point written under load lands
 * exactly once, and a queue left on disk by a closed writer is replayed by the next one.
 */
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../tools/influxd.js';
import { waitFor } from '../../tools/wait.js';
import { GatewayError } from '../core/errors.js';
import type { Reading } from '../core/reading.js';
import { InfluxHistory, type InfluxHistoryOptions } from './influx.js';

const DEVICES: Record<string, { type: string }> = { 'pump-1': { type: 'pump' }, 'pump-2': { type: 'pump' } };
const SERIES = [['pump-1', 'flow'], ['pump-1', 'vibration'], ['pump-2', 'flow'], ['pump-2', 'vibration']] as const;
/** How long InfluxDB stays away in the outage test (the operations requirement: 60 s under load). */
const OUTAGE_MS = 60_000;

describe('store-and-forward with a real influxd that goes away and comes back', () => {
  let srv: InfluxdHandle;
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'spool-test-'));
    dirs.push(d);
    return d;
  };
  const make = (database: string, spoolDir: string, extra: Partial<InfluxHistoryOptions> = {}) =>
    new InfluxHistory({
      config: { host: srv.host, port: srv.port, database },
      site: 'demo',
      deviceInfo: (id) => DEVICES[id],
      log: pino({ level: 'silent' }),
      spoolDir,
      retryDelay: 50,
      maxRetryDelay: 200,
      requestTimeout: 2000,
      flushInterval: 100,
      ...extra,
    });
  /** count, sum, min, max of one series in the raw policy. */
  const summary = async (database: string, device: string, point: string) => {
    const c = new InfluxDB({ host: srv.host, port: srv.port, database });
    const rows = await c.query<{ count: number; sum: number; min: number; max: number }>(
      `SELECT count("${point}"), sum("${point}"), min("${point}"), max("${point}") FROM "raw"."pump" WHERE "device" = '${device}'`,
    );
    const x = rows[0];
    return { count: x?.count ?? 0, sum: x?.sum ?? 0, min: x?.min ?? null, max: x?.max ?? null };
  };

  beforeAll(async () => {
    srv = await startInfluxd();
  });
  afterAll(async () => {
    await srv?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('finds every point exactly once after a 60 s outage under load, with live data flowing during the replay', { timeout: OUTAGE_MS + 90_000 }, async () => {
    const h = make('outage', join(tmp(), 'spool'), { replayRate: 10_000 });
    await h.init();
    // Load: 4 series, value = sequence number per series, one new timestamp per sample.
    const t0 = Date.now() - 3_600_000;
    let seq = 0;
    const load = setInterval(() => {
      const batch: Reading[] = [];
      for (let k = 0; k < 10; k++, seq++) {
        for (const [device, point] of SERIES) batch.push({ device, point, value: seq, quality: 'good', ts: t0 + seq });
      }
      h.write(batch);
    }, 50); // 800 points/s: twice the demo at ten times its normal load
    try {
      await waitFor(() => h.stats().written >= 2000, { timeout: 10_000, interval: 20, what: 'writes before the outage' });
      await srv.pause();
      const down = Date.now();
      // The outage itself is the scenario: it lasts OUTAGE_MS while the load keeps queueing points.
      await waitFor(() => !h.stats().online && h.stats().queuePoints >= 8000 && Date.now() - down >= OUTAGE_MS,
        { timeout: OUTAGE_MS + 15_000, interval: 200, what: 'a 60 s outage with points queued' });
      await srv.resume();
      // Replay runs beside live writes: catch a moment with both.
      const during = await waitFor(() => {
        const s = h.stats();
        return s.online && s.replayed > 0 && s.queuePoints > 0 && s;
      }, { timeout: 15_000, interval: 5, what: 'the replay in progress' });
      const liveAtReplay = during.written - during.replayed;
      await waitFor(() => h.stats().queuePoints === 0, { timeout: 40_000, interval: 20, what: 'the queue to drain' });
      expect(h.stats().written - h.stats().replayed).toBeGreaterThan(liveAtReplay); // new data kept flowing
    } finally {
      clearInterval(load);
    }
    await h.flush();
    const s = h.stats();
    const n = seq; // samples per series
    expect(s.dropped).toBe(0);
    expect(s.failedWrites).toBeGreaterThan(0);
    expect(s.replayed).toBeGreaterThanOrEqual(8000);
    for (const [device, point] of SERIES) {
      // count = distinct timestamps (same series+timestamp overwrites); sum, min, max = every value once.
      expect(await summary('outage', device, point)).toEqual({ count: n, sum: (n * (n - 1)) / 2, min: 0, max: n - 1 });
    }
    // One InfluxDB point per device and timestamp (flow and vibration share a line).
    expect(s.written).toBeGreaterThanOrEqual(n * 2);
    expect(s.writtenFields).toBeGreaterThanOrEqual(n * SERIES.length);
    await h.close();
  });

  it('keeps the queue on disk across a restart of the gateway and replays it on start', async () => {
    const spoolDir = join(tmp(), 'spool');
    const first = make('restart', spoolDir);
    await first.init();
    await srv.pause();
    const t0 = Date.now() - 7_200_000;
    const readings: Reading[] = [];
    for (let i = 0; i < 12_000; i++) readings.push({ device: 'pump-1', point: 'flow', value: i, quality: 'good', ts: t0 + i * 100 });
    first.write(readings);
    await expect(first.flush()).rejects.toBeInstanceOf(GatewayError);
    expect(first.stats().queuePoints).toBe(12_000);
    first.write([{ device: 'pump-1', point: 'flow', value: 12_000, quality: 'good', ts: t0 + 12_000 * 100 }]); // still in memory at close
    await first.close();
    const segments = readdirSync(spoolDir).filter((f) => f.endsWith('.lp')).sort();
    expect(segments.length).toBeGreaterThan(0);
    // A crash mid-append leaves a torn line: the next start cuts it off.
    appendFileSync(join(spoolDir, segments[segments.length - 1]!), 'pump,device=pump-1,site=demo flow=');

    await srv.resume();
    const second = make('restart', spoolDir);
    expect(second.stats().queuePoints).toBe(12_001);
    await second.init();
    await second.flush();
    expect(second.stats()).toMatchObject({ queuePoints: 0, replayed: 12_001, writtenFields: 12_001, dropped: 0 });
    expect(await summary('restart', 'pump-1', 'flow')).toEqual({ count: 12_001, sum: (12_001 * 12_000) / 2, min: 0, max: 12_000 });
    expect(readdirSync(spoolDir).filter((f) => f.endsWith('.lp'))).toEqual([]);
    // The replayed range was rolled up (the continuous queries only look minutes back).
    const rollups = await waitFor(async () => {
      const rows = await second.query({ device: 'pump-1', point: 'flow', from: t0, to: t0 + 1_200_000, resolution: '1m' });
      // The backfill runs after the replay: wait until every bucket carries its min, not just exists.
      return rows.length === 21 && rows.every((r) => typeof r.min === 'number') && rows;
    }, { timeout: 10_000, what: '1-minute rollups of the replayed range' });
    expect(rollups[0]!.min).toBe(0);
    await second.close();
  }, 60_000);
});
