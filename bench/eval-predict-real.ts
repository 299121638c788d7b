/**
 * Evaluation of gateway/predict on a real run to failure (npm run eval:predict -- --real): the IMS
 * bearing test 1 (shared/data/README.md). Not a twin: the rows are published over MQTT to the
 * project's broker (broker/), read by a real gateway (gateway/app.ts createGateway: MQTT connector,
 * pipeline, predict service, work-order service, embedded history), each row with its own `ts`. The
 * predictor's clock is the readings' time (gateway/predict/README.md), so 34 days replay in seconds.
 *
 * Limits are set as a maintenance engineer would, from the healthy baseline and a standard, never
 * from the failure: per channel, baseline = median of its first 48 hourly medians (the first two
 * days of operation); a healthy new bearing is taken to sit at the ISO 10816-3 A/B level ("new
 * machine"). Alarm (danger) limit = 3 × baseline: zone C/D ("risk of damage") ≈ 3 × A/B, group 2
 * rigid 4.5 / 1.4 = 3.2, flexible 7.1 / 2.3 = 3.1. Alert limit = 2 × baseline: zone B/C (entry into
 * "limited period of operation", when remedial work must be planned) ≈ 2 × A/B, 2.8 / 1.4 = 2.0,
 * 4.5 / 2.3 = 1.96, the same as the common "baseline + 6 dB" alert (docs/standards.md §1.2).
 * A prediction order forecasts the alert crossing (gateway/predict/README.md, alert and alarm limits).
 *
 * Counted per channel (in the default file 4 of failed bearings 3 and 4, 4 of healthy bearings 1
 * and 2; another file names its failed elements with `--failed`). The failure time is the last row
 * (a run-to-failure test is stopped on the failure).
 *   - warned: a prediction order before the failure; lead = failure − first raise (reading time).
 *   - healthy flagged: a healthy channel that ever got a prediction order.
 *   - forecast precision: share of prediction orders whose event happened inside the alert-crossing
 *     band of the forecast that raised them (first raise), and of the latest forecast the order held
 *     before the event. The event is the first hourly median at or over the alert limit, or, for a
 *     failed bearing that never reached it, the failure itself. A healthy channel has no event, so an
 *     order on it is never precise.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { startBroker } from '../broker/index.js';
import { createGateway } from '../gateway/app.js';
import { loadConfig } from '../gateway/site/load.js';
import { createLogger } from '../gateway/core/log.js';
import type { WorkOrder } from '../gateway/core/model.js';
import { median } from '../gateway/predict/stats.js';

const H = 3_600_000;
/** ISO 10816-3 zone C/D boundary over the A/B boundary (group 2: 4.5 / 1.4, 7.1 / 2.3), rounded down: the alarm. */
const CD_OVER_AB = 3;
/** ISO 10816-3 zone B/C boundary over the A/B boundary (group 2: 2.8 / 1.4, 4.5 / 2.3; + 6 dB): the alert. */
const BC_OVER_AB = 2;

interface Forecast {
  at: number;
  limit: number;
  alertLimit: number;
  hoursToAlert: number | null;
  alertCrossingAt: number | null;
  alertCrossingBand: [number | null, number | null];
  model: string;
  level: number;
}

type ForecastView = { at: string; hoursToAlert: number | null; band: [string | null, string | null]; bandWidthH: number | null; model: string; inBand: boolean };

