/**
 * The three JetStream streams between estates and head office, and each estate's durable command
 * consumer (docs/design.md §7). Head office calls these at start; both are idempotent and safe to run
 * from several processes at once (a lost creation race turns into an update to the same config).
 *
 * - Events (`estate.*.events.>`): limits retention, no max age by default: the stream is the
 *   replayable record head office can rebuild from. When `max_bytes` is reached new events are
 *   refused (discard new), never old ones dropped: a refused publish stays in the estate's
 *   outbox and is sent later, so a full stream delays events instead of losing them.
 * - Rollups (`estate.*.rollups`): limits retention, 7 days, discard old: a dropped minute is a
 *   hole in a chart, and a full stream must not hold back fresh telemetry.
 * - Commands (`estate.*.commands`): work-queue retention. Each command is a task for exactly one
 *   estate, read through that estate's own durable consumer (filters never overlap), and deleted
 *   when the estate acks it, so the stream only holds what is still to be applied, however long
 *   an estate stays offline. The record of commands sent is head office's audit table, and the
 *   estate answers each with a `command.applied`/`command.refused` event. (Limits retention would
 *   keep a copy, but then storage grows with every command ever sent.) A work-queue stream
 *   refuses a second consumer over the same estate's subject, which is also what we want.
 *
 * Duplicate window: JetStream drops a message whose `Nats-Msg-Id` it has seen within the window.
 * 2 h (default) covers an estate resending what was in flight when its link dropped, after any
 * realistic reconnect. Longer windows cost memory on every replica (one entry per message id in
 * the window: ~100 B × message rate × window); at the planned scale (events rare, rollups a few
 * messages per estate per minute) 2 h is a few tens of MB at most. A resend after a longer
 * outage gets past JetStream and is dropped by head office's unique key on the event id.
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ClusterInfo,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { SITE_ID_PATTERN, Streams, Subjects } from '../../gateway/core/envelope.js';

/** Milliseconds to the nanoseconds JetStream configs use. */
const nanos = (ms: number): number => Math.round(ms * 1_000_000);
const GiB = 1024 ** 3;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** JetStream API error codes used below (nats-server `errors.json`). */
const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;
const CONSUMER_NOT_FOUND = 10014;

export interface EnsureStreamsOptions {
  /** Replicas per stream: 3 in production, 1 for a single-node dev server. */
  replicas?: number;
  /** Duplicate window of events, ms (default 2 h). */
  eventsDuplicateWindowMs?: number;
  /** Max age of events, ms; 0 keeps them until `eventsMaxBytes` (default 0). */
  eventsMaxAgeMs?: number;
  /** Size limit of the events stream; new events are refused beyond it (default 8 GiB). */
  eventsMaxBytes?: number;
  /** Max age of rollups, ms (default 7 d). */
  rollupsMaxAgeMs?: number;
  /** Duplicate window of rollups, ms (default 2 h). */
  rollupsDuplicateWindowMs?: number;
  /** Size limit of the rollups stream; oldest minutes dropped beyond it (default 48 GiB). */
  rollupsMaxBytes?: number;
  /** Duplicate window of commands, ms (default 2 h). */
  commandsDuplicateWindowMs?: number;
  /** Size limit of the commands stream; new commands refused beyond it (default 1 GiB). */
  commandsMaxBytes?: number;
  /** Largest accepted message, bytes (default 1 MiB, nats-server's default max_payload). */
  maxMsgSize?: number;
  /** How long to keep trying to create each stream and wait for its leader, ms (default 30 s). */
  readyTimeoutMs?: number;
}

export interface EnsuredStreams {
  events: StreamInfo;
  rollups: StreamInfo;
  commands: StreamInfo;
}

export type StreamSpec = Pick<
  StreamConfig,
  'name' | 'subjects' | 'description' | 'retention' | 'storage' | 'num_replicas' | 'duplicate_window' | 'max_age' | 'max_bytes' | 'max_msg_size' | 'discard'
>;

