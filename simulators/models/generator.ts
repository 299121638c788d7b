/**
 * Diesel standby generator set (about 500 kVA, 1500 rpm, 4-pole, 50 Hz) with its controller, in
 * the style of the common genset controllers that publish a Modbus register map (engine speed,
 * coolant temperature, oil pressure, battery, fuel, generator voltage and frequency, hours and
 * start counters). In standby the set is stopped: the jacket-water heater keeps the coolant warm,
 * the charger floats the 24 V starter battery and the day tank holds its fuel. A remote start (the
 * monthly no-load test run) cranks the engine up to three times, and the set runs at no load
 * until the start command is released.
 */
import { lag, type Rng } from '../random.js';
import { BaseModel, type PointValue } from './model.js';

export const GENERATOR_FAULTS = ['fails_to_start', 'battery_low', 'low_fuel', 'over_temperature'] as const;
export type GeneratorFault = (typeof GENERATOR_FAULTS)[number];

export interface GeneratorValues {
  running: boolean;
  auto_mode: boolean;
  /** Remote start (test run) from the master; the set runs while it is on. */
  start_command: boolean;
  /** Latched controller alarm: three crank attempts and the engine never fired. */
  fail_to_start: boolean;
  engine_speed: number; // rpm
  coolant_temp: number; // °C
  oil_pressure: number; // kPa
  battery_voltage: number; // V (24 V starter battery)
  fuel_level: number; // % of the day tank
  output_voltage: number; // V, L1-N
  output_frequency: number; // Hz
  run_hours: number; // h
  start_attempts: number; // crank attempts, cumulative
}

export interface GeneratorOptions {
  rng: Rng;
}

/** Crank and rest times of the start sequence (s), and the attempts before `fail_to_start`. */
export const CRANK = { crankS: 4, restS: 3, attempts: 3 } as const;
const RATED_RPM = 1500;
const FLOAT_V = 27.2; // charger float voltage of a 24 V lead-acid starter battery
/** Day-tank level at which the scenario's fuel leak counts as a failure (the low-fuel alarm, %). */
export const GENERATOR_LOW_FUEL_PCT = 25;
const HEATER_C = 40; // jacket-water heater setpoint in standby

/**
 * Slow degradation set by a scenario (0 = as new). `fuelLeak` 1 has drained the day tank from its
 * level at the scenario start down to GENERATOR_LOW_FUEL_PCT (a weeping fuel-line fitting).
 */
export interface GeneratorWear {
  fuelLeak: number;
}

type Phase = 'standby' | 'cranking' | 'resting' | 'running';

export class GeneratorSet extends BaseModel<GeneratorValues, GeneratorFault> {
  readonly type = 'generator';
  readonly faults = GENERATOR_FAULTS;
  private readonly rng: Rng;
  private phase: Phase = 'standby';
  private phaseS = 0;
  private attemptsThisStart = 0;
  private startCommand = false;
  private failLatched = false;
  private speed = 0;
  private coolant: number;
  private oil = 0;
  private battery = FLOAT_V;
  /** Fuel in the tank before the scenario's leak is taken off (%). */
  private fuel: number;
  private volts = 0;
  private hz = 0;
  private runSeconds: number;
  private attempts: number;
  readonly wear: GeneratorWear = { fuelLeak: 0 };
  /** Fuel level when the leak started, so wear 1 lands exactly on the low-fuel level. */
  private leakFrom: number | null = null;
  /** Unit Gaussian sensor noise, drawn once per step so values() is a pure read. */
  private readonly noise = [0, 0, 0, 0, 0, 0];

  constructor(opts: GeneratorOptions) {
    super();
    this.rng = opts.rng;
    this.coolant = HEATER_C + this.rng.uniform(-2, 2);
    this.fuel = this.rng.uniform(78, 92);
    this.runSeconds = this.rng.int(150, 600) * 3600;
    this.attempts = this.rng.int(200, 900);
  }

