/**
 * The built-in rule set for the four equipment types (DESIGN.md §3), applied unless the site
 * config says `defaultRules: false`. Every limit is overridable per device, tag or type: a site
 * rule with the same `id` wins (see rules.ts). Numbers and their sources: shared/research/domain.md
 * (§ numbers below). Categories give the SLA (seed 2.1); fire alarms and trapped passengers are
 * emergencies (DESIGN.md §1, seed 3.3).
 */
import type { RuleConfig } from '../config/schema.js';

const COMMS = '60s';

export const DEFAULT_RULES: readonly RuleConfig[] = [
  // ── Elevators (domain.md §1.1) ────────────────────────────────────────────────────────────
  { id: 'elevator.trapped-passenger', equipment: 'elevator', point: 'trapped', equals: true, fault: 'trapped_passenger',
    severity: 'critical', category: 'elevator', priority: 'emergency', message: 'Passenger trapped (困人)' },
  { id: 'elevator.slow-door', equipment: 'elevator', point: 'door_close_time', above: 6, clear: 5, fault: 'slow_door',
    severity: 'major', category: 'elevator', message: 'Door closing slower than 6 s (door-time protection)' },
  { id: 'elevator.outside-door-zone', equipment: 'elevator', point: 'fault_code', equals: 21, fault: 'stop_outside_door_zone',
    severity: 'major', category: 'elevator', message: 'Car stopped outside the door zone (门区外停梯)' },
  // GB/T 10058 vertical vibration ≤ 30 cm/s² [recalled in domain.md, unverified: keep it a minor alarm]
  { id: 'elevator.car-vibration', equipment: 'elevator', point: 'car_vibration', above: 30, clear: 25, for: '5s', fault: 'car_vibration',
    severity: 'minor', category: 'elevator', message: 'Car vibration above 30 cm/s²' },
  { id: 'elevator.comms-lost', equipment: 'elevator', commLost: COMMS, fault: 'comms_lost', severity: 'major', category: 'elevator',
    message: 'Elevator controller not reachable for 60 s' },

  // ── Pumps (domain.md §1.2) ────────────────────────────────────────────────────────────────
  { id: 'pump.low-pressure', equipment: 'pump', point: 'discharge_pressure', below: 0.25, clear: 0.3, for: '5s', fault: 'low_pressure',
    severity: 'major', category: 'water', message: 'Discharge pressure below 0.25 MPa' },
  { id: 'pump.dry-run', equipment: 'pump', point: 'suction_pressure', below: 0.02, clear: 0.04, for: '5s', fault: 'dry_run',
    severity: 'critical', category: 'water', message: 'Suction pressure below 0.02 MPa: dry run' },
  { id: 'pump.overcurrent', equipment: 'pump', point: 'motor_current', above: 10, clear: 9, for: '5s', fault: 'overcurrent',
    severity: 'major', category: 'water', message: 'Motor current above 10 A' },
  // No authoritative limit found; ~80 °C absolute is the usual alarm (domain.md §1.2 [guess]).
  { id: 'pump.bearing-overtemp', equipment: 'pump', point: 'bearing_temp', above: 80, clear: 75, for: '30s', fault: 'bearing_overtemp',
    severity: 'major', category: 'water', message: 'Bearing temperature above 80 °C' },
  // ISO 10816-3 group 2, rigid foundation: B/C 2.8 mm/s, C/D 4.5 mm/s (domain.md §1.2, configurable).
  { id: 'pump.vibration-zone-c', equipment: 'pump', point: 'vibration', above: 2.8, clear: 2.5, for: '30s', fault: 'vibration_zone_c',
    severity: 'minor', category: 'water', message: 'Vibration in ISO 10816-3 zone C (> 2.8 mm/s): plan maintenance' },
  { id: 'pump.vibration-zone-d', equipment: 'pump', point: 'vibration', above: 4.5, clear: 4, for: '10s', fault: 'vibration_zone_d',
    severity: 'major', category: 'water', message: 'Vibration in ISO 10816-3 zone D (> 4.5 mm/s): risk of damage' },
  // Jockey/booster pumps: ≤ 15 starts per hour (domain.md §1.2 [recalled]); more is short cycling.
  { id: 'pump.short-cycling', equipment: 'pump', point: 'starts', rate: { above: 15, per: '1h' }, fault: 'short_cycling',
    severity: 'minor', category: 'water', message: 'More than 15 starts per hour: short cycling' },
  { id: 'pump.comms-lost', equipment: 'pump', commLost: COMMS, fault: 'comms_lost', severity: 'major', category: 'water',
    message: 'Pump controller not reachable for 60 s' },

  // ── Power distribution (domain.md §1.3) ───────────────────────────────────────────────────
  // GB/T 12325: 220 V single-phase −10 % / +7 % → 198 V … 235.4 V.
  ...(['l1', 'l2', 'l3'] as const).flatMap((ph): RuleConfig[] => [
    { id: `power.undervoltage-${ph}`, equipment: 'power', point: `voltage_${ph}`, below: 198, clear: 202, for: '5s', fault: 'undervoltage',
      severity: 'major', category: 'power', message: `${ph.toUpperCase()} voltage below 198 V (220 V −10 %)` },
    { id: `power.overvoltage-${ph}`, equipment: 'power', point: `voltage_${ph}`, above: 235.4, clear: 233, for: '5s', fault: 'overvoltage',
      severity: 'major', category: 'power', message: `${ph.toUpperCase()} voltage above 235.4 V (220 V +7 %)` },
    { id: `power.phase-loss-${ph}`, equipment: 'power', point: `voltage_${ph}`, below: 50, clear: 150, for: '2s', fault: 'phase_loss',
      severity: 'critical', category: 'power', message: `${ph.toUpperCase()} phase lost` },
  ]),
  // IEEE 519 / GB/T 14549: voltage THD ≤ 5 % at low voltage.
  { id: 'power.thd', equipment: 'power', point: 'thd_v', above: 5, clear: 4.5, for: '10s', fault: 'high_thd',
    severity: 'minor', category: 'power', message: 'Voltage THD above 5 %' },
  // Dry-type transformer controller alarm 120 °C (one vendor; others 155 °C) — domain.md §1.3, per asset.
  { id: 'power.transformer-overtemp', equipment: 'power', point: 'transformer_temp', above: 120, clear: 110, for: '30s',
    fault: 'transformer_overtemp', severity: 'major', category: 'power', message: 'Transformer temperature above 120 °C' },
  // Frequency ±0.5 Hz (GB/T 15945 allows ±0.2 Hz on large grids, ±0.5 Hz on small ones).
  { id: 'power.frequency-low', equipment: 'power', point: 'frequency', below: 49.5, clear: 49.7, for: '10s', fault: 'frequency',
    severity: 'minor', category: 'power', message: 'Frequency below 49.5 Hz' },
  { id: 'power.frequency-high', equipment: 'power', point: 'frequency', above: 50.5, clear: 50.3, for: '10s', fault: 'frequency',
    severity: 'minor', category: 'power', message: 'Frequency above 50.5 Hz' },
  { id: 'power.comms-lost', equipment: 'power', commLost: COMMS, fault: 'comms_lost', severity: 'major', category: 'power',
    message: 'Power meter not reachable for 60 s' },

  // ── Fire-alarm panels (domain.md §1.4): life safety, no delay ────────────────────────────
  { id: 'fire.alarm', equipment: 'fire_panel', point: 'fire_alarm', equals: true, fault: 'fire_alarm',
    severity: 'critical', category: 'fire', priority: 'emergency', message: 'Fire alarm (火警)' },
  { id: 'fire.supervisory', equipment: 'fire_panel', point: 'supervisory', equals: true, fault: 'supervisory',
    severity: 'major', category: 'fire', message: 'Supervisory signal (监管)' },
  { id: 'fire.trouble', equipment: 'fire_panel', point: 'trouble', equals: true, fault: 'trouble',
    severity: 'major', category: 'fire', message: 'Panel trouble (故障)' },
  // 24 V lead-acid: float ≈ 27 V, low-battery trouble ≈ 21–22 V (domain.md §1.4 [guess]).
  { id: 'fire.battery-low', equipment: 'fire_panel', point: 'battery_voltage', below: 22, clear: 24, for: '10s', fault: 'battery_low',
    severity: 'major', category: 'fire', message: 'Standby battery below 22 V' },
  // NFPA 72 §10.6.9: primary power supervised.
  { id: 'fire.mains-failure', equipment: 'fire_panel', point: 'mains_voltage', below: 180, clear: 200, for: '5s', fault: 'mains_failure',
    severity: 'major', category: 'fire', message: 'Mains supply lost: panel on battery' },
  { id: 'fire.comms-lost', equipment: 'fire_panel', commLost: COMMS, fault: 'comms_lost', severity: 'critical', category: 'fire',
    message: 'Fire panel not reachable for 60 s' },
];
