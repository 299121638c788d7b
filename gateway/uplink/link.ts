/**
 * The estate's link to head office over NATS JetStream (docs/design.md §7, ./README.md):
 * - drains the outbox in seq order: publishes with `Nats-Msg-Id = event id` (a resend is dropped
 *   by JetStream, and later by head office's unique key), marks the acknowledged prefix as sent,
 *   and on any failure starts again from the first unacknowledged event, after a growing pause;
 * - drains the rollup batches the same way;
 * - reads its own commands from its durable consumer and applies each once (./commands.ts).
 * The gateway never waits for it: with head office unreachable, state changes and events are
 * committed locally and wait in the outbox on disk.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, AckPolicy, DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { Backoff } from '../core/backoff.js';
import { Streams, Subjects, type CommandEnvelope } from '../core/envelope.js';
import type { Logger } from '../core/log.js';
import type { UplinkConfig } from '../config/uplink.js';
import type { Outbox } from '../storage/outbox.js';
import type { CommandApplier } from './commands.js';

export interface UplinkStats {
  connected: boolean;
  published: number;
  rollupsPublished: number;
  publishErrors: number;
  /** Seq of the last event head office acknowledged (this run). */
  ackedSeq: number;
  commands: { applied: number; refused: number; duplicates: number };
}

const WINDOW = 128;
/** Retries of a publish or a consumer: 250 ms doubling up to 10 s, ±25 %. */
const RETRY = { initial: 250, max: 10_000 };

export class UplinkLink {
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  /** Events after this seq are sent next; 0 = from the oldest unsent one. */
  private cursor = 0;
  /** A replay re-sends every retained event up to this seq, sent or not. */
  private replayUpTo = 0;
  private readonly loops: Promise<void>[] = [];
  readonly stats: UplinkStats;

  constructor(
    private readonly config: UplinkConfig,
    private readonly site: string,
    private readonly outbox: Outbox,
    private readonly commands: CommandApplier,
    private readonly log: Logger,
  ) {
    const c = commands;
    this.stats = {
      connected: false, published: 0, rollupsPublished: 0, publishErrors: 0, ackedSeq: 0,
      get commands() { return { applied: c.applied, refused: c.refused, duplicates: c.duplicates }; },
    };
  }

  /** Connects in the background (never throws; retries for ever) and starts the loops. */
  start(): void {
    this.loops.push(this.run());
  }

  /** New events or rollups are waiting: send them now rather than at the next poll. */
  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /** Sends every retained event again from seq 1, sent or not (head office ignores what it has). */
  replay(): number {
    this.replayUpTo = this.outbox.backlog().lastSeq;
    this.cursor = 0;
    this.wake();
    return this.replayUpTo;
  }

