/**
 * Per-point reporting policy shared by the connectors: deadband (absolute or percent) and
 * report-on-change-or-period. A polled point that has not changed (beyond its deadband) is not
 * emitted again at every poll; a heartbeat copy goes out at least every `maxInterval` so that
 * downstream knows the value is still current.
 *
 * Rules, per (device, point) that has a policy (points without one pass unfiltered):
 * - the first reading always passes;
 * - a change of quality (good → bad, bad → good...) or of `reason` always passes (bad readings
 *   are never swallowed);
 * - `maxInterval` elapsed since the last emitted reading of the point: passes (heartbeat);
 * - with a deadband and two numbers: passes when |new − last emitted| > threshold, where the
 *   threshold is `value` (absolute) or `value`% of |last emitted| (percent);
 * - otherwise, with `onChange` (or a deadband on a non-number): passes when the value differs.
 *
 * The Reading contract is unchanged: filtering only decides whether a reading is emitted.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Reading } from '../../core/reading.js';

export const DeadbandSchema = Type.Object(
  {
    /** absolute: in engineering units; percent: of the last reported value (OPC UA: of EURange, server-side). */
    type: Type.Union([Type.Literal('absolute'), Type.Literal('percent')]),
    value: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type Deadband = Static<typeof DeadbandSchema>;

export const ReportSchema = Type.Object(
  {
    /** Emit only when the value changed (after the deadband); default true when `report` is given. */
    onChange: Type.Optional(Type.Boolean()),
    /** Heartbeat: emit at least this often even without change: `60s`, `5m`, `500ms`, `1h` or milliseconds. */
    maxInterval: Type.Optional(Type.Union([Type.String({ pattern: '^\\d+(\\.\\d+)?\\s*(ms|s|m|h)$' }), Type.Integer({ minimum: 1 })])),
  },
  { additionalProperties: false },
);
export type Report = Static<typeof ReportSchema>;

/** The point keys every connector accepts for reporting (spread into each point schema). */
export const reportKeys = {
  deadband: Type.Optional(DeadbandSchema),
  report: Type.Optional(ReportSchema),
};

export interface ReportPolicy {
  deadband?: Deadband;
  onChange: boolean;
  /** Milliseconds; undefined = no heartbeat. */
  maxInterval?: number;
}

/** `60s` → 60000. Numbers are milliseconds. Throws on anything else. */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`duration must be > 0, got ${v}`);
    return v;
  }
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(v.trim());
  if (!m) throw new RangeError(`duration "${v}": expected a number with ms, s, m or h`);
  const n = Number(m[1]);
  const ms = n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  if (ms <= 0) throw new RangeError(`duration "${v}" must be > 0`);
  return Math.round(ms);
}

/**
 * The policy of a point from its raw config keys, or undefined when it has none (every reading
 * passes). Problems are pushed to `problems` with the key path (`${at}.report.maxInterval: ...`).
 */
export function toReportPolicy(raw: { deadband?: unknown; report?: unknown }, at: string, problems: string[]): ReportPolicy | undefined {
  const db = raw.deadband as Partial<Deadband> | undefined;
  const rep = raw.report as Partial<Report> | undefined;
  if (db === undefined && rep === undefined) return undefined;
  const policy: ReportPolicy = { onChange: rep?.onChange ?? true };
  if (db !== undefined) {
    if ((db.type !== 'absolute' && db.type !== 'percent') || typeof db.value !== 'number' || !(db.value >= 0)) {
      problems.push(`${at}.deadband: needs type absolute|percent and a value >= 0`);
    } else {
      policy.deadband = { type: db.type, value: db.value };
    }
  }
  if (rep?.maxInterval !== undefined) {
    try {
      policy.maxInterval = parseDuration(rep.maxInterval);
    } catch (err) {
      problems.push(`${at}.report.maxInterval: ${(err as Error).message}`);
    }
  }
  return policy;
}

interface Last {
  reading: Reading;
  emittedAt: number;
}

const key = (device: string, point: string) => `${device}\u0000${point}`;

export class ReportFilter {
  private readonly policies = new Map<string, ReportPolicy>();
  private readonly last = new Map<string, Last>();
  /** Readings held back since the filter was created. */
  suppressed = 0;

  set(device: string, point: string, policy: ReportPolicy | undefined): void {
    if (policy) this.policies.set(key(device, point), policy);
  }

  get size(): number {
    return this.policies.size;
  }

  policy(device: string, point: string): ReportPolicy | undefined {
    return this.policies.get(key(device, point));
  }

  /** Whether this reading is to be emitted; remembers it when it is. */
  pass(r: Reading, now = Date.now()): boolean {
    const k = key(r.device, r.point);
    const policy = this.policies.get(k);
    if (!policy) return true;
    const last = this.last.get(k);
    if (!last || this.differs(policy, last, r, now)) {
      this.last.set(k, { reading: r, emittedAt: now });
      return true;
    }
    this.suppressed++;
    return false;
  }

  /** The readings of `batch` that are to be emitted (the same array when nothing is held back). */
  filter(batch: Reading[], now = Date.now()): Reading[] {
    if (this.policies.size === 0) return batch;
    const out = batch.filter((r) => this.pass(r, now));
    return out.length === batch.length ? batch : out;
  }

  /**
   * Heartbeats for sources that only speak on change (OPC UA subscriptions): the last emitted
   * reading of every point whose `maxInterval` has elapsed, stamped `now` (the subscription is
   * alive, so the value is still current). Bad readings are not repeated.
   */
  due(now = Date.now()): Reading[] {
    const out: Reading[] = [];
    for (const [k, last] of this.last) {
      const max = this.policies.get(k)?.maxInterval;
      if (max === undefined || now - last.emittedAt < max || last.reading.quality === 'bad') continue;
      const r: Reading = { ...last.reading, ts: now };
      this.last.set(k, { reading: r, emittedAt: now });
      out.push(r);
    }
    return out;
  }

  /** Forget what was emitted (after a reconnect the next reading of each point passes). */
  reset(): void {
    this.last.clear();
  }

  private differs(policy: ReportPolicy, last: Last, r: Reading, now: number): boolean {
    const prev = last.reading;
    if (prev.quality !== r.quality || prev.reason !== r.reason) return true;
    if (policy.maxInterval !== undefined && now - last.emittedAt >= policy.maxInterval) return true;
    const a = prev.value;
    const b = r.value;
    if (policy.deadband && typeof a === 'number' && typeof b === 'number') {
      const limit = policy.deadband.type === 'absolute' ? policy.deadband.value : (Math.abs(a) * policy.deadband.value) / 100;
      return Math.abs(b - a) > limit;
    }
    if (policy.onChange || policy.deadband) return a !== b;
    return true;
  }
}
