/**
 * Line protocol helpers of InfluxHistory: escaping of tag and field values, and counting the
 * reading values in a body read back from the store-and-forward queue (a line holds every field
 * of one device and timestamp, so lines and values differ).
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

/**
 * Field values in the lines of `body` (newline-separated), leaving out lines that start with
 * `skipPrefix` (the events measurement: their id and text are not readings). Walks each line's
 * field set counting the commas that separate fields: backslash escapes (keys, tag values) and
 * double-quoted string values, which may hold commas and spaces, are skipped over.
 */
export function countFields(body: string, skipPrefix: string): number {
  let n = 0;
  let i = 0;
  const len = body.length;
  while (i < len) {
    const eol = body.indexOf('\n', i);
    const end = eol < 0 ? len : eol;
    if (end > i && !body.startsWith(skipPrefix, i)) {
      // Measurement and tags end at the first unescaped space.
      let j = i;
      while (j < end && body.charCodeAt(j) !== SPACE) j += body.charCodeAt(j) === BACKSLASH ? 2 : 1;
      let fields = 1;
      let quoted = false;
      for (j++; j < end; j++) {
        const c = body.charCodeAt(j);
        if (c === BACKSLASH) j++;
        else if (c === QUOTE) quoted = !quoted;
        else if (!quoted && c === COMMA) fields++;
        else if (!quoted && c === SPACE) break; // the timestamp follows
      }
      n += fields;
    }
    i = end + 1;
  }
  return n;
}
