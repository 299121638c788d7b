/**
 * The owner's links (README.md here): every token is HMAC-SHA256 with a secret of this gateway, so
 * none can be guessed, enumerated or altered.
 *
 * - Label token: the first 128 bits of HMAC(secret, `code:<id>`) in base64url. Stable across
 *   restarts (a printed label keeps working); a new secret retires every printed label.
 * - Follow token: order id and expiry, signed; read-only, scoped to one order.
 * - Feedback token: order id, expiry and a nonce, signed; the nonce is recorded when used, so the
 *   link works once (seed 2.3).
 *
 * The secret is `<dataDir>/owner-secret` (32 random bytes, mode 0600), created once, never logged.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { loadSecretFile } from '../auth/token.js';

export function loadOwnerSecret(dataDir: string): Buffer {
  return loadSecretFile(dataDir, 'owner-secret', 'the owner-link secret');
}

export interface FollowClaims {
  k: 'f';
  /** Order id (a UUID). */
  o: string;
  /** Expiry, epoch ms (whole seconds). */
  e: number;
}

export interface FeedbackClaims {
  k: 'b';
  o: string;
  e: number;
  /** One-time nonce (96 bits, base64url). */
  n: string;
}

export type LinkClaims = FollowClaims | FeedbackClaims;

const KIND = { f: 0x66, b: 0x62 } as const;
const MAC_BYTES = 16;

/**
 * Links are short enough for an SMS and a URL path segment: base64url of
 * kind (1 byte) · order UUID (16) · expiry in seconds (4) · [nonce (12)] · HMAC-SHA256 truncated to 128 bits.
 */
export class OwnerTokens {
  constructor(private readonly secret: Buffer) {}

  codeToken(codeId: string): string {
    return this.mac(Buffer.from(`code:${codeId}`)).toString('base64url').slice(0, 22);
  }

  follow(orderId: string, expiresAt: number): string {
    return this.sign('f', orderId, expiresAt, Buffer.alloc(0));
  }

  feedback(orderId: string, expiresAt: number, nonce = randomBytes(12).toString('base64url')): { token: string; nonce: string } {
    return { token: this.sign('b', orderId, expiresAt, Buffer.from(nonce, 'base64url')), nonce };
  }

  /**
   * The claims of an authentic token of `kind`, expired or not (the caller tells expired apart);
   * undefined for anything forged, altered or of the other kind. Never throws.
   */
  verify<K extends LinkClaims['k']>(token: string, kind: K): Extract<LinkClaims, { k: K }> | undefined {
    if (token.length > 200 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
    const raw = Buffer.from(token, 'base64url');
    const bodyLen = 1 + 16 + 4 + (kind === 'b' ? 12 : 0);
    if (raw.length !== bodyLen + MAC_BYTES || raw[0] !== KIND[kind]) return undefined;
    const body = raw.subarray(0, bodyLen);
    if (!timingSafeEqual(raw.subarray(bodyLen), this.mac(body))) return undefined;
    const hex = body.subarray(1, 17).toString('hex');
    const o = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const e = body.readUInt32BE(17) * 1000;
    const claims = kind === 'b' ? { k: 'b', o, e, n: body.subarray(21).toString('base64url') } : { k: 'f', o, e };
    return claims as Extract<LinkClaims, { k: K }>;
  }

  private sign(kind: LinkClaims['k'], orderId: string, expiresAt: number, nonce: Buffer): string {
    const id = Buffer.from(orderId.replace(/-/g, ''), 'hex');
    if (id.length !== 16) throw new Error(`order id ${orderId} is not a UUID`);
    const exp = Buffer.alloc(4);
    exp.writeUInt32BE(Math.min(0xffffffff, Math.max(0, Math.floor(expiresAt / 1000))));
    const body = Buffer.concat([Buffer.from([KIND[kind]]), id, exp, nonce]);
    return Buffer.concat([body, this.mac(body)]).toString('base64url');
  }

  private mac(data: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(data).digest().subarray(0, MAC_BYTES);
  }
}
