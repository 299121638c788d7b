/**
 * Photos of the work done on an order (seed 2.2 execution ledger: the record of what was done, with
 * pictures taken on site). Each photo is a file `<dataDir>/photos/<orderId>/<photoId>.<ext>` and a
 * row in `work_order_photos` (order, optional ledger entry, type, size, pixel dimensions, who, when).
 *
 * Paths are built from ids the gateway generated itself (the order's UUID from the database, a fresh
 * UUID for the photo), never from what a client sent, so no request can name a file outside the
 * folder. The type is decided by the file's first bytes (magic numbers), not by the Content-Type
 * header, and the pixel size is read from the image header, which also proves the header is sound.
 * Rows are append-only like the ledger itself (./README.md, "Lifecycle").
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Errors } from '../core/errors.js';
import type { Db } from '../storage/sqlite.js';
import { migrate } from '../storage/migrations.js';

const PHOTO_SCHEMA = `
CREATE TABLE IF NOT EXISTS work_order_photos (
  id TEXT PRIMARY KEY, order_id TEXT NOT NULL, ledger_seq INTEGER, mime TEXT NOT NULL, bytes INTEGER NOT NULL,
  width INTEGER NOT NULL, height INTEGER NOT NULL, created_at INTEGER NOT NULL, created_by TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS work_order_photos_order ON work_order_photos(order_id);
CREATE TRIGGER IF NOT EXISTS work_order_photos_immutable BEFORE UPDATE ON work_order_photos
  BEGIN SELECT RAISE(ABORT, 'photos are append-only'); END;
`;

export type PhotoMime = 'image/jpeg' | 'image/png' | 'image/webp';
export const PHOTO_MIMES: readonly PhotoMime[] = ['image/jpeg', 'image/png', 'image/webp'];
const EXT: Record<PhotoMime, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

/** Default upload limit: a phone photo shrunk in the browser (1600 px, JPEG 0.8) is well under 1 MB. */
export const PHOTO_MAX_BYTES = 8 * 1024 * 1024;
/** Largest accepted side in pixels (a decoded 16k × 16k image would already need 1 GB). */
export const PHOTO_MAX_SIDE = 8192;

export interface Photo {
  id: string;
  orderId: string;
  /** The execution-ledger entry the photo belongs to; null when attached to the order only. */
  ledgerSeq: number | null;
  mime: PhotoMime;
  bytes: number;
  width: number;
  height: number;
  createdAt: number;
  createdBy: string;
}

interface Row {
  id: string; order_id: string; ledger_seq: number | null; mime: PhotoMime; bytes: number;
  width: number; height: number; created_at: number; created_by: string;
}
const toPhoto = (r: Row): Photo => ({
  id: r.id, orderId: r.order_id, ledgerSeq: r.ledger_seq, mime: r.mime, bytes: r.bytes, width: r.width,
  height: r.height, createdAt: r.created_at, createdBy: r.created_by,
});

