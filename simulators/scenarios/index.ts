/**
 * Degradation scenarios with ground truth, for predictive maintenance.
 *
 * A scenario drives one equipment model through slow wear to failure (or keeps it healthy, as a
 * control) and knows the true failure time: the moment the indicator reaches its failure level.
 * The wear curve is in wear.ts; each scenario is one declaration (bearingWear.ts, sealLeak.ts...)
 * listed in catalogue.ts; the equipment it runs on is in equipment.ts. Everything is
 * deterministic for a seed: the failure day, the wear curve, the sizes of the machine, the noise,
 * the glitches.
 *
 * Two ways to run one:
 * - offline, `createScenario(opts).samples(everySeconds)`: steps the model in simulated time
 *   (no servers, no waiting); a 14-day run at 60 s samples takes a fraction of a second;
 * - live, `POST /devices/:id/scenario` on a running simulator (see control.ts): the same wear on
 *   the device's model, at the stack's timeScale.
 */
import type { EquipmentModel } from '../models/model.js';
import { Pump } from '../models/pump.js';
import { Rng } from '../random.js';
import type { ScenarioName } from './catalogue.js';
import type { ScenarioIndicator } from './declaration.js';
import { plantDisturbances } from './disturbances.js';
import { failureTimeOf, glitchFor, ScenarioDriver } from './driver.js';
import { isScenarioType, SCENARIO_EQUIPMENT, type ScenarioType } from './equipment.js';
import { makePlan, type Plan } from './plan.js';
import { DAY_MS, DEFAULT_START, sizing, WARM_UP_MS, type Sizing } from './wear.js';

export { SCENARIOS, type ScenarioName } from './catalogue.js';
export type { ScenarioIndicator } from './declaration.js';
export { ScenarioDriver, type ScenarioInfo } from './driver.js';
export type { ScenarioType } from './equipment.js';
export { DEFAULT_START } from './wear.js';

export interface ScenarioOptions {
  scenario: ScenarioName;
  /** Equipment type; default the scenario's first type (`pump` for healthy). */
  type?: ScenarioType;
  seed: number;
  /** Epoch ms of the first sample (default 2026-01-05T00:00Z). */
  start?: number;
  durationDays: number;
  /** Degradation: days from start until the indicator reaches failure; default random in [4, 12] from the seed. */
  failAfterDays?: number;
  /** Single-sample sensor glitches per simulated day (Poisson, default 1; 0 turns them off). */
  glitchesPerDay?: number;
  /**
   * Healthy controls only: the disturbances of a real site that fool a naive trend detector (a load
   * change, seasonal warming, a sensor re-mounted, vibration from a failing neighbour), see plantDisturbances().
   */
  disturbances?: boolean;
}

export interface ScenarioSample {
  ts: number;
  /**
   * Flat, keys = the demo point names (vibration, bearing_temp, door_close_time, starts, run_hours,
   * transformer_temp, running...). Pumps also carry `starts_per_hour`, the count of starts in the
   * trailing hour (derived from the `starts` counter, as a gateway would).
   */
  values: Record<string, number | boolean>;
  /** Set on a sample where a sensor glitch replaced this point's true value. */
  glitch?: string;
}

export interface ScenarioRun {
  scenario: ScenarioName;
  type: ScenarioType;
  seed: number;
  start: number;
  end: number;
  /** True failure time (epoch ms) or null for healthy. */
  failureAt: number | null;
  /** Indicator point and failure level used for ground truth. */
  indicator: ScenarioIndicator | null;
  /** Days from start to failure (null for healthy). */
  failAfterDays: number | null;
  /** Steepness k of the wear curve (null for healthy). */
  wearExponent: number | null;
  glitchesPerDay: number;
  /** A fresh, identical run on every call. everySeconds ≥ 1. */
  samples(everySeconds: number): Iterable<ScenarioSample>;
}

function buildModel(plan: Plan, size: Sizing): EquipmentModel {
  return SCENARIO_EQUIPMENT[plan.type].build(new Rng(plan.seed).fork(`model:${plan.type}`), size);
}

