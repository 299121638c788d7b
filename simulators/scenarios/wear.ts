/**
 * The wear curve and the constants every scenario shares (simulators/README.md, "Degradation
 * scenarios"). Wear follows w(t) = (e^(k·x) − 1) / (e^k − 1), x = (t − start) / (failure − start):
 * lost in the noise for the first days, accelerating towards failure; w = 1 at failure and keeps
 * growing after it, up to WEAR_CAP.
 */
import { Rng } from '../random.js';

export const DEFAULT_START = Date.UTC(2026, 0, 5);
export const DAY_MS = 86_400_000;
/** Wear stops growing at this multiple of the failure wear (the machine would have been stopped). */
export const WEAR_CAP = 2;
/** Offline runs start the model this long before `start`, so the first sample is in its regime. */
export const WARM_UP_MS = 3_600_000;

/** A scenario's wear curve; `wearAt1` and `k` are null for a healthy control (no wear). */
export interface WearCurve {
  start: number;
  /** Design failure time (epoch ms): wear reaches 1. */
  wearAt1: number | null;
  /** Steepness k of the curve. */
  k: number | null;
}

/** Wear 0..WEAR_CAP at `t`; 0 before the start and for a healthy control. */
export function wearOf(curve: WearCurve, t: number): number {
  if (curve.wearAt1 === null || curve.k === null || t <= curve.start) return 0;
  const x = (t - curve.start) / (curve.wearAt1 - curve.start);
  return Math.min(WEAR_CAP, Math.expm1(curve.k * x) / Math.expm1(curve.k));
}

/** The machine's size, drawn from the seed (a live device brings its own). */
export interface Sizing {
  peakDemand: number;
  floors: number;
  peakKw: number;
}

export function sizing(seed: number): Sizing {
  const r = new Rng(seed).fork('sizing');
  return { peakDemand: r.uniform(10, 16), floors: r.int(8, 24), peakKw: r.uniform(150, 300) };
}
