/** Low-voltage distribution boards and their dry-type transformers. */
import type { EquipmentDescriptor, TypeRule } from '../descriptor.js';

const PHASES = ['l1', 'l2', 'l3'] as const;

export const power: EquipmentDescriptor = {
  id: 'power',
  label: { 'zh-CN': '供配电', en: 'Power' },
  place: { 'zh-CN': '配电室', en: 'switch room' },
  // seed 2.1: electricity faults are answered within 1 h (docs/service-rules.md).
  category: 'power',
  points: [
    { name: 'breaker_closed', kind: 'boolean', label: { 'zh-CN': '断路器合闸', en: 'Breaker closed' } },
    ...PHASES.map((ph) => ({ name: `voltage_${ph}`, kind: 'number' as const, unit: 'V', label: { 'zh-CN': `${ph.toUpperCase()} 电压`, en: `Voltage ${ph.toUpperCase()}` } })),
    ...PHASES.map((ph) => ({ name: `current_${ph}`, kind: 'number' as const, unit: 'A', label: { 'zh-CN': `${ph.toUpperCase()} 电流`, en: `Current ${ph.toUpperCase()}` } })),
    { name: 'active_power', kind: 'number', unit: 'kW', label: { 'zh-CN': '有功功率', en: 'Active power' } },
    { name: 'power_factor', kind: 'number', label: { 'zh-CN': '功率因数', en: 'Power factor' } },
    { name: 'frequency', kind: 'number', unit: 'Hz', label: { 'zh-CN': '频率', en: 'Frequency' } },
    { name: 'thd_v', kind: 'number', unit: '%', label: { 'zh-CN': '电压谐波', en: 'Voltage THD' } },
    { name: 'energy_kwh', kind: 'number', unit: 'kWh', label: { 'zh-CN': '电能', en: 'Energy' } },
    { name: 'transformer_temp', kind: 'number', unit: '°C', label: { 'zh-CN': '变压器温度', en: 'Transformer temp.' } },
  ],
  faults: [
    { name: 'undervoltage', label: { 'zh-CN': '欠压', en: 'Undervoltage' } },
    { name: 'overvoltage', label: { 'zh-CN': '过压', en: 'Overvoltage' } },
    { name: 'phase_loss', label: { 'zh-CN': '缺相', en: 'Phase loss' } },
    { name: 'high_thd', label: { 'zh-CN': '谐波超标', en: 'High THD' } },
    { name: 'thd', label: { 'zh-CN': '谐波超标', en: 'High THD' } },
    { name: 'transformer_overtemp', label: { 'zh-CN': '变压器过温', en: 'Transformer over-temperature' } },
    { name: 'frequency', label: { 'zh-CN': '频率越限', en: 'Frequency out of range' } },
    { name: 'comms_lost', label: { 'zh-CN': '通讯中断', en: 'Comms lost' } },
  ],
  rules: [
    // GB/T 12325: 220 V single-phase −10 % / +7 % → 198 V … 235.4 V.
    ...PHASES.flatMap((ph): TypeRule[] => [
      { id: `power.undervoltage-${ph}`, point: `voltage_${ph}`, below: 198, clear: 202, for: '5s', fault: 'undervoltage',
        severity: 'major', message: `${ph.toUpperCase()} voltage below 198 V (220 V −10 %)` },
      { id: `power.overvoltage-${ph}`, point: `voltage_${ph}`, above: 235.4, clear: 233, for: '5s', fault: 'overvoltage',
        severity: 'major', message: `${ph.toUpperCase()} voltage above 235.4 V (220 V +7 %)` },
      { id: `power.phase-loss-${ph}`, point: `voltage_${ph}`, below: 50, clear: 150, for: '2s', fault: 'phase_loss',
        severity: 'critical', message: `${ph.toUpperCase()} phase lost` },
    ]),
    // IEEE 519 / GB/T 14549: voltage THD ≤ 5 % at low voltage.
    { id: 'power.thd', point: 'thd_v', above: 5, clear: 4.5, for: '10s', fault: 'high_thd',
      severity: 'minor', message: 'Voltage THD above 5 %' },
    // Dry-type transformer controller alarm 120 °C (one vendor; others 155 °C), per asset.
    { id: 'power.transformer-overtemp', point: 'transformer_temp', above: 120, clear: 110, for: '30s',
      fault: 'transformer_overtemp', severity: 'major', message: 'Transformer temperature above 120 °C' },
    // Frequency ±0.5 Hz (GB/T 15945 allows ±0.2 Hz on large grids, ±0.5 Hz on small ones).
    { id: 'power.frequency-low', point: 'frequency', below: 49.5, clear: 49.7, for: '10s', fault: 'frequency',
      severity: 'minor', message: 'Frequency below 49.5 Hz' },
    { id: 'power.frequency-high', point: 'frequency', above: 50.5, clear: 50.3, for: '10s', fault: 'frequency',
      severity: 'minor', message: 'Frequency above 50.5 Hz' },
    { id: 'power.comms-lost', commLost: '60s', fault: 'comms_lost', severity: 'major',
      message: 'Power meter not reachable for 60 s' },
  ],
  plans: [
    { id: 'power-annual', title: 'Distribution board / transformer annual inspection', every: '365d', grace: '28d', lead: '14d' },
  ],
  indicators: [
    // 130 °C dry-type transformer winding alarm (class F, vendor setpoints 120–155 °C); fails at the evening peak.
    { point: 'transformer_temp', limit: 130, state: 'any', minSigma: 0.5, peak: true },
  ],
  tile: { points: ['voltage_l1', 'active_power', 'thd_v'], order: 30 },
};
