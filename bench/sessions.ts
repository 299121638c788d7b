/**
 * `npx tsx bench/sessions.ts [--rounds 5] [--messages 50000]`: what the site broker's persistent-
 * session queue (broker/sessions.ts) costs against aedes' stock in-memory persistence, on the path
 * the gateway uses: a clean = false QoS 1 subscriber that keeps up, one QoS 1 publisher, loopback.
 * Interleaved rounds (bench/lib/rounds.ts), each contender on a fresh broker; msgs/s from the first
 * publish to the last message received. The stock contender is measured without a reconnect: the
 * duplicates it sends across one (broker/README.md) do not happen here.
 */
import { createServer, type AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { SessionPersistence } from '../broker/sessions.js';
import { interleave, ratioPerRound, showSpread, spreadOf } from './lib/rounds.js';

const { values: flags } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, messages: { type: 'string', default: '50000' } } });
const ROUNDS = Math.max(1, Number(flags.rounds));
const N = Math.max(1000, Number(flags.messages));
const WINDOW = 500; // QoS 1 publishes in flight

async function run(persistent: 'stock' | 'sessions'): Promise<number> {
  const sessions = persistent === 'sessions' ? new SessionPersistence(1_000_000, () => undefined) : null;
  const broker = await Aedes.createBroker(sessions
    ? { persistence: sessions, authorizeForward: (c, p) => (sessions.forwardLive(c, p) ? p : null) }
    : {});
  const server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sub = await mqtt.connectAsync(url, { clientId: 'bench-persistent-sub', clean: false, protocolVersion: 4 });
  const pub = await mqtt.connectAsync(url, { clientId: 'bench-pub', protocolVersion: 4 });
  try {
    await sub.subscribeAsync('bench/sessions', { qos: 1 });
    let got = 0;
    const all = new Promise<void>((r) => sub.on('message', () => ++got === N && r()));
    const t0 = performance.now();
    for (let sent = 0; sent < N; sent += WINDOW) {
      const batch: Promise<unknown>[] = [];
      for (let i = sent; i < Math.min(N, sent + WINDOW); i++) batch.push(pub.publishAsync('bench/sessions', String(i), { qos: 1 }));
      await Promise.all(batch);
    }
    await all;
    return Math.round(N / ((performance.now() - t0) / 1000));
  } finally {
    await pub.endAsync();
    await sub.endAsync();
    await new Promise<void>((r) => broker.close(() => r()));
    server.close();
  }
}

const results = await interleave(ROUNDS, { stock: () => run('stock'), sessions: () => run('sessions') }, (name, round, x, err) =>
  console.error(`round ${round} ${name}: ${x === null ? `failed: ${String(err)}` : `${x.toLocaleString('en-US')} msgs/s`}`));
const ratio = ratioPerRound(results.sessions!, results.stock!);
console.log(`${N.toLocaleString('en-US')} QoS 1 messages to a clean = false subscriber, ${ROUNDS} interleaved rounds (median, min–max):`);
console.log(`  aedes stock persistence   ${showSpread(spreadOf(results.stock!), ' msgs/s')}`);
console.log(`  broker/sessions.ts        ${showSpread(spreadOf(results.sessions!), ' msgs/s')}`);
console.log(`  sessions ÷ stock          ${showSpread(ratio, '×')}  per round ${ratio.per_round.join(', ')}`);
