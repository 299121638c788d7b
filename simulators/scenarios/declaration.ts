/**
 * What a degradation scenario declares: one small object per scenario, in its own file beside
 * the others, listed once in catalogue.ts (simulators/README.md, "Adding a scenario").
 */
import type { EquipmentModel } from '../models/model.js';
import type { ScenarioType } from './equipment.js';
import type { Sizing, WearCurve } from './wear.js';

export interface ScenarioIndicator {
  point: string;
  failureLevel: number;
  /** How the indicator relates to the sampled values (which regime it is defined in). */
  note: string;
}

export interface ScenarioDeclaration<N extends string = string, M extends EquipmentModel = EquipmentModel> {
  name: N;
  /** Equipment types it runs on; the first is the default. */
  types: readonly ScenarioType[];
  /** One line for `GET /scenarios` and `--help`. */
  description: string;
  /** The point and level that define failure (the ground truth); null for a healthy control, which wears nothing. */
  indicator: ScenarioIndicator | null;
  /**
   * Puts wear w ∈ [0, WEAR_CAP] on the model, before each model step: w = 1 must bring the
   * indicator to its failure level, w = 0 must leave the model as new (a stopped scenario).
   */
  applyWear(model: M, w: number, size: Sizing): void;
  /** Once, when the scenario takes the model (a constant of the wear). */
  attach?(model: M): void;
  /**
   * The true failure time when it is not the moment w reaches 1: the first time an indicator that
   * peaks with load actually reaches its level (null: not within five days after).
   */
  failureAt?(curve: WearCurve & { wearAt1: number; k: number }, size: Sizing): number | null;
}

/**
 * Declares a scenario for the model class its `applyWear` takes. The catalogue holds it as a
 * scenario on any model: the driver hands it only models of its `types`.
 */
export function declareScenario<N extends string, M extends EquipmentModel>(declaration: ScenarioDeclaration<N, M>): ScenarioDeclaration<N> {
  return declaration as unknown as ScenarioDeclaration<N>;
}
