/**
 * Scale mode, gateway side: the site-config `devices:` entries that match
 * `startSimulators({ scale })`, so a benchmark can point the gateway at 1,000+ simulated devices.
 *
 * Layout (the same as index.ts; types in SCALE_TYPES order, devices.ts):
 * - elevators `elev-0001`... in the one OPC UA server, a folder each;
 * - pumps `pump-0001`..., meters `power-0001`..., generators `gen-0001`..., water tanks
 *   `tank-0001`..., then chillers `chiller-0001`..., numbered on in that order behind Modbus TCP
 *   servers of up to 247 unit ids each, on ports modbusBasePort, modbusBasePort + 1, ... (unit
 *   id = position + 1);
 * - fire panels `fire-0001`... and sump pumps `sump-0001`... publish to
 *   `site/<siteId>/<type>/<id>/telemetry`.
 * The original four types come first, so adding the others moves none of their ids or addresses.
 */
import { stringify } from 'yaml';
import { PROTOCOL_OF, SCALE_TYPES, scaleId, type SimulatedType } from './devices.js';
import type { EquipmentType } from './models/model.js';
import { ELEVATOR_OPCUA_POINTS, MQTT_PATHS, modbusMapOf, telemetryTopic, type MqttEquipment } from './pointmaps.js';

/** Devices per type; every type the simulator has a model for (PROTOCOL_OF, devices.ts). */
export type ScaleCounts = Partial<Record<SimulatedType, number>>;

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

/** Devices behind one Modbus TCP server in scale mode (unit ids 1..247, the Modbus limit). */
const UNITS_PER_SERVER = 247;

/** Where the `index`-th Modbus device of scale mode (0-based, SCALE_TYPES order) sits: its server (0, 1, ...) and unit id. */
export function scaleModbusSlot(index: number): { server: number; unitId: number } {
  return { server: Math.floor(index / UNITS_PER_SERVER), unitId: (index % UNITS_PER_SERVER) + 1 };
}

/** The demo's gateway names and units of the MQTT devices' JSON paths (demo/site.yaml); a path is its own name otherwise. */
const MQTT_POINT_NAMES: Record<MqttEquipment, Record<string, string>> = {
  fire_panel: { 'power.mains_v': 'mains_voltage', 'power.battery_v': 'battery_voltage' },
  sump_pump: {},
};
const MQTT_POINT_UNITS: Record<MqttEquipment, Record<string, string>> = {
  fire_panel: { 'power.mains_v': 'V', 'power.battery_v': 'V' },
  sump_pump: { pit_level: 'm', motor_current: 'A', run_hours: 'h' },
};
const OPCUA_UNITS: Record<string, string> = { second: 's', ampere: 'A', millimetre: 'mm', 'cm/s²': 'cm/s²' };
const LABELS: Record<SimulatedType, string> = {
  elevator: 'Elevator',
  pump: 'Booster pump',
  power: 'Power meter',
  fire_panel: 'Fire panel',
  generator: 'Standby generator',
  water_tank: 'Water tank',
  chiller: 'Chiller',
  sump_pump: 'Sump pump',
};

/** Device entries for the gateway, in the simulators' order (SCALE_TYPES, see the layout above). */
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

  for (const type of SCALE_TYPES) {
    const protocol = PROTOCOL_OF[type];
    const points = pointsOf(type);
    for (let n = 1; n <= (opts.counts[type] ?? 0); n++) {
      const id = scaleId(type, n);
      const building = `B${String(Math.ceil(n / perBuilding)).padStart(2, '0')}`;
      const base = { id, name: `${LABELS[type]} ${n}`, type, building };
      if (protocol === 'opcua') {
        out.push({
          ...base,
          protocol,
          connection: { endpoint, samplingInterval: sampling, publishingInterval: sampling },
          points: ELEVATOR_OPCUA_POINTS.map((p) => ({ name: p.name, nodeId: `ns=1;s=${id}.${p.name}`, ...(p.unit ? { unit: OPCUA_UNITS[p.unit] } : {}) })),
        });
      } else if (protocol === 'modbus') {
        const slot = scaleModbusSlot(modbusIndex++);
        const addr = opts.modbusUnits?.[id] ?? { port: (opts.modbusBasePort ?? 5020) + slot.server, unitId: slot.unitId };
        out.push({ ...base, protocol, connection: { host, port: addr.port, unitId: addr.unitId, pollInterval: poll, timeout: opts.timeout ?? 800 }, points });
      } else {
        out.push({ ...base, protocol, connection: { url: brokerUrl, topic: telemetryTopic(siteId, type, id), qos: 1 }, points });
      }
    }
  }
  return out;
}

/** The gateway points of a Modbus or MQTT type (elevators' node ids carry the device id: above). */
function pointsOf(type: SimulatedType): Record<string, unknown>[] {
  if (PROTOCOL_OF[type] === 'modbus') return modbusMapOf(type).map(({ writable: _w, ...p }) => ({ ...p }));
  if (PROTOCOL_OF[type] !== 'mqtt') return [];
  const t = type as MqttEquipment;
  return MQTT_PATHS[t].map((path) => ({ name: MQTT_POINT_NAMES[t][path] ?? path, path, ...(MQTT_POINT_UNITS[t][path] ? { unit: MQTT_POINT_UNITS[t][path] } : {}) }));
}

/** The same as YAML: a `devices:` block to paste into (or merge with) a site config. */
export function scaleSiteDevicesYaml(opts: ScaleSiteOptions): string {
  return stringify({ devices: scaleSiteDevices(opts) }, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/** Parse `pump=250,generator=10` (the --scale flag); `all=250` sets every type of SCALE_TYPES. */
export function parseScale(spec: string): ScaleCounts {
  const counts: ScaleCounts = {};
  const types: readonly SimulatedType[] = SCALE_TYPES;
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z_]+)=(\d+)$/.exec(part);
    if (!m) throw new RangeError(`bad --scale entry '${part}': expected type=count, e.g. pump=250`);
    const [, type, n] = m as unknown as [string, string, string];
    const count = Number(n);
    if (type === 'all') for (const t of types) counts[t] = count;
    else if ((types as readonly string[]).includes(type)) counts[type as SimulatedType] = count;
    else throw new RangeError(`bad --scale type '${type}': one of ${types.join(', ')}, all`);
  }
  return counts;
}
