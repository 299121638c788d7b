/** bench/results/latest.md: the results as Markdown tables, each figure beside its target (issue 10). */

type Obj = Record<string, unknown>;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function fmt(v: unknown, digits = 0): string {
  const n = num(v);
  if (n === null) return 'n/a';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function verdict(ok: boolean | null): string {
  return ok === null ? '–' : ok ? 'met' : '**missed**';
}

/** ratio a/b ≥ min (or ≤ max when `atMost`). */
function ratioCheck(a: unknown, b: unknown, bound: number, atMost = false): { text: string; ok: boolean | null } {
  const x = num(a);
  const y = num(b);
  if (x === null || y === null || y === 0) return { text: 'n/a', ok: null };
  const r = x / y;
  return { text: `${r.toFixed(2)}×`, ok: atMost ? r <= bound : r >= bound };
}

/** A per-round ratio (bench/lib/rounds.ts) against its bound: "1.23× (1.10–1.40)". */
function roundRatio(r: unknown, bound: number, atMost = false): { text: string; ok: boolean | null } {
  const o = (r ?? {}) as Obj;
  const med = num(o.median);
  if (med === null) return { text: 'n/a', ok: null };
  return { text: `${med.toFixed(2)}× (${fmt(o.min, 2)}–${fmt(o.max, 2)})`, ok: atMost ? med <= bound : med >= bound };
}

/** A median with the min–max of its rounds, when the phase recorded them (`spread.<contender>.<figure>`). */
function withSpread(q: Obj, key: string, digits: number): string {
  const spread = (q.spread ?? {}) as Record<string, Record<string, Obj>>;
  for (const [name, figures] of Object.entries(spread)) {
    if (!key.startsWith(`${name}_`)) continue;
    const s = figures[key.slice(name.length + 1)];
    if (s && num(s.min) !== null && s.min !== s.max) return `${fmt(q[key], digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
  }
  return fmt(q[key], digits);
}

export function renderMarkdown(result: Obj): string {
  const m = (result.machine ?? {}) as Obj;
  const lines: string[] = [];
  lines.push(`### Benchmark (${result.quick ? '`npm run bench -- --quick`' : '`npm run bench`'}, ${String(result.started_at ?? '').slice(0, 10)})`);
  lines.push('');
  lines.push(`Machine: ${String(m.cpu_model ?? '?')}, ${String(m.cores ?? '?')} cores, ${String(m.mem_gb ?? '?')} GB, Node ${String(m.node ?? '?')}, ${String(m.influxd ?? 'influxd')}; load average at start ${JSON.stringify(m.loadavg_start ?? [])}, at the end ${JSON.stringify(m.loadavg_end ?? [])} (2 cores; the figures are medians of interleaved rounds with their min–max, ratios the median of the per-round ratios). Everything on loopback on the same machine; compare figures within one run only.`);
  lines.push('');

  const ingest = (result.ingest ?? {}) as Record<string, Obj>;
  if (Object.keys(ingest).length) {
    lines.push('**Ingest A**: one message = one point of 3 numeric fields, MQTT (Mosquitto, queues unbounded, the same broker for every contender) → InfluxDB 1.x.');
    lines.push('');
    lines.push('| | QoS 0 | QoS 1 | target |');
    lines.push('|---|---:|---:|---|');
    const q0 = ingest.qos0 ?? {};
    const q1 = ingest.qos1 ?? {};
    const row = (label: string, key: string, digits = 0, target = '') => lines.push(`| ${label} | ${withSpread(q0, key, digits)} | ${withSpread(q1, key, digits)} | ${target} |`);
    row('gateway, points/s landed in InfluxDB', 'gateway_points_per_s');
    row('gateway CPU µs per point', 'gateway_cpu_us_per_point', 1);
    row('gateway points lost', 'gateway_lost', 0, '0');
    row('counting subscriber, msgs/s (MQTT ceiling)', 'mqtt_ceiling_per_s');
    row('counting subscriber CPU µs per msg', 'mqtt_ceiling_cpu_us_per_point', 1);
    row('counting subscriber on the project\'s aedes broker, msgs/s', 'aedes_ceiling_per_s');
    row('device → aedes in the gateway\'s process → InfluxDB, points/s', 'embedded_points_per_s', 0, '≥ 55,400 / 23,600');
    row('the same, CPU µs per point (broker and gateway)', 'embedded_cpu_us_per_point', 1);
    row('the same, points lost', 'embedded_lost', 0, '0');
    row('raw line protocol, points/s (DB ceiling)', 'db_ceiling_points_per_s');
    row('Node-RED best flow, points/s', 'nodered_best_points_per_s');
    row('Node-RED best flow CPU µs per point', 'nodered_best_cpu_us_per_point', 1);
    row('Node-RED usual flow, points/s', 'nodered_usual_points_per_s');
    row('Node-RED usual flow CPU µs per point', 'nodered_usual_cpu_us_per_point', 1);
    // Ratios: the median of the per-round ratios when the run had rounds, else of the single figures.
    const ratio = (q: Obj, key: string, a: string, b: string, bound: number, atMost = false) => {
      const r = (q.ratios as Obj | undefined)?.[key];
      return r ? roundRatio(r, bound, atMost) : ratioCheck(q[a], q[b], bound, atMost);
    };
    const checks = (q: Obj) => ({
      sub: ratio(q, 'gateway_over_mqtt_ceiling', 'gateway_points_per_s', 'mqtt_ceiling_per_s', 0.9),
      best: ratio(q, 'gateway_over_nodered_best', 'gateway_points_per_s', 'nodered_best_points_per_s', 1.5),
      usual: ratio(q, 'gateway_over_nodered_usual', 'gateway_points_per_s', 'nodered_usual_points_per_s', 4),
      cpu: ratio(q, 'gateway_cpu_over_mqtt_ceiling_cpu', 'gateway_cpu_us_per_point', 'mqtt_ceiling_cpu_us_per_point', 1.5, true),
      lost: { text: fmt(q.gateway_lost), ok: num(q.gateway_lost) === null ? null : q.gateway_lost === 0 },
    });
    const c0 = checks(q0);
    const c1 = checks(q1);
    const chk = (label: string, k: keyof ReturnType<typeof checks>, target: string) =>
      lines.push(`| ${label} | ${c0[k].text} ${verdict(c0[k].ok)} | ${c1[k].text} ${verdict(c1[k].ok)} | ${target} |`);
    chk('gateway ÷ counting subscriber', 'sub', '≥ 0.9×');
    chk('gateway ÷ Node-RED best', 'best', '≥ 1.5×');
    chk('gateway ÷ Node-RED usual', 'usual', '≥ 4×');
    chk('gateway CPU/point ÷ subscriber CPU/msg', 'cpu', '≤ 1.5×');
    lines.push('');
  }

  const f = result.fields as Obj | null | undefined;
  if (f) {
    const ratios = (f.ratios ?? {}) as Obj;
    const r = ratios.gateway_over_db_ceiling ? roundRatio(ratios.gateway_over_db_ceiling, 0.35) : ratioCheck(f.gateway_fields_per_s, f.db_ceiling_fields_per_s, 0.35);
    const m = ratios.gateway_over_mqtt_ceiling ? roundRatio(ratios.gateway_over_mqtt_ceiling, 0) : ratioCheck(f.gateway_fields_per_s, f.mqtt_ceiling_fields_per_s, 0);
    lines.push(`**Ingest B**: device messages of ${fmt(f.fields_per_message)} fields (QoS ${fmt(f.qos)}).`);
    lines.push('');
    lines.push('| | field values/s | target |');
    lines.push('|---|---:|---|');
    lines.push(`| gateway → InfluxDB | ${withSpread(f, 'gateway_fields_per_s', 0)} | |`);
    lines.push(`| gateway CPU µs per field value | ${withSpread(f, 'gateway_cpu_us_per_field', 2)} | |`);
    lines.push(`| raw line protocol (DB ceiling) | ${withSpread(f, 'db_ceiling_fields_per_s', 0)} | |`);
    lines.push(`| counting subscriber, same messages (MQTT ceiling) | ${withSpread(f, 'mqtt_ceiling_fields_per_s', 0)} | |`);
    lines.push(`| gateway ÷ DB ceiling | ${r.text} ${verdict(r.ok)} | ≥ 0.35× |`);
    lines.push(`| gateway ÷ MQTT ceiling | ${m.text} | |`);
    lines.push('');
  }

  const lat = result.latency_ms as Record<string, Obj> | null | undefined;
  if (lat) {
    lines.push('**Latency**: fault injected at a simulator → event on a socket.io client.');
    lines.push('');
    lines.push('| source | event | faults | p50 ms | p95 ms | p99 ms | source interval ms | target p99 ≤ interval + 50 |');
    lines.push('|---|---|---:|---:|---:|---:|---:|---|');
    const how: string[] = [];
    for (const [k, v] of Object.entries(lat)) {
      const p99 = num(v.p99);
      const iv = num(v.interval_ms);
      const ok = p99 === null || iv === null ? null : p99 <= iv + 50;
      lines.push(`| ${k} | \`${String(v.event)}\` | ${fmt(v.measured)} | ${fmt(v.p50, 1)} | ${fmt(v.p95, 1)} | ${fmt(v.p99, 1)} | ${fmt(v.interval_ms)} | ${verdict(ok)} |`);
      if (typeof v.source === 'string') how.push(`- ${k}: ${v.source}`);
    }
    lines.push('');
    if (how.length) lines.push(...how, '');
  }

  const s = result.scale as Obj | null | undefined;
  if (s) {
    const cores = num(s.cpu_cores);
    const rss = num(s.rss_mb);
    lines.push(`**Scale**: ${fmt(s.devices)} devices × ${fmt(s.points_per_device)} points at ${fmt(s.rate_hz)} Hz for ${fmt(s.measured_s)} s (after ${fmt(s.warmup_s)} s warm-up).`);
    lines.push('');
    lines.push('| gateway CPU (cores) | RSS peak (MB) | readings dropped | target |');
    lines.push('|---:|---:|---:|---|');
    const ok = cores === null || rss === null ? null : cores <= 0.5 && rss <= 300 && s.dropped === 0;
    lines.push(`| ${fmt(s.cpu_cores, 3)} | ${fmt(s.rss_mb, 1)} | ${fmt(s.dropped)} of ${fmt(s.sent_values)} | ≤ 0.5 core, ≤ 300 MB: ${verdict(ok)} |`);
    lines.push('');
  }

  const notes = (result.notes ?? []) as string[];
  const errors = (result.errors ?? {}) as Record<string, string>;
  if (notes.length || Object.keys(errors).length) {
    for (const n of notes) lines.push(`- ${n}`);
    for (const [k, e] of Object.entries(errors)) lines.push(`- ${k} failed: ${e.split('\n')[0]}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
