/**
 * Evaluation of gateway/predict on a real run to failure (npm run eval:predict -- --real): the IMS
 * bearing test 1 (shared/data/README.md). Not a twin: the rows are published over MQTT to the
 * project's broker (broker/), read by a real gateway (gateway/app.ts createGateway: MQTT connector,
 * pipeline, predict service, work-order service, embedded history), each row with its own `ts`. The
 * predictor's clock is the readings' time (gateway/predict/README.md), so 34 days replay in seconds.
 *
 * Limits are set as a maintenance engineer would, from the healthy baseline and a standard, never
 * from the failure: per channel, baseline = median of its first 48 hourly medians (the first two
 * days of operation), limit = 3 × baseline. ISO 10816-3 puts the zone C/D boundary ("risk of damage")
 * at about 3 × the A/B boundary ("new machine"): group 2 rigid 4.5 / 1.4 = 3.2, flexible 7.1 / 2.3 = 3.1
 * (shared/research/domain.md §1.2); a healthy new bearing is taken to sit at the A/B level.
 *
 * Counted per channel (4 of failed bearings 3 and 4, 4 of healthy bearings 1 and 2). The failure
 * time is the last row (the test was stopped on the failure).
 *   - warned: a prediction order before the failure; lead = failure − first raise (reading time).
 *   - healthy flagged: a healthy channel that ever got a prediction order.
 *   - forecast precision: share of prediction orders whose event happened inside the band of the
 *     forecast that raised them. The event is the first hourly median at or over the limit, or, for a
 *     failed bearing that never reached it, the failure itself. A healthy channel has no event.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { startBroker } from '../broker/index.js';
import { createGateway } from '../gateway/app.js';
import { loadConfig } from '../gateway/config/load.js';
import { createLogger } from '../gateway/core/log.js';
import type { WorkOrder } from '../gateway/core/model.js';
import { median } from '../gateway/predict/stats.js';

const H = 3_600_000;
/** ISO 10816-3 zone C/D boundary over the A/B boundary (group 2: 4.5 / 1.4, 7.1 / 2.3), rounded down. */
const CD_OVER_AB = 3;

interface Forecast {
  at: number;
  limit: number;
  hoursToLimit: number | null;
  crossingAt: number | null;
  crossingBand: [number | null, number | null];
  model: string;
  level: number;
}

export interface RealResult {
  failed_warned: number;
  failed_total: number;
  failed_warned_24h: number;
  median_lead_h: number | null;
  healthy_flagged: number;
  healthy_total: number;
  forecast_precision: number | null;
  orders: number;
  limits: string;
  channels: Array<{ channel: string; failed: boolean; baseline: number; limit: number; eventAt: string | null; orders: number; firstRaiseAt: string | null; leadH: number | null;
    firstForecast: { hoursToLimit: number | null; band: [string | null, string | null]; model: string; inBand: boolean } | null }>;
  rows: number;
  wall_s: number;
}

export function parseCsv(file: string): { columns: string[]; rows: Array<{ ts: number; values: number[] }> } {
  const lines = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const columns = lines[0]!.split(',').slice(1);
  const rows = lines.slice(1).map((l) => {
    const [time, ...vals] = l.split(',');
    return { ts: Date.parse(time!), values: vals.map(Number) };
  });
  return { columns, rows };
}

/** Median of the first 48 hourly medians: the channel's healthy baseline (first two days of operation). */
function baselineOf(rows: ReadonlyArray<{ ts: number; v: number }>): number {
  const hours = new Map<number, number[]>();
  for (const r of rows) {
    const h = Math.floor(r.ts / H);
    if (!hours.has(h) && hours.size === 48) break;
    (hours.get(h) ?? hours.set(h, []).get(h)!).push(r.v);
  }
  return median([...hours.values()].map((vs) => median(vs)));
}