  step(dt: number): void {
    this.phaseS += dt;
    const wantRun = this.startCommand && !this.failLatched;
    if (this.phase === 'standby' && wantRun) this.crank();
    else if (this.phase === 'cranking' && this.phaseS >= (this.has('fails_to_start') ? CRANK.crankS : 1.5)) {
      if (this.has('fails_to_start')) {
        if (this.attemptsThisStart >= CRANK.attempts) this.stop(true);
        else this.enter('resting');
      } else this.enter('running');
    } else if (this.phase === 'resting' && this.phaseS >= CRANK.restS) this.crank();
    else if (this.phase === 'running' && !wantRun) this.stop(false);

    const running = this.phase === 'running';
    const cranking = this.phase === 'cranking';
    if (running) this.runSeconds += dt;
    this.speed = lag(this.speed, running ? RATED_RPM : cranking ? 180 : 0, dt, running ? 1.2 : 0.4);
    const atSpeed = running && this.speed > 0.9 * RATED_RPM;
    this.volts = lag(this.volts, atSpeed ? 231 : 0, dt, 0.5);
    this.hz = (this.speed / RATED_RPM) * 50;
    this.oil = lag(this.oil, running ? 420 * Math.min(1, this.speed / RATED_RPM) : 0, dt, 1);

    // Coolant: the heater holds 40 °C in standby; a no-load run warms towards 78 °C. A blocked
    // radiator or a failed fan (over_temperature) heads for 105 °C (fast: the demo shows it in a minute).
    const coolantTarget = this.has('over_temperature') && running ? 105 : running ? 78 : HEATER_C;
    this.coolant = lag(this.coolant, coolantTarget, dt, this.has('over_temperature') && running ? 20 : running ? 300 : 1800);

    // Battery: floats at 27.2 V, dips to about 19 V while cranking; a failed charger or a dead cell reads 22.5 V.
    const batteryTarget = cranking ? 19.2 : this.has('battery_low') ? 22.5 : running ? 27.6 : FLOAT_V;
    this.battery = lag(this.battery, batteryTarget, dt, cranking ? 0.2 : 2);

    // Fuel: about 5 % of the day tank per hour at no load; low_fuel drains it to 12 % quickly (not refilled, a leak).
    if (running) this.fuel = Math.max(0, this.fuel - (5 / 3600) * dt);
    if (this.has('low_fuel')) this.fuel = lag(this.fuel, 12, dt, 10);
    if (this.wear.fuelLeak > 0 && this.leakFrom === null) this.leakFrom = this.fuel;
    if (this.wear.fuelLeak === 0) this.leakFrom = null;
    for (let i = 0; i < this.noise.length; i++) this.noise[i] = this.rng.gauss(0, 1);
  }

  values(): GeneratorValues {
    const n = this.noise;
    const running = this.phase === 'running';
    return this.glitched({
      running,
      auto_mode: true,
      start_command: this.startCommand,
      fail_to_start: this.failLatched,
      engine_speed: this.speed < 5 ? 0 : Math.round(this.speed + n[0]! * 2),
      coolant_temp: this.coolant + n[1]! * 0.1,
      oil_pressure: this.oil < 1 ? 0 : this.oil + n[2]! * 3,
      battery_voltage: this.battery + n[3]! * 0.02,
      fuel_level: Math.max(0, this.fuelLevel()),
      output_voltage: this.volts < 1 ? 0 : this.volts + n[4]! * 0.4,
      output_frequency: this.hz < 0.5 ? 0 : this.hz + (running ? n[5]! * 0.02 : 0),
      run_hours: this.runSeconds / 3600,
      start_attempts: this.attempts,
    });
  }

  /** Writes from the Modbus master: the remote start (a test run) on, or off to stop and cool down. */
  write(point: string, value: PointValue): boolean {
    if (point !== 'start_command' || typeof value !== 'boolean') return false;
    this.startCommand = value;
    return true;
  }

  protected override onInject(fault: GeneratorFault): void {
    // A fault that shows on a start or a run (as on the monthly test) starts the set now.
    if (fault === 'fails_to_start' || fault === 'over_temperature') this.startCommand = true;
    if (fault === 'fails_to_start' && this.phase === 'running') this.stop(false);
  }

  protected override onClear(fault: GeneratorFault): void {
    // The controller's alarm is reset by the technician once the cause is fixed; the test run ends.
    if (fault === 'fails_to_start') this.failLatched = false;
    if (fault === 'fails_to_start' || fault === 'over_temperature') this.startCommand = false;
  }

  private fuelLevel(): number {
    if (this.leakFrom === null) return this.fuel;
    return this.fuel - this.wear.fuelLeak * (this.leakFrom - GENERATOR_LOW_FUEL_PCT);
  }

  private crank(): void {
    this.attempts++;
    this.attemptsThisStart++;
    this.enter('cranking');
  }

  private stop(failed: boolean): void {
    this.failLatched ||= failed;
    this.attemptsThisStart = 0;
    this.enter('standby');
  }

  private enter(phase: Phase): void {
    this.phase = phase;
    this.phaseS = 0;
  }
}
