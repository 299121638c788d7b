/**
 * The printed labels (seed 2.1: requests come by phone, e-mail, on site or a platform; a label is
 * the on-site way in). `owner.codes` lists them; without it every device gets one, its category
 * from the equipment type and its place from the device's name and building.
 */
import type { Category, DeviceConfig, SiteConfig } from '../config/schema.js';
import type { OwnerCode } from '../config/owner.js';
import { Errors } from '../core/errors.js';

export interface ResolvedCode {
  id: string;
  device: string | null;
  location: { zh: string; en: string };
  category: Category;
}

/** What an owner may choose on the request page: not fire (call 119) and not planned work. */
export const OWNER_CATEGORIES: readonly Category[] = ['general', 'water', 'power', 'elevator'];

const BY_TYPE: Record<DeviceConfig['type'], Category> = { elevator: 'elevator', pump: 'water', power: 'power', fire_panel: 'fire' };
const TYPE_ZH: Record<DeviceConfig['type'], string> = { elevator: '电梯', pump: '水泵房', power: '配电室', fire_panel: '消防控制' };
const TYPE_EN: Record<DeviceConfig['type'], string> = { elevator: 'elevator', pump: 'pump room', power: 'switch room', fire_panel: 'fire control' };

function placeOf(d: DeviceConfig): { zh: string; en: string } {
  const name = d.name ?? d.id;
  return {
    zh: `${d.building ? `${d.building} 栋 ` : ''}${TYPE_ZH[d.type]} · ${name}`,
    en: `${name}${d.building ? `, building ${d.building}` : ''} (${TYPE_EN[d.type]})`,
  };
}

export function resolveCodes(config: Pick<SiteConfig, 'devices'> & { owner: { codes?: OwnerCode[] | undefined } }): ResolvedCode[] {
  const devices = new Map(config.devices.map((d) => [d.id, d]));
  if (!config.owner.codes) {
    return config.devices.map((d) => ({ id: d.id, device: d.id, location: placeOf(d), category: BY_TYPE[d.type] }));
  }
  const seen = new Set<string>();
  const problems: string[] = [];
  const out: ResolvedCode[] = [];
  config.owner.codes.forEach((c, i) => {
    if (seen.has(c.id)) problems.push(`owner.codes[${i}].id: "${c.id}" is used twice`);
    seen.add(c.id);
    const d = c.device === undefined ? undefined : devices.get(c.device);
    if (c.device !== undefined && !d) problems.push(`owner.codes[${i}].device: no device "${c.device}"`);
    const location = c.location ?? (d ? placeOf(d) : undefined);
    if (!location) problems.push(`owner.codes[${i}].location: needed when the label is not on a device`);
    else out.push({ id: c.id, device: c.device ?? null, location, category: c.category });
  });
  if (problems.length) throw Errors.CONFIG_INVALID('owner.codes', problems);
  return out;
}
