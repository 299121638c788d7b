/**
 * Basement sump / sewage lift pump: a submersible pump in a 2 m² pit, run by a small level
 * controller. The controller calls the pump at the start level (0.9 m) and stops it at 0.3 m; a
 * current relay on the motor feeds back whether it really runs. A float switch at 1.2 m gives
 * the high-level alarm. When the pump is called and draws no current for 10 s the controller
 * raises `pump_fail` (the pump fails to start: seized, tripped or its contactor burnt).
 */
import { hourOfDay, lag, type Rng } from '../random.js';
import { BaseModel } from './model.js';

export const SUMP_PUMP_FAULTS = ['fails_to_start', 'high_inflow'] as const;
export type SumpPumpFault = (typeof SUMP_PUMP_FAULTS)[number];

export interface SumpPumpValues {
  pit_level: number; // m
  high_level: boolean;
  /** The controller calls the pump (start level reached, not yet down to the stop level). */
  pump_call: boolean;
  /** Run feedback from the current relay. */
  running: boolean;
  motor_current: number; // A
  pump_fail: boolean;
  run_hours: number; // h
  starts: number;
}

export interface SumpPumpOptions {
  rng: Rng;
  /** Average inflow of the pit (m³/h): groundwater, car-park drains, a basement's sewage. */
  baseInflow?: number;
}

/** Pit geometry and levels (m). */
export const PIT = { area: 2, start: 0.9, stop: 0.3, highLevel: 1.2, depth: 1.6 } as const;
const PUMP_RATE = 20; // m³/h at the design head
const RATED_A = 6.2; // full-load current of the 2.2 kW motor
/** Running current (A) at which the scenario's ragged impeller counts as failed: 1.3 × rated, the overload relay's trip region. */
export const SUMP_CURRENT_FAILURE = Math.round(RATED_A * 1.3 * 10) / 10;
const FAIL_DELAY_S = 10;

/**
 * Slow degradation set by a scenario (0 = as new). `ragging` 1 is an impeller wrapped in rags
 * and wipes: the running current is SUMP_CURRENT_FAILURE and the pump moves 40 % less water.
 */
export interface SumpPumpWear {
  ragging: number;
}

export class SumpPump extends BaseModel<SumpPumpValues, SumpPumpFault> {
  readonly type = 'sump_pump';
  readonly faults = SUMP_PUMP_FAULTS;
  private readonly rng: Rng;
  private readonly baseInflow: number;
  private level: number;
  private call = false;
  private running = false;
  private current = 0;
  private calledIdleS = 0;
  private runSeconds: number;
  private starts: number;
  private levelNoise = 0;
  private currentNoise = 0;
  readonly wear: SumpPumpWear = { ragging: 0 };

  constructor(opts: SumpPumpOptions) {
    super();
    this.rng = opts.rng;
    this.baseInflow = opts.baseInflow ?? 1.5;
    this.level = this.rng.uniform(PIT.stop, PIT.start);
    this.runSeconds = this.rng.int(800, 4000) * 3600;
    this.starts = this.rng.int(5_000, 30_000);
  }

  step(dt: number, simTime: number): void {
    if (this.level >= PIT.start) this.call = true;
    else if (this.level <= PIT.stop) this.call = false;
    const canRun = !this.has('fails_to_start');
    const wasRunning = this.running;
    this.running = this.call && canRun;
    if (this.running && !wasRunning) this.starts++;
    if (this.running) this.runSeconds += dt;
    this.calledIdleS = this.call && !this.running ? this.calledIdleS + dt : 0;

    const rag = Math.min(this.wear.ragging, 2);
    const out = this.running ? PUMP_RATE * (1 - 0.4 * Math.min(rag, 1)) : 0;
    this.level = Math.max(0.05, this.level + ((this.inflow(simTime) - out) / 3600 / PIT.area) * dt);
    // The demo's faults show within a minute: a storm (or a pump that will not start) fills the pit fast.
    if (this.has('high_inflow') || !canRun) this.level = lag(this.level, PIT.highLevel + 0.15, dt, 15);
    this.level = Math.min(PIT.depth, this.level);

    const amps = this.running ? RATED_A * 0.85 + rag * (SUMP_CURRENT_FAILURE - RATED_A * 0.85) : 0;
    this.current = this.running ? lag(this.current, amps, dt, 0.5) : 0;
    this.levelNoise = this.rng.gauss(0, 0.004);
    this.currentNoise = this.running ? this.rng.gauss(0, 0.05) : 0;
  }

  values(): SumpPumpValues {
    return this.glitched({
      pit_level: Math.max(0, this.level + this.levelNoise),
      high_level: this.level >= PIT.highLevel,
      pump_call: this.call,
      running: this.running,
      motor_current: this.current + this.currentNoise,
      pump_fail: this.calledIdleS >= FAIL_DELAY_S,
      run_hours: this.runSeconds / 3600,
      starts: this.starts,
    });
  }

  /** Inflow in m³/h, noise-free: more by day (sewage of the basement shops), a little at night. */
  private inflow(simTime: number): number {
    const h = hourOfDay(simTime);
    return this.baseInflow * (0.5 + 0.9 * Math.exp(-(((h - 13) / 4) ** 2)));
  }
}
