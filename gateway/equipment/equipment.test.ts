import { describe, expect, it } from 'vitest';
import { checkDescriptor, equipmentTypes, EquipmentCatalogue } from './index.js';

describe('equipment registry', () => {
  it('every registered descriptor is consistent: rules, indicators and tiles name its points, rule faults are listed', () => {
    for (const [id, d] of Object.entries(equipmentTypes)) {
      expect(d.id).toBe(id);
      expect(checkDescriptor(d, id)).toEqual([]);
    }
  });

  it('default rules are scoped to their type and take the type category unless they set one', () => {
    const rules = new EquipmentCatalogue(equipmentTypes).defaultRules();
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    expect(rules.find((r) => r.id === 'pump.dry-run')).toMatchObject({ equipment: 'pump', category: 'water' });
    expect(rules.find((r) => r.id === 'fire.alarm')).toMatchObject({ equipment: 'fire_panel', category: 'fire', priority: 'emergency' });
  });
});