/** The stream configurations `ensureStreams` applies (exported for inspection and docs). */
export function streamConfigs(opts: EnsureStreamsOptions = {}): { events: StreamSpec; rollups: StreamSpec; commands: StreamSpec } {
  const replicas = opts.replicas ?? 3;
  const maxMsgSize = opts.maxMsgSize ?? 1024 * 1024;
  const rollupsMaxAge = opts.rollupsMaxAgeMs ?? 7 * DAY;
  const rollupsWindow = Math.min(opts.rollupsDuplicateWindowMs ?? 2 * HOUR, rollupsMaxAge);
  const eventsMaxAge = opts.eventsMaxAgeMs ?? 0;
  const eventsWindow = eventsMaxAge > 0 ? Math.min(opts.eventsDuplicateWindowMs ?? 2 * HOUR, eventsMaxAge) : opts.eventsDuplicateWindowMs ?? 2 * HOUR;
  return {
    events: {
      name: Streams.events,
      subjects: [Subjects.allEvents],
      description: 'Estate events (alarms, orders, ledger, command answers), numbered per estate',
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: replicas,
      duplicate_window: nanos(eventsWindow),
      max_age: nanos(eventsMaxAge),
      max_bytes: opts.eventsMaxBytes ?? 8 * GiB,
      max_msg_size: maxMsgSize,
      discard: DiscardPolicy.New,
    },
    rollups: {
      name: Streams.rollups,
      subjects: [Subjects.allRollups],
      description: '1-minute telemetry rollups per estate',
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: replicas,
      duplicate_window: nanos(rollupsWindow),
      max_age: nanos(rollupsMaxAge),
      max_bytes: opts.rollupsMaxBytes ?? 48 * GiB,
      max_msg_size: maxMsgSize,
      discard: DiscardPolicy.Old,
    },
    commands: {
      name: Streams.commands,
      subjects: [Subjects.allCommands],
      description: 'Head-office commands, one durable consumer per estate',
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: replicas,
      duplicate_window: nanos(opts.commandsDuplicateWindowMs ?? 2 * HOUR),
      max_age: 0,
      max_bytes: opts.commandsMaxBytes ?? 1 * GiB,
      max_msg_size: maxMsgSize,
      discard: DiscardPolicy.New,
    },
  };
}

const isTimeout = (err: unknown): boolean => err instanceof Error && err.name === 'TimeoutError';

/** True when a field of `want` has another value in `have` (arrays compared element by element). */
function differs(want: object, have: object): boolean {
  const h = have as Record<string, unknown>;
  return Object.entries(want).some(([k, v]) => {
    const cur = h[k];
    if (Array.isArray(v)) return !Array.isArray(cur) || cur.length !== v.length || v.some((x, i) => cur[i] !== x);
    return v !== undefined && cur !== v;
  });
}

/**
 * Poll `lookup` until the stream or consumer has a leader. A new replicated stream or consumer
 * exists before its leader is elected; until then publishes find no responder and pull requests
 * are dropped without an answer.
 */
