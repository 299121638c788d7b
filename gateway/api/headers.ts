/**
 * Security headers on every HTTP response (README.md, "Security"): no MIME sniffing, no framing by
 * other sites (clickjacking), a content security policy that the dashboard (module scripts and
 * styles from its own origin, socket.io to the same origin) passes, no referrer, and HSTS when the
 * API serves TLS. Inline styles stay allowed: the dashboard sets style attributes; scripts do not.
 */
import type { FastifyInstance } from 'fastify';

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  // blob: the order's photos, fetched with the bearer token and shown from memory.
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function registerSecurityHeaders(app: FastifyInstance, tls: boolean): void {
  app.addHook('onRequest', (_req, reply, done) => {
    reply
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .header('content-security-policy', CSP);
    if (tls) reply.header('strict-transport-security', 'max-age=31536000');
    done();
  });
}