export interface RealResult {
  /** The data file (base name) and the elements that failed at its end (the ground truth given). */
  data: string;
  failed_elements: string[];
  failed_warned: number;
  failed_total: number;
  failed_warned_24h: number;
  median_lead_h: number | null;
  healthy_flagged: number;
  healthy_total: number;
  forecast_precision: number | null;
  forecast_precision_latest: number | null;
  forecast_precision_definition: string;
  orders: number;
  limits: string;
  channels: Array<{ channel: string; failed: boolean; baseline: number; alert: number; limit: number; eventAt: string | null; alarmAt: string | null; orders: number; firstRaiseAt: string | null; leadH: number | null;
    firstForecast: ForecastView | null; latestForecast: ForecastView | null }>;
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

/** One sensor channel of a run: the column, the element (device) it is mounted on, its point. */
export interface Channel {
  column: string;
  /** Device id of the element (`bearing3_a` → `bearing3`). */
  device: string;
  /** Point of the device (`vibration_a`; `vibration` for an element with one channel). */
  point: string;
  /** Field of the element's MQTT message. */
  field: string;
}

/** A real run prepared for replay: its channels, limits from the healthy baseline, the site config. */
export interface RealRun {
  columns: string[];
  rows: Array<{ ts: number; values: number[] }>;
  channels: Channel[];
  /** The elements (devices), in column order, each with the indexes of its channels. */
  elements: Array<{ device: string; channels: number[] }>;
  baselines: number[];
  limits: number[];
  alerts: number[];
  /** Whether a channel's element failed at the end of the run (the ground truth). */
  failed: (channel: string) => boolean;
  /** The site YAML: one MQTT device per element on `brokerUrl`, all on one machine, with the channels' limits. */
  siteYaml: (brokerUrl: string, dataDir: string) => string;
}

/** `bearing3_a` is channel `a` of element `bearing3`; a column without a suffix is an element with one channel. */
function channelOf(column: string): Channel {
  const m = /^(.+)_([A-Za-z0-9]+)$/.exec(column);
  const device = (m ? m[1]! : column).replace(/_/g, '-');
  return m ? { column, device, point: `vibration_${m[2]!.toLowerCase()}`, field: m[2]! } : { column, device, point: 'vibration', field: 'v' };
}

/**
 * Reads a run and sets its limits. `failed` lists the elements that failed at the end of the run, as
 * channel-name prefixes (`bearing3` matches `bearing3_a` and `bearing3_b`); it is the ground truth of
 * the data set (its README), never derived from the data. The elements of a run are taken to be on
 * one machine (a test rig's shaft), so the predictor's neighbour gate applies between them.
 */
export function prepareRun(file: string, failed: readonly string[]): RealRun {
  if (!existsSync(file)) {
    throw new Error(`real run-to-failure data not found: ${file} (pass --data <csv>; see shared/data/README.md)`);
  }
  const { columns, rows } = parseCsv(file);
  if (rows.length === 0 || columns.length === 0) throw new Error(`${file}: no rows or no channels (expected a header "time,<channel>,...")`);
  const bad = rows.findIndex((r) => !Number.isFinite(r.ts) || r.values.length !== columns.length || r.values.some((v) => !Number.isFinite(v)));
  if (bad >= 0) throw new Error(`${file}: row ${bad + 2} is malformed (an ISO time, then ${columns.length} numbers)`);
  const isFailed = (c: string) => failed.some((f) => c === f || c.startsWith(`${f}_`));
  const unknown = failed.filter((f) => !columns.some((c) => c === f || c.startsWith(`${f}_`)));
  if (unknown.length) throw new Error(`--failed ${unknown.join(',')}: no such channel in ${file} (channels: ${columns.join(', ')})`);
  const channels = columns.map(channelOf);
  const elements: RealRun['elements'] = [];
  for (const [i, c] of channels.entries()) {
    const e = elements.find((x) => x.device === c.device);
    if (e) e.channels.push(i);
    else elements.push({ device: c.device, channels: [i] });
  }
  const baselines = columns.map((_, i) => baselineOf(rows.map((r) => ({ ts: r.ts, v: r.values[i]! }))));
  const limits = baselines.map((b) => CD_OVER_AB * b);
  const alerts = baselines.map((b) => BC_OVER_AB * b);
  const points = (e: RealRun['elements'][number]) => e.channels.map((i) => `{ name: ${channels[i]!.point}, path: ${channels[i]!.field}, unit: g }`).join(', ');
  const siteYaml = (brokerUrl: string, dataDir: string) => `site: { id: rtf, name: run to failure }
dataDir: ${dataDir}
defaultRules: false
devices:
${elements.map((e) => `  - { id: ${e.device}, type: pump, machine: rig, protocol: mqtt, staleAfter: 86400, connection: { url: "${brokerUrl}", topic: rtf/${e.device}, qos: 1 }, points: [${points(e)}] }`).join('\n')}
maintenance:
  defaultPlans: false
  prediction:
    indicators:
${channels.map((c, i) => `      - { device: ${c.device}, point: ${c.point}, limit: ${limits[i]!.toPrecision(4)}, alert: ${alerts[i]!.toPrecision(4)}, state: any }`).join('\n')}
`;
  return { columns, rows, channels, elements, baselines, limits, alerts, failed: isFailed, siteYaml };
}

/** The MQTT message of one element for one row: its channels' fields and the row's time. */
export function elementMessage(run: RealRun, e: RealRun['elements'][number], row: RealRun['rows'][number], ts = row.ts): string {
  const body: Record<string, number> = { ts };
  for (const i of e.channels) body[run.channels[i]!.field] = row.values[i]!;
  return JSON.stringify(body);
}

export async function evalReal(file: string, failedElements: readonly string[]): Promise<RealResult> {
  const started = performance.now();
  const run = prepareRun(file, failedElements);
  const { columns, rows, channels: chans, elements, baselines, limits, alerts } = run;
  const failedAt = rows[rows.length - 1]!.ts;
  const failed = run.failed;

  const dir = mkdtempSync(join(tmpdir(), 'eval-real-'));
  const log = createLogger('eval', 'silent');
  const broker = await startBroker({ port: 0, host: '127.0.0.1', log, config: { allowAnonymous: true } });
  writeFileSync(join(dir, 'site.yaml'), run.siteYaml(broker.url, join(dir, 'data')));
  const gw = await createGateway(loadConfig(join(dir, 'site.yaml')), { log, port: 0, host: '127.0.0.1' });
  // Every forecast each prediction order held, in order: the first raised it, later ones updated it.
  const held = new Map<string, Forecast[]>();
  gw.orders.onChange((o: WorkOrder) => {
    const f = (o.evidence as { forecast?: Forecast } | null)?.forecast;
    if (o.source !== 'prediction' || !f) return;
    const list = held.get(o.id) ?? held.set(o.id, []).get(o.id)!;
    if (list[list.length - 1]?.at !== f.at) list.push(f);
  });
  const pub = await mqtt.connectAsync(broker.url, { clientId: 'rtf-replay' });
  try {
    await gw.start();
    // Wait until the gateway's client is subscribed: a probe message must come through.
    const probeAt = rows[0]!.ts - 60_000;
    for (let i = 0; gw.pipeline.totalReadings === 0; i++) {
      if (i > 200) throw new Error('the gateway never received the probe message');
      await pub.publishAsync(`rtf/${elements[0]!.device}`, elementMessage(run, elements[0]!, rows[0]!, probeAt), { qos: 1 });
      await new Promise((r) => setTimeout(r, 50));
    }
    const base = gw.pipeline.totalReadings;
    for (const row of rows) {
      await Promise.all(elements.map((e) => pub.publishAsync(`rtf/${e.device}`, elementMessage(run, e, row), { qos: 1 })));
    }
    const expected = base + rows.length * columns.length;
    for (let i = 0; gw.pipeline.totalReadings < expected; i++) {
      if (i > 600) throw new Error(`only ${gw.pipeline.totalReadings - base} of ${rows.length * columns.length} readings arrived`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const orders = gw.orders.list({ limit: 10_000 }).filter((o) => o.source === 'prediction');

    const channels: RealResult['channels'] = [];
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    const inside = (f: Forecast, ev: number | null) => ev !== null && ev >= (f.alertCrossingBand[0] ?? -Infinity) && ev <= (f.alertCrossingBand[1] ?? Infinity);
    const view = (f: Forecast | undefined, ev: number | null): ForecastView | null => {
      if (!f) return null;
      const [lo, hi] = f.alertCrossingBand;
      return { at: iso(f.at)!, hoursToAlert: f.hoursToAlert, band: [iso(lo), iso(hi)], bandWidthH: lo !== null && hi !== null ? Number(((hi - lo) / H).toFixed(1)) : null, model: f.model, inBand: inside(f, ev) };
    };
    let inFirst = 0;
    let inLatest = 0;
    for (const [i, c] of columns.entries()) {
      const ch = chans[i]!;
      // Event: first hourly median at or over the alert; for a failed bearing that never got there, the failure.
      const hours = new Map<number, number[]>();
      for (const r of rows) (hours.get(Math.floor(r.ts / H)) ?? hours.set(Math.floor(r.ts / H), []).get(Math.floor(r.ts / H))!).push(r.values[i]!);
      const firstOver = (level: number) => {
        for (const [h, vs] of hours) if (median(vs) >= level) return (h + 1) * H;
        return null;
      };
      let eventAt = firstOver(alerts[i]!);
      const alarmAt = firstOver(limits[i]!);
      if (eventAt === null && failed(c)) eventAt = failedAt;
      const mine = orders.filter((o) => o.device === ch.device && o.fault === `predicted_${ch.point}`).map((o) => held.get(o.id) ?? []).filter((fs) => fs.length).sort((a, b) => a[0]!.at - b[0]!.at);
      let latestOfFirst: Forecast | undefined;
      for (const fs of mine) {
        if (inside(fs[0]!, eventAt)) inFirst++;
        // The latest forecast the order held before the event (before the end of the file when there is none).
        const before = fs.filter((f) => f.at < (eventAt ?? failedAt));
        const latest = before[before.length - 1] ?? fs[0]!;
        if (inside(latest, eventAt)) inLatest++;
        if (fs === mine[0]) latestOfFirst = latest;
      }
      const first = mine[0]?.[0];
      channels.push({
        channel: c, failed: failed(c), baseline: Number(baselines[i]!.toPrecision(4)), alert: Number(alerts[i]!.toPrecision(4)), limit: Number(limits[i]!.toPrecision(4)),
        eventAt: iso(eventAt), alarmAt: iso(alarmAt), orders: mine.length,
        firstRaiseAt: iso(first?.at ?? null), leadH: first && failed(c) && first.at < failedAt ? Number(((failedAt - first.at) / H).toFixed(1)) : null,
        firstForecast: view(first, eventAt), latestForecast: view(latestOfFirst, eventAt),
      });
    }
    const f = channels.filter((c) => c.failed);
    const h = channels.filter((c) => !c.failed);
    const leads = f.filter((c) => c.leadH !== null).map((c) => c.leadH!);
    return {
      data: basename(file),
      failed_elements: [...failedElements],
      failed_warned: leads.length,
      failed_total: f.length,
      failed_warned_24h: leads.filter((l) => l >= 24).length,
      median_lead_h: leads.length ? Number(median(leads).toFixed(1)) : null,
      healthy_flagged: h.filter((c) => c.orders > 0).length,
      healthy_total: h.length,
      forecast_precision: orders.length ? Number((inFirst / orders.length).toFixed(3)) : null,
      forecast_precision_latest: orders.length ? Number((inLatest / orders.length).toFixed(3)) : null,
      forecast_precision_definition: 'share of prediction orders whose event fell inside the alert-crossing band [early, late] of a forecast: forecast_precision on the forecast that first raised the order, forecast_precision_latest on the latest forecast the order held before the event. Event = first hourly median at or over the alert limit (2 × baseline, ISO 10816-3 zone B/C), or the failure (last row) for a failed bearing that never reached it; a healthy channel has no event, so an order on it counts as imprecise. An open late edge (slope band reaching 0) counts as +∞.',
      orders: orders.length,
      limits: `per channel, baseline = median of its first 48 hourly medians; alert ${BC_OVER_AB} × baseline (ISO 10816-3 zone B/C ≈ 2 × A/B, + 6 dB), alarm ${CD_OVER_AB} × baseline (zone C/D ≈ 3 × A/B); predictor defaults otherwise`,
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

/** Ground truth of the default file (shared/data/README.md): bearing 3 (inner race) and 4 (roller) failed. */
export const DEFAULT_FAILED = ['bearing3', 'bearing4'] as const;
