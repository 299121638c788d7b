/**
 * Commands from head office, applied by the estate (docs/design.md §7: the estate stays the only writer
 * of its orders). Each command is applied exactly once: its id is recorded in `uplink_commands`
 * in the same SQLite transaction as the change and the `command.applied` event, so a redelivery
 * after a lost ack changes nothing. A command the estate refuses (unknown order, illegal
 * transition, a device that already has an open order for the fault) is recorded with a
 * `command.refused` event that carries the coded reason: head office shows it, never silence.
 */
import type { CommandEnvelope, EventLog, SiteCommand } from '../core/envelope.js';
import { GatewayError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { REQUEST_CATEGORIES, WORK_ORDER_STATUSES, type WorkOrder, type WorkOrderStatus } from '../core/model.js';
import type { Db } from '../storage/sqlite.js';
import type { WorkOrderService } from '../workorders/service.js';
import type { Category } from '../config/schema.js';
import { checkAssignee, checkTransition, type PermissionFacts } from '../workorders/permissions.js';
import { migrate } from '../storage/migrations.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS uplink_commands (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, at INTEGER NOT NULL, status TEXT NOT NULL, order_id TEXT, reason TEXT)`;

const CATEGORIES: readonly string[] = REQUEST_CATEGORIES;
const STATUSES: readonly string[] = WORK_ORDER_STATUSES;

export type CommandOutcome = 'applied' | 'refused' | 'duplicate';

export class CommandApplier {
  applied = 0;
  refused = 0;
  duplicates = 0;

  constructor(
    private readonly db: Db,
    private readonly site: string,
    private readonly orders: WorkOrderService,
    private readonly events: EventLog,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** The estate's own permission rules; head office acts with the desk's (dispatcher's) rights. */
    private readonly facts: PermissionFacts | null = null,
  ) {
    migrate(db, 'uplink_commands', [SCHEMA]);
  }

  apply(env: CommandEnvelope): CommandOutcome {
    if (this.db.prepare('SELECT 1 FROM uplink_commands WHERE id = ?').get(env.id)) {
      this.duplicates++;
      return 'duplicate';
    }
    const kind = env.command?.kind ?? 'unknown';
    try {
      this.db.transaction(() => {
        if (env.site !== this.site) throw new GatewayError('GW_ERR_COMMAND_SITE', `command for estate ${env.site} reached ${this.site}`, 400);
        const order = this.run(env.command, `hq:${env.actor}`);
        this.db.prepare('INSERT INTO uplink_commands (id, kind, at, status, order_id) VALUES (?, ?, ?, ?, ?)').run(env.id, kind, this.now(), 'applied', order.id);
        this.events.append('command.applied', { command: env.id, kind, orderId: order.id, number: order.number });
      })();
      this.applied++;
      this.log.info({ command: env.id, kind }, 'head-office command applied');
      return 'applied';
    } catch (err) {
      const code = err instanceof GatewayError ? err.code : 'GW_ERR_COMMAND';
      const reason = err instanceof Error ? err.message : String(err);
      this.db.transaction(() => {
        this.db.prepare('INSERT INTO uplink_commands (id, kind, at, status, reason) VALUES (?, ?, ?, ?, ?)').run(env.id, kind, this.now(), 'refused', reason);
        this.events.append('command.refused', { command: env.id, kind, code, reason });
      })();
      this.refused++;
      this.log.warn({ command: env.id, kind, code, reason }, 'head-office command refused');
      return 'refused';
    }
  }

  private run(c: SiteCommand, actor: string): WorkOrder {
    switch (c.kind) {
      case 'create-request': {
        if (typeof c.title !== 'string' || !c.title.trim()) throw bad('title is required');
        if (!CATEGORIES.includes(c.category)) throw bad(`category must be one of ${CATEGORIES.join(', ')} (got ${String(c.category)})`);
        return this.orders.create({
          device: c.device ?? null, fault: c.fault ?? 'owner_request', category: c.category as Category, title: c.title.slice(0, 200),
          evidence: { request: { channel: 'hotline', takenBy: actor, description: c.description ?? null } },
        }, actor);
      }
      case 'assign':
        if (typeof c.assignee !== 'string' || !c.assignee) throw bad('assignee is required');
        if (this.facts) checkAssignee('assignee', c.assignee, this.facts);
        return this.orders.assign(c.order, c.assignee, actor);
      case 'transition': {
        if (!STATUSES.includes(c.to)) throw bad(`to must be one of ${STATUSES.join(', ')}`);
        const order = this.orders.get(c.order);
        if (order && this.facts) checkTransition({ username: actor, role: 'dispatcher' }, order, { to: c.to as WorkOrderStatus, ...(c.note ? { note: c.note } : {}) }, this.facts);
        return this.orders.transition(c.order, c.to as WorkOrderStatus, actor, c.note ? { note: c.note } : {});
      }
      default:
        throw bad(`unknown command kind ${String((c as { kind?: unknown }).kind)}`);
    }
  }
}

const bad = (why: string) => new GatewayError('GW_ERR_BAD_REQUEST', why, 400);
