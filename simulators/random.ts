/**
 * Seeded pseudo-random numbers (mulberry32), so a simulator run is repeatable: the same seed and
 * the same sequence of steps give the same readings. Not for cryptography.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return Math.floor(this.uniform(min, max + 1));
  }

  /** Normal distribution (Box–Muller); sensor noise is roughly Gaussian. */
  gauss(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A child generator, so each device has its own stream and adding one does not shift the others. */
  fork(label: string): Rng {
    let h = this.state ^ 0x811c9dc5;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new Rng(h >>> 0);
  }
}

/** First-order lag: move `value` toward `target` with time constant `tau` seconds over `dt`. */
export function lag(value: number, target: number, dt: number, tau: number): number {
  if (tau <= 0) return target;
  return target + (value - target) * Math.exp(-dt / tau);
}

let tzBucket = Number.NaN;
let tzOffsetMs = 0;

/**
 * Hour of day (0–24, fractional, whole seconds) of an epoch-ms time in the simulator's local
 * time zone. Models call it every step, so the zone offset is cached per half hour (zone
 * changes happen on those boundaries) instead of building a Date each time.
 */
export function hourOfDay(epochMs: number): number {
  const bucket = Math.floor(epochMs / 1_800_000);
  if (bucket !== tzBucket) {
    tzBucket = bucket;
    tzOffsetMs = -new Date(epochMs).getTimezoneOffset() * 60_000;
  }
  const local = Math.floor((epochMs + tzOffsetMs) / 1000);
  return (((local % 86_400) + 86_400) % 86_400) / 3600;
}
