/**
 * Head office names an order's fault as the order's own device type does (docs/head-office.md):
 * `battery_low` is a fire panel's standby battery but a generator's starting battery. Without a
 * type (an owner's request, an order from an older gateway) it falls back to the first type.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { EquipmentCatalogue, equipmentTypes, equipmentTypeView } from '../../../gateway/equipment/index.js';
import { setEquipmentTypes } from '../shared/equipment.js';
import { faultNameOf } from './common.js';

beforeAll(() => {
  setEquipmentTypes(new EquipmentCatalogue(equipmentTypes, []).list().map(equipmentTypeView));
});

describe('fault names of head-office orders', () => {
  it('names a fault two types share by the type of the order’s own device', () => {
    expect(faultNameOf({ equipment: 'generator', fault: 'battery_low' })).toBe('启动电池电压低');
    expect(faultNameOf({ equipment: 'fire_panel', fault: 'battery_low' })).toBe('备电电压低');
  });

  it('falls back to the first type that declares the fault when the type is unknown, and to the raw name', () => {
    expect(faultNameOf({ equipment: null, fault: 'battery_low' })).toBe('备电电压低');
    expect(faultNameOf({ equipment: 'generator', fault: 'comms_lost' })).toBe('通讯中断');
    expect(faultNameOf({ equipment: null, fault: 'water_in_lobby' })).toBe('water_in_lobby');
  });
});
