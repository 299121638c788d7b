/**
 * Binds the rules (built-in defaults + the site's) to the devices they watch and evaluates the
 * level conditions. Reference of every rule kind: ./README.md.
 *
 * Scoping and overrides: a rule applies to the devices of its `equipment` type, carrying its `tag`,
 * or the one `device`. Rules sharing an `id` are one rule seen at different scopes: for each device
 * the most specific wins (device > tag > equipment), and at equal scope a site rule beats a default.
 * So `{ id: pump.bearing-overtemp, device: pump-2, above: 90 }` moves one pump's limit, and
 * `{ id: ..., device: pump-2, disabled: true }` switches it off there.
 */
import type { DeviceConfig, RuleConfig } from '../config/schema.js';
import { toMs } from '../core/durations.js';
import type { PointValue } from '../core/reading.js';

export type RuleKind = 'level' | 'equals' | 'rate' | 'stale' | 'commLost';

export interface CompiledRule {
  rule: RuleConfig;
  device: string;
  kind: RuleKind;
  /** On-delay in ms: the condition must hold this long (`for:`). */
  onDelayMs: number;
  /** Rate window, stale or comms-lost time in ms (0 for level/equals rules). */
  windowMs: number;
  /** Repeat: number of starts needed within `repeatMs`. */
  repeatCount: number;
  repeatMs: number;
}

export interface RuleSet {
  /** `device\0point` → rules evaluated on each reading of that point. */
  byPoint: Map<string, CompiledRule[]>;
  /** The same lists per device, then per point: the per-reading lookup builds no key string. */
  byDevicePoint: Map<string, Map<string, CompiledRule[]>>;
  /** Rules evaluated by time (stale, comms lost) per device. */
  byDevice: Map<string, CompiledRule[]>;
  /** The stale rules of `byDevice`: only their devices need the arrival of each reading noted. */
  staleByDevice: Map<string, CompiledRule[]>;
  all: CompiledRule[];
}

export const seriesKey = (device: string, point: string): string => `${device}\u0000${point}`;

export function ruleKind(r: RuleConfig): RuleKind | null {
  const kinds: RuleKind[] = [];
  if (r.above !== undefined || r.below !== undefined) kinds.push('level');
  if (r.equals !== undefined) kinds.push('equals');
  if (r.rate !== undefined) kinds.push('rate');
  if (r.stale !== undefined) kinds.push('stale');
  if (r.commLost !== undefined) kinds.push('commLost');
  return kinds.length === 1 ? kinds[0]! : null;
}

/** Problems with the rules, each naming the key (used by config/load.ts). */
export function validateRules(rules: readonly RuleConfig[], deviceIds: ReadonlySet<string>, at = 'rules', defaults: readonly RuleConfig[] = []): string[] {
  const problems: string[] = [];
  const inherited = new Set([...defaults, ...rules].filter((r) => ruleKind(r)).map((r) => r.id));
  rules.forEach((r, i) => {
    const where = `${at}[${i}]`;
    if (r.device && !deviceIds.has(r.device)) problems.push(`${where}.device: no device with id "${r.device}"`);
    if (r.disabled) return;
    const kind = ruleKind(r);
    const hasKind = KIND_KEYS.some((k) => r[k] !== undefined);
    // A device or tag override of another rule (same id) may leave the kind out and inherit it.
    if (!kind && (hasKind || !inherited.has(r.id) || !(r.device || r.tag))) {
      problems.push(`${where}: needs exactly one of "above", "below" or "equals" (or "rate", "stale", "commLost")`);
    }
    const override = inherited.has(r.id) && Boolean(r.device || r.tag);
    if (kind && kind !== 'stale' && kind !== 'commLost' && !r.point && !override) problems.push(`${where}.point: required for a ${kind} rule`);
    if (r.rate && r.rate.above === undefined && r.rate.below === undefined) problems.push(`${where}.rate: needs "above" or "below"`);
    if (!r.device && !r.equipment && !r.tag) problems.push(`${where}: needs "equipment", "tag" or "device" to say what it watches`);
  });
  return problems;
}

const specificity = (r: RuleConfig): number => (r.device ? 3 : r.tag ? 2 : 1);

function inScope(r: RuleConfig, d: DeviceConfig): boolean {
  if (r.device) return r.device === d.id;
  if (r.equipment && r.equipment !== d.type) return false;
  if (r.tag && !(d.tags ?? []).includes(r.tag)) return false;
  return Boolean(r.equipment || r.tag);
}

