/**
 * The printed labels (seed 2.1: requests come by phone, e-mail, on site or a platform; a label is
 * the on-site way in). `owner.codes` lists them; without it every device gets one, its category
 * from the equipment type and its place from the device's name and building.
 */
import type { Category, DeviceConfig, SiteConfig } from '../config/schema.js';
import type { OwnerCode } from '../config/owner.js';
import { Errors } from '../core/errors.js';
import { siteCatalogue } from '../config/equipment.js';
import type { EquipmentCatalogue } from '../equipment/index.js';

export interface ResolvedCode {
  id: string;
  device: string | null;
  location: { zh: string; en: string };
  category: Category;
}

/** What an owner may choose on the request page: not fire (call 119) and not planned work. */
export const OWNER_CATEGORIES: readonly Category[] = ['general', 'water', 'power', 'elevator'];

/** The place of a device on its label: building, where such equipment stands (its descriptor's `place`), name. */
function placeOf(d: DeviceConfig, types: EquipmentCatalogue): { zh: string; en: string } {
  const name = d.name ?? d.id;
  const t = types.get(d.type);
  const place = t?.place ?? t?.label ?? { 'zh-CN': d.type, en: d.type };
  return {
    zh: `${d.building ? `${d.building} 栋 ` : ''}${place['zh-CN']} · ${name}`,
    en: `${name}${d.building ? `, building ${d.building}` : ''} (${place.en})`,
  };
}

export function resolveCodes(config: Pick<SiteConfig, 'devices'> & Partial<Pick<SiteConfig, 'equipmentTypes'>> & { owner: { codes?: OwnerCode[] | undefined } }): ResolvedCode[] {
  const devices = new Map(config.devices.map((d) => [d.id, d]));
  const types = siteCatalogue(config);
  if (!config.owner.codes) {
    return config.devices.map((d) => ({ id: d.id, device: d.id, location: placeOf(d, types), category: types.get(d.type)?.category ?? 'general' }));
  }
  const seen = new Set<string>();
  const problems: string[] = [];
  const out: ResolvedCode[] = [];
  config.owner.codes.forEach((c, i) => {
    if (seen.has(c.id)) problems.push(`owner.codes[${i}].id: "${c.id}" is used twice`);
    seen.add(c.id);
    const d = c.device === undefined ? undefined : devices.get(c.device);
    if (c.device !== undefined && !d) problems.push(`owner.codes[${i}].device: no device "${c.device}"`);
    const location = c.location ?? (d ? placeOf(d, types) : undefined);
    if (!location) problems.push(`owner.codes[${i}].location: needed when the label is not on a device`);
    else out.push({ id: c.id, device: c.device ?? null, location, category: c.category });
  });
  if (problems.length) throw Errors.CONFIG_INVALID('owner.codes', problems);
  return out;
}
