import { PowerMeter, TRANSFORMER_ALARM_C } from '../models/power.js';
import { hourOfDay, lag, Rng } from '../random.js';
import { declareScenario } from './declaration.js';
import { DAY_MS, WARM_UP_MS, wearOf, type Sizing, type WearCurve } from './wear.js';

/** Rise multiplier at wear 1 that puts the steady-state full-load temperature at the alarm level. */
function coolingRiseFactor(): number {
  const eveningAmbient = 24 + 4 * Math.sin(((20 - 9) / 24) * 2 * Math.PI);
  return (TRANSFORMER_ALARM_C - eveningAmbient) / (18 + 40);
}

/**
 * First time the transformer temperature reaches the alarm level. The temperature is noise-free
 * in the model (a function of load, ambient and wear), so one cheap pass at 60 s finds it.
 */
function transformerCrossing(curve: WearCurve & { wearAt1: number }, size: Sizing): number | null {
  const meter = new PowerMeter({ rng: new Rng(1), peakKw: size.peakKw });
  const riseFactor = coolingRiseFactor();
  const dt = 60;
  // Same warm-up as the offline samples: start from the model's initial 55 °C an hour early.
  let temp = 55;
  const limit = curve.wearAt1 + 5 * DAY_MS;
  for (let t = curve.start - WARM_UP_MS + dt * 1000; t <= limit; t += dt * 1000) {
    const load = meter.loadFraction(t);
    const ambient = 24 + 4 * Math.sin(((hourOfDay(t) - 9) / 24) * 2 * Math.PI);
    const w = wearOf(curve, t);
    temp = lag(temp, ambient + (18 + 40 * load * load) * (1 + w * (riseFactor - 1)), dt, 1800);
    if (temp >= TRANSFORMER_ALARM_C) return t;
  }
  return null;
}

export const transformerCoolingLoss = declareScenario({
  name: 'transformer_cooling_loss',
  types: ['power'],
  description: `transformer cooling loss: winding temperature rises more per unit of load, up to the ${TRANSFORMER_ALARM_C} °C alarm at the evening peak`,
  indicator: {
    point: 'transformer_temp',
    failureLevel: TRANSFORMER_ALARM_C,
    note: 'failureAt is the first time the (noise-free) winding temperature reaches the alarm level, at an evening load peak',
  },
  attach: (meter: PowerMeter) => {
    meter.wear.riseFactor = coolingRiseFactor();
  },
  applyWear: (meter: PowerMeter, w) => {
    meter.wear.coolingLoss = w;
  },
  failureAt: transformerCrossing,
});
