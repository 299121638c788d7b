/**
 * The head office's coded errors (`HQ_ERR_*`, the fastify `FST_ERR_*` pattern) and the error
 * handler: every error leaves as `{ statusCode, code, error, message }`; validation errors name
 * the parameter; unexpected errors are logged and reach the client as a bare 500.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import { GatewayError } from '../../gateway/core/errors.js';

type Factory<A extends unknown[]> = ((...args: A) => GatewayError) & { code: string };

function define<A extends unknown[]>(code: string, statusCode: number, message: (...args: A) => string): Factory<A> {
  return Object.assign((...args: A) => new GatewayError(code, message(...args), statusCode), { code });
}

export const HqErrors = {
  BAD_REQUEST: define('HQ_ERR_BAD_REQUEST', 400, (why: string) => why),
  BAD_RANGE: define('HQ_ERR_BAD_RANGE', 400, (why: string) => why),
  UNAUTHORIZED: define('HQ_ERR_UNAUTHORIZED', 401, (why: string) => why),
  BAD_LOGIN: define('HQ_ERR_UNAUTHORIZED', 401, () => 'wrong username or password'),
  FORBIDDEN: define('HQ_ERR_FORBIDDEN', 403, (why: string) => why),
  SITE_FORBIDDEN: define('HQ_ERR_SITE_FORBIDDEN', 403, (site: string) => `estate ${site} is outside your sites`),
  NOT_FOUND: define('HQ_ERR_NOT_FOUND', 404, (what: string) => `${what} not found`),
  RATE_LIMITED: define('HQ_ERR_RATE_LIMITED', 429, (retryS: number) => `too many login attempts; retry in ${retryS} s`),
  UNAVAILABLE: define('HQ_ERR_UNAVAILABLE', 503, (what: string) => `${what} is unavailable`),
  CONFIG_INVALID: define('HQ_ERR_CONFIG_INVALID', 500, (file: string, problems: string[]) =>
    `head-office config ${file} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`),
  CONFIG_READ: define('HQ_ERR_CONFIG_READ', 500, (file: string, why: string) => `cannot read head-office config ${file}: ${why}`),
} as const;

const FASTIFY_4XX: Record<string, { code: string; message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'HQ_ERR_BAD_REQUEST' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'HQ_ERR_BAD_REQUEST', message: 'body must not be empty when content-type is application/json' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'HQ_ERR_PAYLOAD_TOO_LARGE', message: 'request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'HQ_ERR_UNSUPPORTED_MEDIA_TYPE' },
};

const body = (statusCode: number, code: string, message: string) => ({ statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message });

/** Error responses sent, by `<status> <code>` (for /metrics). */
export type ErrorCounts = Map<string, number>;

export function registerHqErrorHandler(app: FastifyInstance): ErrorCounts {
  const counts: ErrorCounts = new Map();
  const send = (status: number, code: string, message: string) => {
    const key = `${status} ${code}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return body(status, code, message);
  };
  app.setErrorHandler((err: FastifyError | GatewayError, req, reply) => {
    if (err instanceof GatewayError) {
      if (err.statusCode >= 500) req.log.error({ err }, err.message);
      if (err.statusCode === 401) reply.header('www-authenticate', 'Bearer');
      return reply.status(err.statusCode).send(send(err.statusCode, err.code, err.message));
    }
    if (err.validation) {
      const where = err.validationContext ?? 'request';
      const first = err.validation[0];
      const params = (first?.params ?? {}) as { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[] };
      const key = first?.instancePath ? first.instancePath.slice(1).replace(/\//g, '.') : String(params.missingProperty ?? '');
      const extra = params.additionalProperty ? `: "${params.additionalProperty}"` : params.allowedValues ? `: ${params.allowedValues.join(', ')}` : '';
      return reply.status(400).send(send(400, 'HQ_ERR_BAD_REQUEST', `${where}${key ? `.${key}` : ''} ${first?.message ?? 'is invalid'}${extra}`));
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, 'unhandled error');
      return reply.status(500).send(send(500, 'HQ_ERR_INTERNAL', 'internal error'));
    }
    const known = err.code ? FASTIFY_4XX[err.code] : undefined;
    const code = known?.code ?? (err.code?.startsWith('HQ_ERR_') ? err.code : 'HQ_ERR_BAD_REQUEST');
    return reply.status(status).send(send(status, code, known?.message ?? err.message));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(send(404, 'HQ_ERR_NOT_FOUND', `${req.method} ${req.url.split('?')[0]} not found`));
  });
  return counts;
}
