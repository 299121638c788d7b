/**
 * Scale mode, gateway side: the site-config `devices:` entries that match
 * `startSimulators({ scale })`, so a benchmark can point the gateway at 1,000+ simulated devices.
 *
 * Layout (the same as index.ts): elevators `elev-0001`... in the one OPC UA server, a folder each;
 * pumps `pump-0001`... then meters `power-0001`... behind Modbus TCP servers of up to 247 unit
 * ids each, on ports modbusBasePort, modbusBasePort + 1, ... (unit id = position + 1); fire
 * panels `fire-0001`... publish to `site/<siteId>/fire_panel/<id>/telemetry`.
 */
import { stringify } from 'yaml';
import { scaleId } from './devices.js';
import type { EquipmentType } from './models/model.js';
import { ELEVATOR_OPCUA_POINTS, FIRE_PANEL_MQTT_PATHS, POWER_MODBUS_MAP, PUMP_MODBUS_MAP, telemetryTopic } from './pointmaps.js';

export type ScaleCounts = Partial<Record<EquipmentType, number>>;

/** A `devices:` entry of the gateway's site config (gateway/config/schema.ts DeviceConfig). */
export interface SiteDeviceConfig {
  id: string;
  name: string;
  type: EquipmentType;
  building: string;
  protocol: 'opcua' | 'modbus' | 'mqtt';
  connection: Record<string, unknown>;
  points: Record<string, unknown>[];
}

export interface ScaleSiteOptions {
  counts: ScaleCounts;
  /** Host the simulators listen on (default 127.0.0.1). */
  host?: string;
  /** OPC UA port (default 4840), or the full endpoint. */
  opcuaPort?: number;
  opcuaEndpoint?: string;
  /** First Modbus server port (default 5020). */
  modbusBasePort?: number;
  /** Exact Modbus addresses, e.g. a running stack's `ports.modbusUnits` (wins over modbusBasePort). */
  modbusUnits?: Record<string, { port: number; unitId: number }>;
  brokerUrl?: string;
  siteId?: string;
  /** Modbus poll interval and timeout, OPC UA sampling/publishing interval (ms). */
  pollInterval?: number;
  timeout?: number;
  samplingInterval?: number;
  /** Devices per building label (default 50): B01, B02, ... */
  perBuilding?: number;
}

export const UNITS_PER_SERVER = 247;

/** The demo's gateway names of the fire panel's JSON paths. */
const FIRE_POINT_NAMES: Record<string, string> = { 'power.mains_v': 'mains_voltage', 'power.battery_v': 'battery_voltage' };
const OPCUA_UNITS: Record<string, string> = { second: 's', ampere: 'A', millimetre: 'mm', 'cm/s²': 'cm/s²' };

/** Device entries for the gateway, in the simulators' order: elevators, pumps, meters, fire panels. */
export function scaleSiteDevices(opts: ScaleSiteOptions): SiteDeviceConfig[] {
  const host = opts.host ?? '127.0.0.1';
  const endpoint = opts.opcuaEndpoint ?? `opc.tcp://${host}:${opts.opcuaPort ?? 4840}/facility`;
  const brokerUrl = opts.brokerUrl ?? 'mqtt://127.0.0.1:1883';
  const siteId = opts.siteId ?? 'demo';
  const poll = opts.pollInterval ?? 1000;
  const sampling = opts.samplingInterval ?? 1000;
  const perBuilding = opts.perBuilding ?? 50;
  const out: SiteDeviceConfig[] = [];
  let modbusIndex = 0;
  const modbusPoints = (map: typeof PUMP_MODBUS_MAP) =>
    map.map((p) => {
      const { writable: _w, ...rest } = p;
      return { ...rest };
    });
  const pumpPoints = modbusPoints(PUMP_MODBUS_MAP);
  const powerPoints = modbusPoints(POWER_MODBUS_MAP);

  for (const type of ['elevator', 'pump', 'power', 'fire_panel'] as const) {
    for (let n = 1; n <= (opts.counts[type] ?? 0); n++) {
      const id = scaleId(type, n);
      const building = `B${String(Math.ceil(n / perBuilding)).padStart(2, '0')}`;
      const base = { id, name: `${label(type)} ${n}`, type, building };
      if (type === 'elevator') {
        out.push({
          ...base,
          protocol: 'opcua',
          connection: { endpoint, samplingInterval: sampling, publishingInterval: sampling },
          points: ELEVATOR_OPCUA_POINTS.map((p) => ({ name: p.name, nodeId: `ns=1;s=${id}.${p.name}`, ...(p.unit ? { unit: OPCUA_UNITS[p.unit] } : {}) })),
        });
      } else if (type === 'pump' || type === 'power') {
        const i = modbusIndex++;
        const addr = opts.modbusUnits?.[id] ?? { port: (opts.modbusBasePort ?? 5020) + Math.floor(i / UNITS_PER_SERVER), unitId: (i % UNITS_PER_SERVER) + 1 };
        out.push({
          ...base,
          protocol: 'modbus',
          connection: { host, port: addr.port, unitId: addr.unitId, pollInterval: poll, timeout: opts.timeout ?? 800 },
          points: type === 'pump' ? pumpPoints : powerPoints,
        });
      } else {
        out.push({
          ...base,
          protocol: 'mqtt',
          connection: { url: brokerUrl, topic: telemetryTopic(siteId, 'fire_panel', id), qos: 1 },
          points: FIRE_PANEL_MQTT_PATHS.map((path) => ({ name: FIRE_POINT_NAMES[path] ?? path, path, ...(path.startsWith('power.') ? { unit: 'V' } : {}) })),
        });
      }
    }
  }
  return out;
}

/** The same as YAML: a `devices:` block to paste into (or merge with) a site config. */
export function scaleSiteDevicesYaml(opts: ScaleSiteOptions): string {
  return stringify({ devices: scaleSiteDevices(opts) }, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/** Parse `pump=250,elevator=250` (the --scale flag); `all=250` sets every type. */
export function parseScale(spec: string): ScaleCounts {
  const counts: ScaleCounts = {};
  const types: EquipmentType[] = ['elevator', 'pump', 'power', 'fire_panel'];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z_]+)=(\d+)$/.exec(part);
    if (!m) throw new RangeError(`bad --scale entry '${part}': expected type=count, e.g. pump=250`);
    const [, type, n] = m as unknown as [string, string, string];
    const count = Number(n);
    if (type === 'all') for (const t of types) counts[t] = count;
    else if ((types as string[]).includes(type)) counts[type as EquipmentType] = count;
    else throw new RangeError(`bad --scale type '${type}': one of ${types.join(', ')}, all`);
  }
  return counts;
}

function label(type: EquipmentType): string {
  return type === 'elevator' ? 'Elevator' : type === 'pump' ? 'Booster pump' : type === 'power' ? 'Power meter' : 'Fire panel';
}
