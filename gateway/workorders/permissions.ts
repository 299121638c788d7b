/**
 * Who may move a work order where: the target state decides, not only the route (./README.md,
 * "Permissions"). The order lifecycle itself (lifecycle.ts) says what is possible; this module says
 * who may do it.
 *
 * - Cancelling and owner feedback belong to the desk (dispatcher or admin): feedback is the owner's
 *   word taken by the desk (seed 2.3), and a cancelled order stops its deadline clocks (seed 2.1).
 *   Closing an owner's request needs that feedback, so it is the desk's too.
 * - An order whose alarm is still active cannot be cancelled without a reason (it is audited as the
 *   transition note); the alarm then shows no order.
 * - An assignee must be a user of the site with at least the technician role.
 */
import { roleAtLeast, type Role } from '../auth/schema.js';
import { Errors } from '../core/errors.js';
import type { WorkOrder, WorkOrderStatus } from '../core/model.js';

export interface Actor {
  username: string;
  role: Role;
}

export interface TransitionRequest {
  to: WorkOrderStatus;
  note?: string;
  assignee?: string;
  feedback?: unknown;
}

/** What the check needs to know beyond the order: active alarms linked to it, and the users. */
export interface PermissionFacts {
  activeAlarms: (order: WorkOrder) => readonly string[];
  roleOf: (username: string) => Role | undefined;
}

/** Throws a coded 403/400 when `actor` may not make this transition. */
export function checkTransition(actor: Actor, order: WorkOrder, req: TransitionRequest, facts: PermissionFacts): void {
  const desk = roleAtLeast(actor.role, 'dispatcher');
  if (req.to === 'cancelled' && !desk) throw Errors.FORBIDDEN('cancelling a work order is for a dispatcher');
  if (req.feedback !== undefined && !desk) throw Errors.FORBIDDEN("the owner's feedback is recorded by a dispatcher (seed 2.3)");
  if (req.to === 'closed' && order.source === 'manual' && !desk) {
    throw Errors.FORBIDDEN("closing an owner's request is for a dispatcher, with the owner's feedback (seed 2.3)");
  }
  if (req.to === 'cancelled') {
    const active = facts.activeAlarms(order);
    if (active.length && !req.note?.trim()) {
      throw Errors.REASON_REQUIRED(`work order ${order.number} has an active alarm (${active.join(', ')}): body.note must give the reason for cancelling`);
    }
  }
  if (req.assignee !== undefined) checkAssignee('body.assignee', req.assignee, facts);
}

export function checkAssignee(field: string, username: string, facts: Pick<PermissionFacts, 'roleOf'>): void {
  const role = facts.roleOf(username);
  if (!role || !roleAtLeast(role, 'technician')) throw Errors.UNKNOWN_USER(field, username);
}
