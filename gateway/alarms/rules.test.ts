/**
 * Every rule kind through the real engine, SQLite store and work-order service, on a fake clock:
 * limits with hysteresis and on-delay, state match, rate of change, repeat count, stale data,
 * comms lost, scoping (type, tag, device) and per-device overrides of the built-in rules,
 * shelving, and a flapping signal that makes exactly one order.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeviceConfig, RuleConfig } from '../config/schema.js';
import { createLogger } from '../core/log.js';
import type { Alarm } from '../core/model.js';
import type { PointValue } from '../core/reading.js';
import { openDatabase } from '../storage/sqlite.js';
import { WorkOrderRepository } from '../workorders/repository.js';
import { WorkOrderService } from '../workorders/service.js';
import { SlaBook } from '../workorders/sla.js';
import { wireMaintenance } from '../workorders/wiring.js';
import { equipmentTypes, EquipmentCatalogue } from '../equipment/index.js';

const DEFAULT_RULES = new EquipmentCatalogue(equipmentTypes).defaultRules();
import { AlarmEngine } from './engine.js';
import { AlarmRepository } from './repository.js';
import { validateRules } from './rules.js';

const log = createLogger('test', 'silent');
const T0 = Date.UTC(2026, 10, 28, 8, 0, 0);
const S = 1000;
const MIN = 60 * S;

const dev = (id: string, type: DeviceConfig['type'], points: string[], tags?: string[]): DeviceConfig =>
  ({ id, type, protocol: 'mqtt', connection: {}, points: points.map((name) => ({ name })), ...(tags ? { tags } : {}) });

function rig(rules: RuleConfig[], devices: DeviceConfig[], defaults: readonly RuleConfig[] = []) {
  const clock = { now: T0 };
  const db = openDatabase(mkdtempSync(join(tmpdir(), 'gw-rules-')), 'gateway.db');
  const alarmRepo = new AlarmRepository(db);
  const orders = new WorkOrderService(new WorkOrderRepository(db), new SlaBook([]), log, () => clock.now);
  const engine = new AlarmEngine(rules, devices, alarmRepo, log, { defaults, now: () => clock.now });
  const m = wireMaintenance({ alarms: engine, alarmRepo, orders, history: { writeEvent: () => undefined }, realtime: null, notifier: null, log });
  const changes: string[] = [];
  const alarms: Alarm[] = [];
  engine.onAlarm((a, c) => {
    changes.push(`${c}:${a.rule}`);
    alarms.push(a);
  });
  /** A reading at the current clock, then advance the clock by `step`. */
  const feed = (device: string, point: string, value: PointValue, step = S) => {
    engine.onReadings([{ device, point, value, quality: 'good', ts: clock.now }]);
    clock.now += step;
  };
  return { clock, engine, orders, changes, alarms, feed, m, alarmRepo };
}

const pump = dev('pump-1', 'pump', ['discharge_pressure', 'starts', 'bearing_temp']);

