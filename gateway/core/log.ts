/** Structured JSON logger shared by every room (pino, the same logger fastify uses). */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { name } });
}
