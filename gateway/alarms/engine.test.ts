import { describe, expect, it } from 'vitest';
import { clock, HOUR, r, rig } from './fixtures/rig.js';

describe('alarms to work orders', () => {
  it('waits for the on-delay, raises once, clears with hysteresis and keeps the order open', () => {
    const { engine, orders, changes } = rig();
    const t0 = clock;
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.2, t0)]);
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.2, t0 + 1000)]);
    expect(changes).toHaveLength(0); // still inside `for: 2s`
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.21, t0 + 2000)]);
    expect(changes.map(([c]) => c)).toEqual(['raised']);
    expect(changes[0]![1].raisedAt).toBe(t0); // fault time is when the condition began
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.27, t0 + 3000)]); // above trip, below clear
    expect(changes).toHaveLength(1);
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.45, t0 + 4000)]);
    expect(changes.map(([c, a]) => `${c}:${a.state}`)).toEqual(['raised:active_unack', 'cleared:cleared_unack']);

    const [order] = orders.list();
    expect(order).toMatchObject({ device: 'pump-1', fault: 'low_pressure', status: 'new', priority: 'urgent', faultAt: t0 });
    expect(order!.respondBy - order!.faultAt).toBe(1 * HOUR); // seed 2.1: water faults answered in 1 h
  });

  it('gives elevator faults an on-site deadline of 2 h and other faults 24 h', () => {
    const { engine, orders } = rig();
    engine.onReadings([r('elev-1', 'door_close_time', 8.5, clock)]);
    const elevator = orders.list()[0]!;
    expect(elevator.onSiteBy! - elevator.faultAt).toBe(2 * HOUR);
    const manual = orders.create({ device: null, fault: 'leaking_tap', category: 'general', title: 'Owner reports a leaking tap' }, 'dispatcher');
    expect(manual.respondBy - manual.faultAt).toBe(24 * HOUR);
    expect(manual.onSiteBy).toBeNull();
  });

  it('adds an occurrence to the open order instead of raising a second one', () => {
    const { engine, orders } = rig();
    engine.onReadings([r('fire-1', 'fire_alarm', true, clock)]);
    engine.onReadings([r('fire-1', 'fire_alarm', false, clock + 1000)]);
    engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 2000)]);
    const list = orders.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ occurrences: 2, priority: 'emergency' });
  });

  it('survives a restart without raising the still-active alarm again', () => {
    const first = rig();
    first.engine.onReadings([r('fire-1', 'fire_alarm', true, clock)]);
    first.db.close();
    const second = rig(first.dataDir);
    second.engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 5000)]);
    expect(second.changes).toHaveLength(0);
    expect(second.orders.list()).toHaveLength(1);
    second.engine.onReadings([r('fire-1', 'fire_alarm', false, clock + 6000)]);
    expect(second.changes.map(([c]) => c)).toEqual(['cleared']);
  });

  it('walks the lifecycle, rejects illegal moves with 409 and keeps an audit trail', () => {
    const { engine, orders } = rig();
    engine.onReadings([r('elev-1', 'door_close_time', 9, clock)]);
    const o = orders.list()[0]!;
    expect(() => orders.transition(o.id, 'closed', 'tech')).toThrow(expect.objectContaining({ statusCode: 409, code: 'GW_ERR_TRANSITION' }));
    for (const to of ['accepted', 'dispatched', 'on_site', 'resolved', 'closed'] as const) orders.transition(o.id, to, 'tech');
    const closed = orders.get(o.id)!;
    expect(closed.status).toBe('closed');
    expect(closed.respondedAt).not.toBeNull();
    expect(orders.audit(o.id).map((e) => e.to)).toEqual(['new', 'accepted', 'dispatched', 'on_site', 'resolved', 'closed']);
  });

  it('acknowledging an active alarm keeps it active until the fault clears', () => {
    const { engine, changes } = rig();
    engine.onReadings([r('elev-1', 'door_close_time', 9, clock)]);
    const id = changes[0]![1].id;
    expect(engine.acknowledge(id, 'duty', 'seen').state).toBe('active_ack');
    engine.onReadings([r('elev-1', 'door_close_time', 3, clock + 1000)]);
    expect(changes.at(-1)![1].state).toBe('normal');
  });
});
