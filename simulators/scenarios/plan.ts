/** A scenario's parameters, fixed by its seed: the failure day, the wear curve, the glitch rate. */
import { Rng } from '../random.js';
import { scenarioNamed, type ScenarioName } from './catalogue.js';
import type { ScenarioIndicator } from './declaration.js';
import type { ScenarioType } from './equipment.js';
import { DAY_MS, type WearCurve } from './wear.js';

export interface Plan extends WearCurve {
  scenario: ScenarioName;
  type: ScenarioType;
  seed: number;
  failAfterDays: number | null;
  glitchesPerDay: number;
  indicator: ScenarioIndicator | null;
}

function resolveType(scenario: string, type: ScenarioType | undefined): ScenarioType {
  const spec = scenarioNamed(scenario);
  const t = type ?? spec.types[0]!;
  if (!spec.types.includes(t)) throw new RangeError(`scenario '${scenario}' runs on ${spec.types.join(' or ')}, not ${t}`);
  return t;
}

export function makePlan(opts: {
  scenario: ScenarioName;
  type?: ScenarioType | undefined;
  seed: number;
  start: number;
  failAfterDays?: number | undefined;
  glitchesPerDay?: number | undefined;
}): Plan {
  const type = resolveType(opts.scenario, opts.type);
  const rng = new Rng(opts.seed).fork(`scenario:${opts.scenario}`);
  const drawnDays = rng.uniform(4, 12);
  const k = rng.uniform(3.5, 6);
  const glitchesPerDay = opts.glitchesPerDay ?? 1;
  if (!(glitchesPerDay >= 0)) throw new RangeError(`glitchesPerDay must be ≥ 0, got ${glitchesPerDay}`);
  const indicator = scenarioNamed(opts.scenario).indicator;
  if (indicator === null) {
    return { scenario: opts.scenario, type, seed: opts.seed, start: opts.start, failAfterDays: null, wearAt1: null, k: null, glitchesPerDay, indicator: null };
  }
  const failAfterDays = opts.failAfterDays ?? drawnDays;
  if (!(failAfterDays > 0)) throw new RangeError(`failAfterDays must be > 0, got ${failAfterDays}`);
  return { scenario: opts.scenario, type, seed: opts.seed, start: opts.start, failAfterDays, wearAt1: opts.start + failAfterDays * DAY_MS, k, glitchesPerDay, indicator };
}
