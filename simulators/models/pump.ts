/**
 * Domestic booster pump set: a VFD pump with a pressure tank. Demand follows the hour of day.
 * At low demand the VFD "sleeps" and the pump cycles on the tank between cut-in and cut-out
 * pressure; at higher demand it runs continuously holding the pressure setpoint. Hydraulics
 * follow a simple pump curve, and motor current, bearing temperature and vibration follow load.
 */
import { hourOfDay, lag, type Rng } from '../random.js';
import { BaseModel, type PointValue } from './model.js';

export const PUMP_FAULTS = ['low_pressure', 'dry_run', 'overcurrent', 'bearing_overtemp', 'short_cycling'] as const;
export type PumpFault = (typeof PUMP_FAULTS)[number];

export interface PumpValues {
  enabled: boolean;
  running: boolean;
  auto_mode: boolean;
  pressure_setpoint: number; // MPa
  discharge_pressure: number; // MPa
  suction_pressure: number; // MPa
  flow: number; // m³/h
  motor_current: number; // A
  bearing_temp: number; // °C
  vibration: number; // mm/s RMS
  run_hours: number; // h
  starts: number;
}

export interface PumpOptions {
  rng: Rng;
  /** Peak demand of the building in m³/h (scales the daily profile). */
  peakDemand?: number;
}

const BAND = { below: 0.04, above: 0.03 }; // cut-in / cut-out around the setpoint, MPa
const SLEEP_FLOW = 4; // m³/h: below this the VFD sleeps and the tank carries the load
const TANK_K = 1.2e-4; // MPa per (m³/h · s): how fast the tank pressure moves with net flow
const FILL_FLOW = 4; // m³/h above demand while refilling the tank
const SHUTOFF_HEAD = 0.6; // MPa at full speed and zero flow
const CURVE_A = 7.5e-4; // MPa per (m³/h)²: head lost along the pump curve

/** ISO 10816-1 class I (small machines): zone C/D boundary, vibration RMS in mm/s. */
export const PUMP_VIBRATION_FAILURE = 7.1;
/** Bearing temperature at which the bearing counts as failed (°C). */
export const PUMP_BEARING_FAILURE_C = 80;
/** Starts per hour above which the pump counts as short-cycling. */
export const PUMP_STARTS_PER_HOUR_FAILURE = 15;
/** Tank constants for scenario design: cut-in/cut-out band (MPa), tank rate, refill flow. */
export const PUMP_TANK = { band: BAND.below + BAND.above, k: TANK_K, fillFlow: FILL_FLOW, sleepFlow: SLEEP_FLOW } as const;

/**
 * Slow degradation set by a scenario (0 = as new). `bearing` 1 is a failed bearing: the noise-free
 * vibration of a running pump is then exactly PUMP_VIBRATION_FAILURE and its bearing temperature
 * heads for PUMP_BEARING_FAILURE_C. `sealLeak` is the flow (m³/h) that leaks back through the
 * stopped pump's seal and check valve, draining the tank faster and shortening the off time.
 */
export interface PumpWear {
  bearing: number;
  sealLeak: number;
}

export class Pump extends BaseModel<PumpValues, PumpFault> {
  readonly type = 'pump';
  readonly faults = PUMP_FAULTS;
  private readonly rng: Rng;
  readonly peakDemand: number;
  private enabled = true;
  private setpoint = 0.5;
  private running = false;
  private pressure: number;
  private suction = 0.1;
  private flow = 0;
  private current = 0;
  private bearingTemp: number;
  private vibration = 0.05;
  private runSeconds: number;
  private starts: number;
  private primed = false;
  private pressureNoise = 0;
  private flowNoise = 0;
  readonly wear: PumpWear = { bearing: 0, sealLeak: 0 };

  constructor(opts: PumpOptions) {
    super();
    this.rng = opts.rng;
    this.peakDemand = opts.peakDemand ?? 14;
    this.pressure = this.setpoint + this.rng.uniform(-0.03, 0.02);
    this.bearingTemp = this.rng.uniform(26, 34);
    this.runSeconds = this.rng.int(8_000, 30_000) * 3600;
    this.starts = this.rng.int(20_000, 90_000);
  }

