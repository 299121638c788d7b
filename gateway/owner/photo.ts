/**
 * An owner's photo: the type is read from the first bytes (JPEG, PNG, WebP), never from what the
 * client says, and the file is stored under `<dataDir>/owner-photos/` with a random name.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../core/errors.js';
import { OwnerErrors } from './errors.js';

export type PhotoType = 'image/jpeg' | 'image/png' | 'image/webp';

export function sniffImage(b: Buffer): PhotoType | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

const EXT: Record<PhotoType, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

/** `data:image/…;base64,…` or bare base64 → checked bytes; throws a coded 413/415/400. */
export function decodePhoto(text: string, maxBytes: number): { bytes: Buffer; type: PhotoType } {
  const b64 = text.replace(/^data:[a-z/+.-]+;base64,/i, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw OwnerErrors.BAD_PHOTO('body.photo must be base64 (or a data: URL)');
  if (Math.floor((b64.length * 3) / 4) > maxBytes + 2) throw OwnerErrors.PHOTO_TOO_LARGE(maxBytes);
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length > maxBytes) throw OwnerErrors.PHOTO_TOO_LARGE(maxBytes);
  const type = sniffImage(bytes);
  if (!type) throw OwnerErrors.PHOTO_TYPE();
  return { bytes, type };
}

export class PhotoStore {
  constructor(private readonly dir: string) {}

  save(bytes: Buffer, type: PhotoType): string {
    mkdirSync(this.dir, { recursive: true });
    const name = `${randomUUID()}.${EXT[type]}`;
    writeFileSync(join(this.dir, name), bytes, { mode: 0o600 });
    return name;
  }

  read(name: string): { bytes: Buffer; type: PhotoType } {
    // Names are ours (uuid.ext), never a client's: still, nothing but that shape is opened.
    if (!/^[0-9a-f-]{36}\.(jpg|png|webp)$/.test(name)) throw new GatewayError('GW_ERR_NOT_FOUND', 'photo not found', 404);
    const bytes = readFileSync(join(this.dir, name));
    return { bytes, type: sniffImage(bytes) ?? 'image/jpeg' };
  }
}
