/**
 * Maps every error to `{ code, message }` with the right status, and counts client errors per
 * code for /metrics (`gw_api_errors_total`). Validation errors name the parameter; fastify's own
 * 4xx errors (bad JSON, body too large, wrong content type) get GW_ERR_* codes; unexpected errors
 * are logged with their stack and reach the client as a bare 500: no stack trace ever leaves.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { GatewayError } from '../core/errors.js';

/** Error responses sent, by `<status> <code>`. */
export type ErrorCounts = Map<string, number>;

/** Fastify's 4xx codes → ours, with a message that does not depend on fastify internals. */
const FASTIFY_4XX: Record<string, { code: string; message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'GW_ERR_BAD_REQUEST' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'GW_ERR_BAD_REQUEST', message: 'body must not be empty when content-type is application/json' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'GW_ERR_PAYLOAD_TOO_LARGE', message: 'request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'GW_ERR_UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'GW_ERR_BAD_REQUEST', message: 'content-length does not match the body' },
};

export function registerErrorHandler(app: FastifyInstance): ErrorCounts {
  const counts: ErrorCounts = new Map();
  const count = (status: number, code: string) => {
    const key = `${status} ${code}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  app.setErrorHandler((err: FastifyError | GatewayError, req, reply) => {
    if (err instanceof GatewayError) {
      if (err.statusCode >= 500) req.log.error({ err }, err.message);
      count(err.statusCode, err.code);
      if (err.statusCode === 401) reply.header('www-authenticate', 'Bearer');
      return reply.status(err.statusCode).send({ code: err.code, message: err.message });
    }
    if (err.validation) {
      const where = err.validationContext ?? 'request';
      const first = err.validation[0];
      const key = first?.instancePath ? first.instancePath.slice(1).replace(/\//g, '.') : String((first?.params as { missingProperty?: string })?.missingProperty ?? '');
      const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
      const message = `${where}${key ? `.${key}` : ''} ${first?.message ?? 'is invalid'}${extra ? `: "${extra}"` : ''}`;
      count(400, 'GW_ERR_BAD_REQUEST');
      return reply.status(400).send({ code: 'GW_ERR_BAD_REQUEST', message });
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, 'unhandled error');
      count(500, 'GW_ERR_INTERNAL');
      return reply.status(500).send({ code: 'GW_ERR_INTERNAL', message: 'internal error' });
    }
    const known = err.code ? FASTIFY_4XX[err.code] : undefined;
    const code = known?.code ?? (err.code?.startsWith('GW_ERR_') ? err.code : 'GW_ERR_BAD_REQUEST');
    count(status, code);
    return reply.status(status).send({ code, message: known?.message ?? err.message });
  });
  app.setNotFoundHandler((req, reply) => {
    count(404, 'GW_ERR_NOT_FOUND');
    reply.status(404).send({ code: 'GW_ERR_NOT_FOUND', message: `${req.method} ${req.url.split('?')[0]} not found` });
  });
  return counts;
}
