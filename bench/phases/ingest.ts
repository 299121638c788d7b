/**
 * Ingest A (issue 10, issue 18 item 1): one point of 3 fields per MQTT message through Mosquitto,
 * into InfluxDB, by the gateway and by Node-RED (best and usual flow), beside the broker's ceiling
 * (a counting subscriber) and the database's (raw line protocol). Interleaved rounds, every
 * contender fresh each round (its own process, its own database); medians with min–max, ratios as
 * the median of the per-round ratios.
 */
import { join, resolve } from 'node:path';
import { freePort } from '../../tools/ports.js';
import type { FieldSpec } from '../children/publisher.js';
import { buildBodies, countValues, createDatabase, dropDatabase, writeBodies, type InfluxTarget } from '../lib/influx.js';
import { buildFlows, installNodeRed, nrRoutes, startNodeRed, type NrRoute, type RunningNodeRed } from '../lib/nodered.js';
import { interleave, mediansOf, ratioPerRound, showSpread, type Figures } from '../lib/rounds.js';
import { writeMqttSite, type BenchAuth } from '../lib/site.js';
import { finiteOrNull, round } from '../lib/stats.js';
import { waitSubscribed, type BenchContext, type BrokerPath } from './context.js';
import { feedAndTrace, mqttCeiling } from './feed.js';

export interface IngestSettings {
  rounds: number;
  messages: { 0: number; 1: number };
  rawLines: number;
  fields: FieldSpec[];
  rules: Array<Record<string, unknown>>;
  auth: BenchAuth;
  nodered: { skip: boolean; dir: string | undefined };
}

/** The gateway on `broker` over TCP: points/s into InfluxDB and CPU µs per point of the gateway process. */
export async function gatewayIngest(ctx: BenchContext, broker: BrokerPath, s: { name: string; qos: 0 | 1; n: number; fields: FieldSpec[]; rules: Array<Record<string, unknown>>; auth: BenchAuth; type?: 'power' | 'pump' }): Promise<Figures> {
  const db = s.name.replace(/-/g, '_');
  const config = join(ctx.tmp, `${s.name}.yaml`);
  const topic = `bench/gw/q${s.qos}/bench-1`;
  const type = s.type ?? 'power';
  writeMqttSite({
    file: config, dataDir: join(ctx.tmp, `${s.name}-data`), brokerUrl: broker.url, qos: s.qos, clientId: `bench-${s.name}`, type,
    devices: [{ id: 'bench-1', topic }], fields: s.fields, rules: s.rules, auth: s.auth,
  });
  const gw = await ctx.gateway(s.name, config, db);
  try {
    if (!(await waitSubscribed(gw, 'bench-1'))) ctx.notes.push(`${s.name}: the gateway did not report its MQTT subscription within 10 s; fed anyway`);
    const target: InfluxTarget = { url: ctx.influx.url, db };
    // Points: the messages whose first field landed.
    const count = () => countValues(target, type, { field: s.fields[0]![0], where: `"device" = 'bench-1'` });
    const r = await feedAndTrace(ctx, broker, { name: `pub-${s.name}`, topic, qos: s.qos, n: s.n, fields: s.fields, pid: gw.child.pid, target: s.n, count });
    const stats = await gw.child.request('stats').catch(() => undefined);
    const points = await count();
    const values = await countValues(target, type, { where: `"device" = 'bench-1'` });
    return {
      points_per_s: finiteOrNull(r.perS), cpu_us_per_point: finiteOrNull(points ? r.cpuUs / points : null, 1),
      lost: s.n - points, lost_values: s.n * s.fields.length - values, steady_points_per_s: finiteOrNull(r.steadyPerS),
      rss_mb: finiteOrNull(stats ? Number(stats.rss) / 1048576 : null, 1), readings: stats ? Number(stats.totalReadings) : null,
      run_broker_cpu_us_per_msg: finiteOrNull(r.brokerCpuUs / s.n, 1), run_publisher_cpu_us_per_msg: finiteOrNull(r.publisherCpuUs / s.n, 1),
      run_s: finiteOrNull(r.seconds, 2), run_publish_s: finiteOrNull(r.publishS, 2), run_first_landed_s: finiteOrNull(r.firstLandedS, 2),
      run_cores_consumer: r.cores.consumer ?? null, run_cores_broker: r.cores.broker ?? null, run_cores_influxd: r.cores.influxd ?? null,
    };
  } finally {
    await gw.child.stop();
    await dropDatabase(ctx.influx.url, db);
  }
}

