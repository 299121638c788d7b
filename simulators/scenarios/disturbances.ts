import { Rng } from '../random.js';
import { DAY_MS } from './wear.js';

/**
 * Real-plant disturbances on a healthy machine, seeded, applied to the sampled values:
 *  - load change: from a random day the duty point moves (current and vibration +5–15 %, bearing
 *    temperature +1–3 °C, transformer +3–8 °C) and stays there;
 *  - season: ambient warming of 0.1–0.25 °C per day on every temperature (spring);
 *  - sensor re-mounted: from a random day the vibration reads 10–20 % higher or lower (a step);
 *  - failing neighbour: for 3–5 days vibration gains up to +15–30 % (exponential rise), then the
 *    neighbour is repaired and it is gone.
 * Each is far below the alarm limits; together they are what a naive detector takes for wear.
 */
export function plantDisturbances(seed: number, start: number, durationDays: number): (t: number, values: Record<string, number | boolean>) => void {
  const r = new Rng(seed).fork('plant-disturbances');
  const loadAt = r.uniform(0.2, 0.8) * durationDays;
  const load = r.uniform(0.05, 0.15);
  const loadTemp = r.uniform(1, 3);
  const loadTransformer = r.uniform(3, 8);
  const season = r.uniform(0.1, 0.25);
  const remountAt = r.uniform(0.1, 0.9) * durationDays;
  const remount = (r.next() < 0.5 ? -1 : 1) * r.uniform(0.1, 0.2);
  const neighbourLen = r.uniform(3, 5);
  const neighbourAt = r.uniform(0.2, 0.9) * Math.max(0, durationDays - neighbourLen);
  const neighbour = r.uniform(0.15, 0.3);
  const mul = (values: Record<string, number | boolean>, point: string, f: number) => {
    const v = values[point];
    if (typeof v === 'number') values[point] = v * f;
  };
  const add = (values: Record<string, number | boolean>, point: string, d: number) => {
    const v = values[point];
    if (typeof v === 'number') values[point] = v + d;
  };
  return (t, values) => {
    const d = (t - start) / DAY_MS;
    const loaded = d >= loadAt;
    const into = d - neighbourAt;
    // e^(3x) − 1 normalised: slow at first, fastest just before the neighbour is repaired.
    const n = into >= 0 && into < neighbourLen ? neighbour * (Math.exp((3 * into) / neighbourLen) - 1) / (Math.exp(3) - 1) : 0;
    const vib = (1 + (loaded ? load : 0)) * (1 + (d >= remountAt ? remount : 0)) * (1 + n);
    mul(values, 'vibration', vib);
    mul(values, 'car_vibration', vib);
    mul(values, 'motor_current', 1 + (loaded ? load : 0));
    add(values, 'bearing_temp', season * d + (loaded ? loadTemp : 0));
    add(values, 'transformer_temp', season * d + (loaded ? loadTransformer : 0));
  };
}
