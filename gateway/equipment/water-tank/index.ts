/**
 * Domestic water storage tanks (二次供水水箱) fed from the municipal main through a float or
 * motorised inlet valve: a level transmitter, high/low float switches and an overflow sensor.
 * The faults that matter are water running to drain (a valve stuck open) and a tank running dry
 * under the booster pumps (a supply cut).
 */
import type { EquipmentDescriptor } from '../descriptor.js';

export const waterTank: EquipmentDescriptor = {
  id: 'water_tank',
  label: { 'zh-CN': '生活水箱', en: 'Water tank' },
  place: { 'zh-CN': '水泵房', en: 'pump room' },
  // Domestic water: answered within 1 h (seed 2.1, docs/service-rules.md).
  category: 'water',
  points: [
    { name: 'level', kind: 'number', unit: 'm', label: { 'zh-CN': '液位', en: 'Level' } },
    { name: 'level_pct', kind: 'number', unit: '%', label: { 'zh-CN': '液位百分比', en: 'Level (%)' } },
    { name: 'inlet_valve_open', kind: 'boolean', label: { 'zh-CN': '进水阀开', en: 'Inlet valve open' } },
    { name: 'inlet_flow', kind: 'number', unit: 'm³/h', label: { 'zh-CN': '进水流量', en: 'Inlet flow' } },
    { name: 'high_level', kind: 'boolean', label: { 'zh-CN': '高液位', en: 'High level' }, alertWhenTrue: true },
    { name: 'low_level', kind: 'boolean', label: { 'zh-CN': '低液位', en: 'Low level' }, alertWhenTrue: true },
    { name: 'overflow', kind: 'boolean', label: { 'zh-CN': '溢流', en: 'Overflow' }, alertWhenTrue: true },
  ],
  faults: [
    { name: 'overflow', label: { 'zh-CN': '溢流', en: 'Overflow' } },
    { name: 'high_level', label: { 'zh-CN': '高液位', en: 'High level' } },
    { name: 'low_level', label: { 'zh-CN': '低液位', en: 'Low level' } },
    { name: 'comms_lost', label: { 'zh-CN': '通讯中断', en: 'Comms lost' } },
  ],
  rules: [
    // The switches are set where the tank's design puts them: high level below the overflow weir,
    // low level above the pump suction (per tank, no standard number), so the rules watch the
    // switches, not a level in metres.
    { id: 'water_tank.overflow', point: 'overflow', equals: true, fault: 'overflow',
      severity: 'major', message: 'Tank overflowing: water running to drain (inlet valve stuck open?)' },
    { id: 'water_tank.high-level', point: 'high_level', equals: true, for: '10s', fault: 'high_level',
      severity: 'minor', message: 'Tank at high level: the inlet valve did not close' },
    // A tank at low level leaves the booster pumps to run dry within minutes.
    { id: 'water_tank.low-level', point: 'low_level', equals: true, for: '10s', fault: 'low_level',
      severity: 'major', message: 'Tank at low level: supply cut or inlet valve stuck shut' },
    { id: 'water_tank.comms-lost', commLost: '60s', fault: 'comms_lost', severity: 'major',
      message: 'Tank level station not reachable for 60 s' },
  ],
  plans: [
    // Cleaning and disinfection of secondary water-supply tanks: at least yearly in GB 17051-1997,
    // twice a year in many cities' rules [both recalled, unverified]; 28-day grace (SMRP 20 %, capped).
    { id: 'water-tank-cleaning', title: 'Water tank cleaning and disinfection (every 6 months)', every: '182d', grace: '28d', lead: '14d' },
  ],
  // The passing flow of a worn inlet valve shows only while the valve is shut, which the
  // forecaster cannot select (it selects by `running`): no default indicator.
  indicators: [],
  tile: { points: ['level', 'inlet_valve_open', 'high_level', 'low_level'], order: 22 },
};
