/**
 * The generator, water tank, sump pump and chiller end to end on the gateway's side: the demo
 * site config loads with their devices, their descriptors agree with themselves, and their
 * default rules, fed with the readings of the simulated equipment (the demo device's model on a
 * simulated clock, through the demo point map), stay quiet in normal running and raise the
 * expected alarm and work order, in the type's SLA category, when a fault is injected.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDemoDevices } from '../../simulators/devices.js';
import { SimClock } from '../../simulators/clock.js';
import { AlarmEngine } from '../alarms/engine.js';
import { AlarmRepository } from '../alarms/repository.js';
import { checkDescriptor } from './check.js';
import { createLogger } from '../core/log.js';
import type { Reading } from '../core/reading.js';
import { loadConfig, siteDefaultRules } from '../site/load.js';
import { openDatabase } from '../storage/sqlite.js';
import { WorkOrderRepository } from '../workorders/repository.js';
import { WorkOrderService } from '../workorders/service.js';
import { SlaBook } from '../workorders/sla.js';
import { equipmentTypes } from './index.js';

const log = createLogger('test', 'silent');
const HOUR = 3_600_000;
const PLANT = { 'gen-1': 'generator', 'tank-1': 'water_tank', 'sump-1': 'sump_pump', 'chiller-1': 'chiller' } as const;
type PlantDevice = keyof typeof PLANT;
const dataDir = mkdtempSync(join(tmpdir(), 'gw-plant-types-'));
const { config } = loadConfig(new URL('../../demo/site.yaml', import.meta.url).pathname, { GW_DATA_DIR: dataDir });

/** The demo site's plant devices on a simulated clock, read through their point maps into the real alarm engine. */
function plantRoom(seed: number, startTime = Date.UTC(2026, 2, 2, 5, 0)) {
  const db = openDatabase(mkdtempSync(join(tmpdir(), 'gw-plant-')), 'gateway.db');
  const clock = new SimClock({ startTime });
  const engine = new AlarmEngine(config.rules, config.devices, new AlarmRepository(db), log, { defaults: siteDefaultRules(config), now: () => clock.now() });
  const orders = new WorkOrderService(new WorkOrderRepository(db), new SlaBook(config.sla), log, () => clock.now());
  const raised: { device: string; fault: string; rule: string }[] = [];
  engine.onAlarm((a, change) => {
    if (change !== 'raised') return;
    raised.push({ device: a.device, fault: a.fault, rule: a.rule });
    // As the gateway's wiring does: the rule's own priority wins over its category's.
    orders.fromAlarm(a, engine.ruleOf(a.rule, a.device)?.priority);
  });
  const sims = createDemoDevices(seed).filter((d) => d.id in PLANT);
  const readingsOf = (id: string): Reading[] => {
    const values = sims.find((d) => d.id === id)!.model.values() as Record<string, unknown>;
    const points = config.devices.find((d) => d.id === id)!.points;
    return points.map((p) => {
      const path = String(p['path'] ?? p['name']).split('.');
      const value = path.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], values) as number | boolean;
      return { device: id, point: String(p['name']), value, quality: 'good', ts: clock.now() };
    });
  };
  /** Step the models 0.1 s at a time, the gateway reading every point once a simulated second. */
  const run = (seconds: number) => {
    for (let s = 0; s < seconds; s++) {
      clock.advance((dt, t) => sims.forEach((d) => d.model.step(dt, t)), 10);
      engine.onReadings(sims.flatMap((d) => readingsOf(d.id)));
    }
  };
  const sim = (id: PlantDevice) => sims.find((d) => d.id === id)!;
  return { run, sim, raised, orders };
}

describe('generator, water tank, sump pump and chiller types', () => {
  it('are in the demo site config, on their protocols, with descriptors that agree with themselves', () => {
    for (const [id, type] of Object.entries(PLANT)) {
      const device = config.devices.find((d) => d.id === id);
      expect(device?.type, id).toBe(type);
      const descriptor = equipmentTypes[type]!;
      expect(checkDescriptor(descriptor, type)).toEqual([]);
      // Every point the demo device maps is in the type's vocabulary (labels, units on the dashboard).
      const vocabulary = new Set(descriptor.points.map((p) => p.name));
      for (const p of device!.points) expect(vocabulary.has(String(p['name'])), `${id}.${String(p['name'])}`).toBe(true);
      expect(descriptor.plans?.length).toBeGreaterThan(0);
      expect(descriptor.tile?.points.length).toBeGreaterThan(2);
    }
    expect(config.devices.map((d) => `${d.id}:${d.protocol}`)).toEqual(expect.arrayContaining(['gen-1:modbus', 'tank-1:modbus', 'chiller-1:modbus', 'sump-1:mqtt']));
    const monthly = equipmentTypes.generator!.plans!.find((p) => p.id === 'generator-monthly-test');
    expect(monthly).toMatchObject({ every: '30d' });
  });

  it('stay quiet through a simulated day of normal running', () => {
    const room = plantRoom(5, Date.UTC(2026, 2, 2, 0, 0));
    room.run(24 * 3600);
    expect(room.raised).toEqual([]);
  }, 60_000);

  it.each([
    ['gen-1', 'fails_to_start', ['fails_to_start'], 60],
    ['gen-1', 'battery_low', ['battery_low'], 60],
    ['gen-1', 'low_fuel', ['low_fuel'], 120],
    ['gen-1', 'over_temperature', ['over_temperature'], 120],
    ['tank-1', 'inlet_stuck_open', ['high_level', 'overflow'], 120],
    ['tank-1', 'supply_failure', ['low_level'], 120],
    ['sump-1', 'fails_to_start', ['fails_to_start', 'high_level'], 90],
    ['sump-1', 'high_inflow', ['high_level'], 90],
    ['chiller-1', 'high_discharge_pressure', ['high_discharge_pressure'], 180],
    ['chiller-1', 'low_suction_pressure', ['low_suction_pressure'], 120],
    ['chiller-1', 'compressor_trip', ['compressor_trip', 'chw_supply_high'], 600],
  ] as const)('%s %s raises %j', (device, fault, expected, seconds) => {
    const room = plantRoom(7);
    room.run(120);
    expect(room.raised).toEqual([]);
    expect(room.sim(device).inject(fault)).toBe(true);
    room.run(seconds);
    expect(room.raised.filter((r) => r.device === device).map((r) => r.fault).sort()).toEqual([...expected].sort());
    expect(room.raised.every((r) => r.device === device)).toBe(true);
    const category = equipmentTypes[PLANT[device]]!.category;
    for (const order of room.orders.list()) {
      expect(order.category).toBe(category);
      // seed 2.1: water and power faults answered within 1 h; the chiller's general 24 h unless urgent.
      const hours = category === 'general' && order.priority !== 'urgent' ? 24 : 1;
      if (category !== 'general') expect(order.respondBy - order.faultAt).toBe(hours * HOUR);
    }
  });

  it('makes a chiller compressor trip urgent though chillers have the general deadline', () => {
    const room = plantRoom(9);
    room.run(60);
    room.sim('chiller-1').inject('compressor_trip');
    room.run(5);
    const [order] = room.orders.list();
    expect(order).toMatchObject({ device: 'chiller-1', fault: 'compressor_trip', category: 'general', priority: 'urgent' });
  });
});
