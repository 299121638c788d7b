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

type GlitchableModel = EquipmentModel & { glitch: SensorGlitch | null };

export class ScenarioDriver {
  private glitchLeft = 0;
  private readonly glitchRng: Rng;
  private readonly declaration: ScenarioDeclaration<ScenarioName>;
  readonly failureAt: number | null;

  constructor(
    private readonly plan: Plan,
    private readonly model: EquipmentModel,
    private readonly size: Sizing,
    /** Live mode: how long (simulated s) a glitch holds, so at least one face refresh sees it; 0 = no live glitches. */
    private readonly glitchHoldS = 0,
  ) {
    this.glitchRng = new Rng(plan.seed).fork('glitches');
    this.declaration = scenarioNamed(plan.scenario);
    const { start, wearAt1, k } = plan;
    this.failureAt = wearAt1 !== null && k !== null && this.declaration.failureAt ? this.declaration.failureAt({ start, wearAt1, k }, size) : wearAt1;
    this.declaration.attach?.(model);
  }

  wear(t: number): number {
    return wearOf(this.plan, t);
  }

  apply(simTime: number, dt: number): void {
    const m = this.model;
    this.declaration.applyWear(m, this.wear(simTime), this.size);
    if (this.glitchHoldS > 0 && m instanceof Object && 'glitch' in m) {
      const model = m as GlitchableModel;
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
    this.declaration.applyWear(this.model, 0, this.size);
    if ('glitch' in this.model) (this.model as GlitchableModel).glitch = null;
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
