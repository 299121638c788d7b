/** What every equipment model offers the protocol faces, the clock and the control API. */
/** The gateway's equipment type id (gateway/equipment/): each model names the type it simulates. */
export type { EquipmentType } from '../../gateway/core/vocabulary.js';
import type { EquipmentType } from '../../gateway/core/vocabulary.js';

export type PointValue = number | boolean;

/** One point reading a wrong value for one sample: a spike or a dropout of the sensor. */
export interface SensorGlitch {
  point: string;
  value: number;
}

export interface EquipmentModel<V extends object = object, F extends string = string> {
  readonly type: EquipmentType;
  /** Faults this equipment can show, in catalogue order. */
  readonly faults: readonly F[];
  /** Faults injected and not cleared. */
  readonly active: ReadonlySet<F>;
  /** A sensor glitch a scenario sets: one point reads a wrong value until cleared (BaseModel). */
  glitch: SensorGlitch | null;
  /** Advance the physics by `dt` simulated seconds; `simTime` is the simulated epoch ms after the step. */
  step(dt: number, simTime: number): void;
  /** Current engineering values, one key per point (nested for JSON payloads). */
  values(): V;
  inject(fault: F): void;
  clear(fault: F): void;
  /** A write from the protocol side (setpoints, enable bits); false when the point is read-only or the value invalid. */
  write?(point: string, value: PointValue): boolean;
}

/** Shared fault bookkeeping; subclasses react in `onInject`/`onClear` to make the change prompt. */
export abstract class BaseModel<V extends object, F extends string> implements EquipmentModel<V, F> {
  abstract readonly type: EquipmentType;
  abstract readonly faults: readonly F[];
  readonly active = new Set<F>();
  /**
   * A sensor glitch: one point reads `value` instead of the truth until cleared (a scenario sets
   * it for a single sample or tick). The physics are not affected.
   */
  glitch: SensorGlitch | null = null;

  abstract step(dt: number, simTime: number): void;
  abstract values(): V;

  inject(fault: F): void {
    if (this.active.has(fault)) return;
    this.active.add(fault);
    this.onInject(fault);
  }

  clear(fault: F): void {
    if (!this.active.delete(fault)) return;
    this.onClear(fault);
  }

  /** Apply the current sensor glitch, if any, to a fresh values() object. */
  protected glitched(v: V): V {
    const g = this.glitch;
    if (g && g.point in v) (v as Record<string, unknown>)[g.point] = g.value;
    return v;
  }

  protected has(fault: F): boolean {
    return this.active.has(fault);
  }

  protected onInject(_fault: F): void {}
  protected onClear(_fault: F): void {}
}
