/**
 * `npx tsx gateway/auth/hash.ts <password>` prints a scrypt hash for `users[].passwordHash` or
 * `broker.users[].passwordHash`. With no argument the password is read from stdin (one line), so
 * it stays out of the shell history: `printf '%s' "$PW" | npx tsx gateway/auth/hash.ts`.
 */
import { hashPassword } from './password.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const password = process.argv[2] ?? (process.stdin.isTTY ? '' : await readStdin());
if (!password) {
  process.stderr.write('usage: npx tsx gateway/auth/hash.ts <password>   (or pipe the password on stdin)\n');
  process.exit(2);
}
process.stdout.write(`${await hashPassword(password)}\n`);
