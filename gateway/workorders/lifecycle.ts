/** Work-order lifecycle: new → accepted → dispatched → on_site → resolved → closed, plus cancelled. */
import type { WorkOrderStatus } from '../core/model.js';

export const TRANSITIONS: Readonly<Record<WorkOrderStatus, readonly WorkOrderStatus[]>> = {
  new: ['accepted', 'cancelled'],
  accepted: ['dispatched', 'cancelled'],
  dispatched: ['on_site', 'cancelled'],
  on_site: ['resolved'],
  resolved: ['closed'],
  closed: [],
  cancelled: [],
};

/** Statuses in which the execution ledger (and its photos) take entries: work under way or just done (seed 2.2). */
export const LEDGER_STATUSES: readonly WorkOrderStatus[] = ['accepted', 'dispatched', 'on_site', 'resolved'];

export const canTransition = (from: WorkOrderStatus, to: WorkOrderStatus): boolean => TRANSITIONS[from].includes(to);
