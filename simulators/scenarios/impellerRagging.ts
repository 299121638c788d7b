import { SUMP_CURRENT_FAILURE, SumpPump } from '../models/sumpPump.js';
import { declareScenario } from './declaration.js';

export const impellerRagging = declareScenario({
  name: 'impeller_ragging',
  types: ['sump_pump'],
  description: `sump-pump impeller wrapping in rags and wipes: the running current climbs to ${SUMP_CURRENT_FAILURE} A (1.3 × rated) and the pump-down slows`,
  indicator: {
    point: 'motor_current',
    failureLevel: SUMP_CURRENT_FAILURE,
    note: 'noise-free current of the running pump reaches the level at failureAt; a stopped pump reads 0',
  },
  applyWear: (sump: SumpPump, w) => {
    sump.wear.ragging = w;
  },
});
