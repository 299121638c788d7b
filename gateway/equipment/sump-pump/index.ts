/**
 * Basement sump and sewage lift pumps: a submersible pump in a pit, run by a small level
 * controller with a current relay for run feedback and a high-level float. A pit that overflows
 * floods a car park or a plant room, so a pump that does not start is as urgent as a burst main.
 */
import type { EquipmentDescriptor } from '../descriptor.js';

export const sumpPump: EquipmentDescriptor = {
  id: 'sump_pump',
  label: { 'zh-CN': '排污泵', en: 'Sump pump' },
  place: { 'zh-CN': '集水井', en: 'sump pit' },
  // Water and drainage: answered within 1 h (seed 2.1, docs/service-rules.md).
  category: 'water',
  points: [
    { name: 'pit_level', kind: 'number', unit: 'm', label: { 'zh-CN': '井内液位', en: 'Pit level' } },
    { name: 'high_level', kind: 'boolean', label: { 'zh-CN': '高液位', en: 'High level' }, alertWhenTrue: true },
    { name: 'pump_call', kind: 'boolean', label: { 'zh-CN': '启泵信号', en: 'Pump called' } },
    { name: 'running', kind: 'boolean', label: { 'zh-CN': '运行', en: 'Running' } },
    { name: 'motor_current', kind: 'number', unit: 'A', label: { 'zh-CN': '电机电流', en: 'Motor current' } },
    { name: 'pump_fail', kind: 'boolean', label: { 'zh-CN': '泵故障', en: 'Pump fail' }, alertWhenTrue: true },
    { name: 'run_hours', kind: 'number', unit: 'h', label: { 'zh-CN': '运行时长', en: 'Run hours' } },
    { name: 'starts', kind: 'number', label: { 'zh-CN': '启动次数', en: 'Starts' } },
  ],
  faults: [
    { name: 'high_level', label: { 'zh-CN': '高液位', en: 'High level' } },
    { name: 'fails_to_start', label: { 'zh-CN': '启动失败', en: 'Fails to start' } },
    { name: 'overcurrent', label: { 'zh-CN': '过流', en: 'Overcurrent' } },
    { name: 'short_cycling', label: { 'zh-CN': '频繁启停', en: 'Short cycling' } },
    { name: 'comms_lost', label: { 'zh-CN': '通讯中断', en: 'Comms lost' } },
  ],
  rules: [
    // The high-level float sits above the start level: reaching it means the pump is not keeping up.
    { id: 'sump_pump.high-level', point: 'high_level', equals: true, fault: 'high_level',
      severity: 'critical', message: 'Sump pit at high level: risk of flooding' },
    // The controller's run-feedback alarm: called, no current on the relay (10 s in the simulated controller).
    { id: 'sump_pump.fails-to-start', point: 'pump_fail', equals: true, fault: 'fails_to_start',
      severity: 'major', message: 'Pump called but not running (no current)' },
    // 1.2 × the rated current of the 2.2 kW motor of the demo (6.2 A): the overload relay's region
    // [guess: set it from the motor's nameplate]. Rags round the impeller show here first.
    { id: 'sump_pump.overcurrent', point: 'motor_current', above: 7.4, clear: 6.8, for: '60s', fault: 'overcurrent',
      severity: 'minor', message: 'Motor current above 7.4 A (1.2 × rated): impeller ragging?' },
    // Small submersible motors allow about 15–20 starts per hour [recalled, unverified: makers' data].
    { id: 'sump_pump.short-cycling', point: 'starts', rate: { above: 15, per: '1h' }, fault: 'short_cycling',
      severity: 'minor', message: 'More than 15 starts per hour: float switch or non-return valve fault' },
    { id: 'sump_pump.comms-lost', commLost: '60s', fault: 'comms_lost', severity: 'major',
      message: 'Sump-pump controller not reachable for 60 s' },
  ],
  meters: { runningStart: 'starts', runHours: true },
  plans: [
    // Floats, non-return valve, impeller and pit clean-out [guess: no regulation found]; 18-day grace (SMRP 20 %).
    { id: 'sump-pump-quarterly', title: 'Sump pump quarterly inspection (floats, non-return valve, impeller, pit)', every: '91d', grace: '18d', lead: '7d' },
  ],
  indicators: [
    // Ragging raises the running current towards the overload trip (1.3 × rated, simulators' scenario).
    { point: 'motor_current', limit: 8.1, alert: 7.4, state: 'running', minSigma: 0.05 },
  ],
  tile: { points: ['pit_level', 'running', 'motor_current', 'high_level'], order: 24 },
};
