/**
 * The predictor's port to the work-order room. Prediction and preventive orders go through
 * `WorkOrderService.raise({source, device, fault, category, title, faultAt, evidence, dueAt})`,
 * which keeps one open order per device and fault and replaces its evidence on a repeat. The
 * predictor also keeps its own copy of the evidence (table `predict_orders`, `GET /api/predict/orders`).
 */
import { isOpen, type WorkOrder } from '../core/model.js';
import type { RaiseInput, WorkOrderService } from '../workorders/service.js';

/** The work-order service's own input type: one definition of what a prediction or plan passes. */
export type { RaiseInput };

export interface OrderPort {
  /** Create the order, or update the evidence of the open one of the same device and fault. */
  raise(input: RaiseInput): WorkOrder;
  get(id: string): WorkOrder | undefined;
  onChange(listener: (order: WorkOrder, action: string) => void): void;
}

export function orderPort(service: WorkOrderService): OrderPort {
  return {
    raise: (input) => service.raise(input).order,
    get: (id) => service.get(id),
    onChange: (l) => service.onChange(l),
  };
}

/** In-memory order port for unit tests: same dedup contract as `raise` (the evaluations use WorkOrderService). */
export class MemoryOrders implements OrderPort {
  readonly orders = new Map<string, WorkOrder & { updates: number; firstEvidence: Record<string, unknown> | null }>();
  private readonly listeners: Array<(order: WorkOrder, action: string) => void> = [];
  private seq = 0;

  raise(input: RaiseInput): WorkOrder {
    for (const o of this.orders.values()) {
      if (o.device === input.device && o.fault === input.fault && isOpen(o.status)) {
        o.evidence = input.evidence ?? null;
        o.title = input.title;
        o.updates++;
        o.updatedAt = input.faultAt;
        this.emit(o, 'updated');
        return o;
      }
    }
    const id = `mem-${++this.seq}`;
    const o: WorkOrder & { updates: number; firstEvidence: Record<string, unknown> | null } = {
      id, site: 'eval', number: `WO-${this.seq}`, device: input.device, fault: input.fault, category: input.category, priority: 'normal' as const,
      source: input.source, title: input.title, status: 'new' as const, faultAt: input.faultAt, createdAt: input.faultAt,
      updatedAt: input.faultAt, respondBy: input.faultAt + 86_400_000, onSiteBy: null, respondedAt: null, onSiteAt: null,
      occurrences: 1, assignee: null, evidence: input.evidence ?? null, dueAt: input.dueAt ?? null, updates: 0, firstEvidence: input.evidence ?? null,
    };
    this.orders.set(id, o);
    this.emit(o, 'created');
    return o;
  }

  get(id: string): WorkOrder | undefined {
    return this.orders.get(id);
  }

  onChange(listener: (order: WorkOrder, action: string) => void): void {
    this.listeners.push(listener);
  }

  /** Close an order (a technician fixed it), as the work-order service would report it. */
  close(id: string, at: number): void {
    const o = this.orders.get(id);
    if (!o) return;
    o.status = 'closed';
    o.updatedAt = at;
    this.emit(o, 'closed');
  }

  private emit(o: WorkOrder, action: string): void {
    for (const l of this.listeners) l(o, action);
  }
}
