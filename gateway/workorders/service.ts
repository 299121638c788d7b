/**
 * Work orders raised with no human in the loop: an alarm becomes an order carrying the deadlines
 * of its category's SLA policy (seed 2.1); a repeat of the same fault on the same device adds an
 * occurrence to the open order instead of opening another (one open order per device and fault).
 * Predictions and preventive plans call `raise()`, dispatchers `create()`. Every change is an
 * append-only audit entry (who, when, from, to — seed 2.1 request ledger, seed 8.x); execution
 * ledger entries follow seed 2.2, owner feedback on close seed 2.3. See ./README.md.
 */
import { randomUUID } from 'node:crypto';
import type { Category } from '../config/schema.js';
import { Errors } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { isOpen, type Alarm, type LedgerEntry, type Priority, type WorkOrder, type WorkOrderSource, type WorkOrderStatus } from '../core/model.js';
import { computeKpis, type KpiReport } from './kpis.js';
import { canTransition, LEDGER_STATUSES } from './lifecycle.js';
import type { AuditEntry, EscalationRecord, WorkOrderRepository } from './repository.js';
import type { SlaBook } from './sla.js';

export type WorkOrderListener = (order: WorkOrder, action: string) => void;

export interface ManualOrder {
  device: string | null;
  fault: string;
  category: Category;
  title: string;
  faultAt?: number;
  priority?: Priority;
  dueAt?: number | null;
  evidence?: Record<string, unknown> | null;
}

/** What predictive maintenance and preventive plans pass to `raise()`. */
export interface RaiseInput {
  source: 'prediction' | 'preventive';
  device: string;
  fault: string;
  category: Category;
  title: string;
  /** Fault (or forecast) time: the SLA clock starts here. For a preventive order, when it became due for planning. */
  faultAt: number;
  evidence?: Record<string, unknown>;
  /**
   * Due date of a preventive order (PM compliance, SMRP 5.4). For a `predictive` order, on the
   * readings' clock like `faultAt`: the order is due `dueAt − faultAt` after it is raised.
   */
  dueAt?: number;
  priority?: Priority;
}

export interface TransitionOptions {
  note?: string;
  assignee?: string;
  /** Owner feedback (seed 2.3); required when closing an owner's request (`source: manual`). */
  feedback?: { rating: number; comment?: string };
  /**
   * Close an owner's request without feedback: only the system, after the owner had
   * `owner.feedbackWaitDays` to answer the feedback link (seed 2.3; gateway/owner/service.ts).
   */
  waiveFeedback?: boolean;
}

export interface LedgerInput {
  time?: number;
  personnel: string[];
  tools: string[];
  result: string;
  safetyMeasures: string;
}

export class WorkOrderService {
  private readonly listeners: WorkOrderListener[] = [];

  constructor(
    private readonly repo: WorkOrderRepository,
    private readonly sla: SlaBook,
    private readonly log: Logger,
    readonly now: () => number = Date.now,
  ) {}

  onChange(listener: WorkOrderListener): void {
    this.listeners.push(listener);
  }

  /** Raise (or add an occurrence to) the order for a newly raised alarm. Idempotent per alarm. */
  fromAlarm(alarm: Alarm, priority?: Priority): WorkOrder {
    const linked = this.repo.orderForAlarm(alarm.id);
    if (linked) return this.repo.get(linked)!;
    const now = this.now();
    const { order, action } = this.repo.transaction(() => {
      const open = this.repo.openFor(alarm.device, alarm.fault);
      if (open) {
        const updated: WorkOrder = { ...open, occurrences: open.occurrences + 1, updatedAt: now };
        this.repo.update(updated, 'occurrence');
        this.repo.linkAlarm(open.id, alarm.id, now);
        this.repo.audit(open.id, { ts: now, actor: 'system', action: 'occurrence', from: null, to: null, detail: `alarm ${alarm.id}` });
        return { order: updated, action: 'occurrence' };
      }
      const created = this.build({ device: alarm.device, fault: alarm.fault, category: alarm.category, title: alarm.message, faultAt: alarm.raisedAt, ...(priority ? { priority } : {}) }, 'alarm', now);
      this.repo.insert(created);
      this.repo.linkAlarm(created.id, alarm.id, now);
      this.repo.audit(created.id, { ts: now, actor: 'system', action: 'created', from: null, to: 'new', detail: `alarm ${alarm.id}` });
      return { order: created, action: 'created' };
    });
    this.log.warn({ order: order.number, device: order.device, fault: order.fault, action, respondBy: new Date(order.respondBy).toISOString() }, 'work order from alarm');
    this.emit(order, action);
    return order;
  }

