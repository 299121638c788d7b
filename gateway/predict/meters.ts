/**
 * Meters derived from raw signals, per device: run hours, starts, trips, door cycles, and the
 * start rate of the last hour. A device counter (`run_hours`, `starts`, `trips`, `door_cycles`
 * points) is preferred: the meter adds its positive deltas, so a counter reset or a replaced
 * controller does not move the meter backwards. Without a counter the meter counts state edges
 * (`running` false→true for starts and trips, `door_state` → closed for door cycles) and integrates
 * `running` time. A jump no physical machine can make between two readings is a glitch: held as a
 * candidate, accepted as a re-base only when the next reading continues from it.
 */
import type { MeterName } from '../core/vocabulary.js';
import type { DerivedMeters } from '../equipment/index.js';

export const METERS: readonly MeterName[] = ['run_hours', 'starts', 'trips', 'door_cycles'];
/** For the per-reading test (a Set instead of a scan of the list). */
const METER_NAMES: ReadonlySet<string> = new Set(METERS);

/** Largest plausible increase per second of elapsed time, plus a fixed slack. */
const MAX_RATE: Record<MeterName, { perSecond: number; slack: number }> = {
  run_hours: { perSecond: 1.1 / 3600, slack: 0.2 },
  starts: { perSecond: 0.2, slack: 5 },
  trips: { perSecond: 0.2, slack: 5 },
  door_cycles: { perSecond: 0.4, slack: 5 },
};

/**
 * Whether counter `m` can have gone from `from` (at `fromTs`) to `v` (at `ts`). A module function,
 * not a closure per reading: counters arrive with every message.
 */
function plausible(m: MeterName, v: number, ts: number, from: number, fromTs: number): boolean {
  const d = v - from;
  const lim = MAX_RATE[m];
  return d >= 0 && d <= lim.slack + (Math.max(0, ts - fromTs) / 1000) * lim.perSecond;
}

/** Edges counted only while running-time gaps are shorter than this (a lost link is not run time). */
const MAX_RUN_GAP_MS = 5 * 60_000;

export interface CounterTrack {
  base: number | null;
  ts: number | null;
  candidate?: { value: number; ts: number };
}

export class DeviceMeters {
  readonly values: Record<MeterName, number> = { run_hours: 0, starts: 0, trips: 0, door_cycles: 0 };
  readonly counters = new Map<MeterName, CounterTrack>();
  /** Meters fed by a device counter; edges are not counted for those. */
  private readonly fromCounter = new Set<MeterName>();
  private running: boolean | null = null;
  private runningTs: number | null = null;
  private doorState: number | null = null;
  /** (ts, starts meter) samples of the last hour, for the start rate. */
  private readonly startLog: Array<[number, number]> = [];
  dirty = false;
  lastTs = 0;

  /** The meter a start of `running` counts (the type's `meters.runningStart`). */
  private readonly startMeter: 'starts' | 'trips';
  private readonly derive: { runHours: boolean; doorCycles: boolean };

  constructor(readonly device: string, derived: DerivedMeters, counterPoints: ReadonlySet<string>) {
    for (const m of METERS) if (counterPoints.has(m)) this.fromCounter.add(m);
    this.startMeter = derived.runningStart ?? 'starts';
    this.derive = { runHours: derived.runHours ?? true, doorCycles: derived.doorCycles ?? true };
  }

  isRunning(): boolean | null {
    return this.running;
  }

  /** Feed one numeric/boolean reading (quality good). */
  apply(point: string, value: number | boolean, ts: number): void {
    if (ts > this.lastTs) this.lastTs = ts;
    if (point === 'running' && typeof value === 'boolean') return this.onRunning(value, ts);
    if (point === 'door_state' && typeof value === 'number') {
      if (this.derive.doorCycles && this.doorState !== null && this.doorState !== 0 && value === 0 && !this.fromCounter.has('door_cycles')) this.add('door_cycles', 1, ts);
      this.doorState = value;
      return;
    }
    if (METER_NAMES.has(point) && typeof value === 'number' && Number.isFinite(value)) this.onCounter(point as MeterName, value, ts);
  }

  private onRunning(on: boolean, ts: number): void {
    if (this.derive.runHours && this.running === true && this.runningTs !== null && !this.fromCounter.has('run_hours')) {
      const dt = ts - this.runningTs;
      if (dt > 0 && dt <= MAX_RUN_GAP_MS) this.add('run_hours', dt / 3_600_000, ts);
    }
    if (this.running === false && on && !this.fromCounter.has(this.startMeter)) this.add(this.startMeter, 1, ts);
    if (this.runningTs === null || ts >= this.runningTs) {
      this.running = on;
      this.runningTs = ts;
    }
  }

  private onCounter(m: MeterName, v: number, ts: number): void {
    let c = this.counters.get(m);
    if (!c) this.counters.set(m, (c = { base: null, ts: null }));
    this.dirty = true;
    if (c.base === null || c.ts === null) {
      c.base = v;
      c.ts = ts;
      return;
    }
    if (plausible(m, v, ts, c.base, c.ts)) {
      this.add(m, v - c.base, ts);
      c.base = v;
      c.ts = ts;
      delete c.candidate;
    } else if (c.candidate && plausible(m, v, ts, c.candidate.value, c.candidate.ts)) {
      // The jump persisted: a reset or a replaced counter. Re-base without counting the jump.
      this.add(m, v - c.candidate.value, ts);
      c.base = v;
      c.ts = ts;
      delete c.candidate;
    } else {
      c.candidate = { value: v, ts };
    }
  }

  private add(m: MeterName, d: number, _ts: number): void {
    if (!(d > 0)) return;
    this.values[m] += d;
    this.dirty = true;
  }

  /** Starts so far: trips of an elevator, starts of a pump (the type's start meter). */
  startCount(): number {
    return this.values[this.startMeter];
  }

  /** Called once per reading batch: keeps one (ts, starts) snapshot a minute over the last 2 h. */
  snapshot(ts: number): void {
    const last = this.startLog[this.startLog.length - 1];
    if (!last || ts - last[0] >= 60_000) this.startLog.push([ts, this.startCount()]);
    while (this.startLog.length > 0 && ts - this.startLog[0]![0] > 2 * 3_600_000) this.startLog.shift();
  }

  /** Starts (of the start meter) during the hour that ended at `ts`. */
  perHour(ts: number): number {
    const from = this.startLog.find(([t]) => t >= ts - 3_600_000);
    return from ? Math.max(0, this.startCount() - from[1]) : 0;
  }

  restore(meter: MeterName, value: number): void {
    this.values[meter] = value;
  }

  restoreCounter(meter: MeterName, base: number | null, ts: number | null): void {
    this.counters.set(meter, { base, ts });
  }
}
