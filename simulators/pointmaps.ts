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

/**
 * Diesel generator controller. Real genset controllers speak Modbus RTU on RS-485 (their
 * published register maps are 16-bit words with fixed scales, as here) and reach the gateway
 * through a serial device server, which is what this Modbus TCP face plays.
 */
export const GENERATOR_MODBUS_MAP: readonly ModbusPointDef[] = [
  { name: 'start_command', table: 'coil', address: 0, type: 'bool', writable: true },
  { name: 'running', table: 'discrete', address: 0, type: 'bool' },
  { name: 'auto_mode', table: 'discrete', address: 1, type: 'bool' },
  { name: 'fail_to_start', table: 'discrete', address: 2, type: 'bool' },
  { name: 'oil_pressure', table: 'input', address: 0, type: 'uint16', unit: 'kPa' },
  { name: 'coolant_temp', table: 'input', address: 1, type: 'int16', scale: 0.1, unit: '°C' },
  { name: 'fuel_level', table: 'input', address: 2, type: 'uint16', scale: 0.1, unit: '%' },
  { name: 'battery_voltage', table: 'input', address: 3, type: 'uint16', scale: 0.01, unit: 'V' },
  { name: 'engine_speed', table: 'input', address: 4, type: 'uint16', unit: 'rpm' },
  { name: 'output_frequency', table: 'input', address: 5, type: 'uint16', scale: 0.01, unit: 'Hz' },
  { name: 'output_voltage', table: 'input', address: 6, type: 'uint16', scale: 0.1, unit: 'V' },
  { name: 'run_hours', table: 'input', address: 8, type: 'uint32', scale: 0.1, unit: 'h' },
  { name: 'start_attempts', table: 'input', address: 10, type: 'uint32' },
];

/**
 * Chiller controller. Chillers usually speak BACnet/IP or Modbus through a protocol card; the
 * Modbus TCP card is the common denominator of the makes a tower has, so the demo uses it.
 * Pressures are gauge kPa, temperatures 0.1 °C.
 */
export const CHILLER_MODBUS_MAP: readonly ModbusPointDef[] = [
  { name: 'enabled', table: 'coil', address: 0, type: 'bool', writable: true },
  { name: 'running', table: 'discrete', address: 0, type: 'bool' },
  { name: 'compressor_trip', table: 'discrete', address: 1, type: 'bool' },
  { name: 'chw_setpoint', table: 'holding', address: 0, type: 'int16', scale: 0.1, unit: '°C', writable: true },
  { name: 'chw_supply_temp', table: 'input', address: 0, type: 'int16', scale: 0.1, unit: '°C' },
  { name: 'chw_return_temp', table: 'input', address: 1, type: 'int16', scale: 0.1, unit: '°C' },
  { name: 'cw_entering_temp', table: 'input', address: 2, type: 'int16', scale: 0.1, unit: '°C' },
  { name: 'load_pct', table: 'input', address: 3, type: 'uint16', scale: 0.1, unit: '%' },
  { name: 'compressor_current', table: 'input', address: 4, type: 'uint16', scale: 0.1, unit: 'A' },
  { name: 'evaporator_pressure', table: 'input', address: 5, type: 'uint16', unit: 'kPa' },
  { name: 'condenser_pressure', table: 'input', address: 6, type: 'uint16', unit: 'kPa' },
  { name: 'run_hours', table: 'input', address: 8, type: 'uint32', scale: 0.1, unit: 'h' },
];

/**
 * Water-tank level station: a 4–20 mA level transmitter, the float switches and the inlet valve's
 * limit switch wired to a small Modbus I/O module in the pump room (RS-485, here over Modbus TCP).
 */
export const WATER_TANK_MODBUS_MAP: readonly ModbusPointDef[] = [
  { name: 'inlet_valve_open', table: 'discrete', address: 0, type: 'bool' },
  { name: 'high_level', table: 'discrete', address: 1, type: 'bool' },
  { name: 'low_level', table: 'discrete', address: 2, type: 'bool' },
  { name: 'overflow', table: 'discrete', address: 3, type: 'bool' },
  { name: 'level', table: 'input', address: 0, type: 'uint16', scale: 0.001, unit: 'm' },
  { name: 'level_pct', table: 'input', address: 1, type: 'uint16', scale: 0.1, unit: '%' },
  { name: 'inlet_flow', table: 'input', address: 2, type: 'float32', unit: 'm³/h' },
];

/** The register map each Modbus type serves, in the demo and in scale mode. */
export const MODBUS_MAPS = {
  pump: PUMP_MODBUS_MAP,
  power: POWER_MODBUS_MAP,
  generator: GENERATOR_MODBUS_MAP,
  water_tank: WATER_TANK_MODBUS_MAP,
  chiller: CHILLER_MODBUS_MAP,
} as const satisfies Record<string, readonly ModbusPointDef[]>;
export type ModbusEquipment = keyof typeof MODBUS_MAPS;

/** The register map of a Modbus type; throws for a type that does not speak Modbus. */
export function modbusMapOf(type: string): readonly ModbusPointDef[] {
  if (!Object.hasOwn(MODBUS_MAPS, type)) throw new Error(`no Modbus register map for type '${type}'`);
  return MODBUS_MAPS[type as ModbusEquipment];
}

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

/**
 * JSON paths of the sump-pump controller's telemetry. A basement pit has no cabling to the pump
 * room, so its small level controller publishes over the estate's wireless/4G link to the broker.
 */
export const SUMP_PUMP_MQTT_PATHS: readonly string[] = [
  'pit_level',
  'high_level',
  'pump_call',
  'running',
  'motor_current',
  'pump_fail',
  'run_hours',
  'starts',
];

/** The JSON paths each MQTT type publishes. */
export const MQTT_PATHS = {
  fire_panel: FIRE_PANEL_MQTT_PATHS,
  sump_pump: SUMP_PUMP_MQTT_PATHS,
} as const satisfies Record<string, readonly string[]>;
export type MqttEquipment = keyof typeof MQTT_PATHS;

export function telemetryTopic(siteId: string, type: string, deviceId: string): string {
  return `site/${siteId}/${type}/${deviceId}/telemetry`;
}

export function statusTopic(siteId: string, type: string, deviceId: string): string {
  return `site/${siteId}/${type}/${deviceId}/status`;
}
