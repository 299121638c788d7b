/**
 * Work orders on a real SQLite file and a fake clock: every lifecycle transition (legal ones and
 * 409s), assignee, execution ledger (seed 2.2), owner feedback on close (seed 2.3), orders from
 * predictions and preventive plans deduplicated by device + fault, SLA escalation exactly once per
 * deadline (also across a restart), and the KPI numbers.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlarmEngine } from '../alarms/engine.js';
import { AlarmRepository } from '../alarms/repository.js';
import { createLogger } from '../core/log.js';
import type { WorkOrderStatus } from '../core/model.js';
import { openDatabase } from '../storage/sqlite.js';
import { kpisToCsv, monthRange } from './kpis.js';
import { TRANSITIONS } from './lifecycle.js';
import { WorkOrderRepository } from './repository.js';
import { WorkOrderService } from './service.js';
import { SlaBook } from './sla.js';
import { wireMaintenance } from './wiring.js';

const log = createLogger('test', 'silent');
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

function rig(dataDir = mkdtempSync(join(tmpdir(), 'gw-wo-')), clock = { now: T0 }) {
  const db = openDatabase(dataDir, 'gateway.db');
  const orders = new WorkOrderService(new WorkOrderRepository(db), new SlaBook([]), log, () => clock.now);
  const alarmRepo = new AlarmRepository(db);
  const alarms = new AlarmEngine([], [], alarmRepo, log, { now: () => clock.now });
  const emitted: [string, unknown][] = [];
  const m = wireMaintenance({
    alarms, alarmRepo, orders, history: { writeEvent: () => undefined },
    realtime: { alarm: () => undefined, workOrder: () => undefined, escalation: (e) => emitted.push(['escalation', e]) },
    notifier: null, log,
  });
  return { db, orders, clock, m, emitted, dataDir };
}

const manual = { device: 'pump-1', fault: 'noise', category: 'water' as const, title: 'Owner reports a noisy pump' };

describe('work-order lifecycle', () => {
  it('allows exactly the transitions of the lifecycle and answers every other with 409', () => {
    const { orders } = rig();
    const statuses = Object.keys(TRANSITIONS) as WorkOrderStatus[];
    // Path to each status, then try every target from there.
    const path: Record<WorkOrderStatus, WorkOrderStatus[]> = {
      new: [], accepted: ['accepted'], dispatched: ['accepted', 'dispatched'], on_site: ['accepted', 'dispatched', 'on_site'],
      resolved: ['accepted', 'dispatched', 'on_site', 'resolved'], closed: ['accepted', 'dispatched', 'on_site', 'resolved', 'closed'],
      cancelled: ['cancelled'],
    };
    let n = 0;
    for (const from of statuses) {
      for (const to of statuses) {
        const o = orders.create({ ...manual, fault: `f${n++}` }, 'dispatcher');
        for (const step of path[from]) orders.transition(o.id, step, 'tech', step === 'closed' ? { feedback: { rating: 5 } } : undefined);
        const opts = to === 'closed' ? { feedback: { rating: 4 } } : undefined;
        if (TRANSITIONS[from].includes(to)) expect(orders.transition(o.id, to, 'tech', opts).status).toBe(to);
        else expect(() => orders.transition(o.id, to, 'tech', opts)).toThrow(expect.objectContaining({ statusCode: 409, code: 'GW_ERR_TRANSITION' }));
      }
    }
  });

  it('records assignee, ledger entries and owner feedback, all in the append-only audit trail', () => {
    const { orders, clock, db } = rig();
    const o = orders.create(manual, 'dispatcher');
    expect(() => orders.addLedger(o.id, { personnel: ['li.wei'], tools: [], result: 'x', safetyMeasures: 'y' }, 'tech')).toThrow(expect.objectContaining({ statusCode: 409 }));
    clock.now += 10 * MIN;
    orders.transition(o.id, 'accepted', 'dispatcher', { assignee: 'li.wei' });
    orders.assign(o.id, 'zhang.min', 'dispatcher');
    orders.transition(o.id, 'dispatched', 'zhang.min');
    clock.now += 30 * MIN;
    orders.transition(o.id, 'on_site', 'zhang.min');
    const entry = orders.addLedger(o.id, { time: clock.now, personnel: ['zhang.min', 'li.wei'], tools: ['multimeter', 'bearing puller'],
      result: 'replaced the NDE bearing', safetyMeasures: 'isolated and locked out the motor, warning sign at the pump room' }, 'zhang.min');
    expect(entry).toMatchObject({ seq: expect.any(Number), personnel: ['zhang.min', 'li.wei'], recordedBy: 'zhang.min' });
    orders.transition(o.id, 'resolved', 'zhang.min');
    // seed 2.3: an owner's request closes with the owner's feedback.
    expect(() => orders.transition(o.id, 'closed', 'dispatcher')).toThrow(expect.objectContaining({ statusCode: 400 }));
    expect(() => orders.transition(o.id, 'closed', 'dispatcher', { feedback: { rating: 6 } })).toThrow(expect.objectContaining({ statusCode: 400 }));
    const closed = orders.transition(o.id, 'closed', 'dispatcher', { feedback: { rating: 5, comment: 'quiet again, thanks' } });
    expect(closed).toMatchObject({ status: 'closed', assignee: 'zhang.min', feedback: { rating: 5, comment: 'quiet again, thanks' }, respondedAt: T0 + 10 * MIN });
    expect(closed.closedAt).toBe(clock.now);
    expect(orders.ledger(o.id)).toHaveLength(1);
    const trail = orders.audit(o.id);
    expect(trail.map((e) => e.action)).toEqual(['created', 'transition', 'assign', 'assign', 'transition', 'transition', 'ledger', 'transition', 'transition', 'feedback']);
    expect(trail.find((e) => e.action === 'assign' && e.to === 'zhang.min')).toMatchObject({ from: 'li.wei', actor: 'dispatcher' });
    expect(() => db.prepare('UPDATE work_order_audit SET actor = ?').run('mallory')).toThrow(/append-only/);
    expect(() => db.prepare('UPDATE work_order_ledger SET result = ?').run('x')).toThrow(/append-only/);
  });

  it('raise() from predictions and plans: one open order per device and fault, evidence updated', () => {
    const { orders, clock } = rig();
    const first = orders.raise({ source: 'prediction', device: 'pump-1', fault: 'bearing_overtemp', category: 'water', title: 'Bearing will reach 80 °C in 5 days', faultAt: T0, evidence: { daysLeft: 5 } });
    clock.now += HOUR;
    const again = orders.raise({ source: 'prediction', device: 'pump-1', fault: 'bearing_overtemp', category: 'water', title: 'Bearing will reach 80 °C in 3 days', faultAt: clock.now, evidence: { daysLeft: 3 } });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, order: { id: first.order.id, evidence: { daysLeft: 3 }, source: 'prediction', occurrences: 1 } });
    expect(orders.list()).toHaveLength(1);
    expect(orders.audit(first.order.id).map((e) => e.action)).toEqual(['created', 'evidence']);
    const pm = orders.raise({ source: 'preventive', device: 'elev-1', fault: 'pm_half_monthly', category: 'elevator', title: 'Half-monthly maintenance (TSG T5002)', faultAt: T0, dueAt: T0 + 3 * 86_400_000 });
    expect(pm.order).toMatchObject({ source: 'preventive', dueAt: T0 + 3 * 86_400_000 });
  });
});

describe('prediction orders are planned work (docs/design.md §9)', () => {
  it('have no 1 h clock, are due before the forecast crossing, follow the latest forecast and are not escalated by a replay', () => {
    const { orders, clock, m } = rig();
    // Replayed data: the readings are a month old, the forecast crossing 3 days after the newest one.
    const dataNow = T0 - 30 * 24 * HOUR;
    const first = orders.raise({ source: 'prediction', device: 'pump-1', fault: 'predicted_vibration', category: 'predictive',
      title: 'Predicted: vibration reaches 7.1 in ~3.0 d', faultAt: dataNow, dueAt: dataNow + 48 * HOUR, evidence: { n: 1 } });
    expect(first.created).toBe(true);
    expect(first.order).toMatchObject({ category: 'predictive', priority: 'normal', dueAt: T0 + 48 * HOUR, respondBy: T0 + 48 * HOUR });
    expect(m.escalationTick(T0 + HOUR)).toEqual([]); // a water fault would be overdue after 1 h
    clock.now = T0 + 2 * HOUR;
    const again = orders.raise({ source: 'prediction', device: 'pump-1', fault: 'predicted_vibration', category: 'predictive',
      title: 'Predicted: vibration reaches 7.1 in ~1.5 d', faultAt: dataNow + 2 * HOUR, dueAt: dataNow + 2 * HOUR + 12 * HOUR, evidence: { n: 2 } });
    expect(again.created).toBe(false);
    expect(again.order).toMatchObject({ title: 'Predicted: vibration reaches 7.1 in ~1.5 d', evidence: { n: 2 }, dueAt: clock.now + 12 * HOUR, respondBy: clock.now + 12 * HOUR });
    expect(orders.get(first.order.id)).toMatchObject({ title: again.order.title, dueAt: clock.now + 12 * HOUR });
    expect(m.escalationTick(clock.now + 11 * HOUR)).toEqual([]);
    expect(m.escalationTick(clock.now + 13 * HOUR).map((e) => e.deadline)).toEqual(['respond']); // overdue planned work is escalated
  });
});

describe('SLA escalation on a controllable clock', () => {
  it('escalates a missed deadline exactly once, also after a restart', () => {
    const r = rig();
    // A water fault at T0: response due in 1 h (seed 2.1). An elevator fault: on site in 2 h.
    const water = r.orders.create({ device: 'pump-1', fault: 'leak', category: 'water', title: 'Leak', faultAt: T0 }, 'dispatcher');
    const lift = r.orders.create({ device: 'elev-1', fault: 'slow_door', category: 'elevator', title: 'Door', faultAt: T0 }, 'dispatcher');
    expect(r.m.escalationTick(T0 + HOUR - 1)).toEqual([]);
    const first = r.m.escalationTick(T0 + HOUR);
    expect(first).toEqual([expect.objectContaining({ orderId: water.id, deadline: 'respond', dueAt: T0 + HOUR })]);
    expect(r.m.escalationTick(T0 + HOUR + MIN)).toEqual([]);
    r.clock.now = T0 + 90 * MIN;
    r.orders.transition(lift.id, 'accepted', 'tech'); // responded in time, but nobody on site yet
    const onsite = r.m.escalationTick(T0 + 2 * HOUR);
    expect(onsite).toEqual([expect.objectContaining({ orderId: lift.id, deadline: 'on_site' })]);
    expect(r.emitted.map(([e]) => e)).toEqual(['escalation', 'escalation']);
    expect(r.orders.audit(water.id).filter((e) => e.action === 'escalation')).toHaveLength(1);
    r.db.close();

    const again = rig(r.dataDir, { now: T0 + 3 * HOUR });
    expect(again.m.escalationTick()).toEqual([]);
    expect(again.orders.escalations()).toHaveLength(2);
  });

  it('runs on injected timers: the escalation fires from the clock, not from a request', async () => {
    const { vi } = await import('vitest');
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      vi.setSystemTime(T0);
      const r = rig(undefined, { now: T0 });
      r.clock.now = T0;
      r.orders.create({ device: 'fire-1', fault: 'trouble', category: 'fire', title: 'Trouble', faultAt: T0 }, 'dispatcher');
      r.m.start({ escalationMs: 1000 });
      r.clock.now = T0 + 5 * MIN; // fire: response within 5 min
      vi.advanceTimersByTime(1000);
      expect(r.emitted).toHaveLength(1);
      vi.advanceTimersByTime(10_000);
      expect(r.emitted).toHaveLength(1);
      r.m.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('KPIs', () => {
  it('computes SLA compliance, response time, MTTR, MTBF, backlog, PM compliance and repeat failures', () => {
    const { orders, clock } = rig();
    const { from, to } = monthRange('2026-11');
    const at = (h: number) => from + h * HOUR;
    // Water fault answered in 30 min, resolved after 3 h.
    clock.now = at(24);
    const a = orders.create({ device: 'pump-1', fault: 'leak', category: 'water', title: 'a', faultAt: at(24) }, 'd');
    clock.now = at(24.5); orders.transition(a.id, 'accepted', 't');
    clock.now = at(25); orders.transition(a.id, 'dispatched', 't');
    clock.now = at(26); orders.transition(a.id, 'on_site', 't');
    clock.now = at(27); orders.transition(a.id, 'resolved', 't');
    clock.now = at(28); orders.transition(a.id, 'closed', 't', { feedback: { rating: 4 } });
    // Same fault again 5 days later (a repeat failure), answered late (2 h > 1 h).
    clock.now = at(144);
    const b = orders.create({ device: 'pump-1', fault: 'leak', category: 'water', title: 'b', faultAt: at(144) }, 'd');
    clock.now = at(146); orders.transition(b.id, 'accepted', 't');
    // Elevator: accepted in time, on site after 3 h (> 2 h), still open.
    clock.now = at(200);
    const c = orders.create({ device: 'elev-1', fault: 'slow_door', category: 'elevator', title: 'c', faultAt: at(200) }, 'd');
    clock.now = at(201); orders.transition(c.id, 'accepted', 't');
    clock.now = at(202); orders.transition(c.id, 'dispatched', 't');
    clock.now = at(203); orders.transition(c.id, 'on_site', 't');
    // Preventive: one done on time, one overdue.
    clock.now = at(10);
    const pm1 = orders.raise({ source: 'preventive', device: 'elev-1', fault: 'pm1', category: 'elevator', title: 'pm', faultAt: at(10), dueAt: at(100) }).order;
    orders.raise({ source: 'preventive', device: 'elev-2', fault: 'pm2', category: 'elevator', title: 'pm', faultAt: at(10), dueAt: at(100) });
    clock.now = at(50);
    for (const s of ['accepted', 'dispatched', 'on_site', 'resolved'] as const) orders.transition(pm1.id, s, 't');
    clock.now = to + HOUR;

    const k = orders.kpis(from, to);
    expect(k.sla.water!.response).toEqual({ due: 2, met: 1, rate: 0.5 });
    expect(k.sla.elevator!.response.rate).toBe(1);
    expect(k.sla.elevator!.onSite).toEqual({ due: 1, met: 0, rate: 0 });
    expect(k.meanTimeToRespondMinutes).toBeCloseTo((30 + 120 + 60) / 3);
    expect(k.mttrHours).toBeCloseTo(3);
    expect(k.mtbfHours['pump-1']).toEqual({ failures: 2, mtbfHours: expect.any(Number) });
    expect(k.mtbfHours['pump-1']!.mtbfHours).toBeCloseTo((30 * 24 - 3 - (30 * 24 - 144)) / 2);
    // Open at the end of the month: b, c, both preventive orders (resolved is open until closed).
    expect(k.backlog).toMatchObject({ urgent: 4, emergency: 0, total: 4 });
    expect(k.pmCompliance).toEqual({ due: 2, met: 1, rate: 0.5 });
    expect(k.repeatFailureRate).toBeCloseTo(1 / 3);
    const empty = orders.kpis(to, to + 86_400_000);
    expect(empty.pmCompliance.rate).toBeNull();
    expect(empty.repeatFailureRate).toBeNull();
    const csv = kpisToCsv(k);
    expect(csv).toContain('metric,scope,value');
    expect(csv).toContain('sla_response_compliance,water,0.5000');
    expect(csv).toContain('pm_compliance,,0.5000');
  });
});
