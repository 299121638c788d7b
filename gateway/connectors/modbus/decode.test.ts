import { describe, expect, it } from 'vitest';
import { applyScale, decodeRegisters, registerCount, shortestFloat32, toBigEndian, type ByteOrder, type DataType } from './decode.js';

/** [type, order, registers as on the wire, expected value] */
const vectors: [DataType, ByteOrder, number[], number | boolean][] = [
  // 16-bit: ABCD/CDAB keep the register as is, BADC/DCBA swap its bytes.
  ['uint16', 'ABCD', [0x1234], 0x1234],
  ['uint16', 'CDAB', [0x1234], 0x1234],
  ['uint16', 'BADC', [0x1234], 0x3412],
  ['uint16', 'DCBA', [0x1234], 0x3412],
  ['int16', 'ABCD', [0xfffe], -2],
  ['int16', 'BADC', [0xfeff], -2],
  ['int16', 'ABCD', [0x8000], -32768],
  ['uint16', 'ABCD', [0xffff], 65535],
  ['bool', 'ABCD', [0x0000], false],
  ['bool', 'ABCD', [0x0040], true],
  // int32 -100000 = 0xFFFE7960
  ['int32', 'ABCD', [0xfffe, 0x7960], -100000],
  ['int32', 'CDAB', [0x7960, 0xfffe], -100000],
  ['int32', 'BADC', [0xfeff, 0x6079], -100000],
  ['int32', 'DCBA', [0x6079, 0xfeff], -100000],
  // uint32 4000000000 = 0xEE6B2800
  ['uint32', 'ABCD', [0xee6b, 0x2800], 4_000_000_000],
  ['uint32', 'CDAB', [0x2800, 0xee6b], 4_000_000_000],
  ['uint32', 'BADC', [0x6bee, 0x0028], 4_000_000_000],
  ['uint32', 'DCBA', [0x0028, 0x6bee], 4_000_000_000],
  // float32 12.5 = 0x41480000, 230.1 = 0x436619A0 (shortest decimal kept)
  ['float32', 'ABCD', [0x4148, 0x0000], 12.5],
  ['float32', 'CDAB', [0x0000, 0x4148], 12.5],
  ['float32', 'BADC', [0x4841, 0x0000], 12.5],
  ['float32', 'DCBA', [0x0000, 0x4841], 12.5],
  ['float32', 'ABCD', [0x4366, 0x199a], 230.1],
  ['float32', 'ABCD', [0xc2f6, 0xe979], -123.456],
  // float64 -1234.5678 = 0xC0934A456D5CFAAD
  ['float64', 'ABCD', [0xc093, 0x4a45, 0x6d5c, 0xfaad], -1234.5678],
  ['float64', 'CDAB', [0xfaad, 0x6d5c, 0x4a45, 0xc093], -1234.5678],
  ['float64', 'BADC', [0x93c0, 0x454a, 0x5c6d, 0xadfa], -1234.5678],
  ['float64', 'DCBA', [0xadfa, 0x5c6d, 0x454a, 0x93c0], -1234.5678],
];

describe('modbus decode', () => {
  it.each(vectors)('%s %s %j -> %s', (type, order, words, expected) => {
    expect(decodeRegisters(words, type, order)).toBe(expected);
  });

  it('knows how many registers each type spans', () => {
    expect([registerCount('bool'), registerCount('int16'), registerCount('uint16')]).toEqual([1, 1, 1]);
    expect([registerCount('int32'), registerCount('uint32'), registerCount('float32')]).toEqual([2, 2, 2]);
    expect(registerCount('float64')).toBe(4);
  });

  it('puts wire bytes in big-endian order per byte order', () => {
    const words = [0x0102, 0x0304];
    expect([...toBigEndian(words, 'ABCD')]).toEqual([1, 2, 3, 4]);
    expect([...toBigEndian(words, 'CDAB')]).toEqual([3, 4, 1, 2]);
    expect([...toBigEndian(words, 'BADC')]).toEqual([2, 1, 4, 3]);
    expect([...toBigEndian(words, 'DCBA')]).toEqual([4, 3, 2, 1]);
  });

  it('reads one bit of a register (0 = least significant)', () => {
    expect(decodeRegisters([0b101], 'bool', 'ABCD', 0)).toBe(true);
    expect(decodeRegisters([0b101], 'bool', 'ABCD', 1)).toBe(false);
    expect(decodeRegisters([0b101], 'bool', 'ABCD', 2)).toBe(true);
    expect(decodeRegisters([0x8000], 'uint16', 'ABCD', 15)).toBe(true);
    // bit numbers apply to the register after the byte order: BADC 0x0100 is 0x0001
    expect(decodeRegisters([0x0100], 'bool', 'BADC', 0)).toBe(true);
  });

  it('refuses too few registers', () => {
    expect(() => decodeRegisters([1], 'float32')).toThrow(RangeError);
  });

  it('applies scale and offset without binary noise', () => {
    expect(applyScale(1234, 0.1)).toBe(123.4);
    expect(applyScale(500, 0.001)).toBe(0.5);
    expect(applyScale(-2, 0.1)).toBe(-0.2);
    expect(applyScale(100, 2, -40)).toBe(160);
    expect(applyScale(10, undefined, 5)).toBe(15);
    expect(applyScale(7)).toBe(7);
    expect(applyScale(true, 10, 1)).toBe(true);
  });

  it('keeps float32 values exact while printing them short', () => {
    const f = Math.fround(0.1);
    expect(shortestFloat32(f)).toBe(0.1);
    expect(Math.fround(shortestFloat32(f))).toBe(f);
    expect(shortestFloat32(Math.fround(16777217))).toBe(16777216);
    expect(Number.isNaN(shortestFloat32(NaN))).toBe(true);
  });
});
