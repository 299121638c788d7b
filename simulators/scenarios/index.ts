/**
 * Degradation scenarios with ground truth, for predictive maintenance.
 *
 * A scenario drives one equipment model through slow wear to failure (or keeps it healthy, as a
 * control) and knows the true failure time: the moment the indicator reaches its failure level.
 * Wear follows w(t) = (e^(k·x) − 1) / (e^k − 1), x = (t − start) / (failureAt − start), so it is
 * lost in the noise for the first days and accelerates towards failure, as real wear does;
 * w = 1 at failureAt and keeps growing after it (capped at WEAR_CAP). Everything is deterministic
 * for a seed: the failure day, the wear curve, the sizes of the machine, the noise, the glitches.
 *
 * Two ways to run one:
 * - offline, `createScenario(opts).samples(everySeconds)`: steps the model in simulated time
 *   (no servers, no waiting); a 14-day run at 60 s samples takes a fraction of a second;
 * - live, `POST /devices/:id/scenario` on a running simulator (see control.ts): the same wear on
 *   the device's model, at the stack's timeScale.
 */
import { Elevator } from '../models/elevator.js';
import { DOOR_CLOSE_FAILURE_S } from '../models/elevator.js';
import type { EquipmentModel, SensorGlitch } from '../models/model.js';
import { PowerMeter, TRANSFORMER_ALARM_C } from '../models/power.js';
import { Pump, PUMP_STARTS_PER_HOUR_FAILURE, PUMP_TANK, PUMP_VIBRATION_FAILURE } from '../models/pump.js';
import { hourOfDay, lag, Rng } from '../random.js';

export type ScenarioName = 'healthy' | 'bearing_wear' | 'door_roller_wear' | 'seal_leak' | 'transformer_cooling_loss';
export type ScenarioType = 'elevator' | 'pump' | 'power';

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

/** Days of the offline run at `t`. */
const daysAt = (t: number, start: number) => (t - start) / DAY_MS;

/**
 * Real-plant disturbances on a healthy machine, seeded, applied to the sampled values:
 *  - load change: from a random day the duty point moves (current and vibration +5–15 %, bearing
 *    temperature +1–3 °C, transformer +3–8 °C) and stays there;
 *  - season: ambient warming of 0.1–0.25 °C per day on every temperature (spring);
 *  - sensor re-mounted: from a random day the vibration reads 10–20 % higher or lower (a step);
 *  - failing neighbour: for 3–5 days vibration gains up to +15–30 % (exponential rise), then the
 *    neighbour is repaired and it is gone.
 * Each is far below the alarm limits; together they are what a naive detector takes for wear.
 */
