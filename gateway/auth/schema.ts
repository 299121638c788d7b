/**
 * Config schema of API users and of the auth settings (`users:` and `auth:` in the site config).
 * Passwords are stored only as scrypt hashes (format in password.ts; make one with
 * `npx tsx gateway/auth/hash.ts <password>`).
 */
import { Type, type Static } from '@sinclair/typebox';
import { HASH_PATTERN } from './password.js';

/** Ordered: each role may do everything the roles before it may. */
export const ROLES = ['viewer', 'technician', 'dispatcher', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));

export function roleAtLeast(role: Role, min: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(min);
}

export const UserConfig = Type.Object(
  {
    username: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]*$', maxLength: 64 }),
    /** `scrypt$N$r$p$salt$hash` from `npx tsx gateway/auth/hash.ts <password>`. */
    passwordHash: Type.String({ pattern: HASH_PATTERN }),
    role: RoleSchema,
    /** Display name. */
    name: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type UserConfig = Static<typeof UserConfig>;

export const AuthConfig = Type.Object(
  {
    /** How long a login token stays valid: `12h`, `30m`, or milliseconds. */
    tokenTtl: Type.Union([Type.String({ pattern: '^\\d+(\\.\\d+)?(ms|s|m|h|d)$' }), Type.Integer({ minimum: 1000 })], { default: '12h' }),
    /** Login attempts allowed per username per minute (`POST /api/auth/login`). */
    loginAttemptsPerMinute: Type.Integer({ minimum: 1, maximum: 10_000, default: 10 }),
    /** Login attempts allowed per client address per minute: higher, a shared NAT carries many users. */
    loginAttemptsPerMinutePerAddress: Type.Integer({ minimum: 1, maximum: 100_000, default: 60 }),
    /**
     * `/metrics`: `token` (default) needs `Authorization: Bearer` with an admin login token or
     * the value of `GW_METRICS_TOKEN`; `public` serves it to anyone (only behind a firewall);
     * `off` removes it.
     */
    metrics: Type.Union([Type.Literal('token'), Type.Literal('public'), Type.Literal('off')], { default: 'token' }),
    /**
     * Browser origins allowed to call the API and socket.io from another site (CORS). Empty
     * (default): closed; the dashboard is served from the gateway's own origin.
     */
    corsOrigins: Type.Array(Type.String({ pattern: '^https?://[^/]+$' }), { default: [] }),
  },
  { additionalProperties: false, default: {} },
);
export type AuthConfig = Static<typeof AuthConfig>;
