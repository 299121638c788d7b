/**
 * Login and token checks for head office, with the estate's modules: scrypt password hashes
 * (gateway/auth/password.ts) and the HS256 TokenSigner (gateway/auth/token.ts). All head-office
 * processes share one secret (`HQ_TOKEN_SECRET`), so a token from one is valid on the others.
 * A token is honoured only while its user still exists with the same role.
 */
import { dummyHash, verifyPassword } from '../../gateway/auth/password.js';
import type { Role } from '../../gateway/auth/schema.js';
import { TokenSigner } from '../../gateway/auth/token.js';
import type { HqUser, HqUserConfig } from './roles.js';

export class HqUserBook {
  private readonly users: Map<string, HqUserConfig>;
  private readonly tokens: TokenSigner;

  constructor(users: readonly HqUserConfig[], secret: Buffer, ttlMs: number, now: () => number = Date.now) {
    this.users = new Map(users.map((u) => [u.username, u]));
    this.tokens = new TokenSigner(secret, ttlMs, now);
    void dummyHash();
  }

  get size(): number {
    return this.users.size;
  }

  async login(username: string, password: string): Promise<HqUser | undefined> {
    const u = this.users.get(username);
    const ok = await verifyPassword(password, u?.passwordHash ?? (await dummyHash()));
    return u && ok ? view(u) : undefined;
  }

  sign(user: HqUser): { token: string; expiresAt: number } {
    // The signer carries the role as an opaque claim; check() compares it with the config.
    return this.tokens.sign(user.username, user.role as Role);
  }

  check(token: string | undefined): HqUser | undefined {
    const c = this.tokens.verify(token);
    const u = c && this.users.get(c.sub);
    return u && u.role === (c.role as string) ? view(u) : undefined;
  }
}

function view(u: HqUserConfig): HqUser {
  return { username: u.username, role: u.role, sites: u.sites ? [...u.sites] : null };
}
