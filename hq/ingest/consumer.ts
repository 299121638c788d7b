/**
 * Pull consumers of head office: durable `hq-events` on the events stream and `hq-rollups` on
 * the rollups stream, shared by every head-office process (each fetch hands a message to one
 * process; add processes to scale). Each loop fetches up to `batch` events (`rollupBatch` rollups),
 * parses them, applies what has arrived in ONE PostgreSQL transaction without waiting for the
 * fetch to fill, and acknowledges them only after the commit:
 *  - a message that cannot be parsed or fails the checks is stored in `rejected` and acked;
 *  - on a PostgreSQL failure every message is nak-ed with a delay and comes back: nothing lost;
 *  - a batch refused by PostgreSQL for its data (constraint, type) is split and applied message
 *    by message, so one poison message is rejected alone instead of blocking the stream;
 *  - a process killed mid-batch never acks: JetStream redelivers after `ack_wait` and the
 *    idempotent apply makes the second delivery harmless.
 */
import { AckPolicy, DeliverPolicy, JetStreamApiError, type Consumer, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { Streams, type RollupBatch, type SiteEvent } from '../../gateway/core/envelope.js';
import type { Logger } from '../../gateway/core/log.js';
import { withClient, type Db } from '../db/pool.js';
import type { ConsumerLag, HqMetrics } from '../metrics.js';
import { applyEvents } from './apply.js';
import { applyRollups } from './rollups.js';
import { parseEvent, parseRollup, type Parsed, type Rejection } from './validate.js';
import { Backoff } from '../../gateway/core/backoff.js';

export const DURABLES = { events: 'hq-events', rollups: 'hq-rollups' } as const;
const CONSUMER_NOT_FOUND = 10014;
const nanos = (ms: number) => Math.round(ms * 1_000_000);

export interface ConsumerOptions {
  /** Event messages per fetch (default 500). */
  batch?: number;
  /**
   * Rollup messages per fetch (default 25): a batch of 2,000 rows is ~300 KiB, so 25 are ~8 MB and
   * 50,000 rows in one transaction; 500 would be 150 MB in one fetch, one process and one statement.
   */
  rollupBatch?: number;
  /**
   * Messages of a fetch are applied as they arrive: what has arrived when no other message follows
   * within this many ms goes into one transaction (default 20). Under a backlog messages come back
   * to back and batches stay large; at a trickle an event does not wait for the fetch to expire.
   */
  lingerMs?: number;
  /** How long a fetch waits for more messages, ms (default and minimum 1000, a JetStream client limit): the idle latency. */
  expiresMs?: number;
  /** Redelivery delay after a PostgreSQL failure, ms (default 2000). */
  nakDelayMs?: number;
  /** Ack wait of the durable consumers, ms (default 30 000). */
  ackWaitMs?: number;
}

/** Creates the durable consumer when missing. Safe from several processes at once. */
export async function ensureDurable(jsm: JetStreamManager, stream: string, durable: string, ackWaitMs = 30_000): Promise<void> {
  const exists = () => jsm.consumers.info(stream, durable).then(() => true, (err: unknown) => {
    if (err instanceof JetStreamApiError && err.code === CONSUMER_NOT_FOUND) return false;
    throw err;
  });
  if (await exists()) return;
  try {
    await jsm.consumers.add(stream, {
      durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ackWaitMs), max_ack_pending: 20_000, max_deliver: -1,
    });
  } catch (err) {
    // Another process may have won the race (or the answer was lost): look again.
    if (!(await exists())) throw err;
  }
}

/** PostgreSQL SQLSTATE classes caused by the data rather than the server: 22 data exception, 23 integrity, 42 syntax/type. */
function dataError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23|42)/.test(code);
}

interface Item<T> {
  msg: JsMsg;
  parsed: Parsed<T>;
}

type Applier<T> = (pool: Db, values: T[], rejects: Rejection[]) => Promise<void>;

