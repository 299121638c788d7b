/**
 * The store-and-forward queue of InfluxHistory: batches of line protocol that could not be
 * written, kept in order until InfluxDB takes them.
 *
 * `DiskSpool` keeps them in segment files under a folder of the data directory
 * (`seg-000000000001.lp`, ...): each batch is appended as its lines plus `\n` and fsynced, a
 * segment is closed at `segmentBytes`, and `cursor.json` records how far the oldest segment has
 * been replayed (written atomically after each acknowledged chunk; a crash between a write and
 * the cursor update replays that chunk again, which InfluxDB stores once because a point with
 * the same series and timestamp overwrites). Fully replayed segments are deleted. When the
 * queue holds more than `maxBytes`, whole oldest segments are deleted and counted as dropped.
 * On open, a torn last line (crash mid-append) is cut off and the queue resumes where it was.
 *
 * `MemorySpool` has the same behaviour without a folder (nothing survives a restart).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, ftruncateSync, unlinkSync, writeFileSync, writeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SpoolChunk {
  /** Newline-separated lines (line protocol body). */
  body: string;
  lines: number;
  bytes: number;
  /** Where the chunk sits (for ack). */
  readonly at: { segment: number; start: number; end: number };
}

export interface Spool {
  /** Append one batch. Returns the number of points dropped to stay under the bound. */
  append(lines: readonly string[]): number;
  /** The oldest unacknowledged chunk of at most `maxLines` lines, or null when empty. */
  peek(maxLines: number): SpoolChunk | null;
  /** Mark a chunk from `peek()` as written. A chunk whose segment was dropped meanwhile is ignored. */
  ack(chunk: SpoolChunk): void;
  readonly points: number;
  readonly bytes: number;
  close(): void;
}

export interface DiskSpoolOptions {
  dir: string;
  /** Bound of the queue in bytes; oldest segments are dropped beyond it. */
  maxBytes: number;
  /** Size at which a segment is closed (default min(16 MiB, maxBytes / 8)). */
  segmentBytes?: number;
}

interface Segment {
  id: number;
  file: string;
  /** Bytes in the file. */
  size: number;
  /** Lines in the file. */
  lines: number;
  /** Replayed bytes / lines (only the oldest segment has any). */
  readOffset: number;
  readLines: number;
}

const SEGMENT_RE = /^seg-(\d{12})\.lp$/;
const NL = 0x0a;
/** Largest read for one peek. */
const MAX_READ = 8 * 1024 * 1024;

export class DiskSpool implements Spool {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly segments: Segment[] = [];
  private activeFd: number | null = null;
  private totalBytes = 0;
  private totalLines = 0;
  private closed = false;

  constructor(opts: DiskSpoolOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes;
    this.segmentBytes = Math.max(4096, Math.min(opts.segmentBytes ?? 16 * 1024 * 1024, Math.floor(opts.maxBytes / 8)));
    mkdirSync(this.dir, { recursive: true });
    this.load();
  }

