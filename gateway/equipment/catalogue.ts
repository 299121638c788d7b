/**
 * The catalogue of equipment types a gateway knows: the built-in descriptors plus the types the
 * site declares in its YAML (`equipmentTypes:`). Everything that depends on a type asks here.
 */
import type { RuleConfig } from '../core/vocabulary.js';
import { NO_TILE_ORDER, type EquipmentDescriptor } from './descriptor.js';

export class EquipmentCatalogue {
  private readonly byId = new Map<string, EquipmentDescriptor>();

  /** Later descriptors do not replace earlier ones: the caller rejects duplicate ids first. */
  constructor(builtIn: Readonly<Record<string, EquipmentDescriptor>>, declared: readonly EquipmentDescriptor[] = []) {
    for (const d of [...Object.values(builtIn), ...declared]) if (!this.byId.has(d.id)) this.byId.set(d.id, d);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The descriptor of a known type; the config loader has rejected unknown ones. */
  get(id: string): EquipmentDescriptor | undefined {
    return this.byId.get(id);
  }

  /** Type ids in dashboard order (tile order, then id). */
  ids(): string[] {
    return this.list().map((d) => d.id);
  }

  list(): EquipmentDescriptor[] {
    return [...this.byId.values()].sort((a, b) => (a.tile?.order ?? NO_TILE_ORDER) - (b.tile?.order ?? NO_TILE_ORDER) || a.id.localeCompare(b.id));
  }

  /** Default alarm rules of every type, scoped to their type, category defaulting to the type's. */
  defaultRules(): RuleConfig[] {
    return this.list().flatMap((d) => typeRules(d));
  }
}

/** The default rules of one type as full rules: scope `equipment: <type>`, category the type's unless set. */
function typeRules(d: EquipmentDescriptor): RuleConfig[] {
  return d.rules.map((r) => ({ ...r, equipment: d.id, category: r.category ?? d.category }));
}
