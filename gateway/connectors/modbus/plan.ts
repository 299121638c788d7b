/**
 * Request planning: turn a device's point map into the fewest read requests. Points of the same
 * table merge when the hole between them is at most `maxGap` and the request stays within the
 * protocol limit (125 registers for FC3/FC4, 2000 bits for FC1/FC2).
 */

export type Table = 'coil' | 'discrete' | 'holding' | 'input';

/** Read order of the tables in a poll (FC1, FC2, FC3, FC4). */
export const TABLES: readonly Table[] = ['coil', 'discrete', 'holding', 'input'];

export function isBitTable(table: Table): boolean {
  return table === 'coil' || table === 'discrete';
}

/** What planning needs to know of a point: where it sits and how many registers/bits it spans. */
export interface Placed {
  table: Table;
  address: number;
  /** Registers (holding/input) or bits (coil/discrete) the point spans. */
  size: number;
}

export interface ReadRequest<P extends Placed = Placed> {
  table: Table;
  start: number;
  /** Registers or bits to read. */
  count: number;
  /** Points served by this request, in address order. */
  points: P[];
}

export interface PlanLimits {
  /** Largest hole still merged; 0 merges touching points only, -1 only overlapping ones. */
  maxGap: number;
  maxRegisters: number;
  maxBits: number;
}

export const DEFAULT_LIMITS: PlanLimits = { maxGap: 10, maxRegisters: 125, maxBits: 2000 };

export function planRequests<P extends Placed>(points: readonly P[], limits: Partial<PlanLimits> = {}): ReadRequest<P>[] {
  const { maxGap, maxRegisters, maxBits } = { ...DEFAULT_LIMITS, ...limits };
  const out: ReadRequest<P>[] = [];
  for (const table of TABLES) {
    const max = isBitTable(table) ? maxBits : maxRegisters;
    const sorted = points
      .filter((p) => p.table === table)
      .sort((a, b) => a.address - b.address || a.size - b.size);
    let current: ReadRequest<P> | undefined;
    for (const p of sorted) {
      const end = p.address + p.size;
      if (current) {
        const currentEnd = current.start + current.count;
        const gap = p.address - currentEnd;
        const span = Math.max(currentEnd, end) - current.start;
        if (gap <= maxGap && span <= max) {
          current.count = span;
          current.points.push(p);
          continue;
        }
      }
      current = { table, start: p.address, count: p.size, points: [p] };
      out.push(current);
    }
  }
  return out;
}

/**
 * The same points as `request`, one request per point (points that share registers, such as bits
 * of one register, stay together). Used after an "illegal data address" answer to a merged request,
 * so that one missing register only spoils its own point.
 */
export function splitRequest<P extends Placed>(request: ReadRequest<P>, limits: Partial<PlanLimits> = {}): ReadRequest<P>[] {
  return planRequests(request.points, { ...limits, maxGap: -1 });
}
