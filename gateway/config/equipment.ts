/**
 * The site's equipment catalogue: the built-in types (gateway/equipment/) plus the site's own
 * `equipmentTypes:`, and the checks that tie devices, rules and plans to known types.
 */
import { checkDescriptor, equipmentTypes, EquipmentCatalogue, type EquipmentDescriptor } from '../equipment/index.js';
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