class PullLoop<T> {
  private stopped = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly name: string,
    private readonly consumer: Consumer,
    private readonly parse: (m: JsMsg) => Parsed<T>,
    private readonly apply: Applier<T>,
    private readonly pool: Db,
    private readonly metrics: HqMetrics,
    private readonly log: Logger,
    private readonly opts: Required<ConsumerOptions>,
    /** Messages per fetch. */
    private readonly max: number,
  ) {}

  start(): void {
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  async lag(): Promise<ConsumerLag> {
    const i = await this.consumer.info(false);
    return { pending: i.num_pending, ackPending: i.num_ack_pending, redelivered: i.num_redelivered };
  }

  private async run(): Promise<void> {
    const backoff = new Backoff({ initial: 400, max: 5000 });
    while (!this.stopped) {
      try {
        const batch = await this.consumer.fetch({ max_messages: this.max, expires: this.opts.expiresMs });
        await this.applyAsTheyCome(batch[Symbol.asyncIterator]());
        backoff.reset();
      } catch (err) {
        this.log.warn({ consumer: this.name, err: err instanceof Error ? err.message : String(err) }, 'fetch failed; retrying');
        await new Promise((r) => setTimeout(r, backoff.next()));
      }
    }
  }

  /**
   * Applies the messages of one fetch in order, in transactions of what has arrived: a transaction
   * starts once no further message came within `lingerMs` (or the fetch ended). Each message is
   * still acked only after the commit of its transaction.
   */
  private async applyAsTheyCome(it: AsyncIterator<JsMsg>): Promise<void> {
    let msgs: JsMsg[] = [];
    let next = it.next();
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      let r: IteratorResult<JsMsg> | null;
      try {
        r = msgs.length
          ? await Promise.race([next, new Promise<null>((resolve) => { timer = setTimeout(resolve, this.opts.lingerMs, null); })])
          : await next;
      } catch (err) {
        // The fetch ended with an error: what arrived before it is still applied (and acked) now.
        if (msgs.length) await this.handle(msgs);
        throw err;
      } finally {
        clearTimeout(timer);
      }
      if (r === null) {
        await this.handle(msgs);
        msgs = [];
        continue;
      }
      if (r.done) break;
      msgs.push(r.value);
      next = it.next();
    }
    if (msgs.length) await this.handle(msgs);
  }

  private async handle(msgs: JsMsg[]): Promise<void> {
    const items: Item<T>[] = msgs.map((msg) => ({ msg, parsed: this.parse(msg) }));
    const timer = this.metrics.batchSeconds.startTimer({ stream: this.name });
    try {
      await this.applyItems(items);
      for (const it of items) it.msg.ack();
    } catch (err) {
      if (dataError(err) && items.length > 1) {
        this.log.warn({ consumer: this.name, err: (err as Error).message }, 'batch refused for its data; applying message by message');
        for (const it of items) await this.handleOne(it);
      } else if (dataError(err)) {
        await this.rejectOne(items[0]!, `refused by PostgreSQL: ${(err as Error).message}`);
      } else {
        this.metrics.applyFailures.inc({ stream: this.name });
        this.log.warn({ consumer: this.name, messages: items.length, err: err instanceof Error ? err.message : String(err) }, 'apply failed; messages nak-ed for redelivery');
        for (const it of items) it.msg.nak(this.opts.nakDelayMs);
      }
    } finally {
      timer();
    }
  }

  private async handleOne(it: Item<T>): Promise<void> {
    try {
      await this.applyItems([it]);
      it.msg.ack();
    } catch (err) {
      if (dataError(err)) await this.rejectOne(it, `refused by PostgreSQL: ${(err as Error).message}`);
      else it.msg.nak(this.opts.nakDelayMs);
    }
  }

  private async rejectOne(it: Item<T>, reason: string): Promise<void> {
    const m = it.msg;
    const rejection: Rejection = {
      stream: this.name, subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') ?? null, site: null, reason,
      payload: Buffer.from(m.data).toString('utf8'),
    };
    try {
      await this.apply(this.pool, [], [rejection]);
      this.metrics.rejected.inc({ stream: this.name });
      this.log.warn({ consumer: this.name, subject: m.subject, reason }, 'message rejected');
      m.ack();
    } catch {
      m.nak(this.opts.nakDelayMs);
    }
  }

  private async applyItems(items: Item<T>[]): Promise<void> {
    const values: T[] = [];
    const rejects: Rejection[] = [];
    for (const it of items) {
      if (it.parsed.ok) values.push(it.parsed.value);
      else rejects.push(it.parsed.rejection);
    }
    await this.apply(this.pool, values, rejects);
    if (rejects.length) {
      this.metrics.rejected.inc({ stream: this.name }, rejects.length);
      for (const r of rejects) this.log.warn({ consumer: this.name, subject: r.subject, reason: r.reason }, 'message rejected');
    }
  }
}