  /**
   * An order from a prediction or a preventive plan. One open order per device and fault: when
   * one is open (from any source), its evidence is replaced by the new one and no order is added.
   */
  raise(input: RaiseInput): { order: WorkOrder; created: boolean } {
    const now = this.now();
    // Planned work (category `predictive`, docs/design.md §9): due `dueAt − faultAt` after now. The lead
    // is measured on the readings' clock and applied to the gateway's, so replayed data is not late.
    const planned = input.category === 'predictive' && input.dueAt !== undefined;
    const plannedDue = planned ? now + Math.max(0, input.dueAt! - input.faultAt) : undefined;
    const result = this.repo.transaction(() => {
      const open = this.repo.openFor(input.device, input.fault);
      if (open) {
        let updated: WorkOrder = { ...open, evidence: input.evidence ?? open.evidence ?? null, updatedAt: now };
        if (open.source === input.source) updated = { ...updated, title: input.title };
        if (plannedDue !== undefined && open.source === input.source) {
          // The latest forecast moves the due date (and the response deadline while unanswered).
          updated = { ...updated, dueAt: plannedDue, respondBy: open.respondedAt === null ? plannedDue : open.respondBy };
          this.repo.reschedule(updated.id, plannedDue, updated.respondBy);
        }
        this.repo.update(updated, 'evidence');
        this.repo.audit(open.id, { ts: now, actor: input.source, action: 'evidence', from: null, to: null, detail: input.evidence ? JSON.stringify(input.evidence).slice(0, 2000) : null });
        return { order: updated, created: false };
      }
      const built = this.build({ ...input, evidence: input.evidence ?? null, dueAt: plannedDue ?? input.dueAt ?? null }, input.source, now);
      const o: WorkOrder = plannedDue === undefined ? built : { ...built, respondBy: plannedDue };
      this.repo.insert(o);
      this.repo.audit(o.id, { ts: now, actor: input.source, action: 'created', from: null, to: 'new', detail: null });
      return { order: o, created: true };
    });
    this.emit(result.order, result.created ? 'created' : 'evidence');
    return result;
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

  private build(input: ManualOrder, source: WorkOrderSource, now: number): WorkOrder {
    const faultAt = input.faultAt ?? now;
    const d = this.sla.deadlines(input.category, faultAt, input.priority);
    return {
      id: randomUUID(), site: this.repo.estate.site, number: this.repo.nextNumber(now), device: input.device, fault: input.fault,
      category: input.category, priority: d.priority, source, title: input.title, status: 'new',
      faultAt, createdAt: now, updatedAt: now, respondBy: d.respondBy, onSiteBy: d.onSiteBy,
      respondedAt: null, onSiteAt: null, occurrences: 1, assignee: null,
      resolvedAt: null, closedAt: null, dueAt: input.dueAt ?? null, feedback: null, evidence: input.evidence ?? null,
    };
  }

  transition(id: string, to: WorkOrderStatus, actor: string, noteOrOpts?: string | TransitionOptions): WorkOrder {
    const opts: TransitionOptions = typeof noteOrOpts === 'string' ? { note: noteOrOpts } : (noteOrOpts ?? {});
    const assignee = opts.assignee;
    const now = this.now();
    const order = this.repo.transaction(() => {
      const o = this.repo.get(id);
      if (!o) throw Errors.NOT_FOUND(`work order ${id}`);
      if (!canTransition(o.status, to)) throw Errors.TRANSITION(o.status, to);
      if (opts.feedback && to !== 'closed') throw Errors.BAD_REQUEST('body.feedback is given on the closed transition only');
      if (to === 'closed' && o.source === 'manual' && !opts.feedback && !opts.waiveFeedback) {
        throw Errors.BAD_REQUEST("body.feedback is required to close an owner's request (seed 2.3: rating 1-5, comment)");
      }
      if (opts.feedback && (!Number.isInteger(opts.feedback.rating) || opts.feedback.rating < 1 || opts.feedback.rating > 5)) {
        throw Errors.BAD_REQUEST('body.feedback.rating must be an integer from 1 to 5');
      }
      const next: WorkOrder = {
        ...o,
        status: to,
        updatedAt: now,
        // The first human action answers the request (seed 2.1 response deadline).
        respondedAt: o.respondedAt ?? (to === 'cancelled' ? null : now),
        onSiteAt: to === 'on_site' ? now : o.onSiteAt,
        resolvedAt: to === 'resolved' ? now : (o.resolvedAt ?? null),
        closedAt: !isOpen(to) ? now : (o.closedAt ?? null),
        assignee: assignee ?? o.assignee,
        feedback: opts.feedback ? { rating: opts.feedback.rating, comment: opts.feedback.comment ?? null, at: now } : (o.feedback ?? null),
      };
      this.repo.update(next, to);
      this.repo.audit(o.id, { ts: now, actor, action: 'transition', from: o.status, to, detail: opts.note ?? null });
      if (assignee && assignee !== o.assignee) {
        this.repo.audit(o.id, { ts: now, actor, action: 'assign', from: o.assignee, to: assignee, detail: null });
      }
      if (opts.feedback) {
        this.repo.audit(o.id, { ts: now, actor, action: 'feedback', from: null, to: null, detail: JSON.stringify(next.feedback) });
      }
      return next;
    });
    this.emit(order, order.status);
    return order;
  }

  /** Sets (or changes) the assignee without moving the order. */
  assign(id: string, assignee: string, actor: string): WorkOrder {
    const now = this.now();
    const order = this.repo.transaction(() => {
      const o = this.repo.get(id);
      if (!o) throw Errors.NOT_FOUND(`work order ${id}`);
      if (!isOpen(o.status)) throw Errors.CONFLICT(`work order ${o.number} is ${o.status}`);
      const next: WorkOrder = { ...o, assignee, updatedAt: now };
      this.repo.update(next, 'assigned');
      this.repo.audit(o.id, { ts: now, actor, action: 'assign', from: o.assignee, to: assignee, detail: null });
      return next;
    });
    this.emit(order, 'assigned');
    return order;
  }

  /** Execution ledger entry (seed 2.2: time, personnel, tools, result; safety measures). */
  addLedger(id: string, input: LedgerInput, actor: string): LedgerEntry {
    const now = this.now();
    const { order, entry } = this.repo.transaction(() => {
      const o = this.repo.get(id);
      if (!o) throw Errors.NOT_FOUND(`work order ${id}`);
      if (!LEDGER_STATUSES.includes(o.status)) throw Errors.CONFLICT(`work order ${o.number} is ${o.status}: ledger entries need an accepted order that is not closed`);
      const entry = this.repo.addLedger({
        orderId: o.id, time: input.time ?? now, personnel: input.personnel, tools: input.tools, result: input.result,
        safetyMeasures: input.safetyMeasures, recordedAt: now, recordedBy: actor,
      });
      this.repo.audit(o.id, { ts: now, actor, action: 'ledger', from: null, to: null, detail: `entry ${entry.seq}` });
      const next: WorkOrder = { ...o, updatedAt: now };
      this.repo.update(next, 'ledger');
      return { order: next, entry };
    });
    this.emit(order, 'ledger');
    return entry;
  }

  ledger(id: string): LedgerEntry[] {
    return this.repo.ledger(id);
  }

  /**
   * Escalates every open order whose response or on-site deadline passed unmet at `now`, exactly
   * once per deadline (a primary key makes it so, across restarts too). Returns what was escalated.
   */
  escalateOverdue(now = this.now()): { order: WorkOrder; record: EscalationRecord }[] {
    const out: { order: WorkOrder; record: EscalationRecord }[] = [];
    for (const { order, deadline, dueAt } of this.repo.overdue(now)) {
      const record: EscalationRecord = { orderId: order.id, deadline, dueAt, ts: now };
      const fresh = this.repo.transaction(() => {
        if (!this.repo.escalate(record)) return false;
        this.repo.audit(order.id, { ts: now, actor: 'system', action: 'escalation', from: order.status, to: order.status,
          detail: `${deadline === 'respond' ? 'response' : 'on-site'} deadline ${new Date(dueAt).toISOString()} passed unmet` });
        return true;
      });
      if (fresh) out.push({ order, record });
    }
    return out;
  }

  escalations(id?: string, range?: { from: number; to: number }): EscalationRecord[] {
    return this.repo.escalations(id, range);
  }

  kpis(from: number, to: number): KpiReport {
    return computeKpis(this.repo, from, to, Math.min(to, this.now()));
  }

  /** Orders whose fault time is in [from, to), by fault time (the monthly archive, gateway/archive/). */
  faultedBetween(from: number, to: number): WorkOrder[] {
    return this.repo.forPeriod(from, to).filter((o) => o.faultAt >= from && o.faultAt < to);
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