describe('rule kinds', () => {
  it('limit with on-delay and hysteresis: raises after `for`, clears only past the clear level', () => {
    const r = rig([{ id: 'lp', equipment: 'pump', point: 'discharge_pressure', below: 0.25, clear: 0.3, for: '5s', fault: 'low_pressure', severity: 'major', category: 'water' }], [pump]);
    for (let i = 0; i < 5; i++) r.feed('pump-1', 'discharge_pressure', 0.2);
    expect(r.changes).toEqual([]);
    r.feed('pump-1', 'discharge_pressure', 0.2);
    expect(r.changes).toEqual(['raised:lp']);
    expect(r.alarms[0]!.raisedAt).toBe(T0); // fault time = when the condition began
    r.feed('pump-1', 'discharge_pressure', 0.28); // above trip, below clear: stays active
    expect(r.changes).toHaveLength(1);
    r.feed('pump-1', 'discharge_pressure', 0.31);
    expect(r.changes).toEqual(['raised:lp', 'cleared:lp']);
  });

  it('on-delay also ends by the clock when the point reports only on change', () => {
    const r = rig([{ id: 'hot', equipment: 'pump', point: 'bearing_temp', above: 80, for: '30s', fault: 'bearing_overtemp', severity: 'major', category: 'water' }], [pump]);
    r.feed('pump-1', 'bearing_temp', 85, 0);
    r.engine.tick(T0 + 29 * S);
    expect(r.changes).toEqual([]);
    r.engine.tick(T0 + 30 * S);
    expect(r.changes).toEqual(['raised:hot']);
  });

  it('state match (equals) raises at once, and fire alarms and trapped passengers are emergencies', () => {
    const panel = dev('fire-1', 'fire_panel', ['fire_alarm']);
    const lift = dev('elev-1', 'elevator', ['trapped']);
    const r = rig([], [panel, lift], DEFAULT_RULES);
    r.feed('fire-1', 'fire_alarm', true, 0);
    r.feed('elev-1', 'trapped', true, 0);
    expect(r.changes.sort()).toEqual(['raised:elevator.trapped-passenger', 'raised:fire.alarm']);
    const orders = r.orders.list();
    for (const o of orders) expect(o.priority).toBe('emergency');
    const trapped = orders.find((o) => o.fault === 'trapped_passenger')!;
    // seed 2.1 elevator on-site 2 h, tightened to the emergency policy (docs/design.md §1: 5 min / 30 min); category stays elevator.
    expect(trapped).toMatchObject({ category: 'elevator' });
    expect(trapped.respondBy - trapped.faultAt).toBe(5 * MIN);
    expect(trapped.onSiteBy! - trapped.faultAt).toBe(30 * MIN);
  });

  it('rate of change: a counter rising faster than the limit per period', () => {
    const r = rig([{ id: 'cyc', equipment: 'pump', point: 'starts', rate: { above: 15, per: '1h' }, fault: 'short_cycling', severity: 'minor', category: 'water' }], [pump]);
    // 6 starts an hour for 2 hours: healthy.
    for (let i = 0; i < 12; i++) r.feed('pump-1', 'starts', 1000 + i, 10 * MIN);
    expect(r.changes).toEqual([]);
    // Then a start every 2 minutes: the 12th fast start makes more than 15 within the last hour.
    let n = 1012;
    for (let i = 0; i < 11; i++) r.feed('pump-1', 'starts', ++n, 2 * MIN);
    expect(r.changes).toEqual([]);
    r.feed('pump-1', 'starts', ++n, 2 * MIN);
    expect(r.changes).toEqual(['raised:cyc']);
    // Back to a start every 20 min: the hourly change falls under the limit and the alarm clears.
    for (let i = 0; i < 5; i++) r.feed('pump-1', 'starts', ++n, 20 * MIN);
    expect(r.changes).toEqual(['raised:cyc', 'cleared:cyc']);
  });

  it('repeat count: N starts of the condition within a window', () => {
    const panel = dev('fire-1', 'fire_panel', ['trouble']);
    const r = rig([{ id: 'flaky', equipment: 'fire_panel', point: 'trouble', equals: true, repeat: { count: 3, within: '10m' }, fault: 'intermittent_trouble', severity: 'minor', category: 'fire' }], [panel]);
    for (let i = 0; i < 2; i++) {
      r.feed('fire-1', 'trouble', true, 30 * S);
      r.feed('fire-1', 'trouble', false, 30 * S);
    }
    expect(r.changes).toEqual([]);
    r.feed('fire-1', 'trouble', true, 30 * S);
    expect(r.changes).toEqual(['raised:flaky']);
    expect(r.alarms[0]!.raisedAt).toBe(T0); // the first start in the window
    r.feed('fire-1', 'trouble', false, 0);
    expect(r.changes).toHaveLength(1); // still 3 starts within 10 min
    r.engine.tick(T0 + 11 * MIN);
    expect(r.changes).toEqual(['raised:flaky', 'cleared:flaky']);
  });

  it('stale data: no new reading of the point for N s; the next reading clears it', () => {
    const r = rig([{ id: 'stale', equipment: 'pump', point: 'discharge_pressure', stale: '60s', fault: 'stale_data', severity: 'minor', category: 'water' }], [pump]);
    r.feed('pump-1', 'discharge_pressure', 0.5, 0);
    r.feed('pump-1', 'starts', 1, 0); // another point does not count
    r.engine.tick(T0 + 59 * S);
    expect(r.changes).toEqual([]);
    r.engine.tick(T0 + 60 * S);
    expect(r.changes).toEqual(['raised:stale']);
    expect(r.alarms[0]!.raisedAt).toBe(T0 + 60 * S);
    r.clock.now = T0 + 70 * S;
    r.feed('pump-1', 'discharge_pressure', 0.5);
    expect(r.changes).toEqual(['raised:stale', 'cleared:stale']);
  });

  it('comms lost: offline for N s raises with the fault time of the drop; online clears', () => {
    const r = rig([{ id: 'comm', equipment: 'pump', commLost: '30s', fault: 'comms_lost', severity: 'major', category: 'water' }], [pump]);
    r.engine.onStatus({ device: 'pump-1', comm: 'online', ts: T0 });
    r.engine.onStatus({ device: 'pump-1', comm: 'offline', ts: T0 + 10 * S });
    r.engine.tick(T0 + 39 * S);
    expect(r.changes).toEqual([]);
    r.engine.tick(T0 + 40 * S);
    expect(r.changes).toEqual(['raised:comm']);
    expect(r.alarms[0]!.raisedAt).toBe(T0 + 10 * S);
    r.engine.onStatus({ device: 'pump-1', comm: 'online', ts: T0 + 50 * S });
    expect(r.changes).toEqual(['raised:comm', 'cleared:comm']);
    expect(r.orders.list()[0]).toMatchObject({ fault: 'comms_lost', faultAt: T0 + 10 * S });
  });

  it('scopes by equipment type, tag or device, and a device override moves one limit', () => {
    const p1 = dev('pump-1', 'pump', ['bearing_temp'], ['booster']);
    const p2 = dev('pump-2', 'pump', ['bearing_temp']);
    const site: RuleConfig[] = [
      { id: 'pump.bearing-overtemp', device: 'pump-2', above: 90, clear: 85, fault: 'bearing_overtemp', severity: 'major', category: 'water' },
      { id: 'booster-hot', tag: 'booster', point: 'bearing_temp', above: 60, fault: 'booster_warm', severity: 'warning', category: 'water' },
    ];
    expect(validateRules(site, new Set(['pump-1', 'pump-2']), 'rules', DEFAULT_RULES)).toEqual([]);
    const r = rig(site, [p1, p2], DEFAULT_RULES.filter((x) => x.id === 'pump.bearing-overtemp').map((x) => ({ ...x, for: '0s' })));
    r.feed('pump-1', 'bearing_temp', 85, 0);
    r.feed('pump-2', 'bearing_temp', 85, 0);
    expect(r.changes.sort()).toEqual(['raised:booster-hot', 'raised:pump.bearing-overtemp']);
    expect(r.alarms.find((a) => a.rule === 'pump.bearing-overtemp')!.device).toBe('pump-1'); // pump-2 trips at 90 only
    r.feed('pump-2', 'bearing_temp', 91, 0);
    expect(r.alarms.filter((a) => a.rule === 'pump.bearing-overtemp').map((a) => a.device)).toEqual(['pump-1', 'pump-2']);
  });

  it('rejects rules with no or two kinds and unknown devices, naming the key', () => {
    const bad = [
      { id: 'a', equipment: 'pump', point: 'x', fault: 'f', severity: 'minor', category: 'water' },
      { id: 'b', equipment: 'pump', point: 'x', above: 1, stale: '5s', fault: 'f', severity: 'minor', category: 'water' },
      { id: 'c', device: 'nope', point: 'x', above: 1, fault: 'f', severity: 'minor', category: 'water' },
    ] as RuleConfig[];
    const problems = validateRules(bad, new Set(['pump-1']));
    expect(problems).toEqual([
      'rules[0]: needs exactly one of "above", "below" or "equals" (or "rate", "stale", "commLost")',
      'rules[1]: needs exactly one of "above", "below" or "equals" (or "rate", "stale", "commLost")',
      'rules[2].device: no device with id "nope"',
    ]);
  });
});

