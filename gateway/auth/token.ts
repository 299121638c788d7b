/**
 * Bearer tokens: a compact JWT (HS256) signed with node:crypto, no dependency.
 * `{ sub: username, role, iat, exp }`; verified with a constant-time compare.
 *
 * The secret comes from `GW_TOKEN_SECRET` (at least 32 characters) or, when unset, from
 * `<dataDir>/token-secret`, created once with 32 random bytes and mode 0600. It is never logged.
 * Deleting the file (or changing the variable) signs every user out.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Errors } from '../core/errors.js';
import type { Role } from './schema.js';

export interface TokenClaims {
  sub: string;
  role: Role;
  iat: number;
  exp: number;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export function loadTokenSecret(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env.GW_TOKEN_SECRET;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < 32) throw Errors.CONFIG_INVALID('GW_TOKEN_SECRET', ['GW_TOKEN_SECRET: must be at least 32 characters']);
    return Buffer.from(fromEnv, 'utf8');
  }
  return loadSecretFile(dataDir, 'token-secret', 'the token secret');
}

/**
 * A 32-byte secret kept in `<dataDir>/<name>` (hex, mode 0600), created on first use. Deleting
 * the file invalidates everything signed with it. `what` names it in the error.
 */
export function loadSecretFile(dataDir: string, name: string, what: string): Buffer {
  const file = join(dataDir, name);
  try {
    if (existsSync(file)) {
      const hex = readFileSync(file, 'utf8').trim();
      if (/^[0-9a-f]{64,}$/.test(hex)) return Buffer.from(hex, 'hex');
    }
    const secret = randomBytes(32);
    writeFileSync(file, `${secret.toString('hex')}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    return secret;
  } catch (err) {
    throw Errors.DATA_DIR(dataDir, `cannot keep ${what}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export class TokenSigner {
  constructor(
    private readonly secret: Buffer,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  sign(sub: string, role: Role): { token: string; expiresAt: number } {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + Math.max(1, Math.floor(this.ttlMs / 1000));
    const body = Buffer.from(JSON.stringify({ sub, role, iat, exp } satisfies TokenClaims)).toString('base64url');
    return { token: `${HEADER}.${body}.${this.mac(`${HEADER}.${body}`)}`, expiresAt: exp * 1000 };
  }

  /** The claims of a valid, unexpired token; undefined for anything else. Never throws. */
  verify(token: string | undefined): TokenClaims | undefined {
    if (!token || token.length > 4096) return undefined;
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== HEADER) return undefined;
    const expected = Buffer.from(this.mac(`${parts[0]}.${parts[1]}`));
    const given = Buffer.from(parts[2]!);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const c = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Partial<TokenClaims>;
      if (typeof c.sub !== 'string' || typeof c.role !== 'string' || typeof c.exp !== 'number') return undefined;
      if (c.exp * 1000 <= this.now()) return undefined;
      return c as TokenClaims;
    } catch {
      return undefined;
    }
  }

  private mac(data: string): string {
    return createHmac('sha256', this.secret).update(data).digest('base64url');
  }
}
