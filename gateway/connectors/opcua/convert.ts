/**
 * OPC UA DataValue → Reading value, quality and timestamp.
 *
 * - numbers stay numbers; Float is shown as its shortest float32 decimal; Int64/UInt64 (node-opcua
 *   gives `[high, low]`) become numbers (exact up to 2^53);
 * - DateTime becomes epoch ms, LocalizedText its text, QualifiedName its name, ByteString base64,
 *   NodeId/Guid/StatusCode their string form, structures JSON;
 * - arrays and matrices become a JSON string of converted elements (`"[1,2,3]"`): a Reading holds
 *   one scalar;
 * - status Good → quality good; Uncertain → uncertain with the value; Bad → bad, value null, with
 *   the status text (`BadNodeIdUnknown (0x80340000)`) as reason.
 */
import { DataType, StatusCode, VariantArrayType, type DataValue, type Variant } from 'node-opcua';
import type { PointValue, Quality, Reading } from '../../core/reading.js';
import { shortestFloat32 } from '../common/numbers.js';

const TWO_32 = 2 ** 32;

/** `[high, low]` of a 64-bit integer to a number. */
export function int64ToNumber(v: unknown, signed: boolean): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v) && v.length === 2) {
    const [hi, lo] = v as [number, number];
    const high = signed && hi >= 0x80000000 ? hi - TWO_32 : hi;
    return high * TWO_32 + (lo >>> 0);
  }
  return Number(v);
}

type Scalar = number | boolean | string | null;

function scalar(dataType: DataType, v: unknown): Scalar {
  if (v === null || v === undefined) return null;
  switch (dataType) {
    case DataType.Boolean:
      return Boolean(v);
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
    case DataType.Double:
      return Number(v);
    case DataType.Float:
      return shortestFloat32(Number(v));
    case DataType.Int64:
      return int64ToNumber(v, true);
    case DataType.UInt64:
      return int64ToNumber(v, false);
    case DataType.DateTime:
      return v instanceof Date ? v.getTime() : Number(v);
    case DataType.String:
    case DataType.XmlElement:
      return String(v);
    case DataType.LocalizedText:
      return (v as { text?: string | null }).text ?? null;
    case DataType.QualifiedName:
      return (v as { name?: string | null }).name ?? null;
    case DataType.ByteString:
      return Buffer.isBuffer(v) ? v.toString('base64') : String(v);
    case DataType.StatusCode:
      return v instanceof StatusCode ? v.toString() : String(v);
    default:
      return structure(v);
  }
}

/** NodeId, Guid, ExtensionObject, DiagnosticInfo...: their JSON or string form. */
function structure(v: unknown): Scalar {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  const withJson = v as { toJSON?: () => unknown; toString?: () => string };
  if (typeof withJson.toJSON === 'function') {
    const j = withJson.toJSON();
    return typeof j === 'string' ? j : JSON.stringify(j);
  }
  if (typeof withJson.toString === 'function' && withJson.toString !== Object.prototype.toString) return withJson.toString();
  return JSON.stringify(v);
}

/** The value a Variant holds, as one Reading value. */
export function variantValue(variant: Variant | null | undefined): PointValue | null {
  if (!variant || variant.dataType === DataType.Null) return null;
  if (variant.arrayType !== VariantArrayType.Scalar) {
    const items = Array.from((variant.value ?? []) as ArrayLike<unknown>, (x) => scalar(variant.dataType, x));
    return JSON.stringify(items);
  }
  return scalar(variant.dataType, variant.value);
}

/** Quality from the two severity bits of a status code. */
export function qualityOf(status: StatusCode | undefined): Quality {
  const severity = ((status?.value ?? 0) >>> 30) & 0b11;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}

export function toReading(device: string, point: string, dv: DataValue, now = Date.now()): Reading {
  const ts = dv.sourceTimestamp ? dv.sourceTimestamp.getTime() : now;
  const quality = qualityOf(dv.statusCode);
  if (quality === 'bad') return { device, point, value: null, quality, ts, reason: dv.statusCode.toString() };
  let value: PointValue | null;
  try {
    value = variantValue(dv.value);
  } catch (err) {
    return { device, point, value: null, quality: 'bad', ts, reason: `cannot convert value: ${String(err)}` };
  }
  if (value === null) return { device, point, value: null, quality: 'bad', ts, reason: 'empty value' };
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return { device, point, value: null, quality: 'bad', ts, reason: `not a finite number (${value})` };
  }
  return quality === 'good'
    ? { device, point, value, quality, ts }
    : { device, point, value, quality, ts, reason: dv.statusCode.toString() };
}
