/**
 * Work orders raised with no human in the loop: an alarm becomes an order carrying the deadlines
 * of its category's SLA policy; a repeat of the same fault on the same device adds an occurrence
 * to the open order instead of opening another (one open order per device and fault).
 */
import { randomUUID } from 'node:crypto';
import type { Category } from '../config/schema.js';
import { Errors } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Alarm, WorkOrder, WorkOrderStatus } from '../core/model.js';
import { canTransition } from './lifecycle.js';
import type { AuditEntry, WorkOrderRepository } from './repository.js';
import type { SlaBook } from './sla.js';

export type WorkOrderListener = (order: WorkOrder, action: string) => void;

export interface ManualOrder {
  device: string | null;
  fault: string;
  category: Category;
  title: string;
  faultAt?: number;
}

export class WorkOrderService {
  private readonly listeners: WorkOrderListener[] = [];

  constructor(
    private readonly repo: WorkOrderRepository,
    private readonly sla: SlaBook,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  onChange(listener: WorkOrderListener): void {
    this.listeners.push(listener);
  }

  /** Raise (or add an occurrence to) the order for a newly raised alarm. Idempotent per alarm. */
  fromAlarm(alarm: Alarm): WorkOrder {
    const linked = this.repo.orderForAlarm(alarm.id);
    if (linked) return this.repo.get(linked)!;
    const now = this.now();
    const { order, action } = this.repo.transaction(() => {
      const open = this.repo.openFor(alarm.device, alarm.fault);
      if (open) {
        const updated: WorkOrder = { ...open, occurrences: open.occurrences + 1, updatedAt: now };
        this.repo.update(updated);
        this.repo.linkAlarm(open.id, alarm.id, now);
        this.repo.audit(open.id, { ts: now, actor: 'system', action: 'occurrence', from: null, to: null, detail: `alarm ${alarm.id}` });
        return { order: updated, action: 'occurrence' };
      }
      const created = this.build({ device: alarm.device, fault: alarm.fault, category: alarm.category, title: alarm.message, faultAt: alarm.raisedAt }, 'alarm', now);
      this.repo.insert(created);
      this.repo.linkAlarm(created.id, alarm.id, now);
      this.repo.audit(created.id, { ts: now, actor: 'system', action: 'created', from: null, to: 'new', detail: `alarm ${alarm.id}` });
      return { order: created, action: 'created' };
    });
    this.log.warn({ order: order.number, device: order.device, fault: order.fault, action, respondBy: new Date(order.respondBy).toISOString() }, 'work order from alarm');
    this.emit(order, action);
    return order;
  }

  /** An order entered by hand (for example an owner's phone call taken by a dispatcher). */
  create(input: ManualOrder, actor: string): WorkOrder {
    const now = this.now();
    const order = this.repo.transaction(() => {
      if (input.device && this.repo.openFor(input.device, input.fault)) {
        throw Errors.CONFLICT(`an open work order for ${input.device} / ${input.fault} already exists`);
      }
      const o = this.build(input, 'manual', now);
      this.repo.insert(o);
      this.repo.audit(o.id, { ts: now, actor, action: 'created', from: null, to: 'new', detail: null });
      return o;
    });
    this.emit(order, 'created');
    return order;
  }

  private build(input: ManualOrder, source: WorkOrder['source'], now: number): WorkOrder {
    const faultAt = input.faultAt ?? now;
    const d = this.sla.deadlines(input.category, faultAt);
    return {
      id: randomUUID(), number: this.repo.nextNumber(now), device: input.device, fault: input.fault,
      category: input.category, priority: d.priority, source, title: input.title, status: 'new',
      faultAt, createdAt: now, updatedAt: now, respondBy: d.respondBy, onSiteBy: d.onSiteBy,
      respondedAt: null, onSiteAt: null, occurrences: 1, assignee: null,
    };
  }

  transition(id: string, to: WorkOrderStatus, actor: string, note?: string, assignee?: string): WorkOrder {
    const now = this.now();
    const order = this.repo.transaction(() => {
      const o = this.repo.get(id);
      if (!o) throw Errors.NOT_FOUND(`work order ${id}`);
      if (!canTransition(o.status, to)) throw Errors.TRANSITION(o.status, to);
      const next: WorkOrder = {
        ...o,
        status: to,
        updatedAt: now,
        // The first human action answers the request (seed 2.1 response deadline).
        respondedAt: o.respondedAt ?? (to === 'cancelled' ? null : now),
        onSiteAt: to === 'on_site' ? now : o.onSiteAt,
        assignee: assignee ?? o.assignee,
      };
      this.repo.update(next);
      this.repo.audit(o.id, { ts: now, actor, action: 'transition', from: o.status, to, detail: note ?? null });
      return next;
    });
    this.emit(order, order.status);
    return order;
  }

  get(id: string): WorkOrder | undefined {
    return this.repo.get(id);
  }

  list(opts: { limit?: number; device?: string; open?: boolean } = {}): WorkOrder[] {
    return this.repo.list({ limit: opts.limit ?? 500, ...opts });
  }

  audit(id: string): AuditEntry[] {
    return this.repo.auditTrail(id);
  }

  openCount(device: string): number {
    return this.repo.openCount(device);
  }

  orderForAlarm(alarmId: string): string | null {
    return this.repo.orderForAlarm(alarmId);
  }

  private emit(order: WorkOrder, action: string): void {
    for (const l of this.listeners) {
      try {
        l(order, action);
      } catch (err) {
        this.log.error({ err, order: order.id }, 'work-order listener failed');
      }
    }
  }
}
