/**
 * Traction elevator: answers random landing calls (more at rush hours), travels with a
 * trapezoidal speed profile, cycles its doors at every stop and reports the signals a lift
 * remote monitor reads from the controller.
 */
import { hourOfDay, type Rng } from '../random.js';
import { BaseModel } from './model.js';

export const ELEVATOR_FAULTS = ['trapped_passenger', 'slow_door', 'stop_outside_door_zone'] as const;
export type ElevatorFault = (typeof ELEVATOR_FAULTS)[number];

export const DoorState = { closed: 0, opening: 1, open: 2, closing: 3 } as const;
/** Controller fault codes (0 = healthy). Door-time protection, out-of-zone stop, entrapment. */
export const ElevatorFaultCode = { none: 0, doorCloseTimeout: 11, outsideDoorZone: 21, trapped: 31 } as const;

export interface ElevatorValues {
  running: boolean;
  /** 1 up, -1 down, 0 standing. */
  direction: number;
  floor: number;
  door_state: number;
  /** Seconds of the last door close; while a close runs longer than that, the running time. */
  door_close_time: number;
  trips: number;
  door_cycles: number;
  motor_current: number;
  car_vibration: number;
  leveling_error: number;
  trapped: boolean;
  fault_code: number;
}

export interface ElevatorOptions {
  rng: Rng;
  /** Served floors are 1..floors. */
  floors: number;
}

type Phase = 'idle' | 'travel' | 'opening' | 'open' | 'closing' | 'stopped';

const FLOOR_HEIGHT_M = 3;
const SPEED = 1.75; // m/s rated speed
const ACCEL = 0.9; // m/s²
const DOOR_CLOSE_LIMIT_S = 6; // door-time protection of the controller
/** Door close time (s) at which the door counts as failed (the controller's door-time protection). */
export const DOOR_CLOSE_FAILURE_S = DOOR_CLOSE_LIMIT_S;
/** Mean door close time of a healthy door (s). */
export const DOOR_CLOSE_NORMAL_S = 3;

/**
 * Slow degradation set by a scenario: `doorRoller` 1 is a failed door roller; the mean close time
 * is then DOOR_CLOSE_FAILURE_S and the scatter from close to close is larger.
 */
export interface ElevatorWear {
  doorRoller: number;
}

export class Elevator extends BaseModel<ElevatorValues, ElevatorFault> {
  readonly type = 'elevator';
  readonly faults = ELEVATOR_FAULTS;
  private readonly rng: Rng;
  private readonly floors: number;
  private phase: Phase = 'idle';
  private phaseLeft: number;
  private phaseLength = 0;
  private pos: number;
  private from = 1;
  private to = 1;
  private direction = 0;
  private carLoad = 0.3; // fraction of rated load, drawn per trip
  private lastCloseTime: number;
  private doorCode: number = ElevatorFaultCode.none;
  /** Run the next door cycle now (after a door fault is injected or cleared). */
  private forceDoorCycle = false;
  private levelingError = 0;
  private current = 0;
  private vibration = 0;
  private trips: number;
  private doorCycles: number;
  readonly wear: ElevatorWear = { doorRoller: 0 };

  constructor(opts: ElevatorOptions) {
    super();
    this.rng = opts.rng;
    this.floors = opts.floors;
    this.pos = this.rng.int(1, this.floors);
    this.trips = this.rng.int(120_000, 300_000);
    this.doorCycles = Math.round(this.trips * 1.9);
    this.lastCloseTime = this.normalCloseTime();
    this.phaseLeft = this.rng.uniform(1, 10);
  }

  step(dt: number, simTime: number): void {
    let left = dt;
    // Consume the step phase by phase, so a large dt (accelerated time) still runs whole cycles.
    while (left > 1e-9 && this.phase !== 'stopped') {
      const used = Math.min(left, this.phaseLeft);
      this.phaseLeft -= used;
      left -= used;
      if (this.phase === 'travel') this.pos = this.travelPosition(this.phaseLength - this.phaseLeft);
      if (this.phaseLeft <= 1e-9) this.endPhase(simTime);
    }
    this.sense();
  }

