/** Domestic water booster and jockey pumps. No regulation sets their service interval: run hours do. */
import type { EquipmentDescriptor } from '../descriptor.js';

export const pump: EquipmentDescriptor = {
  id: 'pump',
  label: { 'zh-CN': '水泵', en: 'Pump' },
  place: { 'zh-CN': '水泵房', en: 'pump room' },
  // seed 2.1: water faults are answered within 1 h (docs/service-rules.md).
  category: 'water',
  points: [
    { name: 'enabled', kind: 'boolean', label: { 'zh-CN': '启用', en: 'Enabled' } },
    { name: 'running', kind: 'boolean', label: { 'zh-CN': '运行', en: 'Running' } },
    { name: 'auto_mode', kind: 'boolean', label: { 'zh-CN': '自动模式', en: 'Auto mode' } },
    { name: 'pressure_setpoint', kind: 'number', unit: 'MPa', label: { 'zh-CN': '压力设定', en: 'Pressure setpoint' } },
    { name: 'discharge_pressure', kind: 'number', unit: 'MPa', label: { 'zh-CN': '出口压力', en: 'Discharge pressure' } },
    { name: 'suction_pressure', kind: 'number', unit: 'MPa', label: { 'zh-CN': '进口压力', en: 'Suction pressure' } },
    { name: 'flow', kind: 'number', unit: 'm³/h', label: { 'zh-CN': '流量', en: 'Flow' } },
    { name: 'motor_current', kind: 'number', unit: 'A', label: { 'zh-CN': '电机电流', en: 'Motor current' } },
    { name: 'bearing_temp', kind: 'number', unit: '°C', label: { 'zh-CN': '轴承温度', en: 'Bearing temp.' } },
    { name: 'vibration', kind: 'number', unit: 'mm/s', label: { 'zh-CN': '振动', en: 'Vibration' } },
    { name: 'run_hours', kind: 'number', unit: 'h', label: { 'zh-CN': '运行时长', en: 'Run hours' } },
    { name: 'starts', kind: 'number', label: { 'zh-CN': '启动次数', en: 'Starts' } },
  ],
  faults: [
    { name: 'low_pressure', label: { 'zh-CN': '出口压力低', en: 'Low discharge pressure' } },
    { name: 'dry_run', label: { 'zh-CN': '干转', en: 'Dry run' } },
    { name: 'overcurrent', label: { 'zh-CN': '过流', en: 'Overcurrent' } },
    { name: 'bearing_overtemp', label: { 'zh-CN': '轴承过温', en: 'Bearing over-temperature' } },
    { name: 'vibration', label: { 'zh-CN': '振动超标', en: 'High vibration' } },
    { name: 'vibration_zone_c', label: { 'zh-CN': '振动 C 区', en: 'Vibration zone C' } },
    { name: 'vibration_zone_d', label: { 'zh-CN': '振动 D 区', en: 'Vibration zone D' } },
    { name: 'short_cycling', label: { 'zh-CN': '频繁启停', en: 'Short cycling' } },
    { name: 'comms_lost', label: { 'zh-CN': '通讯中断', en: 'Comms lost' } },
  ],
  rules: [
    { id: 'pump.low-pressure', point: 'discharge_pressure', below: 0.25, clear: 0.3, for: '5s', fault: 'low_pressure',
      severity: 'major', message: 'Discharge pressure below 0.25 MPa' },
    { id: 'pump.dry-run', point: 'suction_pressure', below: 0.02, clear: 0.04, for: '5s', fault: 'dry_run',
      severity: 'critical', message: 'Suction pressure below 0.02 MPa: dry run' },
    { id: 'pump.overcurrent', point: 'motor_current', above: 10, clear: 9, for: '5s', fault: 'overcurrent',
      severity: 'major', message: 'Motor current above 10 A' },
    // No authoritative limit found; ~80 °C absolute is the usual alarm [guess].
    { id: 'pump.bearing-overtemp', point: 'bearing_temp', above: 80, clear: 75, for: '30s', fault: 'bearing_overtemp',
      severity: 'major', message: 'Bearing temperature above 80 °C' },
    // ISO 10816-3 group 2, rigid foundation: B/C 2.8 mm/s, C/D 4.5 mm/s (configurable).
    { id: 'pump.vibration-zone-c', point: 'vibration', above: 2.8, clear: 2.5, for: '30s', fault: 'vibration_zone_c',
      severity: 'minor', message: 'Vibration in ISO 10816-3 zone C (> 2.8 mm/s): plan maintenance' },
    { id: 'pump.vibration-zone-d', point: 'vibration', above: 4.5, clear: 4, for: '10s', fault: 'vibration_zone_d',
      severity: 'major', message: 'Vibration in ISO 10816-3 zone D (> 4.5 mm/s): risk of damage' },
    // Jockey/booster pumps: ≤ 15 starts per hour [recalled]; more is short cycling.
    { id: 'pump.short-cycling', point: 'starts', rate: { above: 15, per: '1h' }, fault: 'short_cycling',
      severity: 'minor', message: 'More than 15 starts per hour: short cycling' },
    { id: 'pump.comms-lost', commLost: '60s', fault: 'comms_lost', severity: 'major',
      message: 'Pump controller not reachable for 60 s' },
  ],
  meters: { runningStart: 'starts', runHours: true },
  plans: [
    // No regulation: 2,000 run hours (OEM regreasing interval, a guess) with 10 % grace.
    { id: 'pump-2000h', title: 'Pump service every 2,000 run hours (bearings, seal)', meter: 'run_hours', everyUnits: 2000, graceUnits: 200, leadUnits: 100 },
  ],
  indicators: [
    // ISO 10816-3 group 2 flexible / group 1 rigid: B/C 4.5, C/D 7.1 mm/s [recalled].
    { point: 'vibration', limit: 7.1, alert: 4.5, state: 'running', minSigma: 0.05 },
    // 80 °C bearing temperature [guess].
    { point: 'bearing_temp', limit: 80, state: 'running', minSigma: 0.5 },
    { point: 'motor_current', limit: 12, state: 'running', minSigma: 0.1 },
    // 15 starts/h jockey pump [recalled]: a leaking system short-cycles at night.
    { point: 'starts_per_hour', limit: 15, state: 'any', minSigma: 0.5, peak: true },
  ],
  tile: { points: ['discharge_pressure', 'flow', 'bearing_temp', 'vibration'], order: 20 },
};
