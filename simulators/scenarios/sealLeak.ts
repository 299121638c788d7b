import { Pump, PUMP_STARTS_PER_HOUR_FAILURE, PUMP_TANK } from '../models/pump.js';
import { declareScenario } from './declaration.js';

/**
 * Leak (m³/h) at wear 1 that makes the sleep-mode cycle at night-time base demand reach the
 * failure start rate: starts/h = 3600 / (band / (k·fill) + band / (k·(demand + leak))).
 */
function sealLeakAtFailure(peakDemand: number): number {
  const { band, k, fillFlow } = PUMP_TANK;
  const cycle = 3600 / PUMP_STARTS_PER_HOUR_FAILURE;
  const off = cycle - band / (k * fillFlow);
  const nightDemand = 0.12 * peakDemand; // the demand profile's night base
  return Math.max(0.5, band / (k * off) - nightDemand);
}

export const sealLeak = declareScenario({
  name: 'seal_leak',
  types: ['pump'],
  description: `pump seal / check-valve leak: the tank drains while the pump sleeps, so the start rate rises to ${PUMP_STARTS_PER_HOUR_FAILURE}/h (short cycling)`,
  indicator: {
    point: 'starts_per_hour',
    failureLevel: PUMP_STARTS_PER_HOUR_FAILURE,
    note: 'starts in the trailing hour (from the starts counter); the night-time rate (pump sleeping on the tank) reaches the level at failureAt; by day the pump runs continuously and starts little',
  },
  applyWear: (pump: Pump, w, size) => {
    pump.wear.sealLeak = w * sealLeakAtFailure(size.peakDemand);
  },
});