describe('alarm lifecycle', () => {
  it('a flapping signal around a limit makes exactly one order', () => {
    const r = rig([{ id: 'uv', equipment: 'power', point: 'voltage_l1', below: 198, clear: 202, fault: 'undervoltage', severity: 'major', category: 'power' }],
      [dev('power-1', 'power', ['voltage_l1'])]);
    // Noise around the trip level: hysteresis keeps one alarm.
    for (let i = 0; i < 50; i++) r.feed('power-1', 'voltage_l1', i % 2 ? 197.6 : 198.4);
    expect(r.changes).toEqual(['raised:uv']);
    // Swings across both levels: several alarms, still one open order carrying the occurrences.
    for (let i = 0; i < 20; i++) r.feed('power-1', 'voltage_l1', i % 2 ? 196 : 204);
    const orders = r.orders.list();
    expect(orders).toHaveLength(1);
    expect(orders[0]!.occurrences).toBe(r.changes.filter((c) => c.startsWith('raised')).length);
    expect(orders[0]!.occurrences).toBeGreaterThan(1);
  });

  it('shelves with an expiry: new alarms are recorded but raise no order until the shelve ends', () => {
    const r = rig([{ id: 'fa', equipment: 'fire_panel', point: 'trouble', equals: true, fault: 'trouble', severity: 'major', category: 'fire' }],
      [dev('fire-1', 'fire_panel', ['trouble'])]);
    r.feed('fire-1', 'trouble', true);
    const first = r.alarms[0]!;
    const order = r.orders.list()[0]!;
    r.orders.transition(order.id, 'cancelled', 'duty', 'known panel fault, contractor booked');
    const shelved = r.engine.shelve(first.id, r.clock.now + 10 * MIN, 'duty', 'contractor booked');
    expect(shelved.shelvedUntil).toBe(T0 + S + 10 * MIN);
    r.feed('fire-1', 'trouble', false);
    r.feed('fire-1', 'trouble', true); // new alarm while shelved
    const during = r.alarms.at(-1)!;
    expect(during.shelvedUntil).toBeGreaterThan(r.clock.now);
    expect(r.orders.list({ open: true })).toHaveLength(0);
    r.engine.tick(T0 + 12 * MIN); // expiry: the still active alarm is annunciated and gets its order
    expect(r.changes.at(-1)).toBe('unshelved:fa');
    expect(r.orders.list({ open: true })).toHaveLength(1);
    expect(r.alarmRepo.get(during.id)!.shelvedUntil).toBeNull();
  });

  it('a device with an order in progress attaches new alarms of the same fault to it', () => {
    const r = rig([{ id: 'fa', equipment: 'fire_panel', point: 'fire_alarm', equals: true, fault: 'fire_alarm', severity: 'critical', category: 'fire' }],
      [dev('fire-1', 'fire_panel', ['fire_alarm'])]);
    r.feed('fire-1', 'fire_alarm', true);
    const o = r.orders.list()[0]!;
    for (const to of ['accepted', 'dispatched', 'on_site'] as const) r.orders.transition(o.id, to, 'tech');
    r.feed('fire-1', 'fire_alarm', false);
    r.feed('fire-1', 'fire_alarm', true);
    expect(r.orders.list()).toHaveLength(1);
    expect(r.orders.get(o.id)).toMatchObject({ status: 'on_site', occurrences: 2 });
    expect(r.orders.audit(o.id).map((e) => e.action)).toContain('occurrence');
  });

  it('repairs an alarm left without an order by a crash between the two commits', () => {
    const r = rig([], [pump]);
    r.alarmRepo.insert({ id: 'orphan', site: 'local', device: 'pump-1', rule: 'x', fault: 'dry_run', severity: 'critical', category: 'water', message: 'm', state: 'active_unack', value: 0, raisedAt: T0, clearedAt: null, ackedAt: null, ackedBy: null, workOrderId: null });
    expect(r.m.reconcile()).toBe(1);
    expect(r.m.reconcile()).toBe(0);
    expect(r.orders.orderForAlarm('orphan')).toBeTruthy();
  });
});

