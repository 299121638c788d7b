/**
 * Water-cooled screw chiller of a commercial tower (about 1,000 kW of cooling, R-134a, 380 V).
 * It holds the chilled-water supply at its setpoint (7 °C, return about 12 °C at full load); the
 * load follows office hours, and the condenser water from the cooling tower follows the day's
 * heat. Refrigerant pressures come from the R-134a saturation curve: the evaporator (suction side,
 * about 2.5 K below the supply water) and the condenser (discharge side, a few K above the condenser
 * water, more at full load). Pressures are gauge, in kPa, as the chiller's controller shows them.
 */
import { hourOfDay, lag, type Rng } from '../random.js';
import { BaseModel, type PointValue } from './model.js';

export const CHILLER_FAULTS = ['high_discharge_pressure', 'low_suction_pressure', 'compressor_trip'] as const;
export type ChillerFault = (typeof CHILLER_FAULTS)[number];

export interface ChillerValues {
  enabled: boolean;
  running: boolean;
  compressor_trip: boolean;
  chw_setpoint: number; // °C
  chw_supply_temp: number; // °C
  chw_return_temp: number; // °C
  cw_entering_temp: number; // °C, condenser water from the tower
  load_pct: number; // %
  compressor_current: number; // A
  evaporator_pressure: number; // kPa gauge
  condenser_pressure: number; // kPa gauge
  run_hours: number; // h
}

export interface ChillerOptions {
  rng: Rng;
}

const ATM = 101.3; // kPa
/**
 * R-134a saturation pressure (kPa absolute) at `tempC`: ln p = A − B / T, fitted through 0 °C →
 * 293 kPa and 40 °C → 1,017 kPa (R-134a tables); within 1 % from −5 to 55 °C.
 */
export function r134aSaturation(tempC: number): number {
  return Math.exp(15.426 - 2662 / (tempC + 273.15));
}
const gauge = (tempC: number) => r134aSaturation(tempC) - ATM;

/**
 * Discharge pressure (kPa gauge) at which the scenario's condenser fouling counts as failed: the
 * high-pressure alarm, a condensing temperature of about 47 °C, below the cut-out.
 */
export const CHILLER_DISCHARGE_FAILURE = 1100;
const RATED_A = 320; // compressor full-load current at 380 V
const DESIGN_DT = 5; // K between return and supply at full load

/**
 * Slow degradation set by a scenario (0 = as new). `condenserFouling` 1 is scaled condenser tubes:
 * at full load and 32 °C condenser water the noise-free condenser pressure is CHILLER_DISCHARGE_FAILURE.
 */
export interface ChillerWear {
  condenserFouling: number;
}

/** Condensing temperature (°C) above the entering condenser water, clean tubes, at `load` 0..1. */
const condensingLift = (load: number) => 4 + 4 * load;
/** Extra condensing temperature (K) of fully fouled tubes at full load, so the design peak reaches the failure pressure. */
export const FOULING_LIFT_K = (() => {
  let t = 32 + condensingLift(1);
  while (gauge(t) < CHILLER_DISCHARGE_FAILURE) t += 0.001;
  return t - (32 + condensingLift(1));
})();

export class Chiller extends BaseModel<ChillerValues, ChillerFault> {
  readonly type = 'chiller';
  readonly faults = CHILLER_FAULTS;
  private readonly rng: Rng;
  private enabled = true;
  private setpoint = 7;
  private supply: number;
  private ret: number;
  private cwIn = 30;
  private load = 0.5;
  private condensing: number;
  private evaporating: number;
  private current = 0;
  private runSeconds: number;
  private tripped = false;
  private readonly noise = [0, 0, 0, 0];
  readonly wear: ChillerWear = { condenserFouling: 0 };

  constructor(opts: ChillerOptions) {
    super();
    this.rng = opts.rng;
    this.supply = this.setpoint + this.rng.uniform(-0.2, 0.2);
    this.ret = this.supply + 2.5;
    this.condensing = 36;
    this.evaporating = this.supply - 2.5;
    this.runSeconds = this.rng.int(5_000, 30_000) * 3600;
  }

