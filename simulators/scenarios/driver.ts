/**
 * Drives one model's wear from a plan, and its sensor glitches. Used by the offline samples()
 * and by the live simulators (SimDevice.step calls apply() before each model step).
 */
import type { EquipmentModel, SensorGlitch } from '../models/model.js';
import { Rng } from '../random.js';
import { scenarioNamed, type ScenarioName } from './catalogue.js';
import type { ScenarioDeclaration, ScenarioIndicator } from './declaration.js';
import { SCENARIO_EQUIPMENT, type ScenarioType } from './equipment.js';
import type { Plan } from './plan.js';
import { wearOf, type Sizing } from './wear.js';

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

/**
 * The true failure time of a plan: when its declaration computes one (an indicator that peaks
 * with load), that; otherwise the moment wear reaches 1; null for a healthy control.
 */
export function failureTimeOf(plan: Plan, size: Sizing): number | null {
  const { start, wearAt1, k } = plan;
  if (wearAt1 === null || k === null) return wearAt1;
  const declared = scenarioNamed(plan.scenario).failureAt;
  return declared ? declared({ start, wearAt1, k }, size) : wearAt1;
}

export class ScenarioDriver {
  private glitchLeft = 0;
  private readonly glitchRng: Rng;
  private readonly declaration: ScenarioDeclaration<ScenarioName>;
  private failure: number | null | undefined;

  constructor(
    private readonly plan: Plan,
    private readonly model: EquipmentModel,
    private readonly size: Sizing,
    /** Live mode: how long (simulated s) a glitch holds, so at least one face refresh sees it; 0 = no live glitches. */
    private readonly glitchHoldS = 0,
  ) {
    this.glitchRng = new Rng(plan.seed).fork('glitches');
    this.declaration = scenarioNamed(plan.scenario);
    this.declaration.attach?.(model);
  }

  /** The true failure time (failureTimeOf), worked out when first asked: offline runs never ask. */
  get failureAt(): number | null {
    if (this.failure === undefined) this.failure = failureTimeOf(this.plan, this.size);
    return this.failure;
  }

  wear(t: number): number {
    return wearOf(this.plan, t);
  }

  apply(simTime: number, dt: number): void {
    const m = this.model;
    this.declaration.applyWear(m, this.wear(simTime), this.size);
    if (this.glitchHoldS > 0) {
      if (this.glitchLeft > 0) {
        this.glitchLeft -= dt;
        if (this.glitchLeft <= 0) m.glitch = null;
      } else if (this.glitchRng.next() < (this.plan.glitchesPerDay * dt) / 86_400) {
        m.glitch = glitchFor(this.plan.type, m.values() as Record<string, unknown>, this.glitchRng);
        this.glitchLeft = this.glitchHoldS;
      }
    }
  }

  /** Undo the wear and any glitch (the scenario is stopped on a live device). */
  detach(): void {
    this.declaration.applyWear(this.model, 0, this.size);
    this.model.glitch = null;
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
export function glitchFor(type: ScenarioType, values: Record<string, unknown>, rng: Rng): SensorGlitch {
  const num = (k: string) => (typeof values[k] === 'number' ? (values[k] as number) : 0);
  const dropout = rng.next() < 0.25;
  return SCENARIO_EQUIPMENT[type].glitch(num, dropout, rng);
}
