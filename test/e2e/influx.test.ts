/**
 * The gateway with `GW_INFLUX_URL` writes its history into a real `influxd` (started here on a
 * free port) instead of the embedded store, and serves it back through `/api/history`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../gateway/app.js';
import { loadConfig } from '../../gateway/site/load.js';
import { createLogger } from '../../gateway/core/log.js';
import { startInfluxd, type InfluxdHandle } from '../../tools/influxd.js';
import { waitFor } from '../../tools/wait.js';

let influxd: InfluxdHandle;
let gw: Gateway;

beforeAll(async () => {
  influxd = await startInfluxd();
  const loaded = loadConfig(new URL('../../demo/site.yaml', import.meta.url).pathname, {
    GW_DATA_DIR: mkdtempSync(join(tmpdir(), 'gw-influx-')),
  });
  gw = await createGateway(loaded, { log: createLogger('test', 'silent'), influxUrl: `${influxd.url}/facility_test` });
});
afterAll(async () => {
  await gw?.stop();
  await influxd?.stop();
});

describe('history in InfluxDB', () => {
  it('creates the database and stores readings by equipment type with site, building and device tags', async () => {
    expect(gw.history.backend).toBe('influx');
    const t0 = Date.now() - 10_000;
    gw.pipeline.ingest([
      { device: 'pump-1', point: 'discharge_pressure', value: 0.47, quality: 'good', ts: t0 },
      { device: 'pump-1', point: 'running', value: true, quality: 'good', ts: t0 },
      { device: 'pump-1', point: 'discharge_pressure', value: 0.46, quality: 'good', ts: t0 + 1000 },
      { device: 'fire-1', point: 'fire_alarm', value: true, quality: 'good', ts: t0 + 1000 },
    ]);
    await gw.history.flush();

    const client = new InfluxDB({ host: influxd.host, port: influxd.port, database: 'facility_test' });
    const rows = await client.query<{ discharge_pressure: number; site: string; building: string; device: string }>(
      `SELECT discharge_pressure, site, building, device FROM pump WHERE device = 'pump-1' ORDER BY time`,
    );
    expect(rows.map((r) => [r.discharge_pressure, r.site, r.building, r.device])).toEqual([
      [0.47, 'demo', 'A', 'pump-1'],
      [0.46, 'demo', 'A', 'pump-1'],
    ]);

    const login = await gw.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'viewer', password: 'viewer-demo' } });
    const headers = { authorization: `Bearer ${login.json<{ token: string }>().token}` };
    const res = await gw.app.inject({ url: `/api/history?device=pump-1&point=discharge_pressure&from=${t0}&to=${t0 + 5000}`, headers });
    expect(res.json().samples).toEqual([{ ts: t0, value: 0.47 }, { ts: t0 + 1000, value: 0.46 }]);

    // The fire alarm raised an alarm and a work order: both are written as events for Grafana overlays.
    await gw.history.flush();
    const events = await waitFor(async () => {
      const e = await client.query<{ kind: string; action: string }>(`SELECT * FROM events WHERE device = 'fire-1'`);
      return e.length >= 2 && e;
    }, { timeout: 5000, what: 'alarm and work-order events in InfluxDB' });
    expect(events.map((e) => `${e.kind}:${e.action}`).sort()).toEqual(['alarm:raised', 'work-order:created']);
  });
});
