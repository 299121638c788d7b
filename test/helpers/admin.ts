/**
 * The admin account the end-to-end sites declare (the demo's: demo/site.yaml, password
 * `admin-demo`), and a login with it over a gateway's API for the bearer header of later requests.
 */
import type { FastifyInstance } from 'fastify';

export const ADMIN_PASSWORD_HASH = 'scrypt$16384$8$1$3ZN95OxIWOyPOD4rZuVkOw$pgmbq-V0BZv07LUs6HvzBCV_D5ZVfmESIrl4eptmTMA';

/** The `users:` entry, as an object; in a YAML site write `passwordHash: "${ADMIN_PASSWORD_HASH}"`. */
export const ADMIN_USER = { username: 'admin', role: 'admin', passwordHash: ADMIN_PASSWORD_HASH } as const;

export async function adminAuth(app: FastifyInstance): Promise<Record<string, string>> {
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'admin-demo' } });
  return { authorization: `Bearer ${login.json<{ token: string }>().token}` };
}
