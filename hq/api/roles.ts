/**
 * Head-office users and what each role may do. Company roles form a ladder:
 *   hq-viewer (planners: read everything) < hq-supervisor (+ rankings and reports)
 *   < hq-desk (service desk: + create requests, assign, transition) < hq-admin (+ /metrics).
 * Estate roles are accepted too, for estate staff given a head-office login; they must list
 * their `sites`: viewer and technician read, dispatcher and admin act like the desk for their
 * own estates. `sites` restricts any user to those estates: every query is filtered by it.
 */
import { Type, type Static } from '@sinclair/typebox';
import { HASH_PATTERN } from '../../gateway/auth/password.js';
import { ROLES } from '../../gateway/auth/schema.js';
import { SITE_ID_PATTERN } from '../../gateway/core/envelope.js';

export const HQ_ROLES = ['hq-viewer', 'hq-supervisor', 'hq-desk', 'hq-admin'] as const;
export const ALL_ROLES = [...HQ_ROLES, ...ROLES] as const;
export type HqRole = (typeof ALL_ROLES)[number];

/** What a route needs. */
export type Capability = 'public' | 'read' | 'report' | 'desk' | 'admin';

const LEVEL: Record<HqRole, number> = {
  'hq-viewer': 0, viewer: 0, technician: 0,
  'hq-supervisor': 1,
  'hq-desk': 2, dispatcher: 2, admin: 2,
  'hq-admin': 3,
};
const NEEDS: Record<Exclude<Capability, 'public'>, number> = { read: 0, report: 1, desk: 2, admin: 3 };

export function can(role: HqRole, cap: Capability): boolean {
  return cap === 'public' || LEVEL[role] >= NEEDS[cap];
}

export const HqUserConfig = Type.Object(
  {
    username: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.@-]*$', maxLength: 64 }),
    /** `scrypt$N$r$p$salt$hash` from `npx tsx gateway/auth/hash.ts <password>`. */
    passwordHash: Type.String({ pattern: HASH_PATTERN }),
    role: Type.Union(ALL_ROLES.map((r) => Type.Literal(r))),
    /** Estates this user may see and act on; all when absent (company roles only). */
    sites: Type.Optional(Type.Array(Type.String({ pattern: SITE_ID_PATTERN }), { minItems: 1 })),
    name: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type HqUserConfig = Static<typeof HqUserConfig>;

export interface HqUser {
  username: string;
  role: HqRole;
  /** null: every estate. */
  sites: string[] | null;
}
