/**
 * `GET /api/uplink`: the link to head office (connected, backlog, counters).
 * `POST /api/uplink/replay` (admin): send every retained event again from seq 1; head office
 * ignores what it already has (gateway/uplink/README.md).
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';

export function uplinkApi(uplink: NonNullable<ApiContext['uplink']>) {
  return async (app: FastifyInstance) => {
    app.get('/api/uplink', async () => uplink.stats() ?? { connected: false, started: false });
    app.post('/api/uplink/replay', async (_req, reply) => reply.code(202).send({ replayUpTo: uplink.replay() }));
  };
}