function plantDisturbances(seed: number, start: number, durationDays: number): (t: number, values: Record<string, number | boolean>) => void {
  const r = new Rng(seed).fork('plant-disturbances');
  const loadAt = r.uniform(0.2, 0.8) * durationDays;
  const load = r.uniform(0.05, 0.15);
  const loadTemp = r.uniform(1, 3);
  const loadTransformer = r.uniform(3, 8);
  const season = r.uniform(0.1, 0.25);
  const remountAt = r.uniform(0.1, 0.9) * durationDays;
  const remount = (r.next() < 0.5 ? -1 : 1) * r.uniform(0.1, 0.2);
  const neighbourLen = r.uniform(3, 5);
  const neighbourAt = r.uniform(0.2, 0.9) * Math.max(0, durationDays - neighbourLen);
  const neighbour = r.uniform(0.15, 0.3);
  const mul = (values: Record<string, number | boolean>, point: string, f: number) => {
    const v = values[point];
    if (typeof v === 'number') values[point] = v * f;
  };
  const add = (values: Record<string, number | boolean>, point: string, d: number) => {
    const v = values[point];
    if (typeof v === 'number') values[point] = v + d;
  };
  return (t, values) => {
    const d = daysAt(t, start);
    const loaded = d >= loadAt;
    const into = d - neighbourAt;
    // e^(3x) − 1 normalised: slow at first, fastest just before the neighbour is repaired.
    const n = into >= 0 && into < neighbourLen ? neighbour * (Math.exp((3 * into) / neighbourLen) - 1) / (Math.exp(3) - 1) : 0;
    const vib = (1 + (loaded ? load : 0)) * (1 + (d >= remountAt ? remount : 0)) * (1 + n);
    mul(values, 'vibration', vib);
    mul(values, 'car_vibration', vib);
    mul(values, 'motor_current', 1 + (loaded ? load : 0));
    add(values, 'bearing_temp', season * d + (loaded ? loadTemp : 0));
    add(values, 'transformer_temp', season * d + (loaded ? loadTransformer : 0));
  };
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

export interface ScenarioIndicator {
  point: string;
  failureLevel: number;
  /** How the indicator relates to the sampled values (which regime it is defined in). */
  note: string;
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

export const SCENARIOS: Record<ScenarioName, { types: ScenarioType[]; description: string }> = {
  healthy: {
    types: ['pump', 'elevator', 'power'],
    description: 'control: normal load cycles and sensor noise, occasional single-sample sensor glitches, no wear',
  },
  bearing_wear: {
    types: ['pump'],
    description: `pump bearing wear: vibration (→ ${PUMP_VIBRATION_FAILURE} mm/s, ISO 10816 zone D) and bearing temperature (→ 80 °C) drift up, noisier as wear grows`,
  },
  door_roller_wear: {
    types: ['elevator'],
    description: `elevator door-roller wear: door close time drifts up from about 3 s to ${DOOR_CLOSE_FAILURE_S} s`,
  },
  seal_leak: {
    types: ['pump'],
    description: `pump seal / check-valve leak: the tank drains while the pump sleeps, so the start rate rises to ${PUMP_STARTS_PER_HOUR_FAILURE}/h (short cycling)`,
  },
  transformer_cooling_loss: {
    types: ['power'],
    description: `transformer cooling loss: winding temperature rises more per unit of load, up to the ${TRANSFORMER_ALARM_C} °C alarm at the evening peak`,
  },
};

export const DEFAULT_START = Date.UTC(2026, 0, 5);
const DAY_MS = 86_400_000;
/** Wear stops growing at this multiple of the failure wear (the machine would have been stopped). */
export const WEAR_CAP = 2;

/** Live info of a scenario on a simulator device (GET /devices). */
export interface ScenarioInfo {
  scenario: ScenarioName;
  seed: number;
  start: number;
  failureAt: number | null;
  indicator: ScenarioIndicator | null;
  /** Wear now: 0 new, 1 failed. */
  wear: number;
}

/** Scenario parameters fixed by the seed. */
interface Plan {
  scenario: ScenarioName;
  type: ScenarioType;
  seed: number;
  start: number;
  failAfterDays: number | null;
  /** Design failure time: wear reaches 1. */
  wearAt1: number | null;
  k: number | null;
  glitchesPerDay: number;
  indicator: ScenarioIndicator | null;
}

function resolveType(scenario: ScenarioName, type: ScenarioType | undefined): ScenarioType {
  const spec = SCENARIOS[scenario];
  if (!spec) throw new RangeError(`unknown scenario '${String(scenario)}'; scenarios: ${Object.keys(SCENARIOS).join(', ')}`);
  const t = type ?? spec.types[0]!;
  if (!spec.types.includes(t)) throw new RangeError(`scenario '${scenario}' runs on ${spec.types.join(' or ')}, not ${t}`);
  return t;
}

function makePlan(opts: { scenario: ScenarioName; type?: ScenarioType | undefined; seed: number; start: number; failAfterDays?: number | undefined; glitchesPerDay?: number | undefined }): Plan {
  const type = resolveType(opts.scenario, opts.type);
  const rng = new Rng(opts.seed).fork(`scenario:${opts.scenario}`);
  const drawnDays = rng.uniform(4, 12);
  const k = rng.uniform(3.5, 6);
  const glitchesPerDay = opts.glitchesPerDay ?? 1;
  if (!(glitchesPerDay >= 0)) throw new RangeError(`glitchesPerDay must be ≥ 0, got ${glitchesPerDay}`);
  if (opts.scenario === 'healthy') {
    return { scenario: opts.scenario, type, seed: opts.seed, start: opts.start, failAfterDays: null, wearAt1: null, k: null, glitchesPerDay, indicator: null };
  }
  const failAfterDays = opts.failAfterDays ?? drawnDays;
  if (!(failAfterDays > 0)) throw new RangeError(`failAfterDays must be > 0, got ${failAfterDays}`);
  return {
    scenario: opts.scenario,
    type,
    seed: opts.seed,
    start: opts.start,
    failAfterDays,
    wearAt1: opts.start + failAfterDays * DAY_MS,
    k,
    glitchesPerDay,
    indicator: INDICATORS[opts.scenario as Exclude<ScenarioName, 'healthy'>],
  };
}

const INDICATORS: Record<Exclude<ScenarioName, 'healthy'>, ScenarioIndicator> = {
  bearing_wear: {
    point: 'vibration',
    failureLevel: PUMP_VIBRATION_FAILURE,
    note: 'noise-free vibration of the running pump reaches the level at failureAt; while the pump sleeps vibration reads about 0.05',
  },
  door_roller_wear: {
    point: 'door_close_time',
    failureLevel: DOOR_CLOSE_FAILURE_S,
    note: 'mean door close time reaches the level at failureAt; single closes scatter around it',
  },
  seal_leak: {
    point: 'starts_per_hour',
    failureLevel: PUMP_STARTS_PER_HOUR_FAILURE,
    note: 'starts in the trailing hour (from the starts counter); the night-time rate (pump sleeping on the tank) reaches the level at failureAt; by day the pump runs continuously and starts little',
  },
  transformer_cooling_loss: {
    point: 'transformer_temp',
    failureLevel: TRANSFORMER_ALARM_C,
    note: 'failureAt is the first time the (noise-free) winding temperature reaches the alarm level, at an evening load peak',
  },
};

/** Wear 0..WEAR_CAP at `t` for a plan; 0 before the start and for healthy. */
function wearOf(plan: Plan, t: number): number {
  if (plan.wearAt1 === null || plan.k === null || t <= plan.start) return 0;
  const x = (t - plan.start) / (plan.wearAt1 - plan.start);
  return Math.min(WEAR_CAP, Math.expm1(plan.k * x) / Math.expm1(plan.k));
}

interface Sizing {
  peakDemand: number;
  floors: number;
  peakKw: number;
}

function sizing(seed: number): Sizing {
  const r = new Rng(seed).fork('sizing');
  return { peakDemand: r.uniform(10, 16), floors: r.int(8, 24), peakKw: r.uniform(150, 300) };
}

function buildModel(type: ScenarioType, seed: number, size: Sizing): Pump | Elevator | PowerMeter {
  const rng = new Rng(seed).fork(`model:${type}`);
  if (type === 'pump') return new Pump({ rng, peakDemand: size.peakDemand });
  if (type === 'elevator') return new Elevator({ rng, floors: size.floors });
  return new PowerMeter({ rng, peakKw: size.peakKw });
}

/**
 * Leak (m³/h) at wear 1 that makes the sleep-mode cycle at night-time base demand reach the
 * failure start rate: starts/h = 3600 / (band / (k·fill) + band / (k·(demand + leak))).
 */
function sealLeakAtFailure(peakDemand: number): number {
  const { band, k, fillFlow } = PUMP_TANK;
  const cycle = 3600 / PUMP_STARTS_PER_HOUR_FAILURE;
  const off = cycle - band / (k * fillFlow);
  const nightDemand = 0.12 * peakDemand; // the demand profile's night base
  return Math.max(0.5, band / (k * off) - nightDemand);
}

/** Rise multiplier at wear 1 that puts the steady-state full-load temperature at the alarm level. */
function coolingRiseFactor(): number {
  const eveningAmbient = 24 + 4 * Math.sin(((20 - 9) / 24) * 2 * Math.PI);
  return (TRANSFORMER_ALARM_C - eveningAmbient) / (18 + 40);
}

/**
 * Drives one model's wear from a plan, and its sensor glitches. Used by the offline samples()
 * and by the live simulators (SimDevice.step calls apply() before each model step).
 */
export class ScenarioDriver {
  private glitchLeft = 0;
  private readonly glitchRng: Rng;
  readonly failureAt: number | null;

  constructor(
    private readonly plan: Plan,
    private readonly model: EquipmentModel,
    private readonly size: Sizing,
    /** Live mode: how long (simulated s) a glitch holds, so at least one face refresh sees it; 0 = no live glitches. */
    private readonly glitchHoldS = 0,
  ) {
    this.glitchRng = new Rng(plan.seed).fork('glitches');
    this.failureAt = plan.scenario === 'transformer_cooling_loss' ? transformerCrossing(plan, size) : plan.wearAt1;
    if (plan.scenario === 'transformer_cooling_loss') (model as PowerMeter).wear.riseFactor = coolingRiseFactor();
  }

  wear(t: number): number {
    return wearOf(this.plan, t);
  }

  apply(simTime: number, dt: number): void {
    const w = this.wear(simTime);
    const m = this.model;
    switch (this.plan.scenario) {
      case 'bearing_wear':
        (m as Pump).wear.bearing = w;
        break;
      case 'seal_leak':
        (m as Pump).wear.sealLeak = w * sealLeakAtFailure(this.size.peakDemand);
        break;
      case 'door_roller_wear':
        (m as Elevator).wear.doorRoller = w;
        break;
      case 'transformer_cooling_loss':
        (m as PowerMeter).wear.coolingLoss = w;
        break;
      case 'healthy':
        break;
    }
    if (this.glitchHoldS > 0 && m instanceof Object && 'glitch' in m) {
      const model = m as EquipmentModel & { glitch: SensorGlitch | null };
      if (this.glitchLeft > 0) {
        this.glitchLeft -= dt;
        if (this.glitchLeft <= 0) model.glitch = null;
      } else if (this.glitchRng.next() < (this.plan.glitchesPerDay * dt) / 86_400) {
        model.glitch = glitchFor(this.plan.type, model.values() as Record<string, unknown>, this.glitchRng);
        this.glitchLeft = this.glitchHoldS;
      }
    }
  }

  /** Undo the wear and any glitch (the scenario is stopped on a live device). */
  detach(): void {
    const m = this.model;
    if (m instanceof Pump) Object.assign(m.wear, { bearing: 0, sealLeak: 0 });
    if (m instanceof Elevator) m.wear.doorRoller = 0;
    if (m instanceof PowerMeter) m.wear.coolingLoss = 0;
    if (m instanceof Pump || m instanceof Elevator || m instanceof PowerMeter) m.glitch = null;
  }

  info(now?: number): ScenarioInfo {
    return {
      scenario: this.plan.scenario,
      seed: this.plan.seed,
      start: this.plan.start,
      failureAt: this.failureAt,
      indicator: this.plan.indicator,
      wear: Math.round(this.wear(now ?? this.lastTime) * 1000) / 1000,
    };
  }

  private get lastTime(): number {
    return this.clockNow?.() ?? this.plan.start;
  }

  /** Live mode: where info() reads the current simulated time. */
  clockNow?: () => number;
}

/** The glitched point and value for a model type: a spike or a dropout of a watched sensor. */
function glitchFor(type: ScenarioType, values: Record<string, unknown>, rng: Rng): SensorGlitch {
  const num = (k: string) => (typeof values[k] === 'number' ? (values[k] as number) : 0);
  const dropout = rng.next() < 0.25;
  if (type === 'pump') {
    if (rng.next() < 0.6) return { point: 'vibration', value: dropout ? 0 : Math.max(num('vibration'), 1.5) * rng.uniform(3, 6) };
    return { point: 'bearing_temp', value: dropout ? 0 : num('bearing_temp') + rng.uniform(40, 70) };
  }
  if (type === 'elevator') return { point: 'door_close_time', value: dropout ? 0 : rng.uniform(12, 30) };
  return { point: 'transformer_temp', value: dropout ? 0 : num('transformer_temp') + rng.uniform(60, 100) };
}

/**
 * First time the transformer temperature reaches the alarm level. The temperature is noise-free
 * in the model (a function of load, ambient and wear), so one cheap pass at 60 s finds it.
 */
function transformerCrossing(plan: Plan, size: Sizing): number | null {
  if (plan.wearAt1 === null) return null;
  const meter = new PowerMeter({ rng: new Rng(1), peakKw: size.peakKw });
  const riseFactor = coolingRiseFactor();
  const dt = 60;
  // Same warm-up as samples(): start from the model's initial 55 °C an hour early.
  let temp = 55;
  const limit = plan.wearAt1 + 5 * DAY_MS;
  for (let t = plan.start - WARM_UP_MS + dt * 1000; t <= limit; t += dt * 1000) {
    const load = meter.loadFraction(t);
    const ambient = 24 + 4 * Math.sin(((hourOfDay(t) - 9) / 24) * 2 * Math.PI);
    const w = wearOf(plan, t);
    temp = lag(temp, ambient + (18 + 40 * load * load) * (1 + w * (riseFactor - 1)), dt, 1800);
    if (temp >= TRANSFORMER_ALARM_C) return t;
  }
  return null;
}

/** Offline runs start the model this long before `start`, so the first sample is in its regime. */
const WARM_UP_MS = 3_600_000;
/** Largest model step of the offline runs, per type (s): resolves pump cycling and door cycles. */
const MAX_STEP_S: Record<ScenarioType, number> = { pump: 10, elevator: 30, power: 60 };

export function createScenario(opts: ScenarioOptions): ScenarioRun {
  const start = opts.start ?? DEFAULT_START;
  if (!(opts.durationDays > 0)) throw new RangeError(`durationDays must be > 0, got ${opts.durationDays}`);
  const plan = makePlan({ scenario: opts.scenario, type: opts.type, seed: opts.seed, start, failAfterDays: opts.failAfterDays, glitchesPerDay: opts.glitchesPerDay });
  const size = sizing(opts.seed);
  const end = start + opts.durationDays * DAY_MS;
  const probe = new ScenarioDriver(plan, buildModel(plan.type, opts.seed, size), size);

  function* samples(everySeconds: number): Generator<ScenarioSample> {
    if (!(everySeconds >= 1)) throw new RangeError(`everySeconds must be ≥ 1, got ${everySeconds}`);
    const model = buildModel(plan.type, opts.seed, size);
    const driver = new ScenarioDriver(plan, model, size);
    const glitchRng = new Rng(opts.seed).fork(`sample-glitches:${plan.scenario}:${plan.type}`);
    const pGlitch = (plan.glitchesPerDay * everySeconds) / 86_400;
    const maxStep = Math.min(MAX_STEP_S[plan.type], everySeconds);
    const isPump = plan.type === 'pump';
    // Start times of the pump in the trailing hour, for starts_per_hour.
    const startTimes: number[] = [];
    let head = 0;
    let lastStarts = isPump ? (model as Pump).startCount : 0;

    let t = start - WARM_UP_MS;
    const advanceTo = (target: number) => {
      while (t < target) {
        const dt = Math.min(maxStep, (target - t) / 1000);
        t += dt * 1000;
        driver.apply(t, dt);
        model.step(dt, t);
        if (isPump) {
          const s = (model as Pump).startCount;
          for (; lastStarts < s; lastStarts++) startTimes.push(t);
        }
      }
    };
    const disturb = plan.scenario === 'healthy' && opts.disturbances ? plantDisturbances(opts.seed, start, opts.durationDays) : null;
    for (let ts = start; ts <= end; ts += everySeconds * 1000) {
      advanceTo(ts);
      const values = { ...(model.values() as unknown as Record<string, number | boolean>) };
      disturb?.(ts, values);
      if (isPump) {
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
    failureAt: probe.failureAt,
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
  if (type !== 'elevator' && type !== 'pump' && type !== 'power') throw new RangeError(`no scenarios for ${type}; scenarios run on elevator, pump or power`);
  const plan = makePlan({ scenario: opts.scenario, type, seed: opts.seed, start: opts.now, failAfterDays: opts.failAfterDays, glitchesPerDay: opts.glitchesPerDay });
  const m = opts.model as Pump | Elevator | PowerMeter;
  // Size the leak for the live pump's own demand.
  const peakDemand = m instanceof Pump ? m.peakDemand : 14;
  const driver = new ScenarioDriver(plan, m, { peakDemand, floors: 0, peakKw: 220 }, Math.max(1, opts.tickSeconds));
  driver.clockNow = opts.clockNow;
  return driver;
}
