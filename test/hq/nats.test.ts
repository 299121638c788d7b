/**
 * The head-office NATS tier against a real 3-node nats-server 2.9 cluster: R3 streams with
 * deduplication, an estate's permissions (its own subjects and command consumer only), and one
 * node killed and restarted while estates publish.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, PermissionViolationError, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Streams, Subjects, ENVELOPE_SCHEMA, type CommandEnvelope, type SiteEvent } from '../../gateway/core/envelope.js';
import { commandConsumerConfig, ensureCommandConsumer, ensureStreams, type EnsureStreamsOptions } from '../../hq/nats/streams.js';
import { startNatsCluster, type NatsCluster } from '../../tools/nats.js';
import { waitFor } from '../../tools/wait.js';

const NORTH = 'north-1';
const SOUTH = 'south';
const MiB = 1024 * 1024;
/** Small limits: every node reserves each stream's max_bytes against its 1 GB file store. */
const STREAM_OPTS: EnsureStreamsOptions = { eventsMaxBytes: 64 * MiB, rollupsMaxBytes: 64 * MiB, commandsMaxBytes: 16 * MiB };

let cluster: NatsCluster;
let hq: NatsConnection;
let hqJsm: JetStreamManager;
const opened: NatsConnection[] = [];

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

function siteEvent(site: string, seq: number): SiteEvent {
  return { id: `${site}:${seq}`, site, seq, type: 'alarm.raised', schema: ENVELOPE_SCHEMA, at: Date.now(), data: { alarm: `a${seq}` } };
}

async function estateConnection(site: string): Promise<NatsConnection> {
  const nc = await connect({
    servers: cluster.urls,
    ...cluster.estateCredentials(site),
    inboxPrefix: Subjects.inbox(site),
    name: `estate ${site}`,
    timeout: 2000,
    reconnectTimeWait: 200,
    maxReconnectAttempts: -1,
  });
  opened.push(nc);
  return nc;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^$(){}|[\]\\]/g, '\\$&');

/** Messages of `stream` stored under `subject`. */
async function storedOn(stream: string, subject: string): Promise<number> {
  const info = await hqJsm.streams.info(stream, { subjects_filter: subject });
  return Object.values(info.state.subjects ?? {}).reduce((a, n) => a + n, 0);
}

beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 3, estates: [NORTH, SOUTH] });
  hq = await connect({ servers: cluster.urls, ...cluster.hqCredentials, name: 'hq', reconnectTimeWait: 200, maxReconnectAttempts: -1 });
  hqJsm = await jetstreamManager(hq, { timeout: 5000 });
  // Two head-office processes starting at once converge on the same streams and consumers.
  const otherJsm = await jetstreamManager(hq, { timeout: 5000 });
  await Promise.all([ensureStreams(hqJsm, STREAM_OPTS), ensureStreams(otherJsm, STREAM_OPTS)]);
  await Promise.all([NORTH, SOUTH, NORTH].map((site) => ensureCommandConsumer(hqJsm, site)));
}, 60_000);

afterAll(async () => {
  await Promise.all([...opened, hq].filter(Boolean).map((nc) => nc.close().catch(() => undefined)));
  await cluster?.stop();
});

