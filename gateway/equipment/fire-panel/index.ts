/** Fire-alarm control panels: life safety, no delay on their alarms. Type id `fire_panel` (stored data). */
import type { EquipmentDescriptor } from '../descriptor.js';

export const firePanel: EquipmentDescriptor = {
  id: 'fire_panel',
  label: { 'zh-CN': '消防主机', en: 'Fire panel' },
  place: { 'zh-CN': '消防控制', en: 'fire control' },
  // seed 3.3 (safety and emergency management): fire alarms are emergencies (docs/service-rules.md).
  category: 'fire',
  points: [
    { name: 'fire_alarm', kind: 'boolean', label: { 'zh-CN': '火警', en: 'Fire alarm' }, alertWhenTrue: true },
    { name: 'supervisory', kind: 'boolean', label: { 'zh-CN': '监管', en: 'Supervisory' }, alertWhenTrue: true },
    { name: 'trouble', kind: 'boolean', label: { 'zh-CN': '故障', en: 'Trouble' }, alertWhenTrue: true },
    { name: 'zones_in_alarm', kind: 'number', label: { 'zh-CN': '报警分区', en: 'Zones in alarm' } },
    { name: 'disabled_zones', kind: 'number', label: { 'zh-CN': '屏蔽分区', en: 'Disabled zones' } },
    { name: 'mains_voltage', kind: 'number', unit: 'V', label: { 'zh-CN': '主电电压', en: 'Mains voltage' } },
    { name: 'battery_voltage', kind: 'number', unit: 'V', label: { 'zh-CN': '备电电压', en: 'Battery voltage' } },
  ],
  faults: [
    { name: 'fire_alarm', label: { 'zh-CN': '火警', en: 'Fire alarm' } },
    { name: 'supervisory', label: { 'zh-CN': '监管', en: 'Supervisory' } },
    { name: 'trouble', label: { 'zh-CN': '消防主机故障', en: 'Panel trouble' } },
    { name: 'battery_low', label: { 'zh-CN': '备电电压低', en: 'Battery low' } },
    { name: 'mains_failure', label: { 'zh-CN': '主电故障', en: 'Mains failure' } },
    { name: 'comms_lost', label: { 'zh-CN': '通讯中断', en: 'Comms lost' } },
  ],
  rules: [
    // Fire alarms are emergencies (docs/design.md §1, seed 3.3).
    { id: 'fire.alarm', point: 'fire_alarm', equals: true, fault: 'fire_alarm',
      severity: 'critical', priority: 'emergency', message: 'Fire alarm (火警)' },
    { id: 'fire.supervisory', point: 'supervisory', equals: true, fault: 'supervisory',
      severity: 'major', message: 'Supervisory signal (监管)' },
    { id: 'fire.trouble', point: 'trouble', equals: true, fault: 'trouble',
      severity: 'major', message: 'Panel trouble (故障)' },
    // 24 V lead-acid: float ≈ 27 V, low-battery trouble ≈ 21–22 V [guess].
    { id: 'fire.battery-low', point: 'battery_voltage', below: 22, clear: 24, for: '10s', fault: 'battery_low',
      severity: 'major', message: 'Standby battery below 22 V' },
    // NFPA 72 §10.6.9: primary power supervised.
    { id: 'fire.mains-failure', point: 'mains_voltage', below: 180, clear: 200, for: '5s', fault: 'mains_failure',
      severity: 'major', message: 'Mains supply lost: panel on battery' },
    { id: 'fire.comms-lost', commLost: '60s', fault: 'comms_lost', severity: 'critical',
      message: 'Fire panel not reachable for 60 s' },
  ],
  plans: [
    // MPS Order No. 61 monthly inspection of ordinary units, GB 25201-2010; 6-day grace.
    { id: 'fire-monthly', title: 'Fire alarm system monthly inspection (GB 25201)', every: '30d', grace: '6d', lead: '5d' },
  ],
  indicators: [],
  tile: { points: ['fire_alarm', 'trouble', 'battery_voltage'], order: 40 },
};