  /** Building cooling load 0..1, noise-free: office hours on a warm day, a base load at night. */
  static loadAt(simTime: number): number {
    const h = hourOfDay(simTime);
    return Math.min(1, 0.3 + 0.7 * Math.exp(-(((h - 15) / 4) ** 2)));
  }

  /** Condenser water entering temperature (°C), noise-free: warmest mid-afternoon. */
  static condenserWaterAt(simTime: number): number {
    return 29 + 3 * Math.cos(((hourOfDay(simTime) - 15) / 24) * 2 * Math.PI);
  }

  step(dt: number, simTime: number): void {
    if (this.has('compressor_trip')) this.tripped = true;
    const running = this.enabled && !this.tripped;
    if (running) this.runSeconds += dt;
    this.load = Chiller.loadAt(simTime);
    this.cwIn = lag(this.cwIn, Chiller.condenserWaterAt(simTime), dt, 120);

    // Water side: a running chiller holds the setpoint; a stopped one lets the loop warm towards the
    // spaces it serves (the demo shows it in a minute or two rather than the half hour of a real loop).
    const buildingReturn = this.setpoint + DESIGN_DT * this.load;
    this.supply = lag(this.supply, running ? this.setpoint : buildingReturn + 6, dt, running ? 60 : 120);
    this.ret = lag(this.ret, running ? this.setpoint + DESIGN_DT * this.load : this.supply + 0.3, dt, 60);

    // Refrigerant side. Low suction (refrigerant loss or low chilled-water flow) drops the evaporator to −3 °C.
    const evapTarget = this.has('low_suction_pressure') ? -3 : this.supply - 2.5;
    const fouling = Math.min(this.wear.condenserFouling, 2) * FOULING_LIFT_K * this.load;
    // Condenser water lost (high_discharge_pressure: its pump tripped or the tower fan failed): +15 K.
    const lost = this.has('high_discharge_pressure') ? 15 : 0;
    const condTarget = running ? this.cwIn + condensingLift(this.load) + fouling + lost : this.cwIn + 1;
    this.evaporating = lag(this.evaporating, running ? evapTarget : this.supply, dt, this.has('low_suction_pressure') ? 10 : 30);
    this.condensing = lag(this.condensing, condTarget, dt, 30);
    // Current: load plus the extra lift against a high head.
    const lift = Math.max(0, this.condensing - 40);
    const amps = running ? 40 + (RATED_A - 40) * this.load * (1 + 0.012 * lift) : 0;
    this.current = lag(this.current, amps, dt, 2);
    for (let i = 0; i < this.noise.length; i++) this.noise[i] = this.rng.gauss(0, 1);
  }

  values(): ChillerValues {
    const [a, b, c, d] = this.noise as [number, number, number, number];
    const running = this.enabled && !this.tripped;
    return this.glitched({
      enabled: this.enabled,
      running,
      compressor_trip: this.tripped,
      chw_setpoint: this.setpoint,
      chw_supply_temp: this.supply + a * 0.05,
      chw_return_temp: this.ret + b * 0.05,
      cw_entering_temp: this.cwIn + c * 0.05,
      load_pct: running ? this.load * 100 : 0,
      compressor_current: running ? Math.max(0, this.current + d * 1.5) : 0,
      evaporator_pressure: gauge(this.evaporating),
      condenser_pressure: gauge(this.condensing),
      run_hours: this.runSeconds / 3600,
    });
  }

  /** Writes from the master: the enable coil, and the chilled-water setpoint (5–10 °C). */
  write(point: string, value: PointValue): boolean {
    if (point === 'enabled' && typeof value === 'boolean') this.enabled = value;
    else if (point === 'chw_setpoint' && typeof value === 'number' && value >= 5 && value <= 10) this.setpoint = value;
    else return false;
    return true;
  }

  protected override onClear(fault: ChillerFault): void {
    // A tripped compressor restarts once the technician resets the overload.
    if (fault === 'compressor_trip') this.tripped = false;
  }
}
