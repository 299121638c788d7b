/**
 * The equipment catalogue of the server (`GET /api/equipment-types`): labels of types, points and
 * faults, which boolean points are red when true, the points each tile shows and the order of
 * types. Loaded after login; a type the site declares in its config is shown like a built-in one.
 *
 * A point or fault is looked up by the device's type first, since two types may give one name
 * different meanings (`motor_current` of a pump and of an elevator). A name the device's type does
 * not declare (a site's extra point) takes the spec of the first type, in dashboard order, that does.
 */
import type { EquipmentTypeView, LabelsView } from '../../../gateway/core/model.js';
import { setCatalogueNames, type Lang } from '../i18n.js';
import { getLang } from './lang.js';

type PointSpecView = EquipmentTypeView['points'][number];
type FaultSpecView = EquipmentTypeView['faults'][number];

/** One kind of name (points or faults): by type and name, and the first type's spec of a name. */
interface NameIndex<S> {
  byType: Map<string, Map<string, S>>;
  first: Map<string, S>;
}

let types: readonly EquipmentTypeView[] = [];
let points: NameIndex<PointSpecView> = indexNames([], (ty) => ty.points);
let faults: NameIndex<FaultSpecView> = indexNames([], (ty) => ty.faults);

function indexNames<S extends { name: string }>(list: readonly EquipmentTypeView[], specs: (ty: EquipmentTypeView) => readonly S[]): NameIndex<S> {
  const index: NameIndex<S> = { byType: new Map(), first: new Map() };
  for (const ty of list) {
    index.byType.set(ty.id, new Map(specs(ty).map((s) => [s.name, s])));
    for (const s of specs(ty)) if (!index.first.has(s.name)) index.first.set(s.name, s);
  }
  return index;
}

function lookUp<S>(index: NameIndex<S>, type: string | null | undefined, name: string): S | undefined {
  return (type ? index.byType.get(type)?.get(name) : undefined) ?? index.first.get(name);
}

/** The server's list, already in dashboard order (tile order, then id: gateway/equipment/catalogue.ts). */
export function setEquipmentTypes(list: readonly EquipmentTypeView[]): void {
  types = list;
  points = indexNames(types, (ty) => ty.points);
  faults = indexNames(types, (ty) => ty.faults);
  const names = (lang: Lang) => new Map(types.map((ty) => [`type.${ty.id}`, ty.label[lang]]));
  setCatalogueNames({ 'zh-CN': names('zh-CN'), en: names('en') });
}

/** Fetch and set the catalogue before a page is drawn; on failure (offline, signed out) raw ids show until the next login. */
export async function loadEquipmentTypes(fetch: () => Promise<readonly EquipmentTypeView[]>): Promise<void> {
  try {
    setEquipmentTypes(await fetch());
  } catch {
    /* raw ids until the next login */
  }
}

function inLang(label: LabelsView | undefined): string | undefined {
  return label?.[getLang()];
}

/** The label of point `name` on a device of `type` (null: type unknown); unknown names show as they are. */
export function pointLabel(type: string | null | undefined, name: string): string {
  return inLang(lookUp(points, type, name)?.label) ?? name;
}

/** The label of fault `name` on a device of `type`; undefined when no type declares it (show the message instead). */
export function faultLabel(type: string | null | undefined, name: string): string | undefined {
  return inLang(lookUp(faults, type, name)?.label);
}

/** Whether `true` of point `name` on a device of `type` is bad news (`alertWhenTrue` of its descriptor). */
export function isAlertWhenTrue(type: string | null | undefined, name: string): boolean {
  return lookUp(points, type, name)?.alertWhenTrue === true;
}

/** The points a tile of `type` shows, in order; undefined for a type the server did not list. */
export function tilePoints(type: string): readonly string[] | undefined {
  return types.find((ty) => ty.id === type)?.tile.points;
}

/** Type ids in dashboard order. */
export function typeOrder(): string[] {
  return types.map((ty) => ty.id);
}
