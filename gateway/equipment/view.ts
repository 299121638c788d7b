/** An equipment type as the dashboards show it (`GET /api/equipment-types` of the gateway and of head office). */
import type { EquipmentTypeView } from '../core/model.js';
import { NO_TILE_ORDER, type EquipmentDescriptor } from './descriptor.js';

export function equipmentTypeView(d: EquipmentDescriptor): EquipmentTypeView {
  return {
    id: d.id,
    label: d.label,
    category: d.category,
    points: d.points.map((p) => ({
      name: p.name,
      kind: p.kind,
      ...(p.unit !== undefined ? { unit: p.unit } : {}),
      label: p.label,
      ...(p.alertWhenTrue ? { alertWhenTrue: true } : {}),
    })),
    faults: d.faults.map((f) => ({ name: f.name, label: f.label })),
    tile: d.tile ?? { points: d.points.slice(0, 3).map((p) => p.name), order: NO_TILE_ORDER },
  };
}
