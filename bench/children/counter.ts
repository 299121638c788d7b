/**
 * Bench child: an MQTT subscriber that only counts (the ceiling of the MQTT path). Env
 * BENCH_ARGS = {"url", "topic", "qos"}. Answers `count` with the count and the time of the
 * first and last message (Date.now()).
 */
import mqtt from 'mqtt';
import { serveParent, toParent } from '../lib/proc.js';

const args = JSON.parse(process.env.BENCH_ARGS ?? '{}') as { url: string; topic: string; qos: 0 | 1 };
let count = 0;
let first = 0;
let last = 0;
const client = mqtt.connect(args.url, { clientId: `bench-count-${process.pid}`, clean: true, reconnectPeriod: 1000, protocolVersion: 4 });
client.on('message', () => {
  last = Date.now();
  if (count++ === 0) first = last;
});
client.on('error', (err) => process.stderr.write(`counter: ${err.message}\n`));
await new Promise<void>((resolve, reject) => {
  client.once('connect', () => client.subscribe(args.topic, { qos: args.qos }, (err) => (err ? reject(err) : resolve())));
});
serveParent(
  {
    count: () => ({ count, first, last }),
    reset: () => {
      count = first = last = 0;
      return {};
    },
  },
  () => client.endAsync(),
);
toParent({ type: 'ready' });
