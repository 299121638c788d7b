/**
 * Water-cooled chillers of commercial towers (screw or centrifugal, R-134a): chilled-water supply
 * and return, compressor current, the refrigerant pressures of the evaporator (suction side) and
 * the condenser (discharge side) in gauge kPa as chiller controllers show them, and the compressor
 * trip. The service rules name no HVAC category, so their faults take the general deadline unless
 * a rule says otherwise.
 */
import type { EquipmentDescriptor } from '../descriptor.js';

export const chiller: EquipmentDescriptor = {
  id: 'chiller',
  label: { 'zh-CN': '冷水机组', en: 'Chiller' },
  place: { 'zh-CN': '冷冻机房', en: 'chiller plant room' },
  // seed 2.1 names no HVAC category: every request is answered within 24 h (docs/service-rules.md);
  // a compressor trip is made urgent below.
  category: 'general',
  points: [
    { name: 'enabled', kind: 'boolean', label: { 'zh-CN': '启用', en: 'Enabled' } },
    { name: 'running', kind: 'boolean', label: { 'zh-CN': '运行', en: 'Running' } },
    { name: 'compressor_trip', kind: 'boolean', label: { 'zh-CN': '压缩机跳闸', en: 'Compressor trip' }, alertWhenTrue: true },
    { name: 'chw_setpoint', kind: 'number', unit: '°C', label: { 'zh-CN': '冷冻水设定', en: 'CHW setpoint' } },
    { name: 'chw_supply_temp', kind: 'number', unit: '°C', label: { 'zh-CN': '冷冻水供水温度', en: 'CHW supply temp.' } },
    { name: 'chw_return_temp', kind: 'number', unit: '°C', label: { 'zh-CN': '冷冻水回水温度', en: 'CHW return temp.' } },
    { name: 'cw_entering_temp', kind: 'number', unit: '°C', label: { 'zh-CN': '冷却水进水温度', en: 'CW entering temp.' } },
    { name: 'load_pct', kind: 'number', unit: '%', label: { 'zh-CN': '负荷', en: 'Load' } },
    { name: 'compressor_current', kind: 'number', unit: 'A', label: { 'zh-CN': '压缩机电流', en: 'Compressor current' } },
    { name: 'evaporator_pressure', kind: 'number', unit: 'kPa', label: { 'zh-CN': '吸气压力', en: 'Suction pressure' } },
    { name: 'condenser_pressure', kind: 'number', unit: 'kPa', label: { 'zh-CN': '排气压力', en: 'Discharge pressure' } },
    { name: 'run_hours', kind: 'number', unit: 'h', label: { 'zh-CN': '运行时长', en: 'Run hours' } },
  ],
  faults: [
    { name: 'compressor_trip', label: { 'zh-CN': '压缩机跳闸', en: 'Compressor trip' } },
    { name: 'high_discharge_pressure', label: { 'zh-CN': '排气压力高', en: 'High discharge pressure' } },
    { name: 'low_suction_pressure', label: { 'zh-CN': '吸气压力低', en: 'Low suction pressure' } },
    { name: 'chw_supply_high', label: { 'zh-CN': '冷冻水供水温度高', en: 'Chilled water too warm' } },
    { name: 'comms_lost', label: { 'zh-CN': '通讯中断', en: 'Comms lost' } },
  ],
  rules: [
    // A tripped compressor leaves the floors it serves without cooling.
    { id: 'chiller.compressor-trip', point: 'compressor_trip', equals: true, fault: 'compressor_trip',
      severity: 'major', priority: 'urgent', message: 'Compressor tripped' },
    // R-134a condenses at about 47 °C at 1,100 kPa gauge (saturation tables); high-pressure cut-outs of
    // water-cooled R-134a chillers sit at about 1,200–1,400 kPa [recalled, unverified: set per machine].
    // Fouled condenser tubes or a cooling-tower fault show here first.
    { id: 'chiller.high-discharge-pressure', point: 'condenser_pressure', above: 1100, clear: 1000, for: '30s',
      fault: 'high_discharge_pressure', severity: 'major', message: 'Condenser (discharge) pressure above 1,100 kPa' },
    // 200 kPa gauge is R-134a saturated at about 1 °C (tables): below it the evaporator tubes risk
    // freezing. Refrigerant loss or low chilled-water flow.
    { id: 'chiller.low-suction-pressure', point: 'evaporator_pressure', below: 200, clear: 220, for: '30s',
      fault: 'low_suction_pressure', severity: 'major', message: 'Evaporator (suction) pressure below 200 kPa: near freezing' },
    // Design chilled water 7 °C supply / 12 °C return (GB 50736-2012 [recalled]); 3 K over for
    // 5 min means the plant is not keeping up.
    { id: 'chiller.chw-supply-high', point: 'chw_supply_temp', above: 10, clear: 9, for: '5m', fault: 'chw_supply_high',
      severity: 'minor', message: 'Chilled-water supply above 10 °C for 5 min' },
    { id: 'chiller.comms-lost', commLost: '60s', fault: 'comms_lost', severity: 'major',
      message: 'Chiller controller not reachable for 60 s' },
  ],
  meters: { runningStart: 'starts', runHours: true },
  plans: [
    // Refrigerant charge, oil, condenser approach, flow switches [guess: makers' quarterly checks]; 18-day grace.
    { id: 'chiller-quarterly', title: 'Chiller quarterly inspection (refrigerant, oil, condenser approach, flow switches)', every: '91d', grace: '18d', lead: '7d' },
    // Before the cooling season: condenser tube cleaning, oil analysis, safety-control test [guess]; 28-day grace.
    { id: 'chiller-annual', title: 'Chiller annual service (condenser tubes, oil analysis, safety controls)', every: '365d', grace: '28d', lead: '14d' },
  ],
  indicators: [
    // Condenser fouling raises the condenser pressure at the afternoon peak (simulators' condenser_fouling).
    { point: 'condenser_pressure', limit: 1100, state: 'running', minSigma: 5, peak: true },
  ],
  tile: { points: ['chw_supply_temp', 'chw_return_temp', 'compressor_current', 'condenser_pressure'], order: 50 },
};
