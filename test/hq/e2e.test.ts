/**
 * Estates → NATS JetStream (3 nodes) → two head-office processes → PostgreSQL: events published
 * by two estates, some twice, land exactly once while both processes share the durable
 * consumers; an envelope naming another estate is rejected and kept; rollups reach the trends;
 * a service-desk request reaches the estate's command consumer and its answer updates the command.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { hashPassword } from '../../gateway/auth/password.js';
import { Streams, Subjects, type CommandEnvelope, type SiteEvent } from '../../gateway/core/envelope.js';
import { createLogger } from '../../gateway/core/log.js';
import { startHq, type Hq } from '../../hq/app.js';
import { validateHqConfig } from '../../hq/config.js';
import { startNatsCluster, type NatsCluster } from '../../tools/nats.js';
import { startPostgres, type PostgresHandle } from '../../tools/postgres.js';
import { waitFor } from '../../tools/wait.js';
import { T0, alarm, envelope, rollup } from './fixtures.js';

const MiB = 1024 * 1024;
const SITES = ['north', 'south'];
const PER_SITE = 150;
let pgServer: PostgresHandle;
let cluster: NatsCluster;
const hqs: Hq[] = [];
const estates: NatsConnection[] = [];

beforeAll(async () => {
  [pgServer, cluster] = await Promise.all([startPostgres(), startNatsCluster({ estates: SITES })]);
  const config = validateHqConfig({
    http: { host: '127.0.0.1', port: 0 },
    nats: { servers: cluster.urls, user: cluster.hqCredentials.user, password: cluster.hqCredentials.pass, replicas: 3 },
    postgres: { url: pgServer.url },
    estates: SITES.map((s) => ({ site: s, name: `Estate ${s}`, code: s.toUpperCase(), url: `http://${s}.example` })),
    gapGraceSeconds: 1,
    users: [{ username: 'desk', passwordHash: await hashPassword('pw'), role: 'hq-desk' }],
  });
  const opts = {
    log: createLogger('hq-test', process.env.HQ_TEST_LOG ?? 'silent'), tokenSecret: 'x'.repeat(32), dashboardDir: '/nonexistent',
    consumer: { batch: 40, expiresMs: 1000 }, gapCheckEveryMs: 200, republishEveryMs: 200,
    streams: { eventsMaxBytes: 64 * MiB, rollupsMaxBytes: 64 * MiB, commandsMaxBytes: 16 * MiB },
  };
  // Two processes starting at once: migrations, streams and durables are made once.
  hqs.push(...(await Promise.all([startHq(config, opts), startHq(config, opts)])));
  await Promise.all(hqs.map((h) => h.natsReady));
  for (const site of SITES) {
    estates.push(await connect({ servers: cluster.urls, ...cluster.estateCredentials(site), inboxPrefix: Subjects.inbox(site), maxReconnectAttempts: -1 }));
  }
}, 120_000);

afterAll(async () => {
  for (const nc of estates) await nc.close().catch(() => undefined);
  for (const h of hqs) await h.stop().catch(() => undefined);
  await cluster?.stop();
  await pgServer?.stop();
});

const count = async (sql: string) => (await hqs[0]!.pool.query<{ n: number }>(sql)).rows[0]!.n;

describe('head office end to end', () => {
  it('applies every event exactly once with two processes sharing the durable consumer', async () => {
    const publishes: Promise<unknown>[] = [];
    SITES.forEach((site, i) => {
      const js = jetstream(estates[i]!);
      for (let seq = 1; seq <= PER_SITE; seq++) {
        const e: SiteEvent = envelope(site, seq, 'alarm.raised', alarm({ id: `${site}-al-${seq}` }));
        const send = () => js.publish(Subjects.event(site, e.type), JSON.stringify(e), { msgID: e.id });
        publishes.push(send());
        // Every tenth event is sent twice (an outbox replay).
        if (seq % 10 === 0) publishes.push(send());
      }
    });
    await Promise.all(publishes);
    // An estate's envelope claiming another estate: acked, not applied, kept with the reason.
    const forged = envelope('south', 999, 'alarm.raised', alarm({ id: 'forged' }));
    await jetstream(estates[0]!).publish(Subjects.event('north', 'alarm.raised'), JSON.stringify(forged), { msgID: 'forged-1' });

    await waitFor(async () => (await count('SELECT count(*)::int AS n FROM events')) === 2 * PER_SITE && (await count('SELECT count(*)::int AS n FROM rejected')) === 1, { timeout: 30_000, what: 'all events in PostgreSQL' });
    expect(await count('SELECT count(*)::int AS n FROM alarms')).toBe(2 * PER_SITE);
    const { rows } = await hqs[0]!.pool.query('SELECT site, last_seq, watermark FROM estates ORDER BY site');
    expect(rows).toEqual([{ site: 'north', last_seq: PER_SITE, watermark: PER_SITE }, { site: 'south', last_seq: PER_SITE, watermark: PER_SITE }]);
    expect((await hqs[0]!.pool.query('SELECT reason FROM rejected')).rows[0].reason).toContain('differs from the subject');
    // Exactly once across both processes.
    let applied = 0;
    for (const h of hqs) for (const v of (await h.metrics.eventsApplied.get()).values) applied += v.value;
    expect(applied).toBe(2 * PER_SITE);
  });

  it('carries rollups into the trends and a desk request to the estate and back', async () => {
    const m0 = Math.floor(T0 / 3_600_000) * 3_600_000;
    await jetstream(estates[0]!).publish(Subjects.rollup('north'), JSON.stringify(rollup('north', m0, [{ device: 'pump-1', equipment: 'pump', point: 'vibration', min: 1, mean: 2, max: 3, count: 60 }])), { msgID: `north:r:${m0}:0` });
    await waitFor(async () => (await count('SELECT count(*)::int AS n FROM rollups_hourly')) === 1, { what: 'rollup applied' });

    const login = await fetch(`${hqs[1]!.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'desk', password: 'pw' }) });
    const { token } = (await login.json()) as { token: string };
    const res = await fetch(`${hqs[0]!.url}/api/sites/north/requests`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ title: 'Water leak in B2', category: 'water' }),
    });
    expect(res.status).toBe(202);
    const { command } = (await res.json()) as { command: { id: string; publishedAt: number | null } };
    expect(command.publishedAt).not.toBeNull();

    // The estate reads it from its own durable consumer and answers with an event.
    const consumer = await jetstream(estates[0]!).consumers.get(Streams.commands, Subjects.commandConsumer('north'));
    const msg = await consumer.next({ expires: 5000 });
    expect(msg).not.toBeNull();
    const env = msg!.json<CommandEnvelope>();
    expect(env).toMatchObject({ id: command.id, site: 'north', actor: 'desk', command: { kind: 'create-request', title: 'Water leak in B2' } });
    msg!.ack();
    const answer = envelope('north', PER_SITE + 1, 'command.applied', { command: env.id, kind: 'create-request', orderId: 'o-1', number: 'WO-NORTH-20261103-0001' });
    await jetstream(estates[0]!).publish(Subjects.event('north', answer.type), JSON.stringify(answer), { msgID: answer.id });
    await waitFor(async () => {
      const r = await fetch(`${hqs[1]!.url}/api/commands/${command.id}`, { headers: { authorization: `Bearer ${token}` } });
      return ((await r.json()) as { status: string }).status === 'applied';
    }, { timeout: 15_000, what: 'command applied' });

    // A command stored while NATS was unreachable (no published_at) goes out with the republisher.
    const late = '00000000-0000-4000-8000-00000000cafe';
    await hqs[0]!.pool.query(
      `INSERT INTO commands (id, site, kind, payload, actor, created_at) VALUES ($1, 'south', 'assign', $2, 'desk', $3)`,
      [late, JSON.stringify({ kind: 'assign', order: 'o-9', assignee: 'li' }), Date.now() - 60_000],
    );
    const south = await jetstream(estates[1]!).consumers.get(Streams.commands, Subjects.commandConsumer('south'));
    const next = await south.next({ expires: 10_000 });
    expect(next?.json<CommandEnvelope>()).toMatchObject({ id: late, site: 'south', command: { kind: 'assign', order: 'o-9' } });
    next!.ack();
    await waitFor(async () => (await hqs[0]!.pool.query('SELECT published_at FROM commands WHERE id = $1', [late])).rows[0].published_at !== null, { what: 'published_at set' });
  });

  it('rejects a message PostgreSQL refuses without blocking the others, and reports the hole as a gap', async () => {
    const js = jetstream(estates[0]!);
    const seq = PER_SITE + 2;
    // Passes the envelope checks, but a ledger entry's seq must be an integer column value.
    const poison = envelope('north', seq, 'order.ledger', { seq: 1.5, orderId: 'o-1', time: T0, personnel: [], tools: [], result: 'x', safetyMeasures: '', recordedAt: T0, recordedBy: 'li' });
    const after = envelope('north', seq + 1, 'alarm.raised', alarm({ id: 'after-poison' }));
    await js.publish(Subjects.event('north', poison.type), JSON.stringify(poison), { msgID: poison.id });
    await js.publish(Subjects.event('north', after.type), JSON.stringify(after), { msgID: after.id });
    await waitFor(async () => (await count(`SELECT count(*)::int AS n FROM alarms WHERE id = 'after-poison'`)) === 1, { timeout: 15_000, what: 'event after the poison applied' });
    const { rows } = await hqs[0]!.pool.query(`SELECT msg_id, reason FROM rejected WHERE msg_id = $1`, [poison.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].reason).toMatch(/^refused by PostgreSQL: invalid input syntax for type integer/);
    await waitFor(async () => (await hqs[0]!.pool.query(`SELECT from_seq, to_seq FROM gaps WHERE site = 'north' AND closed_at IS NULL`)).rows[0]?.from_seq === seq, { timeout: 15_000, what: 'gap opened' });
  });
});