describe('head-office NATS cluster', () => {
  it('creates the three streams R3 and stores a message published twice with one msgID once', async () => {
    for (const name of Object.values(Streams)) {
      const info = await hqJsm.streams.info(name);
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas ?? []).toHaveLength(2);
    }
    expect((await hqJsm.streams.info(Streams.commands)).config.retention).toBe('workqueue');
    // Running it again (a restart of head office) is a no-op update.
    await ensureStreams(hqJsm, STREAM_OPTS);

    const js = jetstream(hq);
    const ev = siteEvent(SOUTH, 1);
    const subj = Subjects.event(SOUTH, ev.type);
    const first = await js.publish(subj, enc(ev), { msgID: ev.id });
    const again = await js.publish(subj, enc(ev), { msgID: ev.id });
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(first.seq);
    expect(await storedOn(Streams.events, subj)).toBe(1);
  });

  it('lets an estate publish its own events with acks and fetch and ack its own commands', async () => {
    const nc = await estateConnection(NORTH);
    const js = jetstream(nc, { timeout: 3000 });
    const ev = siteEvent(NORTH, 1);
    const ack = await js.publish(Subjects.event(NORTH, ev.type), enc(ev), { msgID: ev.id });
    expect(ack.stream).toBe(Streams.events);
    const rollupAck = await js.publish(Subjects.rollup(NORTH), enc({ id: `${NORTH}:r:0:0`, site: NORTH, schema: ENVELOPE_SCHEMA, minute: 0, rows: [] }), {
      msgID: `${NORTH}:r:0:0`,
    });
    expect(rollupAck.stream).toBe(Streams.rollups);

    // The estate may (re)create its own durable with the shared config: a no-op here.
    const estateJsm = await jetstreamManager(nc, { timeout: 3000 });
    await estateJsm.consumers.add(Streams.commands, commandConsumerConfig(NORTH));

    const cmd: CommandEnvelope = {
      id: 'c0ffee00-0000-4000-8000-000000000001',
      site: NORTH,
      schema: ENVELOPE_SCHEMA,
      at: Date.now(),
      actor: 'desk',
      command: { kind: 'create-request', title: 'Lift stuck', category: 'elevator' },
    };
    await jetstream(hq).publish(Subjects.command(NORTH), enc(cmd), { msgID: cmd.id });

    const consumer = await js.consumers.get(Streams.commands, Subjects.commandConsumer(NORTH));
    const batch = await consumer.fetch({ max_messages: 1, expires: 5000 });
    const got: CommandEnvelope[] = [];
    for await (const m of batch) {
      got.push(m.json<CommandEnvelope>());
      await m.ackAck();
    }
    expect(got.map((c) => c.id)).toEqual([cmd.id]);
    // Work queue: an acked command is gone from the stream.
    await waitFor(async () => (await storedOn(Streams.commands, Subjects.command(NORTH))) === 0, { what: 'acked command removed' });
  });

  it("refuses an estate another estate's subjects and stream administration", async () => {
    const nc = await estateConnection(NORTH);
    const js = jetstream(nc, { timeout: 2000 });
    const jsm = await jetstreamManager(nc, { timeout: 2000 });

    const refused = (subject: string) => new RegExp(`Permissions Violation for Publish to "${escapeRegExp(subject)}"`);

    const southSubj = Subjects.event(SOUTH, 'order.created');
    const before = await storedOn(Streams.events, Subjects.eventsOf(SOUTH));
    const forged = { ...siteEvent(SOUTH, 99), type: 'order.created' as const };
    await expect(js.publish(southSubj, enc(forged), { msgID: forged.id })).rejects.toThrow(refused(southSubj));
    await expect(js.publish(Subjects.rollup(SOUTH), enc({ id: 'x' }), { msgID: `${SOUTH}:r:1:0` })).rejects.toThrow(refused(Subjects.rollup(SOUTH)));
    expect(await storedOn(Streams.events, Subjects.eventsOf(SOUTH))).toBe(before);
    expect(await storedOn(Streams.rollups, Subjects.rollup(SOUTH))).toBe(0);

    // Subscriptions outside its inbox are refused by the server.
    for (const subject of [Subjects.command(SOUTH), Subjects.eventsOf(SOUTH), Subjects.command(NORTH), 'estate.>', '_INBOX.>', `${Subjects.inbox(SOUTH)}.>`]) {
      const sub = nc.subscribe(subject);
      const closed = await sub.closed;
      expect(closed, subject).toBeInstanceOf(PermissionViolationError);
    }

    // South's command consumer, or its own consumer name over south's commands.
    await jetstream(hq).publish(Subjects.command(SOUTH), enc({ id: 'south-cmd' }), { msgID: 'south-cmd' });
    const southConsumer = Subjects.commandConsumer(SOUTH);
    await expect(js.consumers.get(Streams.commands, southConsumer)).rejects.toThrow(refused(`$JS.API.CONSUMER.INFO.${Streams.commands}.${southConsumer}`));
    await expect(
      jsm.consumers.add(Streams.commands, { ...commandConsumerConfig(NORTH), filter_subject: Subjects.command(SOUTH) }),
    ).rejects.toThrow(/Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.CREATE\./);
    // Nor turn its pull consumer into a push consumer delivering into another estate's subject.
    await expect(
      jsm.consumers.add(Streams.commands, { ...commandConsumerConfig(NORTH), deliver_subject: Subjects.event(SOUTH, 'alarm.raised') }),
    ).rejects.toThrow();
    expect((await hqJsm.consumers.info(Streams.commands, Subjects.commandConsumer(NORTH))).config.deliver_subject).toBeUndefined();
    expect(await storedOn(Streams.commands, Subjects.command(SOUTH))).toBe(1);

    // No stream administration.
    await expect(jsm.streams.add({ name: 'ROGUE', subjects: ['rogue.>'] })).rejects.toThrow(refused('$JS.API.STREAM.CREATE.ROGUE'));
    await expect(jsm.streams.delete(Streams.events)).rejects.toThrow(refused(`$JS.API.STREAM.DELETE.${Streams.events}`));
    await expect(jsm.streams.purge(Streams.events)).rejects.toThrow(refused(`$JS.API.STREAM.PURGE.${Streams.events}`));
    await expect(hqJsm.streams.info('ROGUE')).rejects.toThrow(/not found/i);
    expect((await hqJsm.streams.info(Streams.events)).state.messages).toBeGreaterThan(0);

    // Without its inbox prefix an estate cannot receive its publish acks (the event may still be
    // stored, but the estate never learns it and resends: harmless, and a wiring error to catch).
    const bare = await connect({ servers: cluster.urls, ...cluster.estateCredentials(NORTH), timeout: 2000 });
    opened.push(bare);
    await expect(jetstream(bare, { timeout: 2000 }).publish(Subjects.event(NORTH, 'site.status'), enc({}))).rejects.toThrow(
      /Permissions Violation for Subscription to "_INBOX\./,
    );
    expect(nc.isClosed()).toBe(false);
  });

  it('keeps acked publishing working with one node killed, and the node rejoins after restart', async () => {
    const nc = await estateConnection(NORTH);
    const js = jetstream(nc, { timeout: 3000 });
    const connectedTo = nc.info?.server_name;
    const victim = cluster.nodes.find((n) => n.name === connectedTo) ?? cluster.nodes[0]!;
    const before = await storedOn(Streams.events, Subjects.eventsOf(NORTH));

    await victim.kill('SIGKILL');
    expect(victim.isRunning()).toBe(false);

    // Resend each event until acked (what the outbox does); msgID makes resends harmless.
    const sent = 20;
    for (let seq = 100; seq < 100 + sent; seq++) {
      const ev = siteEvent(NORTH, seq);
      const ack = await waitFor(() => js.publish(Subjects.event(NORTH, ev.type), enc(ev), { msgID: ev.id }), {
        timeout: 20_000,
        interval: 200,
        what: `ack for ${ev.id} with ${victim.name} down`,
      });
      expect(ack.stream).toBe(Streams.events);
    }
    expect(nc.info?.server_name).not.toBe(victim.name);
    expect(await storedOn(Streams.events, Subjects.eventsOf(NORTH))).toBe(before + sent);

    await victim.restart();
    expect(victim.pid).toBeGreaterThan(0);
    await waitFor(
      async () => {
        const info = await hqJsm.streams.info(Streams.events);
        const peers = [info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)];
        const replicasCurrent = (info.cluster?.replicas ?? []).every((r) => r.current && !r.offline);
        return peers.includes(victim.name) && replicasCurrent && info.state.messages > 0;
      },
      { timeout: 20_000, interval: 200, what: `${victim.name} current again in ${Streams.events}` },
    );
    const ev = siteEvent(NORTH, 200);
    const ack = await js.publish(Subjects.event(NORTH, ev.type), enc(ev), { msgID: ev.id });
    expect(ack.duplicate).toBe(false);
  });
});
