/** Writes encode with the inverse of the read path: every type and order round-trips. */
import { describe, expect, it } from 'vitest';
import { BYTE_ORDERS, applyScale, decodeRegisters, encodeRegisters, type DataType } from './decode.js';

describe('encodeRegisters', () => {
  const cases: [DataType, number | boolean, number?, number?][] = [
    ['bool', true],
    ['int16', -2],
    ['uint16', 0.5, 0.001],
    ['int16', 21.5, 0.1, -10],
    ['int32', -100000],
    ['uint32', 4_000_000_000],
    ['float32', 12.5],
    ['float32', 230.1],
    ['float64', -1234.5678],
  ];
  for (const order of BYTE_ORDERS) {
    it(`round-trips every type in ${order}`, () => {
      for (const [type, value, scale, offset] of cases) {
        const words = encodeRegisters(value, type, order, scale, offset);
        expect(applyScale(decodeRegisters(words, type, order), scale, offset), `${type} ${value}`).toBe(value);
      }
    });
  }

  it('puts float32 12.5 in CDAB low word first, as pymodbus and mbpoll expect', () => {
    expect(encodeRegisters(12.5, 'float32', 'CDAB')).toEqual([0x0000, 0x4148]);
    expect(encodeRegisters(12.5, 'float32', 'ABCD')).toEqual([0x4148, 0x0000]);
    expect(encodeRegisters(0x1234, 'uint16', 'BADC')).toEqual([0x3412]);
  });

  it('refuses values that do not fit', () => {
    expect(() => encodeRegisters(70000, 'uint16')).toThrow(/outside uint16/);
    expect(() => encodeRegisters(-1, 'uint32')).toThrow(/outside uint32/);
    expect(() => encodeRegisters(1e39, 'float32')).toThrow(/float32/);
    expect(() => encodeRegisters(Number.NaN, 'int16')).toThrow(/finite/);
    expect(() => encodeRegisters(1, 'bool')).toThrow(/boolean/);
  });
});
