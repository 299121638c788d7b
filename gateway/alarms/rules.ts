/**
 * Compiles the config's rules against the devices they watch and evaluates one reading against
 * one rule. Above/below rules clear with hysteresis at `clear` (default: the trip limit itself).
 */
import type { DeviceConfig, RuleConfig } from '../config/schema.js';
import { toMs } from '../config/durations.js';
import type { PointValue } from '../core/reading.js';

export interface CompiledRule {
  rule: RuleConfig;
  device: string;
  /** On-delay in ms: the condition must hold this long (`for:`). */
  onDelayMs: number;
}

/** Index `device\0point` → rules watching that point. */
export type RuleIndex = Map<string, CompiledRule[]>;

export const seriesKey = (device: string, point: string): string => `${device}\u0000${point}`;

export function compileRules(rules: readonly RuleConfig[], devices: readonly DeviceConfig[]): RuleIndex {
  const index: RuleIndex = new Map();
  for (const rule of rules) {
    for (const d of devices) {
      const inScope = rule.device ? rule.device === d.id : rule.equipment === d.type;
      if (!inScope || !d.points.some((p) => p.name === rule.point)) continue;
      const key = seriesKey(d.id, rule.point);
      const list = index.get(key) ?? [];
      list.push({ rule, device: d.id, onDelayMs: rule.for === undefined ? 0 : toMs(rule.for) });
      index.set(key, list);
    }
  }
  return index;
}

/**
 * Whether the fault condition holds for `value`, given whether the alarm is already active
 * (an active above/below alarm stays active until the value passes the clear level).
 */
export function conditionHolds(rule: RuleConfig, value: PointValue, active: boolean): boolean {
  if (rule.equals !== undefined) return value === rule.equals;
  if (typeof value !== 'number') return false;
  if (rule.above !== undefined) return active ? value > (rule.clear ?? rule.above) : value > rule.above;
  if (rule.below !== undefined) return active ? value < (rule.clear ?? rule.below) : value < rule.below;
  return false;
}