  step(dt: number, simTime: number): void {
    const demand = this.demand(simTime);
    const cutIn = this.setpoint - BAND.below;
    const cutOut = this.setpoint + BAND.above;
    const dry = this.has('dry_run');
    // A waterlogged tank or a faulty pressure switch: the pump stops at cut-out whatever the demand.
    const shortCycling = this.has('short_cycling');
    const tankK = shortCycling ? TANK_K * 25 : TANK_K;

    if (!this.primed) {
      // Start in the regime of the hour: running at daytime demand, asleep on the tank at night.
      this.primed = true;
      this.running = this.enabled && demand >= SLEEP_FLOW;
    }
    if (!this.enabled) this.running = false;
    else if (!this.running && this.pressure <= cutIn) this.start();
    else if (this.running && !dry && this.pressure >= cutOut - 0.001 && (demand < SLEEP_FLOW || shortCycling)) this.running = false;

    this.suction = lag(this.suction, dry ? 0.004 : 0.1 - 0.0015 * demand, dt, dry ? 2 : 5);
    if (this.running) {
      this.runSeconds += dt;
      const sleepMode = demand < SLEEP_FLOW || shortCycling;
      if (this.has('low_pressure') || dry) {
        // Low pressure: a burst main downstream, the pump runs out to the far end of its curve.
        this.pressure = lag(this.pressure, dry ? 0.06 : 0.14, dt, 0.7);
        this.flow = dry ? 0.3 : 27;
      } else if (sleepMode && this.pressure >= cutIn - 0.05) {
        // Refill the tank up to cut-out before the VFD goes back to sleep. (Far below cut-in, after a
        // burst main is isolated, the VFD first brings the header back to its setpoint.)
        this.flow = demand + FILL_FLOW;
        this.pressure = Math.min(cutOut, this.pressure + tankK * FILL_FLOW * dt);
      } else {
        this.flow = demand;
        this.pressure = lag(this.pressure, this.setpoint, dt, 4);
      }
    } else {
      this.pressure = Math.max(this.suction, this.pressure - tankK * (demand + this.wear.sealLeak) * dt);
      this.flow = 0;
    }

    const head = Math.max(0, this.pressure - this.suction);
    const hydraulicKw = (head * 1e6 * this.flow) / 3600 / 1000;
    const speed = Math.min(1, Math.sqrt((head + CURVE_A * this.flow ** 2) / SHUTOFF_HEAD));
    let shaftKw = this.running ? hydraulicKw / 0.62 + 0.35 * speed ** 3 : 0;
    // At run-out efficiency collapses and a radial pump draws close to its rated power.
    if (this.running && this.has('low_pressure')) shaftKw = 3.8;
    let amps = this.running ? 1.8 + 1.6 * shaftKw : 0;
    if (dry && this.running) amps = 1.8 + 0.5 * speed; // no water, no hydraulic load
    if (this.has('overcurrent') && this.running) amps = amps * 1.6 + 3; // seizing impeller / phase imbalance
    if (this.running) amps += 0.4 * this.wear.bearing; // friction of a worn bearing
    this.current = lag(this.current, amps, dt, 0.5) + this.rng.gauss(0, 0.05);
    if (!this.running && this.current < 0.2) this.current = 0; // a stopped motor reads zero

    const load = Math.min(1, shaftKw / 4);
    const ambient = 20 + 4 * Math.sin(((hourOfDay(simTime) - 9) / 24) * 2 * Math.PI);
    let bearingTarget = ambient + (this.running ? 14 + 22 * load : 0);
    const worn = this.wear.bearing;
    if (this.running && worn > 0) bearingTarget += worn * (PUMP_BEARING_FAILURE_C - bearingTarget);
    if (this.has('bearing_overtemp')) bearingTarget = ambient + 72;
    else if (dry && this.running) bearingTarget += 30; // mechanical seal running dry
    const tau = this.has('bearing_overtemp') || dry ? 90 : this.running ? 900 : 1800;
    this.bearingTemp = lag(this.bearingTemp, bearingTarget, dt, tau);

    let vib = this.running ? 1.7 + 0.6 * load : 0.05;
    if (this.running && dry) vib = 5.5; // cavitation
    if (this.running && this.has('bearing_overtemp')) vib += 1.6;
    // A worn bearing: vibration moves from its normal level to the failure level as wear goes 0 → 1,
    // and gets rougher (more scatter) on the way.
    if (this.running && worn > 0) vib += worn * (PUMP_VIBRATION_FAILURE - vib);
    const vibNoise = this.running ? 0.08 + 0.25 * Math.min(worn, 2) : 0.01;
    this.vibration = Math.max(0.01, lag(this.vibration, vib, dt, 0.3) + this.rng.gauss(0, vibNoise));
    this.pressureNoise = this.rng.gauss(0, 0.002);
    this.flowNoise = this.rng.gauss(0, 0.1);
  }

  values(): PumpValues {
    return this.glitched({
      enabled: this.enabled,
      running: this.running,
      auto_mode: true,
      pressure_setpoint: this.setpoint,
      discharge_pressure: Math.max(0, this.pressure + this.pressureNoise),
      suction_pressure: Math.max(0, this.suction + this.pressureNoise / 2),
      flow: this.flow > 0 ? Math.max(0, this.flow + this.flowNoise) : 0,
      motor_current: this.current,
      bearing_temp: this.bearingTemp,
      vibration: this.vibration,
      run_hours: this.runSeconds / 3600,
      starts: this.starts,
    });
  }

  /** The start counter (cheaper than values() for a caller stepping fast). */
  get startCount(): number {
    return this.starts;
  }

  /** Writes from the Modbus master: the enable coil and the pressure setpoint (0.2–0.8 MPa). */
  write(point: string, value: PointValue): boolean {
    if (point === 'enabled' && typeof value === 'boolean') this.enabled = value;
    else if (point === 'pressure_setpoint' && typeof value === 'number' && value >= 0.2 && value <= 0.8) this.setpoint = value;
    else return false;
    return true;
  }

  protected override onInject(fault: PumpFault): void {
    // Pressure faults show while the pump runs; start it now rather than waiting for cut-in.
    if ((fault === 'low_pressure' || fault === 'dry_run' || fault === 'overcurrent') && this.enabled && !this.running) this.start();
  }

  /** Demand in m³/h: morning and evening peaks over a low night base. */
  private demand(simTime: number): number {
    const h = hourOfDay(simTime);
    const bump = (centre: number, width: number) => Math.exp(-(((h - centre) / width) ** 2));
    const shape = 0.12 + 0.9 * bump(7.5, 1.3) + 0.55 * bump(12.5, 1.5) + 1.0 * bump(19.5, 1.8);
    return Math.max(0.3, this.peakDemand * Math.min(1, shape) * (1 + this.rng.gauss(0, 0.04)));
  }

  private start(): void {
    this.running = true;
    this.starts++;
  }
}
