/**
 * Diesel standby generator sets and their controllers. A set that stands idle for months must
 * start the day the mains fail, so its preventive work is a monthly no-load test run and the
 * watch is on what stops a start: the starter battery, the fuel and the controller's alarms.
 * The nearest Chinese rule is GB 50974-2014 §14.0.4 for diesel fire pumps (monthly run, weekly
 * fuel check, daily battery check); numbers marked [recalled] or [guess] are not from a standard.
 */
import type { EquipmentDescriptor } from '../descriptor.js';

export const generator: EquipmentDescriptor = {
  id: 'generator',
  label: { 'zh-CN': '柴油发电机', en: 'Standby generator' },
  place: { 'zh-CN': '发电机房', en: 'generator room' },
  // Standby power: a power fault, answered within 1 h (seed 2.1, docs/service-rules.md).
  category: 'power',
  points: [
    { name: 'running', kind: 'boolean', label: { 'zh-CN': '运行', en: 'Running' } },
    { name: 'auto_mode', kind: 'boolean', label: { 'zh-CN': '自动模式', en: 'Auto mode' } },
    { name: 'start_command', kind: 'boolean', label: { 'zh-CN': '远程启动', en: 'Remote start' } },
    { name: 'fail_to_start', kind: 'boolean', label: { 'zh-CN': '启动失败', en: 'Fail to start' }, alertWhenTrue: true },
    { name: 'engine_speed', kind: 'number', unit: 'rpm', label: { 'zh-CN': '转速', en: 'Engine speed' } },
    { name: 'coolant_temp', kind: 'number', unit: '°C', label: { 'zh-CN': '冷却液温度', en: 'Coolant temp.' } },
    { name: 'oil_pressure', kind: 'number', unit: 'kPa', label: { 'zh-CN': '机油压力', en: 'Oil pressure' } },
    { name: 'battery_voltage', kind: 'number', unit: 'V', label: { 'zh-CN': '启动电池电压', en: 'Battery voltage' } },
    { name: 'fuel_level', kind: 'number', unit: '%', label: { 'zh-CN': '油位', en: 'Fuel level' } },
    { name: 'output_voltage', kind: 'number', unit: 'V', label: { 'zh-CN': '输出电压', en: 'Output voltage' } },
    { name: 'output_frequency', kind: 'number', unit: 'Hz', label: { 'zh-CN': '输出频率', en: 'Output frequency' } },
    { name: 'run_hours', kind: 'number', unit: 'h', label: { 'zh-CN': '运行时长', en: 'Run hours' } },
    { name: 'start_attempts', kind: 'number', label: { 'zh-CN': '启动次数', en: 'Start attempts' } },
  ],
  faults: [
    { name: 'fails_to_start', label: { 'zh-CN': '启动失败', en: 'Fails to start' } },
    { name: 'battery_low', label: { 'zh-CN': '启动电池电压低', en: 'Battery low' } },
    { name: 'low_fuel', label: { 'zh-CN': '油位低', en: 'Low fuel' } },
    { name: 'over_temperature', label: { 'zh-CN': '冷却液温度高', en: 'Coolant over-temperature' } },
    { name: 'comms_lost', label: { 'zh-CN': '通讯中断', en: 'Comms lost' } },
  ],
  rules: [
    // The controller's own latched alarm after its crank attempts (three on most controllers).
    { id: 'generator.fail-to-start', point: 'fail_to_start', equals: true, fault: 'fails_to_start',
      severity: 'critical', message: 'Generator failed to start (crank attempts used up)' },
    // 24 V lead-acid starter battery: floats at about 27 V on its charger, about 25.5 V fully charged
    // at rest; below 24 V for half a minute is a failed charger or a dead cell [recalled, unverified].
    // The 30 s on-delay rides through the dip while cranking.
    { id: 'generator.battery-low', point: 'battery_voltage', below: 24, clear: 25, for: '30s', fault: 'battery_low',
      severity: 'major', message: 'Starter battery below 24 V' },
    // GB 50974-2014 §14.0.4 has diesel fuel checked weekly; the 25 % pre-alarm, room for a refill
    // before a long outage, is a [guess]: set it from the tank size.
    { id: 'generator.low-fuel', point: 'fuel_level', below: 25, clear: 30, for: '30s', fault: 'low_fuel',
      severity: 'major', message: 'Day-tank fuel below 25 %' },
    // Genset controllers pre-alarm high coolant temperature at about 95 °C and shut down a few K
    // higher [recalled, unverified: check the engine maker's figure]; a no-load run sits near 80 °C.
    { id: 'generator.over-temperature', point: 'coolant_temp', above: 95, clear: 90, for: '5s', fault: 'over_temperature',
      severity: 'major', message: 'Coolant temperature above 95 °C' },
    { id: 'generator.comms-lost', commLost: '60s', fault: 'comms_lost', severity: 'major',
      message: 'Generator controller not reachable for 60 s' },
  ],
  // A start is a false→true edge of `running`; the controller's own run-hours counter wins.
  meters: { runningStart: 'starts', runHours: true },
  plans: [
    // Monthly run: GB 50974-2014 §14.0.4 for diesel fire pumps; standby generators are exercised
    // monthly for at least 30 min (NFPA 110 [recalled]). 6-day grace (SMRP 20 % rule).
    { id: 'generator-monthly-test', title: 'Generator monthly no-load test run (at least 30 min)', every: '30d', grace: '6d', lead: '5d' },
    // Oil, filters, coolant and a load test once a year [guess: maker's annual service]; 28-day grace (SMRP).
    { id: 'generator-annual', title: 'Generator annual service and load test', every: '365d', grace: '28d', lead: '14d' },
  ],
  // Falling indicators (the forecaster takes the direction from the limit against the baseline):
  // a weeping fuel line drains the day tank at standby; a failing charger lets the battery sag.
  indicators: [
    { point: 'fuel_level', limit: 25, state: 'any', minSigma: 0.5 },
    { point: 'battery_voltage', limit: 24, state: 'any', minSigma: 0.05 },
  ],
  // After the fire panel: the dashboard names a point or fault once for all types (first type wins),
  // and the fire panel's battery names should stay its own.
  tile: { points: ['running', 'battery_voltage', 'fuel_level', 'coolant_temp'], order: 45 },
};