  get points(): number {
    return this.totalLines;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Reopen what a previous process left: count lines, cut a torn tail, apply the cursor. */
  private load(): void {
    const ids = readdirSync(this.dir)
      .map((f) => SEGMENT_RE.exec(f)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    let cursor: { segment: number; offset: number } | null = null;
    try {
      cursor = JSON.parse(readFileSync(join(this.dir, 'cursor.json'), 'utf8')) as { segment: number; offset: number };
    } catch {
      cursor = null;
    }
    for (const id of ids) {
      const file = this.segmentFile(id);
      if (cursor && id < cursor.segment) {
        unlinkSync(file); // replayed before the last stop; delete was interrupted
        continue;
      }
      const { size, lines, readLines } = scanSegment(file, cursor && id === cursor.segment ? cursor.offset : 0);
      const readOffset = cursor && id === cursor.segment ? Math.min(cursor.offset, size) : 0;
      if (size === 0 || readOffset >= size) {
        unlinkSync(file);
        continue;
      }
      this.segments.push({ id, file, size, lines, readOffset, readLines });
      this.totalBytes += size - readOffset;
      this.totalLines += lines - readLines;
    }
  }

  append(lines: readonly string[]): number {
    if (this.closed || lines.length === 0) return 0;
    const buf = Buffer.from(lines.join('\n') + '\n', 'utf8');
    let seg = this.segments[this.segments.length - 1];
    if (this.activeFd === null || !seg || seg.size + buf.length > this.segmentBytes) {
      seg = this.roll();
    }
    let off = 0;
    while (off < buf.length) off += writeSync(this.activeFd!, buf, off, buf.length - off);
    fsyncSync(this.activeFd!);
    seg.size += buf.length;
    seg.lines += lines.length;
    this.totalBytes += buf.length;
    this.totalLines += lines.length;
    return this.enforceBound();
  }

  private roll(): Segment {
    if (this.activeFd !== null) closeSync(this.activeFd);
    const last = this.segments[this.segments.length - 1];
    const id = (last?.id ?? this.highestIdOnDisk()) + 1;
    const file = this.segmentFile(id);
    this.activeFd = openSync(file, 'a');
    const seg: Segment = { id, file, size: 0, lines: 0, readOffset: 0, readLines: 0 };
    this.segments.push(seg);
    return seg;
  }

  private highestIdOnDisk(): number {
    let max = 0;
    for (const f of readdirSync(this.dir)) {
      const m = SEGMENT_RE.exec(f);
      if (m) max = Math.max(max, Number(m[1]));
    }
    return max;
  }

  private enforceBound(): number {
    let dropped = 0;
    while (this.totalBytes > this.maxBytes && this.segments.length > 1) {
      const seg = this.segments.shift()!;
      dropped += seg.lines - seg.readLines;
      this.totalBytes -= seg.size - seg.readOffset;
      this.totalLines -= seg.lines - seg.readLines;
      unlinkSync(seg.file);
    }
    return dropped;
  }

  peek(maxLines: number): SpoolChunk | null {
    for (;;) {
      const seg = this.segments[0];
      if (!seg) return null;
      if (seg.readOffset < seg.size) {
        const len = Math.min(seg.size - seg.readOffset, MAX_READ);
        const buf = Buffer.allocUnsafe(len);
        const fd = openSync(seg.file, 'r');
        let got = 0;
        try {
          while (got < len) {
            const n = readSync(fd, buf, got, len - got, seg.readOffset + got);
            if (n === 0) break;
            got += n;
          }
        } finally {
          closeSync(fd);
        }
        let end = -1;
        let lines = 0;
        let i = buf.indexOf(NL, 0);
        while (i !== -1 && i < got && lines < maxLines) {
          end = i;
          lines++;
          i = buf.indexOf(NL, i + 1);
        }
        if (lines === 0) return null; // a line longer than MAX_READ: cannot happen with our writer
        return {
          body: buf.toString('utf8', 0, end),
          lines,
          bytes: end + 1,
          at: { segment: seg.id, start: seg.readOffset, end: seg.readOffset + end + 1 },
        };
      }
      if (this.segments.length === 1 && this.activeFd !== null) return null;
      this.dropHead();
    }
  }

  ack(chunk: SpoolChunk): void {
    const seg = this.segments[0];
    if (!seg || seg.id !== chunk.at.segment || seg.readOffset !== chunk.at.start) return;
    seg.readOffset = chunk.at.end;
    seg.readLines += chunk.lines;
    this.totalBytes -= chunk.bytes;
    this.totalLines -= chunk.lines;
    if (seg.readOffset >= seg.size) {
      this.dropHead();
    } else {
      this.writeCursor(seg.id, seg.readOffset);
    }
  }

  /** Delete the fully replayed oldest segment (closing it first when it is the active one). */
  private dropHead(): void {
    const seg = this.segments.shift()!;
    if (this.segments.length === 0 && this.activeFd !== null) {
      closeSync(this.activeFd);
      this.activeFd = null;
    }
    // Cursor first: a crash after it deletes the file on the next open instead of replaying it.
    this.writeCursor(seg.id + 1, 0);
    unlinkSync(seg.file);
  }

  private writeCursor(segment: number, offset: number): void {
    const tmp = join(this.dir, 'cursor.json.tmp');
    writeFileSync(tmp, JSON.stringify({ segment, offset }));
    renameSync(tmp, join(this.dir, 'cursor.json'));
  }

  private segmentFile(id: number): string {
    return join(this.dir, `seg-${String(id).padStart(12, '0')}.lp`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.activeFd !== null) closeSync(this.activeFd);
    this.activeFd = null;
  }
}

/** Count the lines of a segment (and those before `readOffset`); cut a torn last line. */
function scanSegment(file: string, readOffset: number): { size: number; lines: number; readLines: number } {
  let size = statSync(file).size;
  const fd = openSync(file, 'r+');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let lines = 0;
    let readLines = 0;
    let lastNl = -1;
    for (let pos = 0; pos < size; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
      if (n === 0) break;
      let i = buf.indexOf(NL, 0);
      while (i !== -1 && i < n) {
        lines++;
        if (pos + i < readOffset) readLines++;
        lastNl = pos + i;
        i = buf.indexOf(NL, i + 1);
      }
      pos += n;
    }
    if (lastNl + 1 < size) {
      ftruncateSync(fd, lastNl + 1);
      size = lastNl + 1;
    }
    return { size, lines, readLines };
  } finally {
    closeSync(fd);
  }
}

/** The same queue in memory, for an InfluxHistory without a data folder. */
export class MemorySpool implements Spool {
  private readonly batches: Array<{ id: number; lines: string[]; bytes: number; offset: number }> = [];
  private nextId = 1;
  private totalBytes = 0;
  private totalLines = 0;

  constructor(private readonly maxBytes: number) {}

  get points(): number {
    return this.totalLines;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  append(lines: readonly string[]): number {
    if (lines.length === 0) return 0;
    let bytes = 0;
    for (const l of lines) bytes += l.length + 1;
    this.batches.push({ id: this.nextId++, lines: [...lines], bytes, offset: 0 });
    this.totalBytes += bytes;
    this.totalLines += lines.length;
    let dropped = 0;
    while (this.totalBytes > this.maxBytes && this.batches.length > 1) {
      const b = this.batches.shift()!;
      const rest = b.lines.slice(b.offset);
      dropped += rest.length;
      this.totalLines -= rest.length;
      for (const l of rest) this.totalBytes -= l.length + 1;
    }
    return dropped;
  }

  peek(maxLines: number): SpoolChunk | null {
    const b = this.batches[0];
    if (!b) return null;
    const lines = b.lines.slice(b.offset, b.offset + maxLines);
    let bytes = 0;
    for (const l of lines) bytes += l.length + 1;
    return { body: lines.join('\n'), lines: lines.length, bytes, at: { segment: b.id, start: b.offset, end: b.offset + lines.length } };
  }

  ack(chunk: SpoolChunk): void {
    const b = this.batches[0];
    if (!b || b.id !== chunk.at.segment || b.offset !== chunk.at.start) return;
    b.offset = chunk.at.end;
    this.totalBytes -= chunk.bytes;
    this.totalLines -= chunk.lines;
    if (b.offset >= b.lines.length) this.batches.shift();
  }

  close(): void {}
}
