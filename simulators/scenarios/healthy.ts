import { declareScenario } from './declaration.js';

/** The false-alarm control: the machine as it is, no wear. */
export const healthy = declareScenario({
  name: 'healthy',
  types: ['pump', 'elevator', 'power', 'generator', 'water_tank', 'sump_pump', 'chiller'],
  description: 'control: normal load cycles and sensor noise, occasional single-sample sensor glitches, no wear',
  indicator: null,
  applyWear: () => {},
});
