/**
 * The head-office pages of the dashboard, built by vite into dashboard/dist: `/` serves
 * `hq.html`, other files are served as they are. Without a build, `/` answers a plain 503 page
 * that says how to make one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Head office: dashboard not built</title>
<h1>The head-office dashboard is not built</h1><p>Run <code>npm run build:dashboard</code>, then reload. The API is up under <code>/api/</code>.</p>\n`;

export function staticPages(dir: string) {
  return async (app: FastifyInstance) => {
    if (existsSync(dir)) await app.register(fastifyStatic, { root: dir, prefix: '/', index: false, wildcard: true });
    app.get('/', async (_req, reply) => {
      if (existsSync(join(dir, 'hq.html')) && typeof reply.sendFile === 'function') return reply.type('text/html; charset=utf-8').sendFile('hq.html');
      return reply.status(503).type('text/html; charset=utf-8').send(NOT_BUILT);
    });
  };
}
