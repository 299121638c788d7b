import { GENERATOR_LOW_FUEL_PCT, GeneratorSet } from '../models/generator.js';
import { declareScenario } from './declaration.js';

export const fuelLeak = declareScenario({
  name: 'fuel_leak',
  types: ['generator'],
  description: `generator fuel-line fitting weeping more and more: the day tank drains at standby down to the ${GENERATOR_LOW_FUEL_PCT} % low-fuel level`,
  indicator: {
    point: 'fuel_level',
    failureLevel: GENERATOR_LOW_FUEL_PCT,
    note: 'a falling indicator: the day-tank level at standby reaches the level at failureAt (running the set burns fuel on top)',
  },
  applyWear: (generator: GeneratorSet, w) => {
    generator.wear.fuelLeak = w;
  },
});
