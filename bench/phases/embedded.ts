/**
 * Ingest through the site broker in the gateway's process (issue 18 item 3): device → aedes →
 * gateway (in process, gateway/core/embedded-broker.ts) → InfluxDB, against aedes' own ceiling
 * (a counting subscriber on the project's broker) and against Mosquitto + the gateway over TCP.
 * Interleaved rounds (bench/lib/rounds.ts), every contender fresh each round.
 */
import { join } from 'node:path';
import { startMosquitto } from '../../tools/mosquitto.js';
import { freePort } from '../../tools/ports.js';
import type { FieldSpec } from '../children/publisher.js';
import { countValues, dropDatabase, type InfluxTarget } from '../lib/influx.js';
import { interleave, mediansOf, ratioPerRound, showSpread, spreadOf, type Figures } from '../lib/rounds.js';
import { writeMqttSite, type BenchAuth } from '../lib/site.js';
import { finiteOrNull } from '../lib/stats.js';
import { waitSubscribed, type BenchContext, type BrokerPath } from './context.js';
import { feedAndTrace, mqttCeiling } from './feed.js';

export interface EmbeddedSettings {
  rounds: number;
  messages: { 0: number; 1: number };
  fields: FieldSpec[];
  rules: Array<Record<string, unknown>>;
  auth: BenchAuth;
}


export async function embeddedPhase(ctx: BenchContext, s: EmbeddedSettings): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const qos of [0, 1] as const) {
    const n = s.messages[qos];
    ctx.say(`embedded broker, QoS ${qos}: ${n} messages, ${s.rounds} interleaved rounds`);
    let k = 0;
    const gatewayRun = async (how: 'embedded' | 'mosquitto'): Promise<Figures> => {
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
        return { points_per_s: finiteOrNull(r.perS), cpu_us_per_point: finiteOrNull(landed ? (r.cpuUs + r.brokerCpuUs) / landed : null, 1), lost: n - landed };
      } finally {
        await gw.child.stop();
        await mosq?.stop();
        await dropDatabase(ctx.influx.url, db);
      }
    };
    const aedesCeiling = async (): Promise<Figures> => {
      const b = ctx.child('broker.ts', `aedes-q${qos}-${++k}`);
      try {
        const url = String((await b.next('ready', 30_000)).url);
        const c = await mqttCeiling(ctx, { url, pid: b.pid, name: `aedes-${k}` }, qos, n, s.fields);
        // CPU of the broker and the counting subscriber per message.
        return { per_s: finiteOrNull(c.perS), cpu_us_per_point: finiteOrNull(c.cpuUs + c.brokerCpuUs, 1), lost: c.lost };
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
      } else if (x) ctx.say(`  round ${r} ${name}: ${x.points_per_s ?? x.per_s}/s, ${x.cpu_us_per_point} µs CPU/point, lost ${x.lost}`);
    });
    const summary: Record<string, unknown> = { messages: n };
    const spread: Record<string, unknown> = {};
    for (const [name, list] of Object.entries(runs)) {
      const m = mediansOf(list, { cpu_us_per_point: 1 });
      for (const [key, v] of Object.entries(m.median)) summary[`${name}_${key}`] = key === 'lost' ? Math.max(...list.map((x) => x?.lost ?? 0)) : v;
      spread[name] = m.spread;
      const rate = m.spread.points_per_s ?? m.spread.per_s;
      if (rate) ctx.say(`  ${name}: ${showSpread(rate, '/s')}, ${showSpread(m.spread.cpu_us_per_point ?? spreadOf([]), ' µs CPU/point')}`);
    }
    const rateOf = (name: string) => runs[name]!.map((x) => x?.points_per_s ?? x?.per_s ?? null);
    summary.spread = spread;
    summary.ratios = {
      embedded_over_aedes_ceiling: ratioPerRound(rateOf('embedded'), rateOf('aedes_ceiling')),
      embedded_over_mosquitto_gateway: ratioPerRound(rateOf('embedded'), rateOf('mosquitto_gateway')),
    };
    summary.rounds = runs;
    out[`qos${qos}`] = summary;
  }
  return out;
}
