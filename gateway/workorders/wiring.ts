/**
 * Connects the alarm engine to the work orders and both to the outside (history events, socket.io,
 * notifications), and runs the escalation clock. Kept here so the composition root (app.ts) only
 * calls `wireMaintenance()`.
 *
 * - A raised alarm (not shelved) makes or joins the open order of its device and fault; an alarm
 *   unshelved while still active does the same. The rule's `priority` override goes with it.
 * - At start, `reconcile()` gives an order to every alarm that has none, which only happens when
 *   the process was killed between the alarm commit and the order commit (no lost orders).
 * - Every `escalationMs` the open orders are checked; a deadline that passed unmet raises one
 *   `escalation` (socket.io, history event, notification, audit entry) per order and deadline.
 */
import type { AlarmEngine } from '../alarms/engine.js';
import type { AlarmRepository } from '../alarms/repository.js';
import type { Logger } from '../core/log.js';
import type { Alarm, EscalationEvent, WorkOrder } from '../core/model.js';
import type { HistoryEvent } from '../history/store.js';
import type { Notifier } from '../notify/index.js';
import type { WorkOrderService } from './service.js';

export interface MaintenanceDeps {
  alarms: AlarmEngine;
  alarmRepo: AlarmRepository;
  orders: WorkOrderService;
  history: { writeEvent(e: HistoryEvent): void };
  realtime: { alarm(a: Alarm): void; workOrder(o: WorkOrder): void; escalation(e: EscalationEvent): void } | null;
  notifier: Pick<Notifier, 'publish'> | null;
  log: Logger;
}

export interface Maintenance {
  /** Orders for alarms left without one by a crash. Returns how many were repaired. */
  reconcile(): number;
  /** Checks the deadlines now (tests call it with a fake clock). */
  escalationTick(now?: number): EscalationEvent[];
  /** Starts the alarm and escalation clocks. */
  start(opts?: { alarmTickMs?: number; escalationMs?: number }): void;
  stop(): void;
}

const ACTIVE = new Set(['active_unack', 'active_ack']);

export function wireMaintenance(d: MaintenanceDeps): Maintenance {
  const { alarms, orders } = d;
  const priorityOf = (a: Alarm) => alarms.ruleOf(a.rule, a.device)?.priority;

  alarms.onAlarm((alarm, change) => {
    d.history.writeEvent({ ts: change === 'raised' ? alarm.raisedAt : orders.now(), device: alarm.device, kind: 'alarm', action: change, id: alarm.id, text: alarm.message });
    const annunciated = !alarm.shelvedUntil;
    let workOrderId = orders.orderForAlarm(alarm.id);
    if ((change === 'raised' || change === 'unshelved') && annunciated && !workOrderId && ACTIVE.has(alarm.state)) {
      workOrderId = orders.fromAlarm(alarm, priorityOf(alarm)).id;
    }
    const view = { ...alarm, workOrderId };
    d.realtime?.alarm(view);
    if (annunciated || change === 'shelved') d.notifier?.publish('alarm', alarm.id, view, change);
  });

  orders.onChange((order, action) => {
    d.history.writeEvent({ ts: order.updatedAt, device: order.device, kind: 'work-order', action, id: order.id, text: `${order.number} ${order.title}` });
    d.realtime?.workOrder(order);
    d.notifier?.publish('work-order', order.id, order, action);
  });

  const escalationTick = (now = orders.now()): EscalationEvent[] => {
    const events: EscalationEvent[] = [];
    for (const { order, record } of orders.escalateOverdue(now)) {
      const ev: EscalationEvent = {
        site: order.site, orderId: order.id, number: order.number, device: order.device, category: order.category, priority: order.priority,
        deadline: record.deadline, dueAt: record.dueAt, ts: record.ts,
      };
      events.push(ev);
      d.log.warn({ order: order.number, deadline: ev.deadline, dueAt: new Date(ev.dueAt).toISOString() }, 'deadline passed unmet: escalation');
      d.history.writeEvent({ ts: now, device: order.device, kind: 'work-order', action: 'escalation', id: order.id,
        text: `${order.number} ${ev.deadline === 'respond' ? 'response' : 'on-site'} deadline missed` });
      d.realtime?.escalation(ev);
      d.notifier?.publish('escalation', order.id, ev, ev.deadline);
    }
    return events;
  };

  let timer: NodeJS.Timeout | null = null;
  return {
    reconcile() {
      let n = 0;
      for (const a of d.alarmRepo.withoutOrder()) {
        orders.fromAlarm(a, priorityOf(a));
        n++;
      }
      if (n) d.log.warn({ repaired: n }, 'alarms without a work order after an unclean stop: orders raised');
      return n;
    },
    escalationTick,
    start(opts = {}) {
      alarms.startTimer(opts.alarmTickMs ?? 1000);
      timer ??= setInterval(() => {
        try {
          escalationTick();
        } catch (err) {
          d.log.error({ err }, 'escalation check failed');
        }
      }, opts.escalationMs ?? 5000);
      timer.unref();
    },
    stop() {
      alarms.close();
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
