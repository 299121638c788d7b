/**
 * The dashboards' equipment catalogue names points and faults by the device's own type and take
 * red-when-true from that type's descriptor (gateway/equipment/README.md). The catalogue is built
 * the way `GET /api/equipment-types` builds it: the built-in descriptors plus a site's own types.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EquipmentCatalogue, equipmentTypes, equipmentTypeView, type EquipmentDescriptor } from '../../../gateway/equipment/index.js';
import { isAlertValue } from '../format.js';
import { getLang, setLang } from '../i18n.js';
import { faultLabel, isAlertWhenTrue, pointLabel, setEquipmentTypes } from './equipment.js';

/** A site's grease trap: `level`, `high_level` and `overflow` mean something else than on a water tank. */
const greaseTrap: EquipmentDescriptor = {
  id: 'grease_trap',
  label: { 'zh-CN': '隔油池', en: 'Grease trap' },
  category: 'water',
  points: [
    { name: 'level', kind: 'number', unit: 'mm', label: { 'zh-CN': '油脂层厚度', en: 'Grease layer' } },
    { name: 'high_level', kind: 'boolean', label: { 'zh-CN': '高位启泵', en: 'High level (pump-out)' } },
    { name: 'trap_full', kind: 'boolean', label: { 'zh-CN': '隔油池满', en: 'Trap full' }, alertWhenTrue: true },
  ],
  faults: [{ name: 'overflow', label: { 'zh-CN': '隔油池溢流', en: 'Trap overflow' } }],
  rules: [],
};

/** Another site type with a `trap_full` contact that is only a status (an emptying request), not an alarm. */
const oilSeparator: EquipmentDescriptor = {
  id: 'oil_separator',
  label: { 'zh-CN': '油水分离器', en: 'Oil separator' },
  category: 'water',
  points: [{ name: 'trap_full', kind: 'boolean', label: { 'zh-CN': '待清掏', en: 'Due for emptying' } }],
  faults: [],
  rules: [],
};

beforeAll(() => {
  setEquipmentTypes(new EquipmentCatalogue(equipmentTypes, [greaseTrap, oilSeparator]).list().map(equipmentTypeView));
});

describe('point and fault labels by the device type', () => {
  afterEach(() => {
    if (getLang() !== 'zh-CN') setLang('zh-CN');
    vi.unstubAllGlobals();
  });

  it('gives two types that share a point name their own labels', () => {
    expect(pointLabel('water_tank', 'level')).toBe('液位');
    expect(pointLabel('grease_trap', 'level')).toBe('油脂层厚度');
    expect(pointLabel('water_tank', 'high_level')).toBe('高液位');
    expect(pointLabel('grease_trap', 'high_level')).toBe('高位启泵');
  });

  it('gives two types that share a fault name their own labels', () => {
    expect(faultLabel('water_tank', 'overflow')).toBe('溢流');
    expect(faultLabel('grease_trap', 'overflow')).toBe('隔油池溢流');
  });

  it('names a point or fault the device type does not declare as the first type that declares it', () => {
    expect(pointLabel('grease_trap', 'motor_current')).toBe('电机电流');
    expect(pointLabel(null, 'level')).toBe('液位');
    expect(faultLabel('grease_trap', 'comms_lost')).toBe('通讯中断');
    expect(faultLabel(undefined, 'overflow')).toBe('溢流');
  });

  it('shows a name no type declares as it is, and has no label for an unknown fault', () => {
    expect(pointLabel('grease_trap', 'odour_index')).toBe('odour_index');
    expect(faultLabel('grease_trap', 'not_a_fault')).toBeUndefined();
  });

  it('labels in English too', () => {
    vi.stubGlobal('document', { documentElement: { lang: 'zh-CN' } });
    setLang('en');
    expect(pointLabel('grease_trap', 'level')).toBe('Grease layer');
    expect(pointLabel('water_tank', 'level')).toBe('Level');
    expect(faultLabel('grease_trap', 'overflow')).toBe('Trap overflow');
    expect(pointLabel('grease_trap', 'motor_current')).toBe('Motor current');
  });
});

describe('red when true, from the descriptor', () => {
  it('is red for a boolean point its type marks alertWhenTrue', () => {
    expect(isAlertValue('grease_trap', 'trap_full', true)).toBe(true);
    expect(isAlertValue('fire_panel', 'fire_alarm', true)).toBe(true);
    expect(isAlertValue('water_tank', 'high_level', true)).toBe(true);
  });

  it('is not red for the same point name on a type that does not mark it', () => {
    expect(isAlertValue('oil_separator', 'trap_full', true)).toBe(false);
    expect(isAlertValue('grease_trap', 'high_level', true)).toBe(false);
  });

  it('is not red for false, for a status flag, or for a point no type declares', () => {
    expect(isAlertValue('grease_trap', 'trap_full', false)).toBe(false);
    expect(isAlertValue('pump', 'running', true)).toBe(false);
    expect(isAlertValue('grease_trap', 'odour_alarm', true)).toBe(false);
  });

  it('follows the first declaring type for a point the device type does not declare', () => {
    expect(isAlertWhenTrue('grease_trap', 'pump_fail')).toBe(true);
    expect(isAlertWhenTrue('pump', 'trap_full')).toBe(true);
  });
});
