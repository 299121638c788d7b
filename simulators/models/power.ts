/**
 * Three-phase power meter on the main distribution board of a residential building, fed by a
 * dry-type transformer. Load follows the hour of day; voltage sags a little with load; the
 * transformer winding temperature follows load with a long time constant.
 */
import { hourOfDay, lag, type Rng } from '../random.js';
import { BaseModel } from './model.js';

export const POWER_FAULTS = ['undervoltage', 'overvoltage', 'phase_loss', 'high_thd', 'transformer_overtemp'] as const;
export type PowerFault = (typeof POWER_FAULTS)[number];

/**
 * Alarm level of the transformer temperature controller (°C): a cast-resin, class F dry-type
 * transformer alarms at 130 °C and trips at 150 °C.
 */
export const TRANSFORMER_ALARM_C = 130;

/** Slow degradation set by a scenario: `coolingLoss` 1 multiplies the temperature rise over ambient by `riseFactor`. */
export interface PowerWear {
  coolingLoss: number;
  /** Rise multiplier at coolingLoss 1 (fans and ducts blocked). */
  riseFactor: number;
}

export interface PowerValues {
  breaker_closed: boolean;
  voltage_l1: number;
  voltage_l2: number;
  voltage_l3: number;
  current_l1: number;
  current_l2: number;
  current_l3: number;
  active_power: number; // kW, sum of the phases
  power_factor: number;
  frequency: number; // Hz
  thd_v: number; // %
  energy_kwh: number;
  transformer_temp: number; // °C
}

export interface PowerOptions {
  rng: Rng;
  /** Evening peak load in kW. */
  peakKw?: number;
}

export class PowerMeter extends BaseModel<PowerValues, PowerFault> {
  readonly type = 'power';
  readonly faults = POWER_FAULTS;
  private readonly rng: Rng;
  private readonly peakKw: number;
  /** Fixed per-phase share of the load and voltage offset: real boards are never balanced. */
  private readonly share: [number, number, number];
  private readonly vOffset: [number, number, number];
  private volts: [number, number, number];
  private amps: [number, number, number] = [0, 0, 0];
  private kw = 0;
  private pf = 0.92;
  private hz = 50;
  private thd = 2.4;
  private kwh: number;
  private tempC = 55;
  readonly wear: PowerWear = { coolingLoss: 0, riseFactor: 1 };

  constructor(opts: PowerOptions) {
    super();
    this.rng = opts.rng;
    this.peakKw = opts.peakKw ?? 220;
    const s = [1 + this.rng.gauss(0, 0.04), 1 + this.rng.gauss(0, 0.04), 1 + this.rng.gauss(0, 0.04)] as const;
    const sum = s[0] + s[1] + s[2];
    this.share = [s[0] / sum, s[1] / sum, s[2] / sum];
    this.vOffset = [this.rng.gauss(0, 0.8), this.rng.gauss(0, 0.8), this.rng.gauss(0, 0.8)];
    this.volts = [227, 227, 227];
    this.kwh = this.rng.int(800_000, 2_500_000) + 0.5;
  }

  step(dt: number, simTime: number): void {
    const load = this.loadFraction(simTime);
    const nominal = this.has('undervoltage') ? 184 : this.has('overvoltage') ? 247 : 229 - 7 * load;
    for (const i of [0, 1, 2] as const) {
      const lost = i === 2 && this.has('phase_loss');
      const target = lost ? 3 : nominal + this.vOffset[i]; // a dead phase still shows a few induced volts
      // Steps (a tap change, a fault, its clearing) show within the meter's RMS window: 10 cycles,
      // 200 ms at 50 Hz (IEC 61000-4-30 class A), i.e. 95 % after 3 τ = 200 ms. Load drift is slow.
      const tau = Math.abs(target - this.volts[i]) > 10 ? 0.2 / 3 : 5;
      this.volts[i] = lag(this.volts[i], target, dt, tau) + this.rng.gauss(0, 0.3);
    }
    this.pf = Math.min(0.99, 0.91 + 0.03 * load + this.rng.gauss(0, 0.003));
    const totalKw = this.peakKw * load;
    let kw = 0;
    for (const i of [0, 1, 2] as const) {
      const phaseKw = this.volts[i] < 50 ? 0 : totalKw * this.share[i] * (1 + this.rng.gauss(0, 0.01));
      this.amps[i] = (phaseKw * 1000) / (this.volts[i] * this.pf);
      kw += phaseKw;
    }
    this.kw = kw;
    this.kwh += (kw * dt) / 3600;
    // Frequency: a mean-reverting random walk around 50 Hz, a large grid is stiff.
    this.hz = Math.min(50.15, Math.max(49.85, this.hz + (50 - this.hz) * Math.min(1, 0.05 * dt) + this.rng.gauss(0, 0.004 * Math.sqrt(dt))));
    this.thd = lag(this.thd, this.has('high_thd') ? 7.6 : 2.1 + 0.9 * load, dt, this.has('high_thd') ? 1.5 : 30) + this.rng.gauss(0, 0.03);
    const ambient = 24 + 4 * Math.sin(((hourOfDay(simTime) - 9) / 24) * 2 * Math.PI);
    const rise = (18 + 40 * load * load) * (1 + this.wear.coolingLoss * (this.wear.riseFactor - 1));
    const tempTarget = this.has('transformer_overtemp') ? 140 : ambient + rise;
    this.tempC = lag(this.tempC, tempTarget, dt, this.has('transformer_overtemp') ? 90 : 1800);
  }

  values(): PowerValues {
    return this.glitched({
      breaker_closed: true,
      voltage_l1: this.volts[0],
      voltage_l2: this.volts[1],
      voltage_l3: this.volts[2],
      current_l1: this.amps[0],
      current_l2: this.amps[1],
      current_l3: this.amps[2],
      active_power: this.kw,
      power_factor: this.pf,
      frequency: this.hz,
      thd_v: Math.max(0, this.thd),
      energy_kwh: this.kwh,
      transformer_temp: this.tempC,
    });
  }

  /** Load as a fraction of the evening peak: night base, morning and evening peaks. */
  loadFraction(simTime: number): number {
    const h = hourOfDay(simTime);
    const bump = (centre: number, width: number) => Math.exp(-(((h - centre) / width) ** 2));
    return Math.min(1, 0.3 + 0.35 * bump(8, 1.5) + 0.25 * bump(13, 2) + 0.7 * bump(20, 2.2));
  }
}
