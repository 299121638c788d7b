/** Problems inside one descriptor, each naming its key under `at` (built-in types in equipment.test.ts, declared ones by the config loader). */
import { STARTS_PER_HOUR } from '../core/vocabulary.js';
import type { EquipmentDescriptor } from './descriptor.js';

/** A descriptor's parts must agree with each other: rules, indicators and tiles name its points. */
export function checkDescriptor(t: EquipmentDescriptor, at: string): string[] {
  const problems: string[] = [];
  const points = new Set<string>();
  t.points.forEach((p, j) => {
    if (points.has(p.name)) problems.push(`${at}.points[${j}].name: duplicate point "${p.name}"`);
    points.add(p.name);
    if (p.alertWhenTrue !== undefined && p.kind !== 'boolean') problems.push(`${at}.points[${j}].alertWhenTrue: only a boolean point can be red when true ("${p.name}" is ${p.kind})`);
  });
  const faults = new Set(t.faults.map((f) => f.name));
  const ruleIds = new Set<string>();
  t.rules.forEach((r, j) => {
    if (ruleIds.has(r.id)) problems.push(`${at}.rules[${j}].id: duplicate rule id "${r.id}"`);
    ruleIds.add(r.id);
    if (r.point !== undefined && !points.has(r.point)) problems.push(`${at}.rules[${j}].point: "${r.point}" is not a point of type "${t.id}"`);
    if (!faults.has(r.fault)) problems.push(`${at}.rules[${j}].fault: "${r.fault}" is not in the type's faults`);
  });
  t.indicators?.forEach((o, j) => {
    const derived = o.point === STARTS_PER_HOUR;
    if (!derived && !points.has(o.point)) problems.push(`${at}.indicators[${j}].point: "${o.point}" is not a point of type "${t.id}"`);
  });
  t.tile?.points.forEach((p, j) => {
    if (!points.has(p)) problems.push(`${at}.tile.points[${j}]: "${p}" is not a point of type "${t.id}"`);
  });
  t.plans?.forEach((p, j) => {
    if (p.every === undefined && (p.meter === undefined || p.everyUnits === undefined)) {
      problems.push(`${at}.plans[${j}]: needs "every" (calendar) or "meter" with "everyUnits"`);
    }
  });
  return problems;
}