/** Raw line protocol straight into InfluxDB (4 writers, 5,000 lines a body): lines/s. */
export async function dbCeiling(ctx: BenchContext, tag: string, lines: number, fields: FieldSpec[]): Promise<{ linesPerS: number; counted: number }> {
  const url = ctx.influx.url;
  const db = `raw_${tag}`;
  await createDatabase(url, db);
  try {
    const base = Date.now() - lines;
    const bodies = buildBodies(lines, 5000, (i) => {
      let f = '';
      for (let k = 0; k < fields.length; k++) {
        const [name, v] = fields[k]!;
        const val = typeof v === 'boolean' ? String(v) : String(Math.round(v * (1 + (((i * 7 + k * 13) % 21) - 10) / 1000) * 1000) / 1000);
        f += `${k ? ',' : ''}${name}=${val}`;
      }
      return `raw,device=bench-1,site=bench ${f} ${base + i}`;
    });
    const ms = await writeBodies({ url, db }, bodies, 4, 'ms');
    const counted = await countValues({ url, db }, 'raw', { field: fields[0]![0] });
    return { linesPerS: lines / (ms / 1000), counted };
  } finally {
    await dropDatabase(url, db);
  }
}

interface NodeRedSetup {
  start: (() => Promise<RunningNodeRed>) | null;
  version: string | null;
  reason: string | null;
  routes: NrRoute[];
}

/** Installs Node-RED (once); `start()` runs it with the bench flows, writing into database `nodered`. */
async function setupNodeRed(ctx: BenchContext, broker: BrokerPath, s: IngestSettings): Promise<NodeRedSetup> {
  const routes = nrRoutes('bench');
  if (s.nodered.skip) return { start: null, version: null, reason: 'skipped (--no-nodered)', routes };
  const dir = s.nodered.dir ? resolve(s.nodered.dir) : join(ctx.tmp, 'node-red');
  try {
    ctx.say(`installing node-red@4 + node-red-contrib-influxdb into ${dir}`);
    const t0 = Date.now();
    const { version, installed } = await installNodeRed(dir, ctx.log('npm-install'));
    ctx.say(`node-red ${version} ${installed ? `installed in ${Math.round((Date.now() - t0) / 1000)} s` : 'already installed'}`);
    const flows = buildFlows({ brokerPort: Number(new URL(broker.url).port), influxPort: ctx.influx.port, db: 'nodered', routes, fields: s.fields.map(([f]) => f) });
    const start = async () => startNodeRed({ dir, port: await freePort(), flows, logFile: ctx.log('node-red') });
    return { start, version, reason: null, routes };
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n').slice(0, 6).join(' | ') : String(err);
    ctx.notes.push(`Node-RED unavailable: ${reason}`);
    return { start: null, version: null, reason, routes };
  }
}

/**
 * Node-RED started fresh on an empty `nodered` database, fed one route (flow × QoS), stopped.
 * It runs only for its own measurement: an idle Node-RED beside the other contenders cost them up
 * to a third of their rate.
 */
async function nodeRedIngest(ctx: BenchContext, broker: BrokerPath, setup: NodeRedSetup, route: NrRoute, n: number, fields: FieldSpec[]): Promise<Figures> {
  const url = ctx.influx.url;
  await createDatabase(url, 'nodered');
  const nr = await setup.start!();
  try {
    const target: InfluxTarget = { url, db: 'nodered' };
    const r = await feedAndTrace(ctx, broker, {
      name: `pub-nr-${route.flow}-q${route.qos}`, topic: route.topic, qos: route.qos, n, fields, pid: nr.child.pid, target: n,
      count: () => countValues(target, route.measurement, { field: fields[0]![0] }),
    });
    return {
      points_per_s: finiteOrNull(r.perS), cpu_us_per_point: finiteOrNull(r.landed ? r.cpuUs / r.landed : null, 1), lost: n - r.landed,
      run_s: finiteOrNull(r.seconds, 2), run_publish_s: finiteOrNull(r.publishS, 2),
      run_cores_consumer: r.cores.consumer ?? null, run_cores_broker: r.cores.broker ?? null, run_cores_influxd: r.cores.influxd ?? null,
    };
  } finally {
    await nr.stop();
    await dropDatabase(url, 'nodered');
  }
}

/** Decimals of the medians: rates and counts are whole numbers. */
const digits: Record<string, number> = {
  cpu_us_per_point: 1, rss_mb: 1, run_broker_cpu_us_per_msg: 1, run_publisher_cpu_us_per_msg: 1, broker_cpu_us_per_msg: 1, publisher_cpu_us_per_msg: 1,
  run_cores_consumer: 2, run_cores_broker: 2, run_cores_influxd: 2, run_s: 2, run_publish_s: 2, run_first_landed_s: 2,
};

