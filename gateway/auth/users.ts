/**
 * The API's user book: users from the config (hashed passwords), login, and token checks.
 * One instance per gateway; the API plugin and the socket.io middleware share it.
 */
import { toMs } from '../core/durations.js';
import type { Logger } from '../core/log.js';
import { dummyHash, verifyPassword } from './password.js';
import { type AuthConfig, type Role, type UserConfig } from './schema.js';
import { TokenSigner, loadTokenSecret, type TokenClaims } from './token.js';

export interface AuthUser {
  username: string;
  role: Role;
  name?: string;
}

export class UserBook {
  private users: Map<string, UserConfig>;
  private readonly listeners: (() => void)[] = [];
  readonly tokens: TokenSigner;

  constructor(
    users: readonly UserConfig[],
    readonly settings: AuthConfig,
    dataDir: string,
    log: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.users = new Map(users.map((u) => [u.username, u]));
    this.tokens = new TokenSigner(loadTokenSecret(dataDir, env), toMs(settings.tokenTtl));
    if (this.users.size === 0) log.warn('no users in the config: nobody can log in to the API or the dashboard');
    void dummyHash();
  }

  /** Replaces the users (a changed config): sessions of removed users or changed roles end. */
  update(users: readonly UserConfig[]): void {
    this.users = new Map(users.map((u) => [u.username, u]));
    for (const l of this.listeners) l();
  }

  /** Called after every `update()`. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  roleOf(username: string): Role | undefined {
    return this.users.get(username)?.role;
  }

  /** The user when the password matches; undefined otherwise (same cost for unknown users). */
  async login(username: string, password: string): Promise<AuthUser | undefined> {
    const u = this.users.get(username);
    const ok = await verifyPassword(password, u?.passwordHash ?? (await dummyHash()));
    if (!u || !ok) return undefined;
    return { username: u.username, role: u.role, ...(u.name ? { name: u.name } : {}) };
  }

  /** Claims of a valid token whose user still exists with the same role. */
  check(token: string | undefined): TokenClaims | undefined {
    const c = this.tokens.verify(token);
    if (!c) return undefined;
    const u = this.users.get(c.sub);
    return u && u.role === c.role ? c : undefined;
  }
}

/** `Bearer <token>` → `<token>`. */
export function bearer(header: string | string[] | undefined): string | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  const m = h ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  return m?.[1];
}
