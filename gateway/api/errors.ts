/**
 * Maps every error to `{ code, message }` with the right status. Validation errors name the
 * parameter; unexpected errors are logged with their stack and reach the client as a bare 500.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { GatewayError } from '../core/errors.js';

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | GatewayError, req, reply) => {
    if (err instanceof GatewayError) {
      if (err.statusCode >= 500) req.log.error({ err }, err.message);
      return reply.status(err.statusCode).send({ code: err.code, message: err.message });
    }
    if (err.validation) {
      const where = err.validationContext ?? 'request';
      const first = err.validation[0];
      const key = first?.instancePath ? first.instancePath.slice(1).replace(/\//g, '.') : String((first?.params as { missingProperty?: string })?.missingProperty ?? '');
      const message = `${where}${key ? `.${key}` : ''} ${first?.message ?? 'is invalid'}`;
      return reply.status(400).send({ code: 'GW_ERR_BAD_REQUEST', message });
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, 'unhandled error');
      return reply.status(500).send({ code: 'GW_ERR_INTERNAL', message: 'internal error' });
    }
    return reply.status(status).send({ code: err.code ?? 'GW_ERR_BAD_REQUEST', message: err.message });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ code: 'GW_ERR_NOT_FOUND', message: `${req.method} ${req.url.split('?')[0]} not found` });
  });
}
