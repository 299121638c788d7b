/**
 * Line protocol helpers of InfluxHistory: escaping of tag and field values, batches encoded as
 * they fill, and reading lines and values back out of a body (the store-and-forward queue keeps
 * lines; a line holds every field of one device and timestamp, so lines and values differ).
 */
import { escape } from 'influx';
import type { PointValue } from '../core/reading.js';

/**
 * Tag values: escape commas, equal signs and spaces; newlines (which end a line) become spaces
 * and a trailing backslash, which would escape the next separator, is doubled.
 */
export function tagValue(s: string): string {
  let v = escape.tag(s.replace(/[\r\n]/g, ' '));
  if (v.endsWith('\\')) v += '\\';
  return v;
}

/** String field value in double quotes; backslashes and quotes escaped. */
export function quoteField(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

/** A reading's value as a line protocol field value; undefined when there is nothing to store. */
export function fieldValue(v: PointValue | null): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined; // a float field (no `i`); no NaN/Infinity in InfluxDB
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return quoteField(v);
  return undefined; // null: bad quality without a value
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const COMMA = 0x2c;
const SPACE = 0x20;
const EQUALS = 0x3d;
const NL = 0x0a;

/** Field count of the line `scanLine` last scanned. */
let scannedFields = 0;

/**
 * End of the line that starts at `i` (the index of its `\n`, or the body's length); its field
 * count goes to `scannedFields`. A newline may sit inside a quoted string field value, and only
 * there do quotes count (a tag value or field key may hold a bare `"`); a backslash escapes the
 * next character.
 */
function scanLine(body: string, i: number): number {
  const len = body.length;
  scannedFields = 0;
  // Measurement and tags, up to the first unescaped space.
  for (; i < len; i++) {
    const c = body.charCodeAt(i);
    if (c === NL) return i;
    if (c === BACKSLASH) i++;
    else if (c === SPACE) break;
  }
  for (i++; i < len; ) {
    // Field key, up to the unescaped `=`.
    for (; i < len; i++) {
      const c = body.charCodeAt(i);
      if (c === NL) return i;
      if (c === BACKSLASH) i++;
      else if (c === EQUALS) break;
    }
    i++;
    scannedFields++;
    if (body.charCodeAt(i) === QUOTE) {
      for (i++; i < len; i++) {
        const c = body.charCodeAt(i);
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) break;
      }
      i++;
    }
    while (i < len && body.charCodeAt(i) !== COMMA && body.charCodeAt(i) !== SPACE && body.charCodeAt(i) !== NL) i++;
    if (body.charCodeAt(i) !== COMMA) break; // a space (the timestamp follows), a newline or the end
    i++;
  }
  while (i < len && body.charCodeAt(i) !== NL) i++;
  return Math.min(i, len);
}

/**
 * Field values in the lines of `body`, leaving out lines that start with `skipPrefix` (the events
 * measurement: their id and text are not readings).
 */
export function countFields(body: string, skipPrefix: string): number {
  let n = 0;
  for (let i = 0; i < body.length; ) {
    const end = scanLine(body, i);
    if (!body.startsWith(skipPrefix, i)) n += scannedFields;
    i = end + 1;
  }
  return n;
}

/** The non-empty lines of `body` (newlines inside quoted string values stay in their line). */
export function splitLines(body: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < body.length; ) {
    const end = scanLine(body, i);
    if (end > i) out.push(body.slice(i, end));
    i = end + 1;
  }
  return out;
}

/** Earliest and latest timestamp (the last token of each line) in `body`; null when it has none. */
export function timeSpan(body: string): { from: number; to: number } | null {
  let from = Infinity;
  let to = -Infinity;
  for (let i = 0; i < body.length; ) {
    const end = scanLine(body, i);
    const ts = Number(body.slice(body.lastIndexOf(' ', end - 1) + 1, end));
    if (end > i && Number.isFinite(ts)) {
      if (ts < from) from = ts;
      if (ts > to) to = ts;
    }
    i = end + 1;
  }
  return from <= to ? { from, to } : null;
}

/**
 * A batch of lines encoded as they come (UTF-8, each followed by `\n`), field by field: no string
 * per line is built, none stays alive until the batch is sent (it would be copied by every
 * young-generation collection), and sending needs no join and no second encoding.
 */
export class LineBatch {
  private buf: Buffer<ArrayBuffer>;
  private len = 0;
  /** Lines (InfluxDB points) and reading values in them. */
  lines = 0;
  fields = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(Math.max(1024, capacity));
  }

  /** A whole line (events). */
  add(line: string, fields: number): void {
    this.reserve(line.length * 3 + 1);
    this.text(line);
    this.buf[this.len++] = NL;
    this.lines++;
    this.fields += fields;
  }

  /** Start a line with its measurement and tags; `field()` calls and `close()` follow. */
  open(prefix: Uint8Array): void {
    this.reserve(prefix.length);
    this.buf.set(prefix, this.len);
    this.len += prefix.length;
  }

  /** ` key=value` for the first field of a line, `,key=value` for the others. */
  field(first: boolean, key: Uint8Array, value: string): void {
    this.reserve(key.length + 2 + value.length * 3);
    this.buf[this.len++] = first ? SPACE : COMMA;
    this.buf.set(key, this.len);
    this.len += key.length;
    this.buf[this.len++] = EQUALS;
    this.text(value);
  }

  /** End the line with its timestamp (integer ms). */
  close(ts: number, fields: number): void {
    this.reserve(24);
    this.buf[this.len++] = SPACE;
    if (ts >= 0 && ts <= Number.MAX_SAFE_INTEGER) this.digits(ts);
    else this.text(String(ts));
    this.buf[this.len++] = NL;
    this.lines++;
    this.fields += fields;
  }

  /**
   * Decimal digits of a safe non-negative integer. Epoch ms are beyond the small integers whose
   * strings V8 caches: String() would make a new one per line.
   */
  private digits(n: number): void {
    let width = 1;
    for (let p = 10; p <= n; p *= 10) width++;
    const buf = this.buf;
    let at = this.len + width;
    this.len = at;
    do {
      const q = Math.floor(n / 10);
      buf[--at] = 0x30 + (n - q * 10);
      n = q;
    } while (n > 0);
  }

  /** Numbers, booleans, most keys and strings are short ASCII: a byte loop beats a call into C++. */
  private text(s: string): void {
    const n = s.length;
    if (n <= 64) {
      const buf = this.buf;
      const at = this.len;
      let k = 0;
      for (; k < n; k++) {
        const c = s.charCodeAt(k);
        if (c >= 0x80) break;
        buf[at + k] = c;
      }
      if (k === n) {
        this.len += n;
        return;
      }
    }
    this.len += this.buf.write(s, this.len);
  }

  private reserve(bytes: number): void {
    const need = this.len + bytes;
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  get bytes(): number {
    return this.len;
  }

  /** The encoded lines (a view of the batch's buffer). */
  body(): Buffer<ArrayBuffer> {
    return this.buf.subarray(0, this.len);
  }
}
