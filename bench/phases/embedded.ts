/**
 * Ingest through the site broker in the gateway's process (issue 18 item 3): device → aedes →
 * gateway (in process, gateway/core/embedded-broker.ts) → InfluxDB, against aedes' own ceiling
 * (a counting subscriber on the project's broker) and against Mosquitto + the gateway over TCP.
 * Interleaved rounds (bench/lib/rounds.ts), every contender fresh each round.
 */
import { join } from 'node:path';
import { startMosquitto } from '../../test/helpers/mosquitto.js';
import { freePort } from '../../test/helpers/ports.js';
import type { FieldSpec } from '../children/publisher.js';
import { countValues, dropDatabase, type InfluxTarget } from '../lib/influx.js';
import { interleave, ratioPerRound, showSpread, spreadOf } from '../lib/rounds.js';
import { writeMqttSite, type BenchAuth } from '../lib/site.js';
import { round } from '../lib/stats.js';
import { waitSubscribed, type BenchContext, type BrokerPath } from './context.js';
import { feedAndTrace, mqttCeiling } from './feed.js';

export interface EmbeddedSettings {
  rounds: number;
  messages: { 0: number; 1: number };
  fields: FieldSpec[];
  rules: Array<Record<string, unknown>>;
  auth: BenchAuth;
}

/** One contender's run: points (or messages) per second, CPU µs per point of its processes, lost. */
interface Run {
  perS: number | null;
  cpuUsPerPoint: number | null;
  lost: number;
}

export async function embeddedPhase(ctx: BenchContext, s: EmbeddedSettings): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const qos of [0, 1] as const) {
    const n = s.messages[qos];
    ctx.say(`embedded broker, QoS ${qos}: ${n} messages, ${s.rounds} interleaved rounds`);
    let k = 0;
    const gatewayRun = async (how: 'embedded' | 'mosquitto'): Promise<Run> => {
      const name = `${how}-q${qos}-${++k}`;
      const db = `embedded_${how}_q${qos}`;
      const config = join(ctx.tmp, `${name}.yaml`);
      const topic = `site/bench/power/bench-1/telemetry`;
      const mosq = how === 'mosquitto' ? await startMosquitto({ extraConfig: ['max_queued_messages 0', 'max_inflight_messages 0', 'max_queued_bytes 0'] }) : null;
      const port = mosq ? Number(new URL(mosq.url).port) : await freePort();
      const brokerUrl = mosq ? mosq.url : `mqtt://127.0.0.1:${port}`;
      writeMqttSite({
        file: config, dataDir: join(ctx.tmp, `${name}-data`), brokerUrl, qos, clientId: `bench-${name}`, type: 'power',
        devices: [{ id: 'bench-1', topic }], fields: s.fields, rules: s.rules, auth: s.auth,
      });
      const gw = await ctx.gateway(name, config, db, how === 'embedded' ? 'embedded.ts' : 'gateway.ts', how === 'embedded' ? { BENCH_ARGS: JSON.stringify({ port }) } : {});
      try {
        if (mosq && !(await waitSubscribed(gw, 'bench-1'))) ctx.notes.push(`${name}: no MQTT subscription within 10 s; fed anyway`);
        const broker: BrokerPath = mosq ? { url: mosq.url, pid: mosq.pid, name } : { url: brokerUrl, pid: gw.child.pid, name };
        const target: InfluxTarget = { url: ctx.influx.url, db };
        const count = () => countValues(target, 'power', { field: s.fields[0]![0], where: `"device" = 'bench-1'` });
        const r = await feedAndTrace(ctx, broker, { name: `pub-${name}`, topic, qos, n, fields: s.fields, pid: gw.child.pid, target: n, count });
        const landed = await count();
        // Every process of the path: the gateway (with its broker when embedded), and Mosquitto.
        return { perS: r.perS, cpuUsPerPoint: landed ? (r.cpuUs + r.brokerCpuUs) / landed : null, lost: n - landed };
      } finally {
        await gw.child.stop();
        await mosq?.stop();
        await dropDatabase(ctx.influx.url, db);
      }
    };
    const aedesCeiling = async (): Promise<Run> => {
      const b = ctx.child('broker.ts', `aedes-q${qos}-${++k}`);
      try {
        const url = String((await b.next('ready', 30_000)).url);
        const c = await mqttCeiling(ctx, { url, pid: b.pid, name: `aedes-${k}` }, qos, n, s.fields);
        return { perS: c.perS, cpuUsPerPoint: c.cpuUs + c.brokerCpuUs, lost: c.lost };
      } finally {
        await b.stop();
      }
    };
    const runs = await interleave(s.rounds, {
      embedded: () => gatewayRun('embedded'),
      aedes_ceiling: aedesCeiling,
      mosquitto_gateway: () => gatewayRun('mosquitto'),
    }, (name, r, x, err) => {
      if (err) {
        ctx.errors[`embedded.qos${qos}.${name}.round${r}`] = err instanceof Error ? err.message.slice(0, 1500) : String(err);
        ctx.say(`  round ${r} ${name} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      } else if (x) ctx.say(`  round ${r} ${name}: ${round(x.perS ?? NaN)}/s, ${round(x.cpuUsPerPoint ?? NaN, 1)} µs CPU/point, lost ${x.lost}`);
    });
    const rate = (name: string) => runs[name]!.map((x) => x?.perS ?? null);
    const cpu = (name: string) => runs[name]!.map((x) => x?.cpuUsPerPoint ?? null);
    const lost = (name: string) => runs[name]!.map((x) => x?.lost ?? null);
    const summary: Record<string, unknown> = { messages: n };
    for (const name of Object.keys(runs)) {
      const rs = spreadOf(rate(name));
      const label = name === 'aedes_ceiling' ? 'aedes_ceiling_per_s' : `${name}_points_per_s`;
      summary[label] = rs.median;
      summary[`${name}_cpu_us_per_point`] = spreadOf(cpu(name), 1).median;
      summary[`${name}_lost`] = Math.max(...lost(name).map((x) => x ?? 0));
      summary[`${name}_spread`] = { rate: rs, cpu_us_per_point: spreadOf(cpu(name), 1) };
      ctx.say(`  ${name}: ${showSpread(rs, '/s')}, ${showSpread(spreadOf(cpu(name), 1), ' µs/point')}`);
    }
    summary.embedded_over_aedes_ceiling = ratioPerRound(rate('embedded'), rate('aedes_ceiling'));
    summary.embedded_over_mosquitto_gateway = ratioPerRound(rate('embedded'), rate('mosquitto_gateway'));
    summary.rounds = Object.fromEntries(Object.keys(runs).map((name) => [name, runs[name]!.map((x) => x && { per_s: round(x.perS ?? NaN), cpu_us_per_point: round(x.cpuUsPerPoint ?? NaN, 1), lost: x.lost })]));
    out[`qos${qos}`] = summary;
  }
  return out;
}
