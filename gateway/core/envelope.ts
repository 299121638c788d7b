/**
 * The contract between an estate and head office (docs/design.md §7, docs/head-office.md): what an
 * estate publishes (events, telemetry rollups), what head office sends back (commands), and on
 * which NATS JetStream subjects. Both tiers import this file; it depends on nothing.
 *
 * - Events are written to the estate's outbox in the same SQLite transaction as the state change
 *   they describe, numbered per estate (`seq` 1, 2, 3 … with no holes), and published in that
 *   order with `Nats-Msg-Id = id`, so a resend inside the stream's duplicate window is dropped by
 *   JetStream and any later one by head office's unique key on `id`.
 * - Rollups are 1-minute min/mean/max/count per numeric point; not numbered (a lost minute is a
 *   hole in a chart, not a hole in the record), deduplicated by `id` = `<site>:r:<minute>:<part>`.
 * - `data` of an alarm or order event is the Alarm or WorkOrder (core/model.ts) with its `site`, and,
 *   for a device of the site, the device's `equipment` type (gateway/storage/outbox.ts); head office
 *   takes the type as optional, since older estates do not send it.
 * - Commands go the other way; the estate applies each once (keyed by `id`) and answers with a
 *   `command.applied` or `command.refused` event.
 */

/** Version of the envelope and of every `data` shape below; bump on an incompatible change. */
export const ENVELOPE_SCHEMA = 1;

/** Estate ids are the site ids of the config: lowercase letters, digits, `-` and `_`, usable as a subject token. */
export const SITE_ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,31}$';

export type SiteEventType =
  | 'alarm.raised'
  | 'alarm.changed'
  | 'order.created'
  | 'order.changed'
  | 'order.ledger'
  | 'order.escalated'
  | 'site.status'
  | 'command.applied'
  | 'command.refused';

export interface SiteEvent<T = unknown> {
  /** Unique company-wide: `<site>:<seq>`. Also the JetStream `Nats-Msg-Id`. */
  id: string;
  site: string;
  /** 1, 2, 3 … per estate, no holes: a gap at head office means a lost event. */
  seq: number;
  type: SiteEventType;
  schema: number;
  /** When the state change was committed at the estate, epoch ms. */
  at: number;
  data: T;
}

/** One point's minute at one device. */
export interface RollupRow {
  device: string;
  /** Equipment type of the device (`pump`, `elevator`, …): trend comparisons across estates group by it. */
  equipment: string;
  point: string;
  /** Start of the minute, epoch ms (a multiple of 60 000). */
  minute: number;
  min: number;
  mean: number;
  max: number;
  count: number;
}

export interface RollupBatch {
  /** `<site>:r:<minute>:<part>`; the JetStream `Nats-Msg-Id`. */
  id: string;
  site: string;
  schema: number;
  minute: number;
  rows: RollupRow[];
}

/** What head office may ask an estate to do. The estate stays the only writer of its orders. */
export type SiteCommand =
  | {
      kind: 'create-request';
      /** An owner's call to the company hotline, taken by the service desk. */
      title: string;
      category: string;
      device?: string | null;
      fault?: string;
      description?: string;
    }
  | { kind: 'assign'; order: string; assignee: string }
  | { kind: 'transition'; order: string; to: string; note?: string };

export interface CommandEnvelope {
  /** Unique company-wide (a UUID made by head office); the estate applies each id once. */
  id: string;
  site: string;
  schema: number;
  at: number;
  /** Head-office user who sent it. */
  actor: string;
  command: SiteCommand;
}

/** Subjects and streams (all three streams are replicated on 3 nodes). */
export const Streams = {
  events: 'ESTATE_EVENTS',
  rollups: 'ESTATE_ROLLUPS',
  commands: 'ESTATE_COMMANDS',
} as const;

export const Subjects = {
  /** `estate.<site>.events.<type>`; the stream takes `estate.*.events.>`. */
  event: (site: string, type: SiteEventType) => `estate.${site}.events.${type}`,
  eventsOf: (site: string) => `estate.${site}.events.>`,
  allEvents: 'estate.*.events.>',
  rollup: (site: string) => `estate.${site}.rollups`,
  allRollups: 'estate.*.rollups',
  command: (site: string) => `estate.${site}.commands`,
  allCommands: 'estate.*.commands',
  /** The durable consumer an estate reads its commands from. */
  commandConsumer: (site: string) => `cmd-${site}`,
  /** The estate's own reply-inbox prefix (its credentials may subscribe only there). */
  inbox: (site: string) => `_INBOX_${site}`,
} as const;

/** The site a subject belongs to (`estate.<site>.…`), or null. Head office checks it against the envelope. */
export function siteOfSubject(subject: string): string | null {
  const m = /^estate\.([^.]+)\./.exec(subject);
  return m ? m[1]! : null;
}

/** An estate as it names itself: `site` is the config's `site.id`, `code` goes into order numbers. */
export interface Estate {
  site: string;
  /** Upper-case letters and digits, unique in the company: `WO-<code>-YYYYMMDD-NNNN`. */
  code: string;
}

/**
 * Where repositories record the events of their state changes. The estate's outbox implements it
 * (gateway/storage/outbox.ts); `append` runs inside the caller's SQLite transaction, so the event
 * exists exactly when the change does.
 */
export interface EventLog {
  append(type: SiteEventType, data: object): void;
}

/** The event log of a gateway without an uplink: nothing is recorded. */
export const NO_EVENT_LOG: EventLog = { append() {} };

/** `demo-site` → `DEMOSITE` (at most 12 characters): the default estate code. */
export function defaultEstateCode(site: string): string {
  return site.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 12) || 'SITE';
}
