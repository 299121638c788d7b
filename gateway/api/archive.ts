/**
 * Monthly archive (seed 6.x; gateway/archive/): `GET /api/archive` (months, open or closed, with
 * the SHA-256 of a frozen month), `GET /api/archive/:month` (the monthly report, JSON),
 * `GET /api/archive/:month.xlsx` (orders, ledger, missed deadlines as an Excel workbook).
 * A closed month is served from its frozen copy with `ETag: "<sha256>"` (304 on If-None-Match).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { ArchiveService } from '../archive/service.js';

const Params = Type.Object({ month: Type.String({ maxLength: 40 }) });
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

function cached(req: FastifyRequest, reply: FastifyReply, sha256: string | null): boolean {
  if (sha256 === null) {
    reply.header('cache-control', 'no-store');
    return false;
  }
  const etag = `"${sha256}"`;
  reply.header('etag', etag).header('cache-control', 'private, no-cache');
  return req.headers['if-none-match'] === etag;
}

export function archiveApi(archive: ArchiveService) {
  return async (app: FastifyInstance) => {
    app.get('/api/archive', async () => ({ timezone: archive.timezone, graceMs: archive.graceMs, months: archive.list() }));
    app.get<{ Params: Static<typeof Params> }>('/api/archive/:month.xlsx', { schema: { params: Params } }, async (req, reply) => {
      const m = await archive.month(req.params.month);
      if (cached(req, reply, m.createdAt === null ? null : m.sha256)) return reply.status(304).send();
      return reply.type(XLSX).header('content-disposition', `attachment; filename="archive-${m.report.estate.code}-${m.report.month}.xlsx"`).send(m.xlsx);
    });
    app.get<{ Params: Static<typeof Params> }>('/api/archive/:month', { schema: { params: Params } }, async (req, reply) => {
      const m = await archive.month(req.params.month);
      if (cached(req, reply, m.createdAt === null ? null : m.sha256)) return reply.status(304).send();
      return reply.type('application/json; charset=utf-8').send(m.json);
    });
  };
}
