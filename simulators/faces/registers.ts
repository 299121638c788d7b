/**
 * Engineering value ⇄ Modbus register words, per point definition. 32-bit values take two
 * registers; ABCD puts the high word first (Modbus convention), CDAB the low word first.
 */
import type { ModbusPointDef } from '../pointmaps.js';

export function encodeWords(p: ModbusPointDef, value: number): number[] {
  const raw = value / (p.scale ?? 1);
  let words: [number, number];
  switch (p.type) {
    case 'int16':
      return [clampInt(raw, -0x8000, 0x7fff) & 0xffff];
    case 'uint16':
      return [clampInt(raw, 0, 0xffff)];
    case 'int32':
    case 'uint32': {
      const v = p.type === 'int32' ? clampInt(raw, -0x80000000, 0x7fffffff) >>> 0 : clampInt(raw, 0, 0xffffffff);
      words = [Math.floor(v / 0x10000) & 0xffff, v & 0xffff];
      break;
    }
    case 'float32': {
      const b = Buffer.alloc(4);
      b.writeFloatBE(raw);
      words = [b.readUInt16BE(0), b.readUInt16BE(2)];
      break;
    }
    case 'bool':
      return [value ? 1 : 0];
  }
  return p.order === 'CDAB' ? [words[1], words[0]] : words;
}

/** Engineering value of a single-register write (FC6/FC16) to a 16-bit point. */
export function decodeWord(p: ModbusPointDef, word: number): number {
  const raw = p.type === 'int16' && word >= 0x8000 ? word - 0x10000 : word;
  return raw * (p.scale ?? 1);
}

/** Number of registers a point occupies. */
export function wordCount(p: ModbusPointDef): number {
  return p.type === 'int32' || p.type === 'uint32' || p.type === 'float32' ? 2 : 1;
}

function clampInt(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(v)));
}
