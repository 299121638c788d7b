/**
 * The demo's passwords are public (README.md, demo users: `<user>-demo`). A gateway that listens on
 * a non-loopback address while any user still has its demo password says so loudly at start: one
 * error-level log line naming the users, and the same on stderr.
 */
import type { Logger } from '../core/log.js';
import { verifyPassword } from './password.js';
import type { UserConfig } from './schema.js';

export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || host.startsWith('127.');

/** Resolves to the users found with their demo password (none checked on a loopback address). */
export async function warnDemoCredentials(users: readonly UserConfig[], host: string, log: Logger): Promise<string[]> {
  if (isLoopback(host)) return [];
  const found: string[] = [];
  for (const u of users) if (await verifyPassword(`${u.username}-demo`, u.passwordHash)) found.push(u.username);
  if (found.length) {
    const msg = `DEMO PASSWORDS IN USE on ${host}: users ${found.join(', ')} can be logged in by anyone who read the README. Change them (npx tsx gateway/auth/hash.ts) or listen on 127.0.0.1.`;
    log.error({ users: found, host }, msg);
    process.stderr.write(`\n!!! ${msg}\n\n`);
  }
  return found;
}