/**
 * The rule each device runs, per rule id. `defaults` lose to `site` rules at equal scope. A site
 * rule that only overrides a default (same id, device scope) may leave out keys: missing keys are
 * taken from the rule it overrides, so `{ id, device, above: 90 }` is enough.
 */
export function compileRules(site: readonly RuleConfig[], devices: readonly DeviceConfig[], defaults: readonly RuleConfig[] = []): RuleSet {
  const set: RuleSet = { byPoint: new Map(), byDevicePoint: new Map(), byDevice: new Map(), staleByDevice: new Map(), all: [] };
  const candidates = [...defaults.map((rule) => ({ rule, site: false })), ...site.map((rule) => ({ rule, site: true }))];
  for (const d of devices) {
    const chosen = new Map<string, { rule: RuleConfig; rank: number }>();
    for (const c of candidates) {
      if (!inScope(c.rule, d)) continue;
      const rank = specificity(c.rule) * 2 + (c.site ? 1 : 0);
      const prev = chosen.get(c.rule.id);
      if (!prev) chosen.set(c.rule.id, { rule: c.rule, rank });
      else if (rank >= prev.rank) chosen.set(c.rule.id, { rule: mergeOverride(prev.rule, c.rule), rank });
    }
    const pointNames = new Set(d.points.map((p) => String((p as { name?: unknown }).name)));
    for (const { rule } of chosen.values()) {
      if (rule.disabled) continue;
      const kind = ruleKind(rule);
      if (!kind) continue;
      if (rule.point && !pointNames.has(rule.point)) continue; // the device does not have the point
      const compiled: CompiledRule = {
        rule,
        device: d.id,
        kind,
        onDelayMs: rule.for === undefined ? 0 : toMs(rule.for),
        windowMs: kind === 'rate' ? toMs(rule.rate!.per) : kind === 'stale' ? toMs(rule.stale!) : kind === 'commLost' ? toMs(rule.commLost!) : 0,
        repeatCount: rule.repeat?.count ?? 0,
        repeatMs: rule.repeat ? toMs(rule.repeat.within) : 0,
      };
      set.all.push(compiled);
      if (kind === 'stale' || kind === 'commLost') {
        const list = set.byDevice.get(d.id) ?? [];
        list.push(compiled);
        set.byDevice.set(d.id, list);
        if (kind === 'stale') {
          const stale = set.staleByDevice.get(d.id) ?? [];
          stale.push(compiled);
          set.staleByDevice.set(d.id, stale);
        }
        if (kind === 'commLost' || !rule.point) continue;
      }
      const key = seriesKey(d.id, rule.point!);
      const list = set.byPoint.get(key) ?? [];
      list.push(compiled);
      set.byPoint.set(key, list);
      let points = set.byDevicePoint.get(d.id);
      if (!points) set.byDevicePoint.set(d.id, (points = new Map()));
      points.set(rule.point!, list);
    }
  }
  return set;
}

const KIND_KEYS = ['above', 'below', 'equals', 'rate', 'stale', 'commLost'] as const;

/** An override keeps the base's kind keys unless it names a kind of its own. */
function mergeOverride(base: RuleConfig, over: RuleConfig): RuleConfig {
  const ownKind = KIND_KEYS.some((k) => over[k] !== undefined);
  const merged: RuleConfig = { ...base, ...over };
  if (ownKind) for (const k of KIND_KEYS) if (over[k] === undefined) delete merged[k];
  if (ownKind && over.clear === undefined) delete merged.clear;
  return merged;
}

/**
 * Whether a level or equals condition holds for `value`, given whether the alarm is already active
 * (an active above/below alarm stays active until the value passes the clear level: hysteresis).
 */
export function conditionHolds(rule: RuleConfig, value: PointValue, active: boolean): boolean {
  if (rule.equals !== undefined) return value === rule.equals;
  if (typeof value !== 'number') return false;
  if (rule.above !== undefined) return active ? value > (rule.clear ?? rule.above) : value > rule.above;
  if (rule.below !== undefined) return active ? value < (rule.clear ?? rule.below) : value < rule.below;
  return false;
}

/** Rate condition on the change `delta` over the rule's window (hysteresis with `clear`). */
export function rateHolds(rule: RuleConfig, delta: number, active: boolean): boolean {
  const { above, below } = rule.rate!;
  if (above !== undefined) return active ? delta > (rule.clear ?? above) : delta > above;
  if (below !== undefined) return active ? delta < (rule.clear ?? below) : delta < below;
  return false;
}
