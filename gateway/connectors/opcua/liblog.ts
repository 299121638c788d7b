/**
 * node-opcua writes its own warnings and errors to the console (secure channel resets, the
 * RSA PKCS#1 notice on Node 20, reconnection chatter). They are routed to the connector's logger
 * at debug level so that a gateway at `info` stays quiet; the connector reports what matters
 * (connection lost, rebuilt) itself. The routing is process-wide: node-opcua has one logger.
 */
import { setErrorLogger, setWarningLogger } from 'node-opcua';
import type { Logger } from '../../core/log.js';

let target: Logger | undefined;

function forward(level: 'warning' | 'error') {
  return (...args: unknown[]) => {
    if (!target?.isLevelEnabled('debug')) return;
    const text = args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : safeString(a))).join(' ');
    target.debug({ lib: 'node-opcua', level }, text.replace(/\u001b\[[0-9;]*m/g, '').slice(0, 2000));
  };
}

function safeString(v: unknown): string {
  try {
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  } catch {
    return String(v);
  }
}

setWarningLogger(forward('warning'));
setErrorLogger(forward('error'));

/** Route node-opcua's messages to this logger (debug level) from now on. */
export function routeLibraryLogs(log: Logger): void {
  target = log;
}
