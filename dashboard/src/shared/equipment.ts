/**
 * The equipment catalogue of the server (`GET /api/equipment-types`): labels of types, points and
 * faults, the points each tile shows and the order of types. Loaded after login; a type the site
 * declares in its config is shown like a built-in one.
 */
import type { EquipmentTypeView } from '../../../gateway/core/model.js';
import { setCatalogueNames, type Lang } from '../i18n.js';

let types: readonly EquipmentTypeView[] = [];

export function setEquipmentTypes(list: readonly EquipmentTypeView[]): void {
  types = [...list].sort((a, b) => a.tile.order - b.tile.order || a.id.localeCompare(b.id));
  const names: Record<Lang, Map<string, string>> = { 'zh-CN': new Map(), en: new Map() };
  for (const lang of ['zh-CN', 'en'] as const) {
    const m = names[lang];
    const add = (key: string, label: string): void => {
      if (!m.has(key)) m.set(key, label);
    };
    for (const ty of types) {
      add(`type.${ty.id}`, ty.label[lang]);
      for (const p of ty.points) add(`point.${p.name}`, p.label[lang]);
      for (const f of ty.faults) add(`fault.${f.name}`, f.label[lang]);
    }
  }
  setCatalogueNames(names);
}

/** The points a tile of `type` shows, in order; undefined for a type the server did not list. */
export function tilePoints(type: string): readonly string[] | undefined {
  return types.find((ty) => ty.id === type)?.tile.points;
}

/** Type ids in dashboard order. */
export function typeOrder(): string[] {
  return types.map((ty) => ty.id);
}