describe('built-in rules on healthy values', () => {
  it('raise nothing for typical healthy readings of the four equipment types', () => {
    const devices = [
      dev('elev-1', 'elevator', ['trapped', 'door_close_time', 'fault_code', 'car_vibration']),
      dev('pump-1', 'pump', ['discharge_pressure', 'suction_pressure', 'motor_current', 'bearing_temp', 'vibration', 'starts']),
      dev('power-1', 'power', ['voltage_l1', 'voltage_l2', 'voltage_l3', 'thd_v', 'transformer_temp', 'frequency']),
      dev('fire-1', 'fire_panel', ['fire_alarm', 'supervisory', 'trouble', 'battery_voltage', 'mains_voltage']),
    ];
    const r = rig([], devices, DEFAULT_RULES);
    for (const d of devices) r.engine.onStatus({ device: d.id, comm: 'online', ts: T0 });
    const healthy: Record<string, Record<string, PointValue>> = {
      'elev-1': { trapped: false, door_close_time: 3.1, fault_code: 0, car_vibration: 14 },
      'pump-1': { discharge_pressure: 0.48, suction_pressure: 0.08, motor_current: 6.4, bearing_temp: 45, vibration: 2.3 },
      'power-1': { voltage_l1: 226, voltage_l2: 228, voltage_l3: 227, thd_v: 3, transformer_temp: 70, frequency: 50.02 },
      'fire-1': { fire_alarm: false, supervisory: false, trouble: false, battery_voltage: 27.2, mains_voltage: 230 },
    };
    for (let s = 0; s < 120; s++) {
      for (const [device, points] of Object.entries(healthy)) for (const [p, v] of Object.entries(points)) r.feed(device, p, v, 0);
      r.feed('pump-1', 'starts', 5000 + Math.floor(s / 10), 0); // 12 starts over the run
      r.clock.now += 30 * S;
      r.engine.tick();
    }
    expect(r.changes).toEqual([]);
  });
});
