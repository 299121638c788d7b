/**
 * The equipment types scenarios run on, one entry per type: how the offline run builds its model,
 * its largest model step, and the sensor glitch it shows (a spike or a dropout of a watched sensor).
 */
import type { EquipmentType } from '../../gateway/core/vocabulary.js';
import { Chiller } from '../models/chiller.js';
import { Elevator } from '../models/elevator.js';
import { GeneratorSet } from '../models/generator.js';
import type { EquipmentModel, SensorGlitch } from '../models/model.js';
import { PowerMeter } from '../models/power.js';
import { Pump } from '../models/pump.js';
import { SumpPump } from '../models/sumpPump.js';
import { WaterTank } from '../models/waterTank.js';
import type { Rng } from '../random.js';
import type { Sizing } from './wear.js';

interface ScenarioEquipment {
  build(rng: Rng, size: Sizing): EquipmentModel;
  /** Largest model step of the offline runs (s): resolves pump cycling and door cycles. */
  maxStepS: number;
  /** The glitched point and value; `num` reads a current value, `dropout` was drawn by the caller. */
  glitch(num: (point: string) => number, dropout: boolean, rng: Rng): SensorGlitch;
}

/** A spike or a dropout of one sensor. */
const spike = (point: string) => (num: (point: string) => number, dropout: boolean, rng: Rng): SensorGlitch => ({
  point,
  value: dropout ? 0 : num(point) * rng.uniform(1.5, 3),
});

export const SCENARIO_EQUIPMENT = {
  elevator: {
    build: (rng, size) => new Elevator({ rng, floors: size.floors }),
    maxStepS: 30,
    glitch: (_num, dropout, rng) => ({ point: 'door_close_time', value: dropout ? 0 : rng.uniform(12, 30) }),
  },
  pump: {
    build: (rng, size) => new Pump({ rng, peakDemand: size.peakDemand }),
    maxStepS: 10,
    glitch: (num, dropout, rng) =>
      rng.next() < 0.6
        ? { point: 'vibration', value: dropout ? 0 : Math.max(num('vibration'), 1.5) * rng.uniform(3, 6) }
        : { point: 'bearing_temp', value: dropout ? 0 : num('bearing_temp') + rng.uniform(40, 70) },
  },
  power: {
    build: (rng, size) => new PowerMeter({ rng, peakKw: size.peakKw }),
    maxStepS: 60,
    glitch: (num, dropout, rng) => ({ point: 'transformer_temp', value: dropout ? 0 : num('transformer_temp') + rng.uniform(60, 100) }),
  },
  generator: { build: (rng) => new GeneratorSet({ rng }), maxStepS: 60, glitch: spike('fuel_level') },
  water_tank: { build: (rng, size) => new WaterTank({ rng, peakDemand: size.peakDemand * 2 }), maxStepS: 30, glitch: spike('level') },
  sump_pump: { build: (rng) => new SumpPump({ rng }), maxStepS: 10, glitch: spike('pit_level') },
  chiller: { build: (rng) => new Chiller({ rng }), maxStepS: 60, glitch: spike('condenser_pressure') },
} satisfies Partial<Record<EquipmentType, ScenarioEquipment>>;

export type ScenarioType = keyof typeof SCENARIO_EQUIPMENT;

export function isScenarioType(type: string): type is ScenarioType {
  return Object.hasOwn(SCENARIO_EQUIPMENT, type);
}