/** Type and pixel size from the first bytes; throws GW_ERR_PHOTO_TYPE when it is none of ours. */
export function sniffImage(buf: Buffer): { mime: PhotoMime; width: number; height: number } {
  const dims = (mime: PhotoMime, width: number, height: number) => {
    if (!(width > 0 && height > 0)) throw Errors.PHOTO_TYPE(`${mime} header carries no pixel size`);
    if (width > PHOTO_MAX_SIDE || height > PHOTO_MAX_SIDE) throw Errors.PHOTO_TYPE(`${width} × ${height} px is more than ${PHOTO_MAX_SIDE} px on a side`);
    return { mime, width, height };
  };
  if (buf.length >= 24 && buf.readUInt32BE(0) === 0x89504e47 && buf.readUInt32BE(4) === 0x0d0a1a0a && buf.toString('latin1', 12, 16) === 'IHDR') {
    return dims('image/png', buf.readUInt32BE(16), buf.readUInt32BE(20));
  }
  if (buf.length >= 4 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) {
    // Walk the JPEG segments to the first start-of-frame marker (SOF0–SOF15 but DHT, JPG, DAC).
    let i = 2;
    while (i + 9 < buf.length) {
      if (buf[i] !== 0xff) break;
      const marker = buf[i + 1]!;
      if (marker === 0xff) { i++; continue; }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
      const len = buf.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return dims('image/jpeg', buf.readUInt16BE(i + 7), buf.readUInt16BE(i + 5));
      }
      if (len < 2) break;
      i += 2 + len;
    }
    throw Errors.PHOTO_TYPE('JPEG without a frame header');
  }
  if (buf.length >= 30 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP') {
    const chunk = buf.toString('latin1', 12, 16);
    if (chunk === 'VP8X') return dims('image/webp', 1 + buf.readUIntLE(24, 3), 1 + buf.readUIntLE(27, 3));
    if (chunk === 'VP8 ' && buf[23] === 0x9d && buf[24] === 0x01 && buf[25] === 0x2a) return dims('image/webp', buf.readUInt16LE(26) & 0x3fff, buf.readUInt16LE(28) & 0x3fff);
    if (chunk === 'VP8L' && buf[20] === 0x2f) {
      const b = buf.readUInt32LE(21);
      return dims('image/webp', (b & 0x3fff) + 1, ((b >> 14) & 0x3fff) + 1);
    }
    throw Errors.PHOTO_TYPE('WebP without a known image chunk');
  }
  throw Errors.PHOTO_TYPE('the file content is not one (checked by its first bytes)');
}

export class PhotoStore {
  readonly dir: string;

  constructor(private readonly db: Db, dataDir: string, readonly maxBytes = PHOTO_MAX_BYTES) {
    migrate(db, 'work_order_photos', [PHOTO_SCHEMA]);
    this.dir = join(dataDir, 'photos');
  }

  /** Checks and stores a photo of order `orderId` (an id from the database). */
  async add(orderId: string, ledgerSeq: number | null, body: Buffer, declared: string | undefined, actor: string, now = Date.now()): Promise<Photo> {
    if (body.length > this.maxBytes) throw Errors.PHOTO_TOO_LARGE(this.maxBytes);
    const { mime, width, height } = sniffImage(body);
    if (declared && declared !== mime) throw Errors.PHOTO_TYPE(`Content-Type says ${declared} but the content is ${mime}`);
    const photo: Photo = { id: randomUUID(), orderId, ledgerSeq, mime, bytes: body.length, width, height, createdAt: now, createdBy: actor };
    const folder = join(this.dir, orderId);
    await mkdir(folder, { recursive: true });
    const file = join(folder, `${photo.id}.${EXT[mime]}`);
    // Written whole, then renamed: a crash never leaves a half photo under its final name.
    await writeFile(`${file}.part`, body);
    await rename(`${file}.part`, file);
    this.db
      .prepare('INSERT INTO work_order_photos (id, order_id, ledger_seq, mime, bytes, width, height, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(photo.id, orderId, ledgerSeq, mime, photo.bytes, width, height, now, actor);
    return photo;
  }

  list(orderId: string): Photo[] {
    return (this.db.prepare('SELECT * FROM work_order_photos WHERE order_id = ? ORDER BY created_at, id').all(orderId) as Row[]).map(toPhoto);
  }

  get(orderId: string, photoId: string): Photo | undefined {
    const row = this.db.prepare('SELECT * FROM work_order_photos WHERE order_id = ? AND id = ?').get(orderId, photoId) as Row | undefined;
    return row ? toPhoto(row) : undefined;
  }

  /** The bytes of a photo found by `get()` (its path comes from the row, never from the request). */
  read(photo: Photo): Promise<Buffer> {
    return readFile(join(this.dir, photo.orderId, `${photo.id}.${EXT[photo.mime]}`));
  }
}
