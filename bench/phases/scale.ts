/**
 * Scale (issue 10): 1,000 MQTT devices × 20 points at 1 Hz into the gateway for minutes; its CPU,
 * peak RSS and whether any reading was dropped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FieldSpec } from '../children/publisher.js';
import { CpuWindow, RssSampler } from '../lib/cpu.js';
import { countValues, dropDatabase, traceLanding } from '../lib/influx.js';
import type { Child } from '../lib/proc.js';
import { writeMqttSite, type BenchAuth } from '../lib/site.js';
import { round, sleep, timeToReach } from '../lib/stats.js';
import { ROOT, waitSubscribed, type BenchContext, type BrokerPath } from './context.js';

export interface ScaleSettings {
  seconds: number;
  warmupS: number;
  /** Field specs; the first `SCALE.points` are published. */
  fields: FieldSpec[];
  rules: Array<Record<string, unknown>>;
  auth: BenchAuth;
}

const SCALE = { devices: 1000, points: 20, hz: 1 };

export async function scalePhase(ctx: BenchContext, broker: BrokerPath, settings: ScaleSettings): Promise<Record<string, unknown>> {
  const name = 'gw-scale';
  const db = 'gw_scale';
  const config = join(ctx.tmp, `${name}.yaml`);
  const prefix = 'bench/scale';
  const devices = Array.from({ length: SCALE.devices }, (_, d) => {
    const id = `dev-${String(d + 1).padStart(4, '0')}`;
    return { id, topic: `${prefix}/${id}/telemetry` };
  });
  const fields = settings.fields.slice(0, SCALE.points);
  if (existsSync(join(ROOT, 'simulators', 'scale.ts'))) ctx.notes.push('scale: simulators/scale.ts exists, but the bench feeds the scale test from its own MQTT publisher (1 process, 1,000 device topics)');
  writeMqttSite({ file: config, dataDir: join(ctx.tmp, `${name}-data`), brokerUrl: broker.url, qos: 1, clientId: `bench-${name}`, type: 'pump', devices, fields, rules: settings.rules, auth: settings.auth });
  const gw = await ctx.gateway(name, config, db);
  let pub: Child | undefined;
  try {
    if (!(await waitSubscribed(gw, devices[devices.length - 1]!.id, 20_000))) ctx.notes.push('scale: no MQTT subscription report within 20 s; fed anyway');
    pub = await ctx.publisher('pub-scale', broker.url, { mode: 'scale', qos: 1, devices: SCALE.devices, fields, hz: SCALE.hz, topicPrefix: prefix });
    await pub.request('go');
    ctx.say(`scale: ${SCALE.devices} devices × ${SCALE.points} points at ${SCALE.hz} Hz: ${settings.warmupS} s warm-up, ${settings.seconds} s measured`);
    await sleep(settings.warmupS * 1000);
    const cpu = new CpuWindow(gw.child.pid).start();
    const brokerCpu = new CpuWindow(broker.pid).start();
    const pubCpu = new CpuWindow(pub.pid).start();
    const before = await pub.request('count');
    const rss = new RssSampler(gw.child.pid, 1000).start();
    const lagSamples: number[] = [];
    const endAt = Date.now() + settings.seconds * 1000;
    while (Date.now() < endAt) {
      await sleep(Math.min(10_000, endAt - Date.now()));
      const st = await gw.child.request('stats').catch(() => undefined);
      const h = st?.history as { buffered?: number } | null | undefined;
      if (h?.buffered !== undefined) lagSamples.push(h.buffered);
    }
    const usage = cpu.read();
    const brokerCores = brokerCpu.read().cores;
    const publisherCores = pubCpu.read().cores;
    const after = await pub.request('count');
    rss.stop();
    const halted = await pub.request('halt', {}, 30_000);
    // Every message handed to the broker counts as sent (PUBACKs lag when the gateway falls behind).
    const sentMsgs = Number(halted.published);
    const sentValues = sentMsgs * fields.length;
    // Let the gateway work off its backlog, then count what landed.
    const t0 = performance.now();
    const catchUp = await traceLanding(() => countValues({ url: ctx.influx.url, db }, 'pump'), sentValues, { intervalMs: 1000, idleMs: 5000, deadlineMs: 60_000 });
    await gw.child.request('flush', {}, 30_000).catch(() => undefined);
    const stats = await gw.child.request('stats').catch(() => undefined);
    const landed = await countValues({ url: ctx.influx.url, db }, 'pump');
    return {
      devices: SCALE.devices,
      points_per_device: fields.length,
      cpu_cores: round(usage.cores, 3),
      rss_mb: round(rss.peakMb, 1),
      dropped: sentValues - landed,
      rate_hz: SCALE.hz,
      measured_s: round(usage.wallMs / 1000, 1),
      warmup_s: settings.warmupS,
      rss_end_mb: round(rss.lastMb, 1),
      sent_messages: sentMsgs,
      acked_messages: Number(halted.sent),
      catch_up_s: round(((timeToReach(catchUp.series, catchUp.final) ?? catchUp.lastGrowthAt) - t0) / 1000, 1),
      history_stats: stats?.history ?? null,
      publish_rate_per_s: round((Number(after.published) - Number(before.published)) / (usage.wallMs / 1000), 1),
      broker_cpu_cores: round(brokerCores, 3),
      publisher_cpu_cores: round(publisherCores, 3),
      publish_failed: Number(halted.failed),
      sent_values: sentValues,
      landed_values: landed,
      gateway_readings: stats ? Number(stats.totalReadings) : null,
      history_buffered_max: lagSamples.length ? Math.max(...lagSamples) : null,
      source: 'bench MQTT publisher (QoS 1, one topic per device, JSON of 20 fields), not the simulators',
    };
  } finally {
    if (pub) await pub.stop();
    await gw.child.stop();
    await dropDatabase(ctx.influx.url, db);
  }
}

