/**
 * The equipment-type registry: one folder per type, one line here (as gateway/connectors/index.ts).
 * Adding a type = a folder with an `index.ts` exporting an `EquipmentDescriptor` + one line below.
 */
import { chiller } from './chiller/index.js';
import type { EquipmentDescriptor } from './descriptor.js';
import { elevator } from './elevator/index.js';
import { firePanel } from './fire-panel/index.js';
import { generator } from './generator/index.js';
import { power } from './power/index.js';
import { pump } from './pump/index.js';
import { sumpPump } from './sump-pump/index.js';
import { waterTank } from './water-tank/index.js';

export const equipmentTypes: Record<string, EquipmentDescriptor> = {
  [elevator.id]: elevator,
  [pump.id]: pump,
  [power.id]: power,
  [firePanel.id]: firePanel,
  [generator.id]: generator,
  [waterTank.id]: waterTank,
  [sumpPump.id]: sumpPump,
  [chiller.id]: chiller,
};

export { EquipmentCatalogue } from './catalogue.js';
export { equipmentTypeView } from './view.js';
export { checkDescriptor } from './check.js';
export type { EquipmentDescriptor, IndicatorSpec, PlanSpec, PointSpec, FaultSpec, TypeRule, DerivedMeters, TileSpec, Labels } from './descriptor.js';
