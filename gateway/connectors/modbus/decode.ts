/**
 * Register words to values: data type, byte/word order, bit extraction, scale and offset.
 *
 * Byte order names describe where the bytes of a big-endian value `A B C D` (A most significant)
 * sit on the wire, register by register:
 *
 * | order | 32-bit registers | 64-bit registers (A..H)   | 16-bit  |
 * |-------|------------------|---------------------------|---------|
 * | ABCD  | AB CD            | AB CD EF GH               | AB      |
 * | CDAB  | CD AB            | GH EF CD AB (word swap)   | AB      |
 * | BADC  | BA DC            | BA DC FE HG (byte swap)   | BA      |
 * | DCBA  | DC BA            | HG FE DC BA (little end.) | BA      |
 */
import { shortestFloat32 } from '../common/numbers.js';

export { shortestFloat32 };

export const DATA_TYPES = ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as const;
export type DataType = (typeof DATA_TYPES)[number];

export const BYTE_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];

/** Registers a value of this type occupies (bool in a register table: one register). */
export function registerCount(type: DataType): number {
  switch (type) {
    case 'bool':
    case 'int16':
    case 'uint16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'float64':
      return 4;
  }
}

/** Wire bytes of `words` (each a 16-bit register, sent high byte first) in big-endian order. */
export function toBigEndian(words: ArrayLike<number>, order: ByteOrder): Buffer {
  const n = words.length;
  const buf = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) buf.writeUInt16BE((words[i] ?? 0) & 0xffff, i * 2);
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const reverseWords = order === 'CDAB' || order === 'DCBA';
  if (swapBytes) buf.swap16();
  if (reverseWords && n > 1) {
    const out = Buffer.alloc(buf.length);
    for (let i = 0; i < n; i++) buf.copy(out, (n - 1 - i) * 2, i * 2, i * 2 + 2);
    return out;
  }
  return buf;
}

/**
 * The number or boolean held by `words` (exactly `registerCount(type)` registers).
 * `bit` picks one bit (0 = least significant) of a 16-bit register and always gives a boolean;
 * `bool` without `bit` is true when the register is not zero.
 */
export function decodeRegisters(words: ArrayLike<number>, type: DataType, order: ByteOrder = 'ABCD', bit?: number): number | boolean {
  const need = registerCount(type);
  if (words.length < need) throw new RangeError(`${type} needs ${need} registers, got ${words.length}`);
  const be = toBigEndian(Array.from(words).slice(0, need), order);
  if (bit !== undefined) return ((be.readUInt16BE(0) >> bit) & 1) === 1;
  switch (type) {
    case 'bool':
      return be.readUInt16BE(0) !== 0;
    case 'int16':
      return be.readInt16BE(0);
    case 'uint16':
      return be.readUInt16BE(0);
    case 'int32':
      return be.readInt32BE(0);
    case 'uint32':
      return be.readUInt32BE(0);
    case 'float32':
      return shortestFloat32(be.readFloatBE(0));
    case 'float64':
      return be.readDoubleBE(0);
  }
}

/**
 * `raw × scale + offset`, rounded to 15 significant digits to drop binary noise
 * (1234 × 0.1 gives 123.4, not 123.39999999999999). Booleans pass through.
 */
export function applyScale(raw: number | boolean, scale?: number, offset?: number): number | boolean {
  if (typeof raw === 'boolean') return raw;
  if ((scale === undefined || scale === 1) && !offset) return raw;
  const v = raw * (scale ?? 1) + (offset ?? 0);
  return Number.isFinite(v) ? Number(v.toPrecision(15)) : v;
}

/** Inverse of `toBigEndian`: the register words that put big-endian `be` on the wire in `order`. */
export function fromBigEndian(be: Buffer, order: ByteOrder): number[] {
  const n = be.length / 2;
  let buf = Buffer.from(be);
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const reverseWords = order === 'CDAB' || order === 'DCBA';
  if (reverseWords && n > 1) {
    const out = Buffer.alloc(buf.length);
    for (let i = 0; i < n; i++) buf.copy(out, (n - 1 - i) * 2, i * 2, i * 2 + 2);
    buf = out;
  }
  if (swapBytes) buf.swap16();
  const words: number[] = [];
  for (let i = 0; i < n; i++) words.push(buf.readUInt16BE(i * 2));
  return words;
}

const INT_RANGE: Partial<Record<DataType, [number, number]>> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

/**
 * Engineering value → register words: the inverse of `applyScale` + `decodeRegisters`
 * (raw = (value − offset) / scale, rounded for integer types). Throws RangeError when the value
 * does not fit the type or is not of the right kind.
 */
export function encodeRegisters(value: number | boolean, type: DataType, order: ByteOrder = 'ABCD', scale?: number, offset?: number): number[] {
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw new RangeError(`expected a boolean, got ${typeof value}`);
    return [value ? 1 : 0];
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`expected a finite number, got ${JSON.stringify(value)}`);
  let raw = (value - (offset ?? 0)) / (scale ?? 1);
  const be = Buffer.alloc(registerCount(type) * 2);
  const range = INT_RANGE[type];
  if (range) {
    // 0.5 / 0.001 = 499.99999999999994: round away the binary noise before checking.
    raw = Math.round(Number(raw.toPrecision(15)));
    if (raw < range[0] || raw > range[1]) {
      throw new RangeError(`${value} is raw ${raw}, outside ${type} (${range[0]}..${range[1]})`);
    }
  }
  switch (type) {
    case 'int16':
      be.writeInt16BE(raw);
      break;
    case 'uint16':
      be.writeUInt16BE(raw);
      break;
    case 'int32':
      be.writeInt32BE(raw);
      break;
    case 'uint32':
      be.writeUInt32BE(raw);
      break;
    case 'float32':
      if (Math.abs(raw) > 3.4028234663852886e38) throw new RangeError(`${value} does not fit a float32`);
      be.writeFloatBE(raw);
      break;
    case 'float64':
      be.writeDoubleBE(raw);
      break;
  }
  return fromBigEndian(be, order);
}
