import { Chiller, CHILLER_DISCHARGE_FAILURE } from '../models/chiller.js';
import { Rng } from '../random.js';
import { declareScenario } from './declaration.js';
import { DAY_MS, WARM_UP_MS, wearOf, type WearCurve } from './wear.js';

/**
 * First time the chiller's condenser pressure reaches the failure level. Pressure, load and
 * condenser water are noise-free functions of time and wear, so one pass at 60 s finds it.
 */
function chillerCrossing(curve: WearCurve & { wearAt1: number }): number | null {
  const chiller = new Chiller({ rng: new Rng(1) });
  const dt = 60;
  for (let t = curve.start - WARM_UP_MS; t <= curve.wearAt1 + 5 * DAY_MS; t += dt * 1000) {
    chiller.wear.condenserFouling = wearOf(curve, t);
    chiller.step(dt, t);
    if (chiller.values().condenser_pressure >= CHILLER_DISCHARGE_FAILURE) return t;
  }
  return null;
}

export const condenserFouling = declareScenario({
  name: 'condenser_fouling',
  types: ['chiller'],
  description: `chiller condenser tubes scaling: the condenser (discharge) pressure at the afternoon peak climbs to the ${CHILLER_DISCHARGE_FAILURE} kPa high-pressure alarm`,
  indicator: {
    point: 'condenser_pressure',
    failureLevel: CHILLER_DISCHARGE_FAILURE,
    note: 'failureAt is the first time the (noise-free) condenser (discharge) pressure reaches the level, at an afternoon load peak',
  },
  applyWear: (chiller: Chiller, w) => {
    chiller.wear.condenserFouling = w;
  },
  failureAt: chillerCrossing,
});