export async function evalReal(file: string): Promise<RealResult> {
  if (!existsSync(file)) {
    throw new Error(`real run-to-failure data not found: ${file} (pass --data <csv>; see shared/data/README.md)`);
  }
  const started = performance.now();
  const { columns, rows } = parseCsv(file);
  const failedAt = rows[rows.length - 1]!.ts;
  const failed = (c: string) => /^bearing[34]_/.test(c);
  const ids = columns.map((c) => c.replace('_', '-'));
  const limits = columns.map((_, i) => CD_OVER_AB * baselineOf(rows.map((r) => ({ ts: r.ts, v: r.values[i]! }))));

  const dir = mkdtempSync(join(tmpdir(), 'eval-real-'));
  const log = createLogger('eval', 'silent');
  const broker = await startBroker({ port: 0, host: '127.0.0.1', log, config: { allowAnonymous: true } });
  const yaml = `site: { id: ims, name: IMS bearing test 1 }
dataDir: ${join(dir, 'data')}
defaultRules: false
devices:
${ids.map((id) => `  - { id: ${id}, type: pump, protocol: mqtt, staleAfter: 86400, connection: { url: "${broker.url}", topic: ims/${id}, qos: 1 }, points: [{ name: vibration, path: v, unit: g }] }`).join('\n')}
maintenance:
  defaultPlans: false
  prediction:
    indicators:
${ids.map((id, i) => `      - { device: ${id}, point: vibration, limit: ${limits[i]!.toPrecision(4)}, state: any }`).join('\n')}
`;
  writeFileSync(join(dir, 'site.yaml'), yaml);
  const gw = await createGateway(loadConfig(join(dir, 'site.yaml')), { log, port: 0, host: '127.0.0.1' });
  const created = new Map<string, Forecast>();
  gw.orders.onChange((o: WorkOrder, action: string) => {
    const f = (o.evidence as { forecast?: Forecast } | null)?.forecast;
    if (action === 'created' && o.source === 'prediction' && f) created.set(o.id, f);
  });
  const pub = await mqtt.connectAsync(broker.url, { clientId: 'ims-replay' });
  try {
    await gw.start();
    // Wait until the gateway's client is subscribed: a probe message must come through.
    const probeAt = rows[0]!.ts - 60_000;
    for (let i = 0; gw.pipeline.totalReadings === 0; i++) {
      if (i > 200) throw new Error('the gateway never received the probe message');
      await pub.publishAsync(`ims/${ids[0]}`, JSON.stringify({ v: rows[0]!.values[0], ts: probeAt }), { qos: 1 });
      await new Promise((r) => setTimeout(r, 50));
    }
    const base = gw.pipeline.totalReadings;
    for (const row of rows) {
      await Promise.all(ids.map((id, i) => pub.publishAsync(`ims/${id}`, JSON.stringify({ v: row.values[i], ts: row.ts }), { qos: 1 })));
    }
    const expected = base + rows.length * ids.length;
    for (let i = 0; gw.pipeline.totalReadings < expected; i++) {
      if (i > 600) throw new Error(`only ${gw.pipeline.totalReadings - base} of ${rows.length * ids.length} readings arrived`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const orders = gw.orders.list({ limit: 10_000 }).filter((o) => o.source === 'prediction');

    const channels: RealResult['channels'] = [];
    let inBand = 0;
    for (const [i, c] of columns.entries()) {
      const id = ids[i]!;
      // Event: first hourly median at or over the limit; for a failed bearing that never got there, the failure.
      const hours = new Map<number, number[]>();
      for (const r of rows) (hours.get(Math.floor(r.ts / H)) ?? hours.set(Math.floor(r.ts / H), []).get(Math.floor(r.ts / H))!).push(r.values[i]!);
      let eventAt: number | null = null;
      for (const [h, vs] of hours) if (median(vs) >= limits[i]!) { eventAt = (h + 1) * H; break; }
      if (eventAt === null && failed(c)) eventAt = failedAt;
      const mine = orders.filter((o) => o.device === id).map((o) => ({ o, f: created.get(o.id) })).sort((a, b) => (a.f?.at ?? 0) - (b.f?.at ?? 0));
      for (const { f } of mine) {
        const [lo, hi] = f?.crossingBand ?? [null, null];
        if (f && eventAt !== null && eventAt >= (lo ?? -Infinity) && eventAt <= (hi ?? Infinity)) inBand++;
      }
      const first = mine[0]?.f;
      const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
      channels.push({
        channel: c, failed: failed(c), baseline: Number((limits[i]! / CD_OVER_AB).toPrecision(4)), limit: Number(limits[i]!.toPrecision(4)), eventAt: iso(eventAt), orders: mine.length,
        firstRaiseAt: iso(first?.at ?? null), leadH: first && failed(c) && first.at < failedAt ? Number(((failedAt - first.at) / H).toFixed(1)) : null,
        firstForecast: first ? {
          hoursToLimit: first.hoursToLimit, band: [iso(first.crossingBand[0]), iso(first.crossingBand[1])], model: first.model,
          inBand: eventAt !== null && eventAt >= (first.crossingBand[0] ?? -Infinity) && eventAt <= (first.crossingBand[1] ?? Infinity),
        } : null,
      });
    }
    const f = channels.filter((c) => c.failed);
    const h = channels.filter((c) => !c.failed);
    const leads = f.filter((c) => c.leadH !== null).map((c) => c.leadH!);
    return {
      failed_warned: leads.length,
      failed_total: f.length,
      failed_warned_24h: leads.filter((l) => l >= 24).length,
      median_lead_h: leads.length ? Number(median(leads).toFixed(1)) : null,
      healthy_flagged: h.filter((c) => c.orders > 0).length,
      healthy_total: h.length,
      forecast_precision: orders.length ? Number((inBand / orders.length).toFixed(3)) : null,
      orders: orders.length,
      limits: `per channel ${CD_OVER_AB} × the median of its first 48 hourly medians (ISO 10816-3 zone C/D ≈ 3 × A/B); predictor defaults otherwise`,
      channels,
      rows: rows.length,
      wall_s: Number(((performance.now() - started) / 1000).toFixed(1)),
    };
  } finally {
    await pub.endAsync();
    await gw.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Default data file: `../shared/data/ims-bearing-test1-10min.csv` relative to the repo root. */
export const defaultRealData = (repoRoot: string) => resolve(repoRoot, '..', 'shared', 'data', 'ims-bearing-test1-10min.csv');
