/**
 * One contract, two backends: the same suite runs against the embedded SQLite store and against
 * InfluxHistory on a real influxd. Rollups in InfluxDB come from the same SELECT ... INTO the
 * continuous queries run (`refreshRollups`), so the test does not wait for the CQ clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from '../../tools/influxd.js';
import type { Reading } from '../core/reading.js';
import { EmbeddedHistory } from './embedded.js';
import { InfluxHistory } from './influx.js';
import { HOUR, MINUTE } from './query.js';
import type { HistoryStore } from './store.js';

const DEVICES: Record<string, { type: string; building?: string }> = {
  'pump-1': { type: 'pump', building: 'A' },
  'pump-2': { type: 'pump', building: 'A' },
  'fire-1': { type: 'fire_panel' },
};
const log = pino({ level: 'silent' });
const r = (device: string, point: string, value: Reading['value'], ts: number): Reading => ({ device, point, value, quality: 'good', ts });

/** Two whole hours ending at least an hour ago (inside every retention). */
const t0 = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;

interface Backend {
  name: string;
  make(): Promise<HistoryStore>;
  cleanup(): Promise<void>;
}

let influxd: InfluxdHandle | undefined;
const dirs: string[] = [];
const backends: Backend[] = [
  {
    name: 'embedded (SQLite)',
    async make() {
      const dir = mkdtempSync(join(tmpdir(), 'hist-contract-'));
      dirs.push(dir);
      return new EmbeddedHistory({ dataDir: dir, retentionDays: 30, log });
    },
    async cleanup() {},
  },
  {
    name: 'InfluxDB 1.x (real influxd)',
    async make() {
      influxd ??= await startInfluxd();
      return new InfluxHistory({ config: { host: influxd.host, port: influxd.port, database: 'contract' }, site: 'demo', deviceInfo: (id) => DEVICES[id], log });
    },
    async cleanup() {
      await influxd?.stop();
    },
  },
];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

