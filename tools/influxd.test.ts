import { existsSync } from 'node:fs';
import { InfluxDB } from 'influx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdHandle } from './influxd.js';

describe('test helper: startInfluxd', () => {
  let server: InfluxdHandle;
  let influx: InfluxDB;

  beforeAll(async () => {
    server = await startInfluxd();
    influx = new InfluxDB({ host: server.host, port: server.port, database: 'helper_test' });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('listens on a free port, not the default 8086', () => {
    expect(server.port).not.toBe(8086);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(existsSync(server.dataDir)).toBe(true);
  });

  it('answers ping through the influx client', async () => {
    const [host] = await influx.ping(2000);
    expect(host?.online).toBe(true);
    expect(host?.version).toMatch(/^1\./);
  });

  it('writes and queries points', async () => {
    await influx.createDatabase('helper_test');
    const t0 = Date.UTC(2026, 0, 1);
    await influx.writePoints(
      [
        { measurement: 'probe', tags: { dev: 'a' }, fields: { v: 1.5 }, timestamp: t0 },
        { measurement: 'probe', tags: { dev: 'a' }, fields: { v: 2.5 }, timestamp: t0 + 1000 },
      ],
      { precision: 'ms' },
    );
    const rows = await influx.query<{ v: number }>(`SELECT v FROM probe WHERE dev = 'a'`);
    expect(rows.map((r) => r.v)).toEqual([1.5, 2.5]);
    expect(rows.map((r) => r.time.getTime())).toEqual([t0, t0 + 1000]);
  });

  it('stops: the port closes and the temp dir is removed', async () => {
    const { url, dataDir } = server;
    await server.stop();
    await expect(fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) })).rejects.toThrow();
    expect(existsSync(dataDir)).toBe(false);
    await server.stop(); // idempotent
  });

  it('runs two servers side by side on different ports', async () => {
    const [a, b] = await Promise.all([startInfluxd(), startInfluxd()]);
    try {
      expect(a.port).not.toBe(b.port);
      for (const s of [a, b]) expect((await fetch(`${s.url}/ping`)).status).toBe(204);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
