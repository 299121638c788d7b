/**
 * The head-office tier under failure, with real processes only (docs/design.md §7, docs/head-office.md):
 * 5 estate gateways (fire panels over MQTT, uplinks through TCP relays), a 3-node NATS JetStream
 * cluster, 2 head-office processes and PostgreSQL. After each failure, while faults are raised
 * and orders move, head office must end up holding exactly what every estate holds: each event
 * once (count = distinct seqs = the estate's last seq = the watermark), every order and alarm in
 * the same state. ThingsBoard Edge users report sync that stalls after reconnects and events stuck
 * after one failure (thingsboard-edge #57, #147; thingsboard #7491): each case below is one of those.
 */
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Streams, Subjects, type SiteEvent } from '../../gateway/core/envelope.js';
import { waitFor } from '../../tools/wait.js';
import { converged, estateState, faultBurst, hqState, moveOrders, startCompany, type Company } from './harness.js';

const SITES = [
  { site: 'riverside', code: 'RIV' }, { site: 'harbour', code: 'HBR' }, { site: 'hillside', code: 'HIL' },
  { site: 'lakeside', code: 'LAK' }, { site: 'parkview', code: 'PRK' },
];
let company: Company;

beforeAll(async () => {
  company = await startCompany(SITES, 6);
  await converged(company);
}, 240_000);

afterAll(async () => {
  await company?.stop();
}, 60_000);

const everywhere = (fn: (i: number) => Promise<unknown>) => Promise.all(company.estates.map((_, i) => fn(i)));

describe('head office loses no event and applies none twice', () => {
  it('one NATS node killed during a fault burst', async () => {
    const burst = everywhere((i) => faultBurst(company.estates[i]!, 12));
    const node = company.cluster.nodes[1]!;
    await node.kill('SIGKILL');
    await burst;
    await everywhere((i) => moveOrders(company.estates[i]!));
    const sites = await converged(company);
    expect(sites.every((s) => s.events > 0)).toBe(true);
    await node.restart();
  });

  it('a head-office process SIGKILLed mid-batch', async () => {
    const [victim] = company.hqs;
    const total = async () => Number((await company.db.query<{ n: string }>('SELECT COUNT(*) AS n FROM events')).rows[0]!.n);
    const before = await total();
    const burst = everywhere((i) => faultBurst(company.estates[i]!, 40));
    // Kill it once the burst is flowing into head office, while both processes take batches.
    await waitFor(async () => (await total()) > before + 40, { what: 'the burst reaching head office', timeout: 60_000, interval: 20 });
    await victim!.kill('SIGKILL');
    const atKill = await total();
    await burst;
    expect(company.estates.reduce((n, e) => n + estateState(e).last, 0)).toBeGreaterThan(atKill);
    await everywhere((i) => moveOrders(company.estates[i]!));
    await converged(company); // the survivor gets the unacknowledged messages after ack_wait
    company.hqs.splice(0, 1);
    await company.startHq();
  }, 240_000);

  it("an estate's uplink cut while faults are raised and orders move, then restored: everything arrives, in order", async () => {
    const harbour = company.estates[1]!;
    const relays = company.proxies.get('harbour')!;
    const before = await hqState(company.db, 'harbour');
    for (const r of relays) r.cut();
    await faultBurst(harbour, 20);
    await moveOrders(harbour);
    await moveOrders(harbour);
    const cut = estateState(harbour);
    // The estate kept working: its orders moved and its outbox holds what head office has not got.
    expect(cut.unsent).toBeGreaterThan(40);
    expect(cut.orders.filter((o) => o.status === 'dispatched').length).toBeGreaterThan(0);
    const uplink = await harbour.api<{ connected: boolean; backlog: { events: number } }>('GET', '/api/uplink');
    expect(uplink.body).toMatchObject({ connected: false });
    expect(uplink.body.backlog.events).toBe(cut.unsent);
    expect((await hqState(company.db, 'harbour')).watermark).toBe(before.watermark);
    for (const r of relays) r.restore();
    await converged(company);
    // In order: the stream holds harbour's events in seq order, each once.
    const nc = await connect({ servers: company.cluster.urls, user: company.cluster.hqCredentials.user, pass: company.cluster.hqCredentials.pass });
    try {
      const js = jetstream(nc);
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(Streams.events, { subjects_filter: Subjects.eventsOf('harbour') });
      const oc = await js.consumers.get(Streams.events, { filter_subjects: Subjects.eventsOf('harbour') });
      const seqs: number[] = [];
      const total = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
      const msgs = await oc.fetch({ max_messages: total, expires: 5000 });
      for await (const m of msgs) {
        seqs.push(m.json<SiteEvent>().seq);
        if (seqs.length === total) break;
      }
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      expect(seqs.length).toBe(estateState(harbour).last);
    } finally {
      await nc.close();
    }
  }, 240_000);

  it('PostgreSQL crashed during a burst, then restarted', async () => {
    await company.pg.kill();
    // The estates keep working and head office keeps taking messages it cannot store yet.
    await everywhere((i) => faultBurst(company.estates[i]!, 10));
    const health = (await (await fetch(`${company.hqs[0]!.url}/api/health`)).json()) as { status: string };
    expect(health.status).not.toBe('ok');
    await company.pg.restart();
    await everywhere((i) => moveOrders(company.estates[i]!));
    await converged(company);
  }, 240_000);

  it('an estate replaying its whole outbox twice', async () => {
    const hillside = company.estates[2]!;
    const before = await hqState(company.db, 'hillside');
    for (let round = 0; round < 2; round++) {
      const r = await hillside.api<{ replayUpTo: number }>('POST', '/api/uplink/replay');
      expect(r.status).toBe(202);
      expect(r.body.replayUpTo).toBe(before.events);
      await waitFor(async () => {
        const s = await hillside.api<{ published: number }>('GET', '/api/uplink');
        return s.body.published >= before.events * (round + 1);
      }, { what: 'the replay to be published', timeout: 60_000 });
    }
    await faultBurst(hillside, 3);
    const after = await converged(company);
    const h = await hqState(company.db, 'hillside');
    expect(h.events).toBe(after.find((s) => s.site === 'hillside')!.events);
    expect(h.orders).toEqual(estateState(hillside).orders);
  }, 240_000);
});

