/**
 * Feeding a broker and measuring who consumes it: a counting subscriber (the broker's ceiling),
 * or a consumer whose points are traced as they land in InfluxDB (gateway, Node-RED).
 */
import type { FieldSpec } from '../children/publisher.js';
import { CpuWindow } from '../lib/cpu.js';
import { traceLanding } from '../lib/influx.js';
import { round, sleep, timeToReach } from '../lib/stats.js';
import type { BenchContext, BrokerPath } from './context.js';

export interface CeilingRun {
  perS: number;
  /** Counter CPU µs per message. */
  cpuUs: number;
  lost: number;
  brokerCpuUs: number;
  publisherCpuUs: number;
}

/** Counting subscriber on `broker`: messages/s and its CPU µs per message. */
export async function mqttCeiling(ctx: BenchContext, broker: BrokerPath, qos: 0 | 1, n: number, fields: FieldSpec[]): Promise<CeilingRun> {
  const topic = `bench/count/q${qos}`;
  const counter = ctx.child('counter.ts', `counter-q${qos}-${broker.name}`, { env: { BENCH_ARGS: JSON.stringify({ url: broker.url, topic, qos }) } });
  await counter.next('ready', 30_000);
  const pub = await ctx.publisher(`pub-count-q${qos}-${broker.name}`, broker.url, { mode: 'burst', topic, qos, count: n, fields, tsBase: Date.now(), window: qos ? 1000 : 2000 });
  try {
    const cpu = new CpuWindow(counter.pid).start();
    const brokerCpu = new CpuWindow(broker.pid).start();
    const pubCpu = new CpuWindow(pub.pid).start();
    let done = false;
    const go = pub.request('go', {}, 300_000).then((m) => ((done = true), m));
    let last = { count: 0, first: 0, last: 0 };
    let lastGrowth = Date.now();
    for (;;) {
      const c = (await counter.request('count')) as unknown as typeof last;
      if (c.count > last.count) lastGrowth = Date.now();
      last = c;
      if (c.count >= n || (done && Date.now() - lastGrowth > 3000) || Date.now() - lastGrowth > 60_000) break;
      await sleep(100);
    }
    const usage = cpu.read();
    const brokerCpuUs = brokerCpu.read().cpuUs / Math.max(1, last.count);
    const publisherCpuUs = pubCpu.read().cpuUs / n;
    const pubDone = (await go) as unknown as { t0: number };
    const seconds = (last.last - pubDone.t0) / 1000;
    return { perS: last.count / seconds, cpuUs: usage.cpuUs / Math.max(1, last.count), lost: n - last.count, brokerCpuUs, publisherCpuUs };
  } finally {
    await Promise.all([pub.stop(), counter.stop()]);
  }
}

export interface FeedRun {
  perS: number | null;
  steadyPerS: number | null;
  landed: number;
  /** Consumer CPU µs over the run. */
  cpuUs: number;
  seconds: number;
  brokerCpuUs: number;
  publisherCpuUs: number;
  publishS: number;
  firstLandedS: number | null;
  cores: Record<string, number>;
}

/** Publish `n` messages to `topic` on `broker` and trace what lands in InfluxDB; CPU of `pid` over the run. */
export async function feedAndTrace(ctx: BenchContext, broker: BrokerPath, o: {
  name: string; topic: string; qos: 0 | 1; n: number; fields: FieldSpec[]; pid: number;
  count: () => Promise<number>; target: number;
}): Promise<FeedRun> {
  // Readings 1 ms apart, the last one dated now: the gateway stamps a reading dated more than its
  // future tolerance (5 s) ahead with its arrival time (docs/design.md §9), and points of one series with
  // equal times overwrite each other in InfluxDB.
  const tsBase = Date.now() - o.n;
  const pub = await ctx.publisher(o.name, broker.url, { mode: 'burst', topic: o.topic, qos: o.qos, count: o.n, fields: o.fields, tsBase, window: o.qos ? 1000 : 2000 });
  try {
    const cpu = new CpuWindow(o.pid).start();
    // An in-process broker is the consumer itself: its CPU is already in the consumer's.
    const brokerCpu = broker.pid === o.pid ? null : new CpuWindow(broker.pid).start();
    const pubCpu = new CpuWindow(pub.pid).start();
    const dbCpu = new CpuWindow(ctx.influx.pid()).start();
    let done = false;
    const t0 = performance.now();
    let publishedAt = 0;
    const go = pub.request('go', {}, 600_000).then(() => {
      publishedAt = performance.now();
      done = true;
    });
    const trace = await traceLanding(o.count, o.target, { intervalMs: 200, idleMs: 8000, firstIdleMs: 20_000, deadlineMs: 300_000, producerDone: () => done });
    const usage = cpu.read();
    const brokerUse = brokerCpu?.read() ?? { cpuUs: 0, cores: 0 };
    const publisherCpuUs = pubCpu.read().cpuUs;
    const dbCores = dbCpu.read().cores;
    await go;
    const tEnd = timeToReach(trace.series, trace.final) ?? trace.lastGrowthAt;
    const seconds = (tEnd - t0) / 1000;
    const t10 = timeToReach(trace.series, 0.1 * o.target);
    const t90 = timeToReach(trace.series, 0.9 * o.target);
    const steady = t10 !== undefined && t90 !== undefined && t90 > t10 ? (0.8 * o.target) / ((t90 - t10) / 1000) : null;
    const first = trace.series.find(([, c]) => c > 0)?.[0];
    return {
      perS: trace.final > 0 ? trace.final / seconds : null, steadyPerS: steady, landed: trace.final, cpuUs: usage.cpuUs, seconds, brokerCpuUs: brokerUse.cpuUs, publisherCpuUs,
      publishS: (publishedAt - t0) / 1000, firstLandedS: first === undefined ? null : (first - t0) / 1000,
      // Where the two cores went during the run: the consumer, the broker and the database.
      cores: { consumer: round(usage.cores, 2), broker: round(brokerUse.cores, 2), influxd: round(dbCores, 2) },
    };
  } finally {
    await pub.stop();
  }
}
