/**
 * Simulation clock. Models advance in fixed simulated steps, so a run is repeatable for a seed
 * whatever the timer jitter; `timeScale` multiplies simulated time (1 = real time, 3600 = an
 * hour per second for degradation scenarios). Large steps are split into sub-steps of at most
 * MAX_SUBSTEP_S so door cycles and pump cycling stay resolved.
 */
import { EventEmitter } from 'node:events';

export interface ClockOptions {
  timeScale?: number;
  /** Simulated epoch ms at start (default: now). Fixes the hour of day for repeatable runs. */
  startTime?: number;
  tickMs?: number;
}

type StepFn = (dt: number, simTime: number) => void;

const MAX_SUBSTEP_S = 0.5;
const MAX_CATCH_UP_TICKS = 10;

/** Emits `tick` after each timer tick, once all models have stepped. */
export class SimClock extends EventEmitter {
  readonly timeScale: number;
  readonly tickMs: number;
  private simTime: number;
  private timer: NodeJS.Timeout | undefined;
  private ticksDone = 0;
  private startedAt = 0;

  constructor(opts: ClockOptions = {}) {
    super();
    this.timeScale = opts.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${this.timeScale}`);
    this.tickMs = opts.tickMs ?? 100;
    this.simTime = opts.startTime ?? Date.now();
  }

  /** Simulated epoch ms. */
  now(): number {
    return this.simTime;
  }

  /** Advance by `ticks` fixed steps (the timer calls this; tests may call it directly). */
  advance(stepFn: StepFn, ticks = 1): void {
    const dt = (this.tickMs / 1000) * this.timeScale;
    const n = Math.ceil(dt / MAX_SUBSTEP_S);
    for (let t = 0; t < ticks; t++) {
      for (let i = 0; i < n; i++) {
        this.simTime += (dt / n) * 1000;
        stepFn(dt / n, this.simTime);
      }
      this.ticksDone++;
    }
  }

  start(stepFn: StepFn): void {
    if (this.timer) return;
    this.startedAt = Date.now();
    this.ticksDone = 0;
    this.timer = setInterval(() => {
      const due = Math.floor((Date.now() - this.startedAt) / this.tickMs);
      let behind = due - this.ticksDone;
      // After a long stall (debugger, suspended laptop) skip ahead instead of replaying it all.
      if (behind > MAX_CATCH_UP_TICKS) {
        this.ticksDone += behind - MAX_CATCH_UP_TICKS;
        behind = MAX_CATCH_UP_TICKS;
      }
      if (behind <= 0) return;
      this.advance(stepFn, behind);
      this.emit('tick');
    }, this.tickMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