  values(): ElevatorValues {
    const closing = this.phase === 'closing';
    const closeElapsed = closing ? this.phaseLength - this.phaseLeft : 0;
    return this.glitched({
      running: this.phase === 'travel',
      direction: this.phase === 'travel' ? this.direction : 0,
      floor: Math.min(this.floors, Math.max(1, Math.round(this.pos))),
      door_state: doorStateOf(this.phase),
      door_close_time: round(Math.max(this.lastCloseTime, closeElapsed), 2),
      trips: this.trips,
      door_cycles: this.doorCycles,
      motor_current: round(this.current, 1),
      car_vibration: round(this.vibration, 1),
      leveling_error: round(this.phase === 'stopped' ? this.offsetMm() : this.levelingError, 1),
      trapped: this.has('trapped_passenger'),
      fault_code: this.has('trapped_passenger')
        ? ElevatorFaultCode.trapped
        : this.has('stop_outside_door_zone')
          ? ElevatorFaultCode.outsideDoorZone
          : this.doorCode,
    });
  }

  protected override onInject(fault: ElevatorFault): void {
    if (fault === 'slow_door') this.startDoorCycleSoon();
    else this.stopBetweenFloors(fault === 'trapped_passenger' ? 0.4 : 0.12);
  }

  protected override onClear(fault: ElevatorFault): void {
    if (fault === 'slow_door') return this.startDoorCycleSoon();
    if (this.phase !== 'stopped' || this.has('trapped_passenger') || this.has('stop_outside_door_zone')) return;
    // Rescue / correction run: creep to the nearest landing, then open the doors as usual.
    this.beginTravel(Math.round(this.pos));
  }

  private endPhase(simTime: number): void {
    switch (this.phase) {
      case 'idle':
        return this.beginTravel(this.pickDestination());
      case 'travel':
        this.pos = this.to;
        this.trips++;
        this.levelingError = this.rng.gauss(0, 2.5);
        return this.enter('opening', this.openTime());
      case 'opening':
        return this.enter('open', this.forceDoorCycle ? 0.3 : this.rng.uniform(3, 6));
      case 'open':
        this.forceDoorCycle = false;
        return this.enter('closing', this.has('slow_door') ? this.rng.uniform(8, 9.5) : this.normalCloseTime());
      case 'closing':
        this.lastCloseTime = this.phaseLength;
        this.doorCycles++;
        this.doorCode = this.phaseLength > DOOR_CLOSE_LIMIT_S ? ElevatorFaultCode.doorCloseTimeout : ElevatorFaultCode.none;
        if (this.forceDoorCycle) return this.enter('opening', this.openTime());
        return this.enter('idle', this.waitForCall(simTime));
    }
  }

  private enter(phase: Phase, seconds: number): void {
    this.phase = phase;
    this.phaseLength = seconds;
    this.phaseLeft = seconds;
  }

  private startDoorCycleSoon(): void {
    this.forceDoorCycle = true;
    if (this.phase === 'travel') this.stopAtNextLanding();
    else if (this.phase === 'idle') this.enter('opening', this.openTime());
    else if (this.phase === 'open') this.phaseLeft = Math.min(this.phaseLeft, 0.3);
    // A closing door reverses (re-opens), as it would on a door-edge detector.
    else if (this.phase === 'closing') this.enter('opening', this.openTime() * (1 - this.phaseLeft / this.phaseLength));
  }

  /** Cut a long trip short at the next landing ahead (at least half a floor away, to brake). */
  private stopAtNextLanding(): void {
    const next = this.direction > 0 ? Math.ceil(this.pos + 0.5) : Math.floor(this.pos - 0.5);
    if ((next - this.to) * this.direction >= 0) return; // already stopping there or before
    this.beginTravel(next);
  }

  /** Emergency stop in the shaft: `offset` floors away from the landing, doors shut. */
  private stopBetweenFloors(offset: number): void {
    if (this.phase === 'stopped') return;
    const landing = Math.round(this.pos);
    const away = this.phase === 'travel' ? this.direction || 1 : landing < this.floors ? 1 : -1;
    if (Math.abs(this.pos - landing) < offset) this.pos = landing + away * offset;
    this.phaseLeft = Infinity;
    this.phase = 'stopped';
  }

