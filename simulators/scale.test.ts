/**
 * Scale mode: 1,000 devices from one process step cheaply, and scaleSiteDevices() gives the
 * gateway a valid, matching `devices:` list. (The full stack at this size is measured by
 * `npx tsx simulators/bench-scale.ts`, not here.)
 */
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DeviceConfig } from '../gateway/config/schema.js';
import { ModbusConnection, ModbusPoint } from '../gateway/connectors/modbus/schema.js';
import { MqttConnection, MqttPoint } from '../gateway/connectors/mqtt/schema.js';
import { OpcuaConnection, OpcuaPoint } from '../gateway/connectors/opcua/schema.js';
import { SimClock } from './clock.js';
import { createScaleDevices, SCALE_TYPES } from './devices.js';
import { parseScale, scaleSiteDevices, scaleSiteDevicesYaml, type SiteDeviceConfig } from './scale.js';

const COUNTS = { elevator: 250, pump: 250, power: 250, fire_panel: 250 };

describe('scale mode', () => {
  it('steps 1,000 devices at 1 Hz for well under 10 % of a core', () => {
    const devices = createScaleDevices(1, COUNTS);
    expect(devices).toHaveLength(1000);
    expect(new Set(devices.map((d) => d.id)).size).toBe(1000);
    expect(devices.map((d) => d.id).filter((id) => id.endsWith('-0001'))).toEqual(['elev-0001', 'pump-0001', 'power-0001', 'fire-0001']);
    const clock = new SimClock({ tickMs: 1000, startTime: Date.UTC(2026, 0, 5, 7) });
    const step = (dt: number, t: number) => {
      for (const d of devices) d.step(dt, t);
    };
    clock.advance(step, 5); // warm up the JIT
    const seconds = 60;
    const t0 = process.cpuUsage();
    clock.advance(step, seconds);
    const used = process.cpuUsage(t0);
    const msPerSecond = (used.user + used.system) / 1000 / seconds;
    // 10 % of a core is 100 ms per second; typically about 3–6 ms here.
    expect(msPerSecond).toBeLessThan(50);
    const pump = devices.find((d) => d.id === 'pump-0250')!.model.values() as { discharge_pressure: number };
    expect(pump.discharge_pressure).toBeGreaterThan(0.3);
  });

  it('generates gateway device entries that pass the gateway schemas', () => {
    const list = scaleSiteDevices({ counts: COUNTS, modbusBasePort: 15020, opcuaPort: 14840, brokerUrl: 'mqtt://127.0.0.1:11883' });
    expect(list).toHaveLength(1000);
    const schemas = {
      modbus: [ModbusConnection, ModbusPoint],
      opcua: [OpcuaConnection, OpcuaPoint],
      mqtt: [MqttConnection, MqttPoint],
    } as const;
    for (const d of list) {
      expect(Value.Check(DeviceConfig, d), d.id).toBe(true);
      const [conn, point] = schemas[d.protocol];
      expect(Value.Check(conn, d.connection), `${d.id} connection`).toBe(true);
      for (const p of d.points) expect(Value.Check(point, p), `${d.id} ${JSON.stringify(p)}`).toBe(true);
    }
    const byId = new Map(list.map((d) => [d.id, d]));
    // Pumps then meters, 247 unit ids per Modbus server.
    expect(byId.get('pump-0247')!.connection).toMatchObject({ port: 15020, unitId: 247 });
    expect(byId.get('pump-0248')!.connection).toMatchObject({ port: 15021, unitId: 1 });
    expect(byId.get('power-0250')!.connection).toMatchObject({ port: 15022, unitId: 6 });
    expect(byId.get('elev-0042')!.points[4]).toEqual({ name: 'door_close_time', nodeId: 'ns=1;s=elev-0042.door_close_time', unit: 's' });
    expect(byId.get('fire-0250')!.connection).toMatchObject({ topic: 'site/demo/fire_panel/fire-0250/telemetry', url: 'mqtt://127.0.0.1:11883' });
    expect(scaleSiteDevicesYaml({ counts: { pump: 1 } })).toMatch(/^devices:\n {2}- id: pump-0001\n/);
  });

  it('appends the plant types after the original four without moving them', () => {
    const plant = { generator: 250, water_tank: 2, chiller: 3, sump_pump: 2 };
    const list = scaleSiteDevices({ counts: { ...COUNTS, ...plant }, modbusBasePort: 15020, brokerUrl: 'mqtt://127.0.0.1:11883' });
    // The first 1,000 entries are those of the original four, unchanged.
    expect(list.slice(0, 1000)).toEqual(scaleSiteDevices({ counts: COUNTS, modbusBasePort: 15020, brokerUrl: 'mqtt://127.0.0.1:11883' }));
    expect(list.slice(1000).map((d) => d.id).filter((id) => /-000[12]$/.test(id))).toEqual([
      'gen-0001', 'gen-0002', 'tank-0001', 'tank-0002', 'chiller-0001', 'chiller-0002', 'sump-0001', 'sump-0002',
    ]);
    const byId = new Map(list.map((d) => [d.id, d]));
    // Modbus units run on after power-0250 (port 15022, unit 6): generators, tanks, chillers.
    expect(byId.get('gen-0001')!.connection).toMatchObject({ port: 15022, unitId: 7 });
    expect(byId.get('gen-0241')!.connection).toMatchObject({ port: 15022, unitId: 247 });
    expect(byId.get('gen-0242')!.connection).toMatchObject({ port: 15023, unitId: 1 });
    expect(byId.get('tank-0001')!.connection).toMatchObject({ port: 15023, unitId: 10 });
    expect(byId.get('chiller-0003')!.connection).toMatchObject({ port: 15023, unitId: 14 });
    expect(byId.get('sump-0002')!.connection).toMatchObject({ topic: 'site/demo/sump_pump/sump-0002/telemetry', url: 'mqtt://127.0.0.1:11883' });
    expect(byId.get('gen-0051')).toMatchObject({ name: 'Standby generator 51', type: 'generator', building: 'B02', protocol: 'modbus' });
    // The simulators number the same way.
    const sims = createScaleDevices(1, { ...COUNTS, ...plant });
    expect(sims.map((d) => d.id)).toEqual(list.map((d) => d.id));
    expect(sims.map((d) => d.protocol)).toEqual(list.map((d) => d.protocol));
  });

  it('gives every Modbus and MQTT type the points of its demo device (demo/site.yaml)', () => {
    const text = readFileSync(new URL('../demo/site.yaml', import.meta.url), 'utf8').replace(/\$\{\w+:-([^}]*)\}/g, '$1');
    const demo = (parse(text) as { devices: SiteDeviceConfig[] }).devices;
    const counts = Object.fromEntries(SCALE_TYPES.map((t) => [t, 1]));
    const types = new Set<string>();
    for (const d of scaleSiteDevices({ counts })) {
      if (d.protocol === 'opcua') continue;
      const theirs = demo.find((x) => x.type === d.type)!;
      expect(d.points, d.type).toEqual(theirs.points.map((p) => (d.protocol === 'modbus' ? { type: 'uint16', ...p } : p)));
      types.add(d.type);
    }
    expect([...types].sort()).toEqual(['chiller', 'fire_panel', 'generator', 'power', 'pump', 'sump_pump', 'water_tank']);
  });

  it('parses the --scale flag', () => {
    expect(parseScale('pump=250, elevator=10, sump_pump=3')).toEqual({ pump: 250, elevator: 10, sump_pump: 3 });
    expect(parseScale('all=2')).toEqual({ elevator: 2, pump: 2, power: 2, fire_panel: 2, generator: 2, water_tank: 2, chiller: 2, sump_pump: 2 });
    expect(parseScale('all=2,generator=5').generator).toBe(5);
    expect(() => parseScale('lift=3')).toThrow(/one of .*sump_pump/);
  });
});