async function untilLed<T extends { cluster?: ClusterInfo }>(lookup: () => Promise<T>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Without a leader the info request may go unanswered: a timeout is "not yet" too.
    const info = await lookup().catch((err: unknown) => {
      if (isTimeout(err) && Date.now() < deadline) return null;
      throw err;
    });
    if (info && (!info.cluster || info.cluster.leader)) return info;
    if (Date.now() > deadline) throw new Error(`${what} has no leader after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function apiCode(err: unknown): number | null {
  return err instanceof JetStreamApiError ? err.code : null;
}

/**
 * Run `create`; if the resource shows up through `lookup` first (made by another process), resolve
 * with that instead. nats-server 2.9 can leave one of two concurrent creations of the same stream
 * or consumer unanswered until the request times out, so a lost race is detected by looking.
 */
async function createOrFind<T>(create: () => Promise<T>, lookup: () => Promise<T | null>, pollMs = 250): Promise<{ created: boolean; value: T }> {
  let done = false;
  const creating = create().then((value) => ({ created: true, value }));
  creating.catch(() => undefined);
  const appearing = (async (): Promise<{ created: boolean; value: T }> => {
    for (;;) {
      await new Promise((r) => setTimeout(r, pollMs));
      if (done) return new Promise<never>(() => undefined);
      const found = await lookup().catch(() => null);
      if (found !== null) return { created: false, value: found };
    }
  })();
  try {
    return await Promise.race([creating, appearing]);
  } finally {
    done = true;
  }
}

/**
 * Create the stream, or update it to `spec` when it exists (also when another process just made
 * it). While a new stream has no leader its info requests can go unanswered: such a timeout is
 * retried until `timeoutMs`.
 */
async function ensureStream(jsm: JetStreamManager, spec: StreamSpec, timeoutMs: number): Promise<void> {
  const { name, retention: _r, storage: _s, ...updatable } = spec;
  const deadline = Date.now() + timeoutMs;
  const lookup = () => jsm.streams.info(name).catch((err: unknown) => (apiCode(err) === STREAM_NOT_FOUND ? null : Promise.reject(err)));
  for (;;) {
    try {
      let info = await lookup();
      if (!info) {
        const res = await createOrFind(() => jsm.streams.add(spec), lookup);
        if (res.created) return;
        info = res.value; // made by another process meanwhile: converge on our config
      }
      if (info.config.retention !== spec.retention || info.config.storage !== spec.storage) {
        throw new Error(
          `stream ${name} exists with retention ${info.config.retention}/storage ${info.config.storage}; ` +
            `${spec.retention}/${spec.storage} is needed and cannot be changed in place`,
        );
      }
      // Only a real change is proposed: a restart of head office with the same options changes nothing.
      if (differs(updatable, info.config)) await jsm.streams.update(name, updatable);
      return;
    } catch (err) {
      const retry = (isTimeout(err) || apiCode(err) === STREAM_NAME_IN_USE) && Date.now() < deadline;
      if (!retry) throw err;
    }
  }
}

/** Create or update the events, rollups and commands streams; resolves once each has a leader. */
export async function ensureStreams(jsm: JetStreamManager, opts: EnsureStreamsOptions = {}): Promise<EnsuredStreams> {
  const specs = streamConfigs(opts);
  const timeout = opts.readyTimeoutMs ?? 30_000;
  const one = async (spec: StreamSpec) => {
    await ensureStream(jsm, spec, timeout);
    return untilLed(() => jsm.streams.info(spec.name), `stream ${spec.name}`, timeout);
  };
  return { events: await one(specs.events), rollups: await one(specs.rollups), commands: await one(specs.commands) };
}

export interface CommandConsumerOptions {
  /** How long a fetched command may stay unacked before it is redelivered, ms (default 30 s). */
  ackWaitMs?: number;
  /** Deliveries before JetStream gives up on a command; -1 is unlimited (default). */
  maxDeliver?: number;
  /** How long to wait for the consumer to have a leader, ms (default 30 s). */
  readyTimeoutMs?: number;
}

/**
 * The durable consumer an estate reads its commands from. The estate and head office must use
 * the same config: creating an existing durable with an identical config is a no-op, a
 * different one is an update.
 */
export function commandConsumerConfig(site: string, opts: CommandConsumerOptions = {}): Partial<ConsumerConfig> {
  if (!new RegExp(SITE_ID_PATTERN).test(site)) throw new Error(`site id ${JSON.stringify(site)} does not match ${SITE_ID_PATTERN}`);
  const name = Subjects.commandConsumer(site);
  return {
    name,
    durable_name: name,
    description: `Commands for estate ${site}`,
    filter_subject: Subjects.command(site),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(opts.ackWaitMs ?? 30_000),
    max_deliver: opts.maxDeliver ?? -1,
    max_ack_pending: 1000,
  };
}

/**
 * Create (or converge) an estate's durable command consumer on the commands stream; resolves once
 * the consumer has a leader, i.e. once the estate's pull requests are answered.
 */
export async function ensureCommandConsumer(jsm: JetStreamManager, site: string, opts: CommandConsumerOptions = {}): Promise<ConsumerInfo> {
  const cfg = commandConsumerConfig(site, opts);
  const name = Subjects.commandConsumer(site);
  const lookup = () => jsm.consumers.info(Streams.commands, name).catch((err: unknown) => (apiCode(err) === CONSUMER_NOT_FOUND ? null : Promise.reject(err)));
  const existing = await lookup();
  if (!existing) {
    const res = await createOrFind(() => jsm.consumers.add(Streams.commands, cfg), lookup);
    // Made by another process at the same moment: apply our config over it if it differs.
    if (!res.created && differs(cfg, res.value.config)) await jsm.consumers.add(Streams.commands, cfg);
  } else if (differs(cfg, existing.config)) {
    await jsm.consumers.add(Streams.commands, cfg);
  }
  return untilLed(() => jsm.consumers.info(Streams.commands, name), `consumer ${name}`, opts.readyTimeoutMs ?? 30_000);
}
