/**
 * Payload → readings. A payload is a JSON object; each point's `path` is a dotted path into it
 * (`power.battery_v`, `zones.3` for an array element). A `ts` field (epoch ms, or an ISO 8601
 * string) becomes the readings' timestamp. A device with a single point may also publish a bare
 * number or boolean (`42.5`, `true`).
 *
 * What is wrong with a payload is returned as `problems` (not JSON, field missing, wrong type,
 * bad `ts`); the caller counts and logs them. Fields that are present still give readings.
 */
import type { PointValue, Reading } from '../../core/reading.js';

export interface PathPoint {
  name: string;
  path: string;
}

export interface Parsed {
  readings: Reading[];
  problems: string[];
}

/** One step of a path: an object key, and the array index it stands for (-1: not an index). */
interface Step {
  key: string;
  index: number;
}

/** A point with its path split into steps, once per point list instead of once per message. */
interface CompiledPoint {
  name: string;
  path: string;
  steps: readonly Step[];
}

const compiled = new WeakMap<readonly PathPoint[], readonly CompiledPoint[]>();
const hasOwn = Object.prototype.hasOwnProperty;

function compilePath(path: string): Step[] {
  return path.split('.').map((key) => ({ key, index: /^\d+$/.test(key) ? Number(key) : -1 }));
}

function compiledOf(points: readonly PathPoint[]): readonly CompiledPoint[] {
  let c = compiled.get(points);
  if (c === undefined) {
    c = points.map((p) => ({ name: p.name, path: p.path, steps: compilePath(p.path) }));
    compiled.set(points, c);
  }
  return c;
}

function walk(root: unknown, steps: readonly Step[]): unknown {
  let node = root;
  for (let i = 0; i < steps.length; i++) {
    if (node === null || typeof node !== 'object') return undefined;
    const step = steps[i]!;
    if (Array.isArray(node)) {
      if (step.index < 0) return undefined;
      node = node[step.index];
    } else {
      if (!hasOwn.call(node, step.key)) return undefined;
      node = (node as Record<string, unknown>)[step.key];
    }
  }
  return node;
}

/** Value at a dotted path, or undefined when any step is missing. */
export function getPath(root: unknown, path: string): unknown {
  return walk(root, compilePath(path));
}

/**
 * Epoch ms of a `ts` field: a number (ms; values below 1e11 are taken as seconds, i.e. before
 * 1973 in ms), or a date string Date.parse understands. Undefined when it cannot be read.
 */
export function parseTimestamp(ts: unknown): number | undefined {
  if (typeof ts === 'number' && Number.isFinite(ts) && ts > 0) return ts < 1e11 ? Math.round(ts * 1000) : Math.round(ts);
  if (typeof ts === 'string' && ts.trim()) {
    const ms = Date.parse(ts);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function isScalar(v: unknown): v is PointValue {
  return typeof v === 'number' ? Number.isFinite(v) : typeof v === 'boolean' || typeof v === 'string';
}

export function parsePayload(device: string, points: readonly PathPoint[], payload: Buffer | string, now = Date.now()): Parsed {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { readings: [], problems: [`not JSON: ${JSON.stringify(text.slice(0, 40))}${text.length > 40 ? '...' : ''}`] };
  }
  if (typeof doc === 'number' || typeof doc === 'boolean') {
    const only = points.length === 1 ? points[0] : undefined;
    if (!only) return { readings: [], problems: [`bare value but the device has ${points.length} points; expected a JSON object`] };
    if (typeof doc === 'number' && !Number.isFinite(doc)) return { readings: [], problems: ['bare value is not a finite number'] };
    return { readings: [{ device, point: only.name, value: doc, quality: 'good', ts: now }], problems: [] };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return { readings: [], problems: [`expected a JSON object, got ${doc === null ? 'null' : Array.isArray(doc) ? 'an array' : typeof doc}`] };
  }
  const problems: string[] = [];
  const obj = doc as Record<string, unknown>;
  let ts = now;
  if (obj.ts !== undefined) {
    const parsed = parseTimestamp(obj.ts);
    if (parsed === undefined) problems.push(`unreadable ts ${JSON.stringify(obj.ts)}; using arrival time`);
    else ts = parsed;
  }
  const cps = compiledOf(points);
  const readings: Reading[] = [];
  for (let i = 0; i < cps.length; i++) {
    const p = cps[i]!;
    const v = walk(obj, p.steps);
    if (v === undefined) {
      problems.push(`${p.path} missing`);
    } else if (v === null) {
      readings.push({ device, point: p.name, value: null, quality: 'bad', ts, reason: `${p.path} is null` });
    } else if (isScalar(v)) {
      readings.push({ device, point: p.name, value: v, quality: 'good', ts });
    } else {
      const kind = Array.isArray(v) ? 'an array' : typeof v;
      problems.push(`${p.path} is ${kind}, expected a number, boolean or string`);
      readings.push({ device, point: p.name, value: null, quality: 'bad', ts, reason: `${p.path} is ${kind}` });
    }
  }
  return { readings, problems };
}