/** Ingest A for QoS 0 and 1; the flat keys of latest.json (medians) plus `spread`, `ratios` and `rounds`. */
export async function ingestPhase(ctx: BenchContext, broker: BrokerPath, s: IngestSettings): Promise<{ ingest: Record<string, Record<string, unknown>>; nodered: Record<string, unknown> }> {
  const nr = await setupNodeRed(ctx, broker, s);
  const nodered = { version: nr.version, unavailable_reason: nr.reason, flows: 'best: mqtt in → join 5,000 → function → influxdb batch; usual: mqtt in → function → join 5,000 → influxdb batch' };
  const ingest: Record<string, Record<string, unknown>> = {};
  for (const qos of [0, 1] as const) {
    const n = s.messages[qos];
    ctx.say(`ingest A, QoS ${qos}: ${n} messages of 1 point × ${s.fields.length} fields, ${s.rounds} interleaved rounds`);
    let k = 0;
    const contenders: Record<string, () => Promise<Figures>> = {
      gateway: () => gatewayIngest(ctx, broker, { name: `gw-ingest-q${qos}-${++k}`, qos, n, fields: s.fields, rules: s.rules, auth: s.auth }),
      mqtt_ceiling: async () => {
        const c = await mqttCeiling(ctx, broker, qos, n, s.fields);
        return { per_s: finiteOrNull(c.perS), cpu_us_per_point: finiteOrNull(c.cpuUs, 1), lost: c.lost, broker_cpu_us_per_msg: finiteOrNull(c.brokerCpuUs, 1), publisher_cpu_us_per_msg: finiteOrNull(c.publisherCpuUs, 1) };
      },
      db_ceiling: async () => ({ points_per_s: round((await dbCeiling(ctx, `q${qos}`, s.rawLines, s.fields)).linesPerS) }),
    };
    if (nr.start) {
      for (const flow of ['best', 'usual'] as const) {
        const route = nr.routes.find((x) => x.flow === flow && x.qos === qos)!;
        contenders[`nodered_${flow}`] = () => nodeRedIngest(ctx, broker, nr, route, n, s.fields);
      }
    }
    const runs = await interleave(s.rounds, contenders, (name, r, x, err) => {
      if (err) {
        ctx.errors[`ingest.qos${qos}.${name}.round${r}`] = err instanceof Error ? err.message.slice(0, 1500) : String(err);
        ctx.say(`  round ${r} ${name} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      } else if (x) ctx.say(`  round ${r} ${name}: ${x.points_per_s ?? x.per_s}/s, ${x.cpu_us_per_point ?? '—'} µs CPU/point, lost ${x.lost ?? 0}`);
    });
    const out: Record<string, unknown> = { messages: n };
    const spread: Record<string, unknown> = {};
    for (const [name, list] of Object.entries(runs)) {
      const m = mediansOf(list, digits);
      // latest.json keys: gateway_points_per_s, mqtt_ceiling_per_s, nodered_best_cpu_us_per_point …
      // Lost: the worst round, not the median.
      for (const [key, v] of Object.entries(m.median)) out[`${name}_${key}`] = key === 'lost' ? Math.max(...list.map((x) => x?.lost ?? 0)) : v;
      spread[name] = m.spread;
      const rate = m.spread.points_per_s ?? m.spread.per_s;
      if (rate) ctx.say(`  ${name}: ${showSpread(rate, '/s')}${m.spread.cpu_us_per_point ? `, ${showSpread(m.spread.cpu_us_per_point, ' µs CPU/point')}` : ''}`);
    }
    const rateOf = (name: string) => (runs[name] ?? []).map((x) => x?.points_per_s ?? x?.per_s ?? null);
    const cpuOf = (name: string) => (runs[name] ?? []).map((x) => x?.cpu_us_per_point ?? null);
    out.spread = spread;
    out.ratios = {
      gateway_over_mqtt_ceiling: ratioPerRound(rateOf('gateway'), rateOf('mqtt_ceiling')),
      gateway_over_db_ceiling: ratioPerRound(rateOf('gateway'), rateOf('db_ceiling')),
      gateway_cpu_over_mqtt_ceiling_cpu: ratioPerRound(cpuOf('gateway'), cpuOf('mqtt_ceiling')),
      ...(runs.nodered_best ? {
        gateway_over_nodered_best: ratioPerRound(rateOf('gateway'), rateOf('nodered_best')),
        gateway_over_nodered_usual: ratioPerRound(rateOf('gateway'), rateOf('nodered_usual')),
        nodered_best_cpu_over_gateway_cpu: ratioPerRound(cpuOf('nodered_best'), cpuOf('gateway')),
      } : {}),
    };
    out.rounds = runs;
    for (const [key, r] of Object.entries(out.ratios as Record<string, { median: number | null; min: number | null; max: number | null }>)) ctx.say(`  ${key}: ${r.median}× (${r.min}–${r.max})`);
    ingest[`qos${qos}`] = out;
  }
  return { ingest, nodered };
}
