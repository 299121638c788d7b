import { Pump, PUMP_VIBRATION_FAILURE } from '../models/pump.js';
import { declareScenario } from './declaration.js';

export const bearingWear = declareScenario({
  name: 'bearing_wear',
  types: ['pump'],
  description: `pump bearing wear: vibration (→ ${PUMP_VIBRATION_FAILURE} mm/s, ISO 10816 zone D) and bearing temperature (→ 80 °C) drift up, noisier as wear grows`,
  indicator: {
    point: 'vibration',
    failureLevel: PUMP_VIBRATION_FAILURE,
    note: 'noise-free vibration of the running pump reaches the level at failureAt; while the pump sleeps vibration reads about 0.05',
  },
  applyWear: (pump: Pump, w) => {
    pump.wear.bearing = w;
  },
});
