/**
 * Bench child: MQTT load. Env BENCH_ARGS:
 * - `{"mode":"burst","url","topic","qos","count","fields","tsBase","window"}`: on `go`, publish
 *   `count` JSON messages as fast as the broker takes them (at most `window` unacknowledged),
 *   each `{"ts": tsBase + i, <fields numeric fields>}`; answers `go` when all are handed over
 *   (QoS 0: written to the socket; QoS 1: acknowledged). The packets are encoded before `ready`
 *   and written raw in chunks (tools/mqtt-wire.ts), so the publisher is never the bottleneck.
 * - `{"mode":"scale","url","qos","devices","fields","hz","topicPrefix"}`: on `go`, every device
 *   publishes `fields` numeric fields at `hz`, spread evenly over the period, until `halt`.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import mqtt from 'mqtt';
import { connectPacket, PacketReader, publishPacket } from '../../tools/mqtt-wire.js';
import { serveParent, toParent } from '../lib/proc.js';

interface BurstArgs { mode: 'burst'; url: string; topic: string; qos: 0 | 1; count: number; fields: FieldSpec[]; tsBase: number; window: number }
interface ScaleArgs { mode: 'scale'; url: string; qos: 0 | 1; devices: number; fields: FieldSpec[]; hz: number; topicPrefix: string }
const args = JSON.parse(process.env.BENCH_ARGS ?? '{}') as BurstArgs | ScaleArgs;

/** Scale mode: an mqtt.js client (a steady 1 Hz load, no need for speed). */
const client = args.mode === 'scale' ? mqtt.connect(args.url, { clientId: `bench-pub-${process.pid}`, clean: true, reconnectPeriod: 1000, protocolVersion: 4 }) : null;
if (client) {
  client.on('error', (err) => process.stderr.write(`publisher: ${err.message}\n`));
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
}

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

/** Burst mode: pre-encoded PUBLISH packets in chunks of `CHUNK` messages, written raw. */
const CHUNK = 100;
let raw: { sock: Socket; chunks: Buffer[]; onAck: (n: number) => void } | undefined;
if (args.mode === 'burst') {
  const url = new URL(args.url);
  const topic = Buffer.from(args.topic);
  const chunks: Buffer[] = [];
  for (let c = 0; c < args.count; c += CHUNK) {
    const parts: Buffer[] = [];
    for (let n = c; n < Math.min(args.count, c + CHUNK); n++) {
      parts.push(publishPacket(topic, Buffer.from(payload(args.fields, args.tsBase + n, n)), args.qos, (n % 65535) + 1));
    }
    chunks.push(Buffer.concat(parts));
  }
  const sock = tcpConnect({ host: url.hostname, port: Number(url.port || 1883), noDelay: true });
  sock.on('error', (err) => process.stderr.write(`publisher: ${err.message}\n`));
  const holder = { sock, chunks, onAck: (_n: number) => {} };
  let connacked: () => void = () => {};
  const connected = new Promise<void>((resolve) => (connacked = resolve));
  const reader = new PacketReader((type, body) => {
    if (type === 2 && body[1] === 0) connacked();
    else if (type === 2) process.stderr.write(`publisher: CONNACK refused, code ${body[1]}\n`);
    else if (type === 4) holder.onAck(1);
  });
  sock.on('data', (d: Buffer) => reader.push(d));
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  sock.write(connectPacket(`bench-pub-${process.pid}`));
  await connected;
  raw = holder;
}

async function burst(a: BurstArgs): Promise<{ sent: number; failed: number; t0: number; t1: number }> {
  const r = raw!;
  const t0 = Date.now();
  // QoS 1 packet ids wrap at 65,535: never more than that in flight.
  const window = a.qos ? Math.min(a.window, 60_000) : Infinity;
  let acked = 0;
  let next = 0;
  let written = 0;
  let draining = false;
  await new Promise<void>((resolve, reject) => {
    r.sock.once('error', reject);
    const pump = () => {
      while (next < r.chunks.length) {
        const msgs = Math.min(CHUNK, a.count - next * CHUNK);
        if (a.qos && written + msgs - acked > window) return; // wait for PUBACKs
        const ok = r.sock.write(r.chunks[next++]!);
        written += msgs;
        published = written;
        if (!ok) {
          draining = true;
          r.sock.once('drain', () => {
            draining = false;
            pump();
          });
          return;
        }
      }
      if (!a.qos) r.sock.write(Buffer.alloc(0), () => resolve());
    };
    r.onAck = (n) => {
      acked += n;
      sent = acked;
      if (acked >= a.count) resolve();
      else if (!draining && next < r.chunks.length && written - acked <= window / 2) pump();
    };
    pump();
  });
  if (!a.qos) sent = a.count;
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
    client!.publish(topics[d]!, payload(a.fields, Date.now(), n), { qos: a.qos }, (err) => {
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
  async () => {
    raw?.sock.destroy();
    await client?.endAsync();
  },
);
toParent({ type: 'ready' });
