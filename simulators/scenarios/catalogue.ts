/**
 * The degradation scenarios, one line each (simulators/README.md, "Adding a scenario"). The order
 * is the order of `GET /scenarios` and `--help`.
 */
import { bearingWear } from './bearingWear.js';
import { condenserFouling } from './condenserFouling.js';
import type { ScenarioDeclaration } from './declaration.js';
import { doorRollerWear } from './doorRollerWear.js';
import type { ScenarioType } from './equipment.js';
import { fuelLeak } from './fuelLeak.js';
import { healthy } from './healthy.js';
import { impellerRagging } from './impellerRagging.js';
import { sealLeak } from './sealLeak.js';
import { transformerCoolingLoss } from './transformerCoolingLoss.js';
import { valveSeatWear } from './valveSeatWear.js';

const CATALOGUE = [
  healthy,
  bearingWear,
  doorRollerWear,
  sealLeak,
  transformerCoolingLoss,
  fuelLeak,
  valveSeatWear,
  impellerRagging,
  condenserFouling,
] as const;

export type ScenarioName = (typeof CATALOGUE)[number]['name'];

/** The catalogue as served: name → the types it runs on and what drifts. */
export const SCENARIOS = Object.fromEntries(CATALOGUE.map((s) => [s.name, { types: [...s.types], description: s.description }])) as Record<
  ScenarioName,
  { types: ScenarioType[]; description: string }
>;

const BY_NAME = new Map<string, ScenarioDeclaration<ScenarioName>>(CATALOGUE.map((s) => [s.name, s]));

/** The declaration of a scenario; RangeError listing the scenarios for an unknown name. */
export function scenarioNamed(name: string): ScenarioDeclaration<ScenarioName> {
  const declaration = BY_NAME.get(name);
  if (!declaration) throw new RangeError(`unknown scenario '${String(name)}'; scenarios: ${Object.keys(SCENARIOS).join(', ')}`);
  return declaration;
}
