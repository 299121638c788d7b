/**
 * Ingest B (issue 18 item 4): device messages of many fields (a pump's 12) through Mosquitto into
 * InfluxDB, field values per second, beside the database's ceiling (raw line protocol of the same
 * lines) and the broker's (a counting subscriber on the same messages). Interleaved rounds.
 */
import type { FieldSpec } from '../children/publisher.js';
import { interleave, mediansOf, ratioPerRound, showSpread, type Figures } from '../lib/rounds.js';
import type { BenchAuth } from '../lib/site.js';
import { finiteOrNull, round } from '../lib/stats.js';
import type { BenchContext, BrokerPath } from './context.js';
import { mqttCeiling } from './feed.js';
import { dbCeiling, gatewayIngest } from './ingest.js';

export interface FieldsSettings {
  rounds: number;
  messages: number;
  rawLines: number;
  qos: 0 | 1;
  fields: FieldSpec[];
  rules: Array<Record<string, unknown>>;
  auth: BenchAuth;
}

export async function fieldsPhase(ctx: BenchContext, broker: BrokerPath, s: FieldsSettings): Promise<Record<string, unknown>> {
  const per = s.fields.length;
  ctx.say(`ingest B: ${s.messages} messages of ${per} fields (QoS ${s.qos}), ${s.rounds} interleaved rounds`);
  let k = 0;
  const runs = await interleave<Figures>(s.rounds, {
    gateway: async () => {
      const g = await gatewayIngest(ctx, broker, { name: `gw-fields-${++k}`, qos: s.qos, n: s.messages, fields: s.fields, rules: s.rules, auth: s.auth, type: 'pump' });
      return {
        fields_per_s: finiteOrNull((g.points_per_s ?? NaN) * per),
        cpu_us_per_field: finiteOrNull((g.cpu_us_per_point ?? NaN) / per, 2),
        lost_fields: g.lost_values ?? null,
        run_cores_consumer: g.run_cores_consumer ?? null, run_cores_broker: g.run_cores_broker ?? null, run_cores_influxd: g.run_cores_influxd ?? null,
      };
    },
    db_ceiling: async () => ({ fields_per_s: round((await dbCeiling(ctx, 'fields', s.rawLines, s.fields)).linesPerS * per) }),
    mqtt_ceiling: async () => ({ fields_per_s: finiteOrNull((await mqttCeiling(ctx, broker, s.qos, s.messages, s.fields)).perS * per) }),
  }, (name, r, x, err) => {
    if (err) {
      ctx.errors[`fields.${name}.round${r}`] = err instanceof Error ? err.message.slice(0, 1500) : String(err);
      ctx.say(`  round ${r} ${name} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    } else if (x) ctx.say(`  round ${r} ${name}: ${x.fields_per_s} fields/s${x.cpu_us_per_field === undefined ? '' : `, ${x.cpu_us_per_field} µs CPU/field`}`);
  });
  const out: Record<string, unknown> = { fields_per_message: per, messages: s.messages, qos: s.qos };
  const spread: Record<string, unknown> = {};
  for (const [name, list] of Object.entries(runs)) {
    const m = mediansOf(list, { cpu_us_per_field: 2, run_cores_consumer: 2, run_cores_broker: 2, run_cores_influxd: 2 });
    for (const [key, v] of Object.entries(m.median)) out[`${name}_${key}`] = key === 'lost_fields' ? Math.max(...list.map((x) => x?.lost_fields ?? 0)) : v;
    spread[name] = m.spread;
    if (m.spread.fields_per_s) ctx.say(`  ${name}: ${showSpread(m.spread.fields_per_s, ' fields/s')}`);
  }
  const rateOf = (name: string) => runs[name]!.map((x) => x?.fields_per_s ?? null);
  out.spread = spread;
  out.ratios = {
    gateway_over_db_ceiling: ratioPerRound(rateOf('gateway'), rateOf('db_ceiling')),
    gateway_over_mqtt_ceiling: ratioPerRound(rateOf('gateway'), rateOf('mqtt_ceiling')),
  };
  const r = (out.ratios as { gateway_over_db_ceiling: { median: number | null; min: number | null; max: number | null } }).gateway_over_db_ceiling;
  ctx.say(`  gateway ÷ DB ceiling: ${r.median}× (${r.min}–${r.max})`);
  out.rounds = runs;
  return out;
}
