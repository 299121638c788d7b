/**
 * Bench child: MQTT load. Env BENCH_ARGS:
 * - `{"mode":"burst","url","topic","qos","count","fields","tsBase","window"}`: on `go`, publish
 *   `count` JSON messages as fast as the broker takes them (at most `window` unacknowledged),
 *   each `{"ts": tsBase + i, <fields numeric fields>}`; answers `go` when all are handed over.
 * - `{"mode":"scale","url","qos","devices","fields","hz","topicPrefix"}`: on `go`, every device
 *   publishes `fields` numeric fields at `hz`, spread evenly over the period, until `halt`.
 */
import mqtt from 'mqtt';
import { serveParent, toParent } from '../lib/proc.js';

interface BurstArgs { mode: 'burst'; url: string; topic: string; qos: 0 | 1; count: number; fields: FieldSpec[]; tsBase: number; window: number }
interface ScaleArgs { mode: 'scale'; url: string; qos: 0 | 1; devices: number; fields: FieldSpec[]; hz: number; topicPrefix: string }
const args = JSON.parse(process.env.BENCH_ARGS ?? '{}') as BurstArgs | ScaleArgs;

const client = mqtt.connect(args.url, { clientId: `bench-pub-${process.pid}`, clean: true, reconnectPeriod: 1000, protocolVersion: 4 });
client.on('error', (err) => process.stderr.write(`publisher: ${err.message}\n`));
await new Promise<void>((resolve) => client.once('connect', () => resolve()));
// mqtt.js adds one 'drain' listener per publication waiting on a full socket.
client.stream.setMaxListeners(0);

/** Field name and base value: numbers wobble by up to ±1 % around it, booleans stay as they are. */
export type FieldSpec = [name: string, base: number | boolean];

/** The caller picks base values that trip no alarm rule; the wobble keeps values changing. */
function payload(fields: readonly FieldSpec[], ts: number, i: number): string {
  let s = `{"ts":${ts}`;
  for (let k = 0; k < fields.length; k++) {
    const [name, base] = fields[k]!;
    const v = typeof base === 'boolean' ? String(base) : String(Math.round(base * (1 + (((i * 7 + k * 13) % 21) - 10) / 1000) * 1000) / 1000);
    s += `,"${name}":${v}`;
  }
  return `${s}}`;
}

let sent = 0;
let failed = 0;
let published = 0;
let halted = false;
let scaleTimer: NodeJS.Timeout | undefined;

async function burst(a: BurstArgs): Promise<{ sent: number; failed: number; t0: number; t1: number }> {
  const t0 = Date.now();
  let inFlight = 0;
  let i = 0;
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (inFlight < a.window && i < a.count) {
        const n = i++;
        inFlight++;
        published++;
        client.publish(a.topic, payload(a.fields, a.tsBase + n, n), { qos: a.qos }, (err) => {
          inFlight--;
          if (err) failed++;
          else sent++;
          if (i < a.count) {
            if (inFlight < a.window / 2) pump();
          } else if (inFlight === 0) resolve();
        });
      }
    };
    pump();
  });
  return { sent, failed, t0, t1: Date.now() };
}

function scale(a: ScaleArgs): void {
  // Ticks of 10 ms; each tick publishes the devices whose slot falls in it.
  const periodMs = 1000 / a.hz;
  const tickMs = 10;
  const topics = Array.from({ length: a.devices }, (_, d) => `${a.topicPrefix}/dev-${String(d + 1).padStart(4, '0')}/telemetry`);
  const start = Date.now();
  let nextDevice = 0; // devices published in the current period
  let period = 0;
  let seq = 0;
  const tick = () => {
    if (halted) return;
    const now = Date.now();
    const elapsed = now - start;
    const currentPeriod = Math.floor(elapsed / periodMs);
    // Catch up a whole period when behind.
    while (period < currentPeriod) {
      while (nextDevice < a.devices) publishOne(nextDevice++);
      period++;
      nextDevice = 0;
    }
    const due = Math.min(a.devices, Math.floor(((elapsed - period * periodMs) / periodMs) * a.devices));
    while (nextDevice < due) publishOne(nextDevice++);
  };
  const publishOne = (d: number) => {
    const n = seq++;
    published++;
    client.publish(topics[d]!, payload(a.fields, Date.now(), n), { qos: a.qos }, (err) => {
      if (err) failed++;
      else sent++;
    });
  };
  scaleTimer = setInterval(tick, tickMs);
}

serveParent(
  {
    go: async () => {
      if (args.mode === 'burst') return burst(args);
      scale(args);
      return { started: Date.now() };
    },
    halt: async () => {
      halted = true;
      if (scaleTimer) clearInterval(scaleTimer);
      // Let outstanding QoS 1 publications be acknowledged.
      const deadline = Date.now() + 5000;
      while (sent + failed < published && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      return { sent, failed, published };
    },
    count: () => ({ sent, failed, published }),
  },
  () => client.endAsync(),
);
toParent({ type: 'ready' });
