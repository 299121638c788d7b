import { describe, expect, it } from 'vitest';
import { planRequests, splitRequest, type Placed } from './plan.js';

const p = (table: Placed['table'], address: number, size = 1) => ({ table, address, size });
const shape = (reqs: ReturnType<typeof planRequests>) => reqs.map((r) => [r.table, r.start, r.count, r.points.length]);

describe('modbus request planning', () => {
  it('merges adjacent points of one table into one request', () => {
    const reqs = planRequests([p('input', 0), p('input', 1), p('input', 2, 2), p('input', 4)]);
    expect(shape(reqs)).toEqual([['input', 0, 5, 4]]);
  });

  it('never merges across tables and orders coil, discrete, holding, input', () => {
    const reqs = planRequests([p('input', 0), p('holding', 1), p('coil', 0), p('discrete', 0), p('holding', 0)]);
    expect(shape(reqs)).toEqual([
      ['coil', 0, 1, 1],
      ['discrete', 0, 1, 1],
      ['holding', 0, 2, 2],
      ['input', 0, 1, 1],
    ]);
  });

  it('bridges holes up to maxGap (default 10) and no wider', () => {
    expect(shape(planRequests([p('holding', 0), p('holding', 11)]))).toEqual([['holding', 0, 12, 2]]);
    expect(shape(planRequests([p('holding', 0), p('holding', 12)]))).toEqual([
      ['holding', 0, 1, 1],
      ['holding', 12, 1, 1],
    ]);
    expect(shape(planRequests([p('holding', 0), p('holding', 5)], { maxGap: 3 }))).toEqual([
      ['holding', 0, 1, 1],
      ['holding', 5, 1, 1],
    ]);
    expect(shape(planRequests([p('holding', 0), p('holding', 1)], { maxGap: 0 }))).toEqual([['holding', 0, 2, 2]]);
  });

  it('sorts points and handles overlaps (bits of one register, duplicates)', () => {
    const reqs = planRequests([p('holding', 8), p('holding', 2, 2), p('holding', 8), p('holding', 0)]);
    expect(shape(reqs)).toEqual([['holding', 0, 9, 4]]);
    expect(reqs[0]!.points.map((x) => x.address)).toEqual([0, 2, 8, 8]);
  });

  it('keeps register requests within 125 registers', () => {
    const points = Array.from({ length: 200 }, (_, i) => p('input', i));
    const reqs = planRequests(points);
    expect(shape(reqs)).toEqual([
      ['input', 0, 125, 125],
      ['input', 125, 75, 75],
    ]);
    // a multi-register value is never cut in two
    const floats = Array.from({ length: 70 }, (_, i) => p('input', i * 2, 2));
    expect(shape(planRequests(floats))).toEqual([
      ['input', 0, 124, 62],
      ['input', 124, 16, 8],
    ]);
  });

  it('keeps bit requests within 2000 bits and honours custom limits', () => {
    const bits = Array.from({ length: 2500 }, (_, i) => p('coil', i));
    expect(shape(planRequests(bits))).toEqual([
      ['coil', 0, 2000, 2000],
      ['coil', 2000, 500, 500],
    ]);
    const regs = Array.from({ length: 10 }, (_, i) => p('holding', i));
    expect(shape(planRequests(regs, { maxRegisters: 4 }))).toEqual([
      ['holding', 0, 4, 4],
      ['holding', 4, 4, 4],
      ['holding', 8, 2, 2],
    ]);
    expect(shape(planRequests(bits.slice(0, 10), { maxBits: 8 }))).toEqual([
      ['coil', 0, 8, 8],
      ['coil', 8, 2, 2],
    ]);
  });

  it('splits a merged request into one request per point, keeping shared registers together', () => {
    const [req] = planRequests([p('holding', 0), p('holding', 2, 2), p('holding', 8), p('holding', 8)]);
    expect(shape(splitRequest(req!))).toEqual([
      ['holding', 0, 1, 1],
      ['holding', 2, 2, 1],
      ['holding', 8, 1, 2],
    ]);
  });

  it('returns nothing for no points', () => {
    expect(planRequests([])).toEqual([]);
  });
});