export interface Consumers {
  stop(): Promise<void>;
  lag(): Promise<Record<string, ConsumerLag | null>>;
}

/** Ensures both durables and starts one pull loop on each. */
export async function startConsumers(
  deps: { js: JetStreamClient; jsm: JetStreamManager; pool: Db; metrics: HqMetrics; log: Logger },
  options: ConsumerOptions = {},
): Promise<Consumers> {
  const opts: Required<ConsumerOptions> = { batch: 500, rollupBatch: 25, lingerMs: 20, expiresMs: 1000, nakDelayMs: 2000, ackWaitMs: 30_000, ...options };
  opts.expiresMs = Math.max(1000, opts.expiresMs);
  const { js, jsm, pool, metrics, log } = deps;
  await ensureDurable(jsm, Streams.events, DURABLES.events, opts.ackWaitMs);
  await ensureDurable(jsm, Streams.rollups, DURABLES.rollups, opts.ackWaitMs);
  const msgId = (m: JsMsg) => m.headers?.get('Nats-Msg-Id') ?? null;

  const applyEv: Applier<SiteEvent> = (p, values, rejects) => withClient(p, async (client) => {
      const r = await applyEvents(client, values, { rejects, stream: Streams.events });
      for (const [type, n] of Object.entries(r.byType)) metrics.eventsApplied.inc({ type }, n);
      if (r.duplicates) metrics.eventsDuplicate.inc(r.duplicates);
      // Envelopes that failed the checks inside applyEvents (not those parsed as rejected here).
      if (r.rejected > rejects.length) metrics.rejected.inc({ stream: Streams.events }, r.rejected - rejects.length);
  });
  const applyRo: Applier<RollupBatch> = (p, values, rejects) => withClient(p, async (client) => {
      const r = await applyRollups(client, values, { rejects });
      metrics.rollupRows.inc({ result: 'received' }, r.rows);
      metrics.rollupRows.inc({ result: 'inserted' }, r.inserted);
  });

  const events = new PullLoop<SiteEvent>(
    Streams.events, await js.consumers.get(Streams.events, DURABLES.events),
    (m) => parseEvent(Streams.events, m.subject, m.data, msgId(m)), applyEv, pool, metrics, log, opts, opts.batch,
  );
  const rollups = new PullLoop<RollupBatch>(
    Streams.rollups, await js.consumers.get(Streams.rollups, DURABLES.rollups),
    (m) => parseRollup(Streams.rollups, m.subject, m.data, msgId(m)), applyRo, pool, metrics, log, opts, opts.rollupBatch,
  );
  events.start();
  rollups.start();
  return {
    stop: async () => {
      await Promise.all([events.stop(), rollups.stop()]);
    },
    lag: async () => ({
      [DURABLES.events]: await events.lag().catch(() => null),
      [DURABLES.rollups]: await rollups.lag().catch(() => null),
    }),
  };
}
