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

  it('ignores readings redelivered after a crash, but takes a device clock reset as new data', () => {
    const first = rig();
    first.engine.onReadings([r('fire-1', 'fire_alarm', true, clock), r('fire-1', 'fire_alarm', false, clock + 1000)]);
    first.db.close();
    // After the restart the broker redelivers the two unacknowledged messages [MQTT-4.4.0-1].
    const second = rig(first.dataDir);
    second.engine.onReadings([r('fire-1', 'fire_alarm', true, clock), r('fire-1', 'fire_alarm', false, clock + 1000)]);
    expect(second.changes).toHaveLength(0);
    expect(second.engine.lateReadings).toBe(2); // the raise and the clear the database remembers
    second.engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 2000)]);
    expect(second.changes.map(([c]) => c)).toEqual(['raised']);
    // A clock set back by an hour is not "late": the fault it reports is a real one.
    second.engine.onReadings([r('fire-1', 'fire_alarm', false, clock - HOUR)]);
    expect(second.changes.map(([c]) => c)).toEqual(['raised', 'cleared']);
  });

  it('drops only true redeliveries: a reading older than the newest but new is evaluated at once', () => {
    const { engine, changes } = rig();
    // A panel reading dated 4 s ahead (inside the pipeline's tolerance), then a real fire alarm.
    engine.onReadings([r('fire-1', 'fire_alarm', false, clock + 4000)]);
    engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 1000)]);
    expect(changes.map(([c]) => c)).toEqual(['raised']);
    expect(changes[0]![1].raisedAt).toBe(clock + 1000);
    // The same message again (QoS 1 redelivery after a reconnect): ignored.
    engine.onReadings([r('fire-1', 'fire_alarm', false, clock + 4000), r('fire-1', 'fire_alarm', true, clock + 1000)]);
    expect(engine.lateReadings).toBe(2);
    expect(changes).toHaveLength(1);
    // A new reading with the same time but another value is news, not a redelivery.
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.4, clock + 9000)]);
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.1, clock + 5000)]);
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.1, clock + 8000)]);
    expect(changes.map(([c, a]) => `${c}:${a.fault}`)).toEqual(['raised:fire_alarm', 'raised:low_pressure']);
  });

  it('knows the readings that raised and cleared as redeliveries however many came in between', () => {
    const { engine, changes } = rig();
    engine.onReadings([r('fire-1', 'fire_alarm', true, clock), r('fire-1', 'fire_alarm', false, clock + 1000)]);
    // A minute of "normal", one reading a second: more than the last-readings memory holds.
    for (let i = 2; i <= 60; i++) engine.onReadings([r('fire-1', 'fire_alarm', false, clock + i * 1000)]);
    // A broker sends the raise and the clear again, long after (a duplicate from its stored queue).
    engine.onReadings([r('fire-1', 'fire_alarm', true, clock), r('fire-1', 'fire_alarm', false, clock + 1000)]);
    expect(changes.map(([c]) => c)).toEqual(['raised', 'cleared']);
    expect(engine.lateReadings).toBe(2);
    // A fire the panel dates a little in the past, never seen before: raised at once.
    engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 30_500)]);
    expect(changes.map(([c]) => c)).toEqual(['raised', 'cleared', 'raised']);
  });

  it('does not clear an active alarm with a reading dated before it was raised', () => {
    const { engine, changes } = rig();
    engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 5000)]);
    // An older "normal" delivered late (a broker sending stored messages after live ones).
    engine.onReadings([r('fire-1', 'fire_alarm', false, clock + 1000)]);
    expect(changes.map(([c]) => c)).toEqual(['raised']);
    expect(engine.lateReadings).toBe(1);
    engine.onReadings([r('fire-1', 'fire_alarm', false, clock + 6000)]);
    expect(changes.map(([c, a]) => `${c}:${a.clearedAt ?? ''}`)).toEqual(['raised:', `cleared:${clock + 6000}`]);
  });

  it('after a restart, a fire alarm is held back only when it is the very reading that was raised', () => {
    const first = rig();
    first.engine.onReadings([r('fire-1', 'fire_alarm', true, clock), r('fire-1', 'fire_alarm', false, clock + 1000)]);
    first.engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 2000), r('fire-1', 'fire_alarm', false, clock + 3000)]);
    first.engine.onReadings([r('elev-1', 'door_close_time', 9, clock), r('elev-1', 'door_close_time', 9.5, clock + 500), r('elev-1', 'door_close_time', 3, clock + 1000)]);
    first.db.close();
    const second = rig(first.dataDir);
    // The whole burst again: nothing is raised twice.
    second.engine.onReadings([r('fire-1', 'fire_alarm', true, clock), r('fire-1', 'fire_alarm', false, clock + 1000)]);
    second.engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 2000), r('fire-1', 'fire_alarm', false, clock + 3000)]);
    second.engine.onReadings([r('elev-1', 'door_close_time', 9, clock), r('elev-1', 'door_close_time', 9.5, clock + 500)]);
    expect(second.changes).toHaveLength(0);
    // A fire alarm dated between them that the previous run never saw is a fire.
    second.engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 2500)]);
    expect(second.changes.map(([c, a]) => `${c}:${a.fault}`)).toEqual(['raised:fire_alarm']);
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
