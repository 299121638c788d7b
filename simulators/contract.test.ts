/**
 * The simulators serve exactly the point maps of demo/site.yaml: same names, Modbus tables,
 * addresses, types, word orders and scales; same OPC UA node ids; same MQTT topic and paths.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createDemoDevices } from './devices.js';
import {
  CHILLER_MODBUS_MAP,
  ELEVATOR_OPCUA_POINTS,
  FIRE_PANEL_MQTT_PATHS,
  GENERATOR_MODBUS_MAP,
  POWER_MODBUS_MAP,
  PUMP_MODBUS_MAP,
  SUMP_PUMP_MQTT_PATHS,
  telemetryTopic,
  WATER_TANK_MODBUS_MAP,
} from './pointmaps.js';

interface SiteDevice {
  id: string;
  type: string;
  protocol: string;
  connection: Record<string, unknown>;
  points: Record<string, unknown>[];
}

// `${NAME:-default}` → default, as the gateway's loader does with an empty environment.
const text = readFileSync(new URL('../demo/site.yaml', import.meta.url), 'utf8').replace(/\$\{\w+:-([^}]*)\}/g, '$1');
const site = parse(text) as { site: { id: string }; devices: SiteDevice[] };
const byId = new Map(site.devices.map((d) => [d.id, d]));

describe('point maps match demo/site.yaml', () => {
  it('has the same devices, types and protocols', () => {
    const sims = createDemoDevices(1).map((d) => `${d.id}:${d.type}:${d.protocol}`);
    expect(sims.sort()).toEqual(site.devices.map((d) => `${d.id}:${d.type}:${d.protocol}`).sort());
  });

  it.each([
    ['pump-1', PUMP_MODBUS_MAP],
    ['pump-2', PUMP_MODBUS_MAP],
    ['power-1', POWER_MODBUS_MAP],
    ['gen-1', GENERATOR_MODBUS_MAP],
    ['tank-1', WATER_TANK_MODBUS_MAP],
    ['chiller-1', CHILLER_MODBUS_MAP],
  ] as const)('Modbus map of %s', (id, map) => {
    const ours = map.map(({ writable: _w, ...p }) => p);
    const theirs = byId.get(id)!.points.map((p) => ({ type: 'uint16', ...p })); // uint16 is the schema default
    expect(ours).toEqual(theirs);
    expect(byId.get(id)!.connection.unitId).toBe(1);
  });

  it.each(['elev-1', 'elev-2'])('OPC UA node ids of %s', (id) => {
    const theirs = byId.get(id)!.points.map((p) => [p.name, p.nodeId]);
    expect(ELEVATOR_OPCUA_POINTS.map((p) => [p.name, `ns=1;s=${id}.${p.name}`])).toEqual(theirs);
    expect(byId.get(id)!.connection.endpoint).toMatch(/\/facility$/);
  });

  it.each([
    ['fire-1', 'fire_panel', FIRE_PANEL_MQTT_PATHS],
    ['sump-1', 'sump_pump', SUMP_PUMP_MQTT_PATHS],
  ] as const)('MQTT topic and JSON paths of %s', (id, type, paths) => {
    const device = byId.get(id)!;
    expect(device.connection.topic).toBe(telemetryTopic(site.site.id, type, id));
    expect(device.connection.qos).toBe(1);
    expect(device.points.map((p) => p.path)).toEqual(paths);
  });

  it('every mapped point is a key of the model values', () => {
    for (const d of createDemoDevices(1)) {
      const values = d.model.values() as Record<string, unknown>;
      for (const p of byId.get(d.id)!.points) {
        const path = String(p.path ?? p.name).split('.');
        const value = path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], values);
        expect(value, `${d.id}.${path.join('.')}`).toBeDefined();
      }
    }
  });
});
