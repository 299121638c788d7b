/**
 * Line protocol helpers of InfluxHistory: escaping of tag and field values, batches encoded as
 * they fill, and reading lines and values back out of a body (the store-and-forward queue keeps
 * lines; a line holds every field of one device and timestamp, so lines and values differ).
 */
import { escape } from 'influx';

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

/**
 * A batch of lines encoded as they come (UTF-8, each followed by `\n`): no string per line stays
 * alive until the batch is sent (they would be copied by every young-generation collection), and
 * sending needs no join and no second encoding.
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

  add(line: string, fields: number): void {
    const most = this.len + line.length * 3 + 1; // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (most > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(most, this.buf.length * 2));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    this.len += this.buf.write(line, this.len);
    this.buf[this.len++] = NL;
    this.lines++;
    this.fields += fields;
  }

  get bytes(): number {
    return this.len;
  }

  /** The encoded lines (a view of the batch's buffer). */
  body(): Buffer<ArrayBuffer> {
    return this.buf.subarray(0, this.len);
  }
}
