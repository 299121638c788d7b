/**
 * Commands from head office to an estate (create a request taken by the hotline, assign,
 * transition). The estate stays the only writer of its orders: head office records the command,
 * publishes a CommandEnvelope on the estate's subject with `Nats-Msg-Id = id`, and learns the
 * outcome from the estate's `command.applied` / `command.refused` event (ingest/state.ts).
 *
 * 1. `sendCommand` inserts a `pending` row first, then publishes; `published_at` is set once
 *    JetStream acknowledged the message. The commands stream keeps it until the estate reads it,
 *    however long the estate is offline.
 * 2. When NATS is unreachable the row stays unpublished; the republisher loop sends every pending
 *    row without `published_at` again. A row published twice is dropped by JetStream's duplicate
 *    window, and any later copy by the estate's own record of applied command ids.
 */
import { randomUUID } from 'node:crypto';
import { ENVELOPE_SCHEMA, Subjects, type CommandEnvelope, type SiteCommand } from '../gateway/core/envelope.js';
import type { Logger } from '../gateway/core/log.js';
import type { Db } from './db/pool.js';

export type CommandStatus = 'pending' | 'applied' | 'refused';

export interface CommandView {
  id: string;
  site: string;
  kind: SiteCommand['kind'];
  command: SiteCommand;
  actor: string;
  status: CommandStatus;
  code: string | null;
  reason: string | null;
  orderId: string | null;
  orderNumber: string | null;
  createdAt: number;
  publishedAt: number | null;
  answeredAt: number | null;
}

/** Publishes one message to JetStream and resolves once the stream stored it. */
export interface CommandPublisher {
  publish(subject: string, payload: string, msgId: string): Promise<void>;
}

export const COMMAND_COLUMNS = `id::text AS id, site, kind, payload AS command, actor, status, code, reason, order_id AS "orderId",
  order_number AS "orderNumber", created_at AS "createdAt", published_at AS "publishedAt", answered_at AS "answeredAt"`;

export class CommandDesk {
  private stopRepublisher: (() => Promise<void>) | null = null;

  constructor(
    private readonly pool: Db,
    /** The current publisher, or null while NATS is not connected. */
    private readonly publisher: () => CommandPublisher | null,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores the command as pending and publishes it; published or not, the row is returned. */
  async sendCommand(site: string, command: SiteCommand, actor: string): Promise<CommandView> {
    const id = randomUUID();
    const at = this.now();
    await this.pool.query(
      'INSERT INTO commands (id, site, kind, payload, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [id, site, command.kind, JSON.stringify(command), actor, at],
    );
    await this.publishOne({ id, site, schema: ENVELOPE_SCHEMA, at, actor, command });
    return (await this.get(id))!;
  }

  async get(id: string): Promise<CommandView | undefined> {
    const { rows } = await this.pool.query<CommandView>(`SELECT ${COMMAND_COLUMNS} FROM commands WHERE id = $1`, [id]);
    return rows[0];
  }

  /** Publishes pending commands never acknowledged by JetStream; returns how many went out. */
  async republishPending(olderThanMs = 5000, limit = 500): Promise<number> {
    const { rows } = await this.pool.query<{ id: string; site: string; at: number; actor: string; command: SiteCommand }>(
      `SELECT id::text AS id, site, created_at AS at, actor, payload AS command FROM commands
       WHERE published_at IS NULL AND status = 'pending' AND created_at <= $1 ORDER BY created_at LIMIT $2`,
      [this.now() - olderThanMs, limit],
    );
    let sent = 0;
    for (const r of rows) {
      if (!(await this.publishOne({ id: r.id, site: r.site, schema: ENVELOPE_SCHEMA, at: r.at, actor: r.actor, command: r.command }))) break;
      sent++;
    }
    return sent;
  }

  startRepublisher(everyMs = 5000): void {
    if (this.stopRepublisher) return;
    let running: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      running = running.then(() => this.republishPending()).then(
        (n) => n && this.log.info({ commands: n }, 'pending commands published after NATS came back'),
        (err: unknown) => this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'command republish failed; retrying'),
      );
    }, everyMs);
    timer.unref();
    this.stopRepublisher = async () => {
      clearInterval(timer);
      await running;
    };
  }

  async stop(): Promise<void> {
    await this.stopRepublisher?.();
    this.stopRepublisher = null;
  }

  private async publishOne(env: CommandEnvelope): Promise<boolean> {
    const pub = this.publisher();
    if (!pub) return false;
    try {
      await pub.publish(Subjects.command(env.site), JSON.stringify(env), env.id);
    } catch (err) {
      this.log.warn({ command: env.id, site: env.site, err: err instanceof Error ? err.message : String(err) }, 'command not published yet; the republisher retries');
      return false;
    }
    await this.pool.query('UPDATE commands SET published_at = $2 WHERE id = $1 AND published_at IS NULL', [env.id, this.now()]);
    return true;
  }
}
