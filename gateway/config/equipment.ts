/**
 * The site's equipment catalogue: the built-in types (gateway/equipment/) plus the site's own
 * `equipmentTypes:`, and the checks that tie devices, rules and plans to known types.
 */
import { equipmentTypes, EquipmentCatalogue, type EquipmentDescriptor } from '../equipment/index.js';
import type { SiteConfig } from './schema.js';

type WithTypes = { equipmentTypes?: readonly EquipmentDescriptor[] | undefined };

/** The catalogue of a site config (built-in types first; a declared type never replaces one: see checks). */
export function siteCatalogue(config: WithTypes): EquipmentCatalogue {
  return new EquipmentCatalogue(equipmentTypes, config.equipmentTypes ?? []);
}

/** Problems with the declared types and with every type id the config names, each with its key. */
export function checkEquipmentTypes(config: SiteConfig): string[] {
  const problems: string[] = [];
  const declared = new Set<string>();
  config.equipmentTypes.forEach((t, i) => {
    const at = `equipmentTypes[${i}]`;
    if (equipmentTypes[t.id]) problems.push(`${at}.id: "${t.id}" is a built-in type; give the site's type another id`);
    else if (declared.has(t.id)) problems.push(`${at}.id: duplicate equipment type "${t.id}"`);
    declared.add(t.id);
    problems.push(...checkDescriptor(t, at));
  });
  const catalogue = siteCatalogue(config);
  const known = (): string => catalogue.ids().map((k) => JSON.stringify(k)).join(', ');
  const check = (id: string | undefined, at: string): void => {
    if (id !== undefined && !catalogue.has(id)) {
      problems.push(`${at}: must be one of ${known()} (got "${id}": an unknown equipment type; a site declares its own under equipmentTypes)`);
    }
  };
  config.devices.forEach((d, i) => check(d.type, `devices[${i}].type`));
  config.rules.forEach((r, i) => check(r.equipment, `rules[${i}].equipment`));
  config.maintenance?.plans?.forEach((p, i) => check(p.equipment, `maintenance.plans[${i}].equipment`));
  config.maintenance?.prediction?.indicators?.forEach((o, i) => check(o.equipment, `maintenance.prediction.indicators[${i}].equipment`));
  return problems;
}

/** A descriptor's parts must agree with each other: rules, indicators and tiles name its points. */
export function checkDescriptor(t: EquipmentDescriptor, at: string): string[] {
  const problems: string[] = [];
  const points = new Set<string>();
  t.points.forEach((p, j) => {
    if (points.has(p.name)) problems.push(`${at}.points[${j}].name: duplicate point "${p.name}"`);
    points.add(p.name);
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
    const derived = o.point === 'starts_per_hour';
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