  private async run(): Promise<void> {
    try {
      this.nc = await connect({
        servers: this.config.servers, user: this.config.user, pass: this.config.password, name: `estate-${this.site}`,
        inboxPrefix: Subjects.inbox(this.site), maxReconnectAttempts: -1, reconnectTimeWait: 1000, waitOnFirstConnect: true,
        pingInterval: 10_000, ignoreClusterUpdates: !this.config.discover,
      });
    } catch (err) {
      if (!this.stopped) this.log.error({ err: String(err) }, 'uplink: cannot connect to head office');
      return;
    }
    if (this.stopped) { await this.nc.close(); return; }
    this.stats.connected = true;
    this.log.info({ server: this.nc.getServer() }, 'uplink connected to head office');
    this.js = jetstream(this.nc, { timeout: 10_000 });
    void this.watchStatus(this.nc);
    await Promise.all([this.eventLoop(), this.rollupLoop(), this.commandLoop()]);
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') { this.stats.connected = false; this.log.warn('uplink: disconnected from head office; events wait in the outbox'); }
      if (s.type === 'reconnect') { this.stats.connected = true; this.log.info('uplink: reconnected to head office'); this.wake(); }
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.wakeUp = null; resolve(); }, ms);
      t.unref();
      this.wakeUp = () => { clearTimeout(t); resolve(); };
    });
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
  }

  private async eventLoop(): Promise<void> {
    const backoff = new Backoff(RETRY);
    while (!this.stopped) {
      try {
        await this.sendEvents(backoff);
      } catch (err) {
        // A local failure (the database busy, say): the events stay in the outbox; try again.
        this.stats.publishErrors++;
        this.log.error({ err: String(err) }, 'uplink: cannot read or mark the outbox; retrying');
        await this.pause(backoff.next());
      }
    }
  }

  /** One round of the event loop: `backoff` grows on a failed publish and resets on success. */
  private async sendEvents(backoff: Backoff): Promise<void> {
    const replaying = this.replayUpTo > this.cursor;
    const batch = this.outbox.next(this.cursor, WINDOW, replaying);
    if (!batch.length) {
      this.replayUpTo = 0;
      await this.idle(1000);
      return;
    }
    const results = await Promise.allSettled(batch.map((e) =>
      this.js!.publish(Subjects.event(this.site, e.type), JSON.stringify(e), { msgID: e.id, timeout: 10_000 })));
    let acked = this.cursor;
    for (let i = 0; i < batch.length && results[i]!.status === 'fulfilled'; i++) acked = batch[i]!.seq;
    if (acked > this.cursor) {
      this.outbox.markSent(acked);
      this.stats.published += batch.findIndex((e) => e.seq === acked) + 1;
      this.stats.ackedSeq = Math.max(this.stats.ackedSeq, acked);
      this.cursor = acked;
    }
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      this.stats.publishErrors++;
      this.log.warn({ err: String((failed as PromiseRejectedResult).reason), from: this.cursor + 1 }, 'uplink: publish failed; resending from the first unacknowledged event');
      await this.pause(backoff.next());
      return;
    }
    backoff.reset();
  }

  private async rollupLoop(): Promise<void> {
    const backoff = new Backoff(RETRY);
    while (!this.stopped) {
      try {
        const batches = this.outbox.nextRollups(16);
        if (!batches.length) { await this.pause(1000); continue; }
        for (const b of batches) {
          await this.js!.publish(Subjects.rollup(this.site), JSON.stringify(b), { msgID: b.id, timeout: 10_000 });
          this.outbox.markRollupSent(b.id);
          this.stats.rollupsPublished++;
        }
        backoff.reset();
      } catch (err) {
        this.stats.publishErrors++;
        this.log.warn({ err: String(err) }, 'uplink: rollup publish failed; retrying');
        await this.pause(backoff.next());
      }
    }
  }

  private async commandLoop(): Promise<void> {
    const name = Subjects.commandConsumer(this.site);
    const backoff = new Backoff({ ...RETRY, initial: 500 });
    while (!this.stopped) {
      try {
        const consumer = await this.js!.consumers.get(Streams.commands, name).catch(async (err: unknown) => {
          // Head office creates each estate's consumer; create it ourselves if it has not yet.
          const jsm = await jetstreamManager(this.nc!);
          await jsm.consumers.add(Streams.commands, {
            durable_name: name, filter_subject: Subjects.command(this.site), ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All, ack_wait: 30_000_000_000,
          }).catch(() => { throw err; });
          return this.js!.consumers.get(Streams.commands, name);
        });
        while (!this.stopped) {
          const msgs = await consumer.fetch({ max_messages: 32, expires: 5_000 });
          for await (const m of msgs) {
            let env: CommandEnvelope | null = null;
            try { env = m.json<CommandEnvelope>(); } catch { /* refused below */ }
            if (!env || typeof env.id !== 'string') {
              this.log.warn({ subject: m.subject }, 'uplink: unreadable command dropped');
            } else this.commands.apply(env);
            m.ack();
          }
          backoff.reset();
        }
      } catch (err) {
        if (this.stopped) return;
        this.log.warn({ err: String(err) }, 'uplink: command consumer unavailable; retrying');
        await this.pause(backoff.next());
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    const nc = this.nc;
    if (nc && !nc.isClosed()) await nc.close().catch(() => undefined);
    await Promise.race([Promise.allSettled(this.loops), this.pause(2000)]);
  }
}
