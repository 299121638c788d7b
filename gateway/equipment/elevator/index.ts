/**
 * Passenger elevators. Half-monthly maintenance is the law: 特种设备安全监察条例 Art. 31 and
 * TSG T5002-2017.
 */
import type { EquipmentDescriptor } from '../descriptor.js';

export const elevator: EquipmentDescriptor = {
  id: 'elevator',
  label: { 'zh-CN': '电梯', en: 'Elevator' },
  place: { 'zh-CN': '电梯', en: 'elevator' },
  // seed 2.1: elevator faults have staff on site within 2 h (docs/service-rules.md).
  category: 'elevator',
  points: [
    { name: 'running', kind: 'boolean', label: { 'zh-CN': '运行', en: 'Running' } },
    { name: 'direction', kind: 'state', label: { 'zh-CN': '方向', en: 'Direction' } },
    { name: 'floor', kind: 'number', label: { 'zh-CN': '楼层', en: 'Floor' } },
    { name: 'door_state', kind: 'state', label: { 'zh-CN': '门状态', en: 'Door' } },
    { name: 'door_close_time', kind: 'number', unit: 's', label: { 'zh-CN': '关门时间', en: 'Door close time' } },
    { name: 'trips', kind: 'number', label: { 'zh-CN': '运行次数', en: 'Trips' } },
    { name: 'door_cycles', kind: 'number', label: { 'zh-CN': '开关门次数', en: 'Door cycles' } },
    { name: 'motor_current', kind: 'number', unit: 'A', label: { 'zh-CN': '电机电流', en: 'Motor current' } },
    { name: 'car_vibration', kind: 'number', unit: 'cm/s²', label: { 'zh-CN': '轿厢振动', en: 'Car vibration' } },
    { name: 'leveling_error', kind: 'number', unit: 'mm', label: { 'zh-CN': '平层误差', en: 'Levelling error' } },
    { name: 'trapped', kind: 'boolean', label: { 'zh-CN': '困人', en: 'Trapped' }, alertWhenTrue: true },
    { name: 'fault_code', kind: 'state', label: { 'zh-CN': '故障码', en: 'Fault code' } },
  ],
  faults: [
    { name: 'trapped_passenger', label: { 'zh-CN': '困人', en: 'Trapped passenger' } },
    { name: 'slow_door', label: { 'zh-CN': '关门缓慢', en: 'Slow door' } },
    { name: 'stop_outside_door_zone', label: { 'zh-CN': '门区外停梯', en: 'Stopped outside door zone' } },
    { name: 'car_vibration', label: { 'zh-CN': '轿厢振动超标', en: 'Car vibration' } },
    { name: 'door_fault', label: { 'zh-CN': '门故障', en: 'Door fault' } },
    { name: 'trapped', label: { 'zh-CN': '困人', en: 'Trapped passenger' } },
    { name: 'overspeed', label: { 'zh-CN': '超速', en: 'Overspeed' } },
    { name: 'comms_lost', label: { 'zh-CN': '通讯中断', en: 'Comms lost' } },
  ],
  rules: [
    // Trapped passengers are emergencies (docs/design.md §1, seed 3.3).
    { id: 'elevator.trapped-passenger', point: 'trapped', equals: true, fault: 'trapped_passenger',
      severity: 'critical', priority: 'emergency', message: 'Passenger trapped (困人)' },
    // Controller door-time protection.
    { id: 'elevator.slow-door', point: 'door_close_time', above: 6, clear: 5, fault: 'slow_door',
      severity: 'major', message: 'Door closing slower than 6 s (door-time protection)' },
    // Controller fault code 21: stopped outside the door zone.
    { id: 'elevator.outside-door-zone', point: 'fault_code', equals: 21, fault: 'stop_outside_door_zone',
      severity: 'major', message: 'Car stopped outside the door zone (门区外停梯)' },
    // GB/T 10058 vertical vibration ≤ 30 cm/s² [recalled, unverified: keep it a minor alarm]
    { id: 'elevator.car-vibration', point: 'car_vibration', above: 30, clear: 25, for: '5s', fault: 'car_vibration',
      severity: 'minor', message: 'Car vibration above 30 cm/s²' },
    { id: 'elevator.comms-lost', commLost: '60s', fault: 'comms_lost', severity: 'major',
      message: 'Elevator controller not reachable for 60 s' },
  ],
  // A start of the car is a trip; door cycles come from `door_state` returning to closed.
  meters: { runningStart: 'trips', runHours: true, doorCycles: true },
  plans: [
    // TSG T5002-2017 half-monthly maintenance; 3-day grace (SMRP 20 % rule: 2 weeks → 3 d).
    { id: 'elevator-15d', title: 'Elevator half-monthly maintenance (TSG T5002-2017, 15 days)', every: '15d', grace: '3d', lead: '3d' },
  ],
  indicators: [
    // Controller door-time protection at 6 s.
    { point: 'door_close_time', limit: 6, state: 'any', minSigma: 0.05 },
    { point: 'motor_current', limit: 45, state: 'running', minSigma: 0.3 },
    // GB/T 10058 30 cm/s² [recalled].
    { point: 'car_vibration', limit: 30, state: 'running', minSigma: 0.3 },
  ],
  tile: { points: ['floor', 'door_close_time', 'motor_current'], order: 10 },
};