export function createScenario(opts: ScenarioOptions): ScenarioRun {
  const start = opts.start ?? DEFAULT_START;
  if (!(opts.durationDays > 0)) throw new RangeError(`durationDays must be > 0, got ${opts.durationDays}`);
  const plan = makePlan({ scenario: opts.scenario, type: opts.type, seed: opts.seed, start, failAfterDays: opts.failAfterDays, glitchesPerDay: opts.glitchesPerDay });
  const size = sizing(opts.seed);
  const end = start + opts.durationDays * DAY_MS;

  function* samples(everySeconds: number): Generator<ScenarioSample> {
    if (!(everySeconds >= 1)) throw new RangeError(`everySeconds must be ≥ 1, got ${everySeconds}`);
    const model = buildModel(plan, size);
    const driver = new ScenarioDriver(plan, model, size);
    const glitchRng = new Rng(opts.seed).fork(`sample-glitches:${plan.scenario}:${plan.type}`);
    const pGlitch = (plan.glitchesPerDay * everySeconds) / 86_400;
    const maxStep = Math.min(SCENARIO_EQUIPMENT[plan.type].maxStepS, everySeconds);
    const pump = model instanceof Pump ? model : null;
    // Start times of the pump in the trailing hour, for starts_per_hour.
    const startTimes: number[] = [];
    let head = 0;
    let lastStarts = pump ? pump.startCount : 0;

    let t = start - WARM_UP_MS;
    const advanceTo = (target: number) => {
      while (t < target) {
        const dt = Math.min(maxStep, (target - t) / 1000);
        t += dt * 1000;
        driver.apply(t, dt);
        model.step(dt, t);
        if (pump) {
          const s = pump.startCount;
          for (; lastStarts < s; lastStarts++) startTimes.push(t);
        }
      }
    };
    // A healthy control (no indicator) can carry the disturbances of a real site.
    const disturb = plan.indicator === null && opts.disturbances ? plantDisturbances(opts.seed, start, opts.durationDays) : null;
    for (let ts = start; ts <= end; ts += everySeconds * 1000) {
      advanceTo(ts);
      const values = { ...(model.values() as unknown as Record<string, number | boolean>) };
      disturb?.(ts, values);
      if (pump) {
        while (head < startTimes.length && startTimes[head]! <= ts - 3_600_000) head++;
        if (head > 4096) startTimes.splice(0, head), (head = 0);
        values.starts_per_hour = startTimes.length - head;
      }
      const sample: ScenarioSample = { ts, values };
      if (pGlitch > 0 && glitchRng.next() < pGlitch) {
        const g = glitchFor(plan.type, values, glitchRng);
        values[g.point] = g.value;
        sample.glitch = g.point;
      }
      yield sample;
    }
  }

  return {
    scenario: plan.scenario,
    type: plan.type,
    seed: plan.seed,
    start,
    end,
    failureAt: failureTimeOf(plan, size),
    indicator: plan.indicator,
    failAfterDays: plan.failAfterDays,
    wearExponent: plan.k,
    glitchesPerDay: plan.glitchesPerDay,
    samples: (everySeconds: number) => ({ [Symbol.iterator]: () => samples(everySeconds) }),
  };
}

/** Live mode: a driver for a running simulator device's model, starting now (simulated). */
export function createLiveScenario(opts: {
  scenario: ScenarioName;
  seed: number;
  model: EquipmentModel;
  now: number;
  failAfterDays?: number | undefined;
  glitchesPerDay?: number | undefined;
  /** Simulated seconds per clock tick: a glitch holds this long so a face refresh sees it. */
  tickSeconds: number;
  clockNow: () => number;
}): ScenarioDriver {
  const type = opts.model.type;
  if (!isScenarioType(type)) throw new RangeError(`no scenarios for ${type}; scenarios run on ${Object.keys(SCENARIO_EQUIPMENT).join(', ')}`);
  const plan = makePlan({ scenario: opts.scenario, type, seed: opts.seed, start: opts.now, failAfterDays: opts.failAfterDays, glitchesPerDay: opts.glitchesPerDay });
  const m = opts.model;
  // Size the leak for the live pump's own demand.
  const peakDemand = m instanceof Pump ? m.peakDemand : 14;
  const driver = new ScenarioDriver(plan, m, { peakDemand, floors: 0, peakKw: 220 }, Math.max(1, opts.tickSeconds));
  driver.clockNow = opts.clockNow;
  return driver;
}
