/**
 * Device time and redeliveries (./README.md): readings out of order, redelivered after a crash or
 * reconnect, or dated on a device clock that was reset.
 */
import { describe, expect, it } from 'vitest';
import { clock, HOUR, r, rig } from './fixtures/rig.js';

describe('readings out of order, redelivered, or after a device clock reset', () => {
  const MIN = 60_000;

  it('raises a fire after a clock reset even at a time an earlier timeline used', () => {
    const { engine, changes } = rig();
    // The panel boots with its clock at a fixed epoch: a fire at boot + 5 s, cleared at boot + 10 s.
    const boot = clock - 2 * HOUR;
    engine.onReadings([r('fire-1', 'fire_alarm', true, boot + 5000)]);
    engine.onReadings([r('fire-1', 'fire_alarm', false, boot + 10_000)]);
    // Its clock is then set right; it reports "normal" for an hour.
    for (let i = 0; i < 60; i++) engine.onReadings([r('fire-1', 'fire_alarm', false, clock + i * MIN)]);
    // It reboots, the clock back at the same epoch, and reports a real fire at boot + 5 s.
    engine.onReadings([r('fire-1', 'fire_alarm', true, boot + 5000)]);
    expect(changes.map(([c]) => c)).toEqual(['raised', 'cleared', 'raised']);
  });

  it('keeps a fire alarm active when an older "normal" arrives after a newer "fire"', () => {
    const { engine, changes } = rig();
    engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 1000)]);
    engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 3000)]);
    // A stored "normal" dated between them arrives last: the panel's newest state is still fire.
    engine.onReadings([r('fire-1', 'fire_alarm', false, clock + 2000)]);
    expect(changes.map(([c]) => c)).toEqual(['raised']);
    expect(engine.activeCount('fire-1')).toBe(1);
  });

  it('does not restart an on-delay for an older "normal" delivered late', () => {
    const { engine, changes } = rig();
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.2, clock)]);
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.2, clock + 1000)]);
    // A reading from before the pressure fell, delivered after the newer ones.
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.45, clock - 500)]);
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.2, clock + 2000)]);
    expect(changes.map(([c, a]) => `${c}:${a.raisedAt}`)).toEqual([`raised:${clock}`]);
  });

  it('measures a rate over the new timeline after a device clock reset', () => {
    const { engine, changes } = rig();
    // A hot bearing, steady for ten minutes; then the controller reboots with its clock an hour back.
    for (let i = 0; i <= 10; i++) engine.onReadings([r('pump-1', 'bearing_temp', 80 + (i % 2) * 0.5, clock + i * MIN)]);
    const reset = clock - HOUR;
    // After the reboot the bearing, cooled to 20 °C, heats by 25 °C in five minutes.
    for (let i = 0; i <= 5; i++) engine.onReadings([r('pump-1', 'bearing_temp', 20 + i * 5, reset + i * MIN)]);
    expect(changes.map(([c, a]) => `${c}:${a.fault}`)).toEqual(['raised:bearing_heating']);
  });

  it('counts an on-delay from the oldest reading of a queue that arrives newest first', () => {
    const { engine, changes } = rig();
    // A broker sends its stored queue after the live message, newest first: the pressure has
    // been low for 3 s, longer than the rule's 2 s on-delay.
    for (const ms of [3000, 2000, 1000]) engine.onReadings([r('pump-1', 'discharge_pressure', 0.2, clock + ms)]);
    // Raised as soon as the readings span the on-delay, from the oldest of them.
    expect(changes.map(([c, a]) => `${c}:${a.raisedAt}`)).toEqual([`raised:${clock + 1000}`]);
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.2, clock)]);
    expect(changes).toHaveLength(1);
  });

  it('does not count an on-delay across a late "normal" of a queue that arrives newest first', () => {
    const { engine, changes } = rig();
    // Low since 2.5 s at the latest: a "normal" at 1.5 s comes between the older low readings.
    for (const [ms, v] of [[3000, 0.2], [2500, 0.2], [1500, 0.45], [1000, 0.2], [0, 0.2]] as const) {
      engine.onReadings([r('pump-1', 'discharge_pressure', v, clock + ms)]);
    }
    expect(changes).toHaveLength(0);
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.2, clock + 4500)]);
    expect(changes.map(([c, a]) => `${c}:${a.raisedAt}`)).toEqual([`raised:${clock + 2500}`]);
  });

  it('does not count an on-delay across a "normal" it has seen', () => {
    const { engine, changes } = rig();
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.2, clock)]);
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.45, clock + 1000)]);
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.2, clock + 2000)]);
    // A late reading from before the "normal": the pressure has been low only since 2 s.
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.2, clock + 500)]);
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.2, clock + 3000)]);
    expect(changes).toHaveLength(0);
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.2, clock + 4000)]);
    expect(changes.map(([c, a]) => `${c}:${a.raisedAt}`)).toEqual([`raised:${clock + 2000}`]);
  });

  it('remembers no more transitions than ten minutes hold while a contact chatters for an hour', () => {
    const { engine, changes } = rig();
    // The engine's own map of raise and clear readings, the one state that grows with traffic.
    const states = (engine as unknown as { states: Map<unknown, { transitions: Map<number, unknown> | null }> }).states;
    const transitions = () => Math.max(...[...states.values()].map((s) => s.transitions?.size ?? 0));
    const perTenMinutes = (10 * MIN) / 100 + 1;
    let most = 0;
    // 10 Hz for an hour, each reading a raise or a clear; the last ten minutes arrive newest first.
    for (let i = 0; i < 36_000; i++) {
      const k = i < 30_000 ? i : 65_999 - i;
      engine.onReadings([r('fire-1', 'fire_alarm', k % 2 === 0, clock + k * 100)]);
      if (i % 1000 === 999) most = Math.max(most, transitions());
    }
    expect(most).toBeLessThanOrEqual(perTenMinutes);
    expect(changes.filter(([c]) => c === 'raised').length).toBeGreaterThanOrEqual(15_000);
  }, 60_000);

  it('measures a rate in time order when the readings arrive newest first', () => {
    const { engine, changes } = rig();
    // The bearing heats from 20 to 35 °C in two minutes; the broker sends its queue newest first.
    for (const [min, v] of [[2, 35], [1, 25], [0, 20]] as const) engine.onReadings([r('pump-1', 'bearing_temp', v, clock + min * MIN)]);
    expect(changes.map(([c, a]) => `${c}:${a.fault}`)).toEqual(['raised:bearing_heating']);
  });

  it('keeps a rate window in time order after a late reading, so later readings measure right', () => {
    const { engine, changes } = rig();
    engine.onReadings([r('pump-1', 'bearing_temp', 30, clock + 2 * MIN)]);
    engine.onReadings([r('pump-1', 'bearing_temp', 20, clock)]); // late, older: the baseline
    engine.onReadings([r('pump-1', 'bearing_temp', 30, clock + 3 * MIN)]);
    expect(changes).toHaveLength(0); // +10 °C in three minutes: not above the limit
    engine.onReadings([r('pump-1', 'bearing_temp', 31, clock + 4 * MIN)]);
    expect(changes.map(([c, a]) => `${c}:${a.fault}`)).toEqual(['raised:bearing_heating']);
  });

  it('counts the onsets of a repeat rule when the readings arrive newest first', () => {
    const { engine, changes } = rig();
    // The door faults three times in five minutes; the broker sends its queue newest first.
    const queue = [[5, true], [4, false], [3, true], [2, false], [1, true]] as const;
    for (const [min, v] of queue) engine.onReadings([r('elev-1', 'door_fault', v, clock + min * MIN)]);
    expect(changes.map(([c, a]) => `${c}:${a.fault}`)).toEqual(['raised:door_fault_repeated']);
  });

  it('after a restart, tells redeliveries from news when they arrive interleaved', () => {
    const first = rig();
    first.engine.onReadings([r('fire-1', 'fire_alarm', true, clock), r('fire-1', 'fire_alarm', false, clock + 1000)]);
    first.engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 2000)]);
    first.engine.onReadings([r('elev-1', 'door_close_time', 9, clock), r('elev-1', 'door_close_time', 3, clock + 1000)]);
    first.db.close();
    const second = rig(first.dataDir);
    const seen = () => second.changes.map(([c, a]) => `${c}:${a.fault}`);
    second.engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 2000)]); // redelivered: still active
    second.engine.onReadings([r('fire-1', 'fire_alarm', false, clock + 3000)]); // news: the fire clears
    second.engine.onReadings([r('fire-1', 'fire_alarm', false, clock + 1000), r('fire-1', 'fire_alarm', true, clock)]); // redelivered
    expect(seen()).toEqual(['cleared:fire_alarm']);
    second.engine.onReadings([r('elev-1', 'door_close_time', 9.5, clock + 4000)]); // news
    second.engine.onReadings([r('elev-1', 'door_close_time', 3, clock + 1000), r('elev-1', 'door_close_time', 9, clock)]); // redelivered
    second.engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 4000)]); // news: a second fire
    expect(seen()).toEqual(['cleared:fire_alarm', 'raised:slow_door', 'raised:fire_alarm']);
    expect(second.engine.activeCount('elev-1')).toBe(1);
    expect(second.engine.lateReadings).toBe(5);
  });

  it('does not raise again for an older reading of a fault it has raised and cleared', () => {
    const { engine, changes } = rig();
    engine.onReadings([r('elev-1', 'door_close_time', 9, clock + 5000)]);
    engine.onReadings([r('elev-1', 'door_close_time', 3, clock + 6000)]);
    // The controller repeats its value each half second; the broker sends the stored repeat last.
    engine.onReadings([r('elev-1', 'door_close_time', 9.2, clock + 5500)]);
    expect(changes.map(([c]) => c)).toEqual(['raised', 'cleared']);
    expect(engine.activeCount('elev-1')).toBe(0);
    engine.onReadings([r('elev-1', 'door_close_time', 9, clock + 7000)]); // the next fault
    expect(changes.map(([c]) => c)).toEqual(['raised', 'cleared', 'raised']);
  });

  it('raises a fire again for an older reading within one raised and cleared: a duplicate, never a suppression', () => {
    const { engine, changes } = rig();
    engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 5000)]);
    engine.onReadings([r('fire-1', 'fire_alarm', false, clock + 6000)]);
    engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 5500)]);
    expect(changes.map(([c]) => c)).toEqual(['raised', 'cleared', 'raised']);
  });

  it('after a restart, raises a fire dated at the time of a clear it remembers', () => {
    const first = rig();
    first.engine.onReadings([r('fire-1', 'fire_alarm', true, clock), r('fire-1', 'fire_alarm', false, clock + 1000)]);
    first.db.close();
    const second = rig(first.dataDir);
    // Same time as the remembered clear, another value: news, not a redelivery.
    second.engine.onReadings([r('fire-1', 'fire_alarm', true, clock + 1000)]);
    expect(second.changes.map(([c, a]) => `${c}:${a.raisedAt}`)).toEqual([`raised:${clock + 1000}`]);
  });

  it('keeps the on-delay for a device whose clock runs behind the gateway', () => {
    let now = clock;
    const { engine, changes } = rig(undefined, () => now);
    const behind = -HOUR; // the pump's clock is an hour slow
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.2, now + behind)]);
    engine.tick((now += 1000)); // the gateway's clock tick, a second after the dip arrived
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.45, now + behind)]);
    expect(changes).toHaveLength(0); // a one-second dip, shorter than the 2 s on-delay
    // A dip that lasts, on a point that sends only on change: raised by the clock after 2 s.
    engine.onReadings([r('pump-1', 'discharge_pressure', 0.2, (now += 1000) + behind)]);
    const dipAt = now + behind;
    engine.tick((now += 1000));
    expect(changes).toHaveLength(0);
    engine.tick((now += 1000));
    expect(changes.map(([c, a]) => `${c}:${a.raisedAt}`)).toEqual([`raised:${dipAt}`]);
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
});
