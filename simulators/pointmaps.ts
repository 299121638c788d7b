/**
 * The point maps the simulated devices serve. They are the device side of the contract in
 * demo/site.yaml (the gateway side); `contract.test.ts` checks the two agree, so change both
 * together. Names equal the keys of each model's `values()`.
 */
export type ModbusTable = 'coil' | 'discrete' | 'holding' | 'input';
export type ModbusType = 'bool' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32';

export interface ModbusPointDef {
  name: string;
  table: ModbusTable;
  /** 0-based address (mbpoll and most HMIs show it +1). */
  address: number;
  type: ModbusType;
  /** Word order of 32-bit values; ABCD (big-endian, high word first) when absent. */
  order?: 'ABCD' | 'CDAB';
  /** Engineering value = raw × scale. */
  scale?: number;
  unit?: string;
  /** The master may write it (coil FC5/FC15, holding FC6/FC16). */
  writable?: boolean;
}

export const PUMP_MODBUS_MAP: readonly ModbusPointDef[] = [
  { name: 'enabled', table: 'coil', address: 0, type: 'bool', writable: true },
  { name: 'running', table: 'discrete', address: 0, type: 'bool' },
  { name: 'auto_mode', table: 'discrete', address: 1, type: 'bool' },
  { name: 'pressure_setpoint', table: 'holding', address: 0, type: 'uint16', scale: 0.001, unit: 'MPa', writable: true },
  { name: 'discharge_pressure', table: 'input', address: 0, type: 'uint16', scale: 0.001, unit: 'MPa' },
  { name: 'suction_pressure', table: 'input', address: 1, type: 'uint16', scale: 0.001, unit: 'MPa' },
  // Low word first, as many VFDs and flow meters do: the gateway must honour `order`.
  { name: 'flow', table: 'input', address: 2, type: 'float32', order: 'CDAB', unit: 'm³/h' },
  { name: 'motor_current', table: 'input', address: 4, type: 'uint16', scale: 0.1, unit: 'A' },
  { name: 'bearing_temp', table: 'input', address: 5, type: 'int16', scale: 0.1, unit: '°C' },
  { name: 'vibration', table: 'input', address: 6, type: 'uint16', scale: 0.01, unit: 'mm/s' },
  // Input register 7 is reserved: reading it answers exception 2, like a real device with a gap.
  { name: 'run_hours', table: 'input', address: 8, type: 'uint32', order: 'ABCD', scale: 0.1, unit: 'h' },
  { name: 'starts', table: 'input', address: 10, type: 'uint32', order: 'ABCD' },
];

/** Float32 input registers in the style of an Eastron SDM630 (big-endian). */
export const POWER_MODBUS_MAP: readonly ModbusPointDef[] = [
  { name: 'breaker_closed', table: 'discrete', address: 0, type: 'bool' },
  { name: 'voltage_l1', table: 'input', address: 0, type: 'float32', unit: 'V' },
  { name: 'voltage_l2', table: 'input', address: 2, type: 'float32', unit: 'V' },
  { name: 'voltage_l3', table: 'input', address: 4, type: 'float32', unit: 'V' },
  { name: 'current_l1', table: 'input', address: 6, type: 'float32', unit: 'A' },
  { name: 'current_l2', table: 'input', address: 8, type: 'float32', unit: 'A' },
  { name: 'current_l3', table: 'input', address: 10, type: 'float32', unit: 'A' },
  { name: 'active_power', table: 'input', address: 12, type: 'float32', unit: 'kW' },
  { name: 'power_factor', table: 'input', address: 14, type: 'float32' },
  { name: 'frequency', table: 'input', address: 16, type: 'float32', unit: 'Hz' },
  { name: 'thd_v', table: 'input', address: 18, type: 'float32', unit: '%' },
  { name: 'energy_kwh', table: 'holding', address: 0, type: 'uint32', order: 'CDAB', scale: 0.1, unit: 'kWh' },
  { name: 'transformer_temp', table: 'holding', address: 2, type: 'int16', scale: 0.1, unit: '°C' },
];

export type OpcuaDataType = 'Boolean' | 'Int32' | 'UInt32' | 'Double';

export interface OpcuaPointDef {
  name: string;
  dataType: OpcuaDataType;
  /** UNECE unit and EURange for analog items (served as AnalogItemType). */
  unit?: 'second' | 'ampere' | 'millimetre' | 'cm/s²';
  range?: [low: number, high: number];
}

/** Served as `ns=1;s=<device>.<name>` under the folder Objects/<device>. */
export const ELEVATOR_OPCUA_POINTS: readonly OpcuaPointDef[] = [
  { name: 'running', dataType: 'Boolean' },
  { name: 'direction', dataType: 'Int32' },
  { name: 'floor', dataType: 'Int32' },
  { name: 'door_state', dataType: 'Int32' },
  { name: 'door_close_time', dataType: 'Double', unit: 'second', range: [0, 30] },
  { name: 'trips', dataType: 'UInt32' },
  { name: 'door_cycles', dataType: 'UInt32' },
  { name: 'motor_current', dataType: 'Double', unit: 'ampere', range: [0, 80] },
  { name: 'car_vibration', dataType: 'Double', unit: 'cm/s²', range: [0, 100] },
  { name: 'leveling_error', dataType: 'Double', unit: 'millimetre', range: [-1500, 1500] },
  { name: 'trapped', dataType: 'Boolean' },
  { name: 'fault_code', dataType: 'Int32' },
];

/** JSON paths of the fire panel's telemetry payload (besides `ts`). */
export const FIRE_PANEL_MQTT_PATHS: readonly string[] = [
  'fire_alarm',
  'supervisory',
  'trouble',
  'zones_in_alarm',
  'disabled_zones',
  'power.mains_v',
  'power.battery_v',
];

export function telemetryTopic(siteId: string, type: string, deviceId: string): string {
  return `site/${siteId}/${type}/${deviceId}/telemetry`;
}

export function statusTopic(siteId: string, type: string, deviceId: string): string {
  return `site/${siteId}/${type}/${deviceId}/status`;
}
