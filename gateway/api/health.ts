/**
 * `GET /api/health`: without a token, only `{ status, uptimeSeconds }` (for load balancers and
 * container health checks; nothing about the site leaks). With any valid token: each component's
 * state: the API, the history store, every connector with its devices, the pipeline counters.
 * `status` is `ok`, or `degraded` when a device is not online or the history store is offline.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './context.js';

export function healthApi(ctx: ApiContext) {
  return async (app: FastifyInstance) => {
    app.get('/api/health', { schema: { tags: ['operations'], summary: 'Component states (minimal without a token)' } }, async (req) => {
      const ids = ctx.pipeline.live.ids();
      const comm = (id: string) => ctx.pipeline.live.comm(id) ?? 'connecting';
      const online = ids.filter((id) => comm(id) === 'online').length;
      const hs = ctx.history.stats();
      const historyOk = hs.online;
      const status = historyOk && online === ids.length ? 'ok' : 'degraded';
      const uptimeSeconds = Math.round((Date.now() - ctx.startedAt) / 1000);
      if (!req.user) return { status, uptimeSeconds };

      const connectors: Record<string, unknown> = {};
      const byProtocol = new Map<string, string[]>();
      for (const d of ctx.config.devices) byProtocol.set(d.protocol, [...(byProtocol.get(d.protocol) ?? []), d.id]);
      for (const [protocol, devs] of byProtocol) {
        const c = ctx.connectors?.get(protocol);
        const stats = c?.stats();
        const up = devs.filter((id) => comm(id) === 'online').length;
        connectors[protocol] = {
          state: !c ? 'not started' : up === devs.length ? 'ok' : up === 0 ? 'down' : 'degraded',
          devices: Object.fromEntries(devs.map((id) => [id, comm(id)])),
          ...(stats ? { messages: stats.messages, malformed: stats.malformed } : {}),
        };
      }
      return {
        status,
        uptimeSeconds,
        site: ctx.config.site.id,
        components: {
          api: { state: 'ok' },
          history: {
            state: historyOk ? 'ok' : 'offline',
            backend: ctx.history.backend,
            buffered: hs.buffered, queuePoints: hs.queuePoints, dropped: hs.dropped, lastError: hs.lastError,
          },
          connectors,
          ...(ctx.uplink ? { uplink: uplinkHealth(ctx.uplink.stats()) } : {}),
          ...(ctx.notify?.stats() ? { notifications: notifyHealth(ctx.notify.stats()!) } : {}),
        },
        history: ctx.history.backend,
        devices: { total: ids.length, online },
        readings: { total: ctx.pipeline.totalReadings, unknown: ctx.pipeline.unknownReadings },
      };
    });
  };
}

function uplinkHealth(s: ReturnType<NonNullable<ApiContext['uplink']>['stats']>) {
  if (!s) return { state: 'not started' };
  return { state: s.connected ? 'ok' : 'offline', backlog: s.backlog.events, oldestUnsentAt: s.backlog.oldestAt, lastSeq: s.backlog.lastSeq };
}

/** Chat and SMS queue (gateway/notify/outbox.ts): `failing` while a notice waits after failed attempts, `failed` once one gave up. */
function notifyHealth(s: NonNullable<ReturnType<NonNullable<ApiContext['notify']>['stats']>>) {
  const state = s.failed > 0 ? 'failed' : s.pending > 0 && s.lastError ? 'failing' : 'ok';
  return { state, backlog: s.pending, failed: s.failed, sent: s.sent, oldestPendingAt: s.oldestPendingAt, failedAttempts: s.failedAttempts, lastError: s.lastError };
}