  private beginTravel(target: number): void {
    this.from = this.pos;
    this.to = target;
    this.direction = Math.sign(target - this.pos) || 1;
    this.carLoad = Math.min(1, Math.max(0, this.rng.gauss(0.3, 0.2)));
    this.enter('travel', travelTime(Math.abs(target - this.pos) * FLOOR_HEIGHT_M));
  }

  /** Car position (floors) `t` seconds into the current trip on a trapezoidal speed profile. */
  private travelPosition(t: number): number {
    const d = Math.abs(this.to - this.from) * FLOOR_HEIGHT_M;
    const T = this.phaseLength;
    const vPeak = Math.min(SPEED, Math.sqrt(d * ACCEL));
    const ta = vPeak / ACCEL;
    let s: number;
    if (t < ta) s = 0.5 * ACCEL * t * t;
    else if (t > T - ta) s = d - 0.5 * ACCEL * (T - t) ** 2;
    else s = 0.5 * ACCEL * ta * ta + vPeak * (t - ta);
    return this.from + (this.direction * Math.min(d, Math.max(0, s))) / FLOOR_HEIGHT_M;
  }

  /** Motor current and car vibration for the current phase, with sensor noise. */
  private sense(): void {
    if (this.phase !== 'travel') {
      this.current = Math.max(0, this.rng.gauss(0.4, 0.05)); // controller standby
      this.vibration = Math.max(0, this.rng.gauss(0.6, 0.2));
      return;
    }
    const t = this.phaseLength - this.phaseLeft;
    const ta = Math.min(SPEED / ACCEL, this.phaseLength / 2);
    // Counterweight balances ~45 % load: a full car going up and an empty car going down load the motor.
    const imbalance = Math.abs((this.direction > 0 ? this.carLoad : 1 - this.carLoad) - 0.45);
    const cruise = 16 + 22 * imbalance;
    const accelerating = t < ta;
    const braking = t > this.phaseLength - ta;
    this.current = this.rng.gauss(accelerating ? cruise + 12 : braking ? cruise * 0.6 : cruise, 0.4);
    this.vibration = Math.max(0, this.rng.gauss(accelerating || braking ? 14 : 9, 1.5));
  }

  private pickDestination(): number {
    // Rush hours start at the lobby; otherwise any floor.
    if (Math.round(this.pos) !== 1 && this.rng.next() < 0.4) return 1;
    let target = this.rng.int(1, this.floors);
    if (target === Math.round(this.pos)) target = target === this.floors ? 1 : target + 1;
    return target;
  }

  private waitForCall(simTime: number): number {
    const h = hourOfDay(simTime);
    const mean = (h >= 7 && h < 9) || (h >= 17 && h < 20) ? 8 : h >= 6 && h < 23 ? 25 : 120;
    return -Math.log(1 - this.rng.next()) * mean;
  }

  private normalCloseTime(): number {
    const healthy = Math.min(3.5, Math.max(2.6, this.rng.gauss(DOOR_CLOSE_NORMAL_S, 0.15)));
    const worn = this.wear.doorRoller;
    if (worn <= 0) return healthy;
    // A worn roller drags: the close slows towards the failure level, and unevenly.
    return Math.max(2.6, healthy + worn * (DOOR_CLOSE_FAILURE_S - DOOR_CLOSE_NORMAL_S) + this.rng.gauss(0, 0.35 * Math.min(worn, 2)));
  }

  private openTime(): number {
    return Math.max(1.5, this.rng.gauss(this.has('slow_door') ? 2.6 : 2, 0.1));
  }

  private offsetMm(): number {
    return (this.pos - Math.round(this.pos)) * FLOOR_HEIGHT_M * 1000;
  }
}

function travelTime(distanceM: number): number {
  if (distanceM <= 0) return 0.5;
  if (distanceM >= (SPEED * SPEED) / ACCEL) return distanceM / SPEED + SPEED / ACCEL;
  return 2 * Math.sqrt(distanceM / ACCEL);
}

function doorStateOf(phase: Phase): number {
  if (phase === 'opening') return DoorState.opening;
  if (phase === 'open') return DoorState.open;
  if (phase === 'closing') return DoorState.closing;
  return DoorState.closed;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
