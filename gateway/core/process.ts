/**
 * How a process of the product (gateway, broker) ends: a start error is one line with its code
 * and exit status 2 (a stack only for the unexpected); SIGINT/SIGTERM stop it gracefully, and a
 * stop that hangs is cut off after `graceMs`.
 */
import { GatewayError } from './errors.js';

export function exitOnStartError(err: unknown, what: string): never {
  if (err instanceof GatewayError) process.stderr.write(`error ${err.code}: ${err.message}\n`);
  else process.stderr.write(`${what} failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
}

export function stopOnSignals(stop: () => Promise<void>, graceMs = 5000): void {
  const shutdown = () => {
    setTimeout(() => process.exit(1), graceMs).unref();
    stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