for (const backend of backends) {
  describe(`history contract: ${backend.name}`, () => {
    let h: HistoryStore;
    beforeAll(async () => {
      h = await backend.make();
      await h.init();
      // 2 h of a numeric point at 1 s: value = second of the minute (mean 29.5, min 0, max 59),
      // one spike of 500 in minute 70; a boolean point every 10 s; events.
      const batch: Reading[] = [];
      for (let i = 0; i < 7200; i++) batch.push(r('pump-1', 'flow', i === 70 * 60 + 7 ? 500 : i % 60, t0 + i * 1000));
      for (let i = 0; i < 720; i++) batch.push(r('pump-1', 'running', i % 2 === 0, t0 + i * 10_000));
      batch.push(r('fire-1', 'zone_state', 'normal, "ok"', t0), r('pump-2', 'flow', 1.25, t0 + 1), r('pump-2', 'flow', null, t0 + 2));
      h.write(batch);
      h.writeEvent({ ts: t0 + 5000, device: 'pump-1', kind: 'alarm', action: 'raised', id: 'al-1', text: 'low flow' });
      h.writeEvent({ ts: t0 + 9000, device: null, kind: 'work-order', action: 'created', id: 'wo-1', text: 'WO-1 check "pump"' });
      await h.flush();
      await h.refreshRollups(t0, t0 + 2 * HOUR);
    }, 60_000);
    afterAll(async () => {
      await h?.close();
      await backend.cleanup();
    });

    it('returns raw samples of one point exactly, from/to inclusive, in time order', async () => {
      const win = await h.query({ device: 'pump-1', point: 'flow', from: t0 + 1000, to: t0 + 3000 });
      expect(win).toEqual([{ ts: t0 + 1000, value: 1 }, { ts: t0 + 2000, value: 2 }, { ts: t0 + 3000, value: 3 }]);
      expect(await h.query({ device: 'pump-2', point: 'flow', from: t0, to: t0 + 10 })).toEqual([{ ts: t0 + 1, value: 1.25 }]);
      expect(await h.query({ device: 'fire-1', point: 'zone_state', from: t0, to: t0 })).toEqual([{ ts: t0, value: 'normal, "ok"' }]);
      expect((await h.query({ device: 'pump-1', point: 'running', from: t0, to: t0 + 20_000 })).map((s) => s.value)).toEqual([true, false, true]);
      expect(await h.query({ device: 'pump-1', point: 'nope', from: t0, to: t0 + HOUR })).toEqual([]);
      expect(await h.query({ device: 'ghost', point: 'flow', from: t0, to: t0 + HOUR })).toEqual([]);
      expect(await h.query({ device: 'pump-1', point: 'flow', from: t0 + 10, to: t0 })).toEqual([]);
    });

    it('downsamples to at most `limit`, keeping the spike', async () => {
      const all = await h.query({ device: 'pump-1', point: 'flow', from: t0, to: t0 + 2 * HOUR });
      expect(all).toHaveLength(7200);
      const small = await h.query({ device: 'pump-1', point: 'flow', from: t0, to: t0 + 2 * HOUR, limit: 100 });
      expect(small.length).toBeLessThanOrEqual(100);
      expect(small.length).toBeGreaterThan(50);
      expect(Math.max(...small.map((s) => s.value as number))).toBe(500);
      for (let i = 1; i < small.length; i++) expect(small[i]!.ts).toBeGreaterThan(small[i - 1]!.ts);
    });

    it('serves 1-minute rollups: mean, min, max per bucket, stamped with the bucket start', async () => {
      const rows = await h.query({ device: 'pump-1', point: 'flow', from: t0, to: t0 + 2 * HOUR - 1, resolution: '1m' });
      expect(rows).toHaveLength(120);
      expect(rows[0]).toMatchObject({ ts: t0, min: 0, max: 59 });
      expect(rows[0]!.value).toBeCloseTo(29.5, 9);
      expect(rows[70]).toMatchObject({ ts: t0 + 70 * MINUTE, min: 0, max: 500 });
      expect(rows[70]!.value).toBeCloseTo((29.5 * 60 - 7 + 500) / 60, 9);
      // A range starting mid-bucket includes the bucket that holds `from`.
      const mid = await h.query({ device: 'pump-1', point: 'flow', from: t0 + 90_000, to: t0 + 150_000, resolution: '1m' });
      expect(mid.map((s) => s.ts)).toEqual([t0 + MINUTE, t0 + 2 * MINUTE]);
    });

    it('serves 1-hour rollups and reduces rollups to `limit` keeping min and max', async () => {
      const hours = await h.query({ device: 'pump-1', point: 'flow', from: t0, to: t0 + 2 * HOUR - 1, resolution: '1h' });
      expect(hours.map((s) => [s.ts, s.min, s.max])).toEqual([[t0, 0, 59], [t0 + HOUR, 0, 500]]);
      expect(hours[0]!.value).toBeCloseTo(29.5, 9);
      const reduced = await h.query({ device: 'pump-1', point: 'flow', from: t0, to: t0 + 2 * HOUR - 1, resolution: '1m', limit: 10 });
      expect(reduced).toHaveLength(10);
      expect(reduced[0]!.ts).toBe(t0);
      expect(Math.max(...reduced.map((s) => s.max!))).toBe(500);
      expect(Math.min(...reduced.map((s) => s.min!))).toBe(0);
    });

    it('answers a point without rollups (boolean) from raw data at any resolution', async () => {
      const rows = await h.query({ device: 'pump-1', point: 'running', from: t0, to: t0 + 2 * HOUR, resolution: '1h', limit: 50 });
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThanOrEqual(50);
      expect(typeof rows[0]!.value).toBe('boolean');
    });

    it('stores alarm and work-order events', async () => {
      const events = await h.events(t0, t0 + HOUR);
      expect(events).toEqual([
        { ts: t0 + 5000, device: 'pump-1', kind: 'alarm', action: 'raised', id: 'al-1', text: 'low flow' },
        { ts: t0 + 9000, device: null, kind: 'work-order', action: 'created', id: 'wo-1', text: 'WO-1 check "pump"' },
      ]);
      expect(await h.events(t0, t0 + 6000, 1)).toHaveLength(1);
    });

    it('reports retention per tier and write stats', async () => {
      expect(h.retention).toEqual({ raw: 30, '1m': 90, '1h': 1095 });
      const s = h.stats();
      expect(s).toMatchObject({ online: true, queuePoints: 0, dropped: 0 });
      expect(s.written).toBeGreaterThanOrEqual(7200 + 720 + 2);
      expect(s.writeLatencyMs.last).toBeGreaterThan(0);
    });
  });
}