describe('commands from head office', () => {
  const desk = (path: string, body: unknown) => fetch(`${company.hqs[0]!.url}${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${company.deskToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const command = async (id: string) => (await (await fetch(`${company.hqs[0]!.url}/api/commands/${id}`, {
    headers: { authorization: `Bearer ${company.deskToken}` } })).json()) as { status: string; reason: string | null; orderId: string | null };

  it('a request for an estate that is offline waits and is applied once when it returns; a refusal comes back visibly', async () => {
    const lakeside = company.estates[3]!;
    await lakeside.stop();
    const res = await desk('/api/sites/lakeside/requests', { title: 'Owner call: water leaking in lobby B', category: 'water', description: 'hotline' });
    expect(res.status, await res.clone().text()).toBe(202);
    const { command: sent } = (await res.json()) as { command: { id: string; status: string } };
    expect(sent.status).toBe('pending');
    expect((await command(sent.id)).status).toBe('pending');
    await lakeside.restart();
    const applied = await waitFor(async () => { const c = await command(sent.id); return c.status === 'applied' && c; }, { what: 'the request applied at lakeside', timeout: 60_000 });
    const orders = estateState(lakeside).orders.filter((o) => o.id === applied.orderId);
    expect(orders).toHaveLength(1);
    // An illegal transition is refused by the estate, and head office shows the reason.
    await waitFor(async () => (await hqState(company.db, 'lakeside')).orders.some((o) => o.id === applied.orderId), { what: 'the new order at head office', timeout: 30_000 });
    const bad = await desk(`/api/orders/${applied.orderId}/transition`, { to: 'closed' });
    expect(bad.status).toBe(202);
    const refusedId = ((await bad.json()) as { command: { id: string } }).command.id;
    const refused = await waitFor(async () => { const c = await command(refusedId); return c.status === 'refused' && c; }, { what: 'the refusal', timeout: 60_000 });
    expect(refused.reason).toMatch(/new to closed/);
    await converged(company);
  }, 240_000);
});
