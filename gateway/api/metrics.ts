/**
 * `GET /metrics`: Prometheus text (prom-client, one registry per gateway). Values are read from
 * the rooms at scrape time; the only counters kept here are readings per connector (a pipeline
 * sink) and the API's error responses (errors.ts).
 *
 * Access (`auth.metrics`): `token` (default) → `Authorization: Bearer` with an admin login token
 * or the value of the `GW_METRICS_TOKEN` environment variable (for Prometheus
 * `authorization: { credentials: ... }`); `public` → anyone; `off` → no route.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { roleAtLeast } from '../auth/schema.js';
import { bearer } from '../auth/users.js';
import { AuthErrors } from './auth/errors.js';
import type { ApiContext } from './context.js';
import type { ErrorCounts } from './errors.js';


/** Readings per connector, with a rate over the last ~10 s. */
class ReadingsMeter {
  readonly total = new Map<string, number>();
  private samples: { at: number; counts: Map<string, number> }[] = [];

  constructor(private readonly protocolOf: Map<string, string>) {}

  onReadings(batch: readonly { device: string }[]): void {
    // Counted per run of one device (a message's readings): two map operations per run, not per reading.
    for (let i = 0; i < batch.length; ) {
      const device = batch[i]!.device;
      let j = i + 1;
      while (j < batch.length && batch[j]!.device === device) j++;
      const p = this.protocolOf.get(device) ?? 'unknown';
      this.total.set(p, (this.total.get(p) ?? 0) + (j - i));
      i = j;
    }
  }

  /** Readings per second per connector over the last >= 10 s (since an earlier scrape). */
  rates(now = Date.now()): Map<string, number> {
    this.samples.push({ at: now, counts: new Map(this.total) });
    // Keep the newest sample that is at least 10 s old as the base (or the oldest there is).
    while (this.samples.length > 2 && now - this.samples[1]!.at >= 10_000) this.samples.shift();
    if (this.samples.length > 200) this.samples.splice(1, this.samples.length - 200);
    const first = this.samples[0]!;
    const dt = (now - first.at) / 1000;
    const out = new Map<string, number>();
    for (const [p, n] of this.total) out.set(p, dt > 0 ? (n - (first.counts.get(p) ?? 0)) / dt : 0);
    return out;
  }
}

export function metricsApi(ctx: ApiContext, errors: ErrorCounts) {
  const protocolOf = new Map(ctx.config.devices.map((d) => [d.id, d.protocol]));
  const meter = new ReadingsMeter(protocolOf);
  ctx.pipeline.use({ name: 'metrics', onReadings: (b) => meter.onReadings(b) });
  const register = new Registry();
  register.setDefaultLabels({ site: ctx.config.site.id });
  collectDefaultMetrics({ register, prefix: 'gw_process_' });

  const set = (g: Gauge, labels: Record<string, string>, v: unknown) => {
    if (typeof v === 'number' && Number.isFinite(v)) g.set(labels, v);
  };
  new Counter({
    name: 'gw_readings_total', help: 'Readings accepted by the pipeline, per connector', labelNames: ['connector'], registers: [register],
    collect() { this.reset(); for (const [p, n] of meter.total) this.inc({ connector: p }, n); },
  });
  new Gauge({
    name: 'gw_readings_per_second', help: 'Readings per second per connector over the last ~10 s', labelNames: ['connector'], registers: [register],
    collect() { this.reset(); for (const [p, r] of meter.rates()) this.set({ connector: p }, r); },
  });
  new Counter({
    name: 'gw_readings_unknown_total', help: 'Readings for devices or points the config does not know (dropped)', registers: [register],
    collect() { this.reset(); this.inc(ctx.pipeline.unknownReadings); },
  });
  new Counter({
    name: 'gw_readings_future_total', help: 'Readings dated beyond the tolerance after the gateway clock (device clock ahead), stamped with their arrival time', registers: [register],
    collect() { this.reset(); this.inc(ctx.pipeline.futureReadings); },
  });
  new Counter({
    name: 'gw_alarm_late_readings_total', help: 'Redelivered readings (same point, timestamp and value as one a rule already evaluated, e.g. MQTT QoS 1 after a crash); ignored by the rules', registers: [register],
    collect() { this.reset(); this.inc(ctx.alarms.lateReadings); },
  });
  new Gauge({
    name: 'gw_devices', help: 'Devices by communication state', labelNames: ['comm'], registers: [register],
    collect() {
      this.reset();
      const by: Record<string, number> = { online: 0, offline: 0, connecting: 0 };
      for (const id of ctx.pipeline.live.ids()) { const c = ctx.pipeline.live.comm(id) ?? 'unknown'; by[c] = (by[c] ?? 0) + 1; }
      for (const [comm, n] of Object.entries(by)) this.set({ comm }, n);
    },
  });
  new Gauge({
    name: 'gw_devices_online', help: 'Devices online', registers: [register],
    collect() { this.set(ctx.pipeline.live.ids().filter((id) => ctx.pipeline.live.comm(id) === 'online').length); },
  });
  new Gauge({
    name: 'gw_work_orders_open', help: 'Open work orders by priority', labelNames: ['priority'], registers: [register],
    collect() {
      this.reset();
      const by: Record<string, number> = { emergency: 0, urgent: 0, normal: 0 };
      for (const o of ctx.orders.list({ open: true, limit: 100_000 })) by[o.priority] = (by[o.priority] ?? 0) + 1;
      for (const [priority, n] of Object.entries(by)) this.set({ priority }, n);
    },
  });
  const history = () => ctx.history.stats();
  new Gauge({
    name: 'gw_history_queue_depth', help: 'Points waiting to be written: in memory (buffered) and in the store-and-forward queue (spool)', labelNames: ['queue'], registers: [register],
    collect() { this.reset(); const s = history(); set(this, { queue: 'buffered' }, s?.buffered); set(this, { queue: 'spool' }, s?.queuePoints); },
  });
  new Gauge({
    name: 'gw_history_write_latency_seconds', help: 'History write latency: last request and moving average', labelNames: ['stat'], registers: [register],
    collect() {
      this.reset();
      const l = history()?.writeLatencyMs;
      if (l) { set(this, { stat: 'last' }, l.last / 1000); set(this, { stat: 'avg' }, l.avg / 1000); }
    },
  });
  new Gauge({
    name: 'gw_history_points', help: 'History store counters: points written, dropped, spooled, replayed (InfluxDB: one point per device and timestamp), failed write requests, reading values written (writtenFields) and readings without a value to store (skipped)', labelNames: ['stat'], registers: [register],
    collect() {
      this.reset();
      const s = history();
      for (const k of ['written', 'writtenFields', 'skipped', 'dropped', 'failedWrites', 'spooled', 'replayed'] as const) set(this, { stat: k }, s?.[k]);
    },
  });
  new Gauge({
    name: 'gw_uplink_backlog', help: 'Uplink outbox: events and rollup batches not yet acknowledged by head office', labelNames: ['kind'], registers: [register],
    collect() { this.reset(); const s = ctx.uplink?.stats(); if (s) { this.set({ kind: 'events' }, s.backlog.events); this.set({ kind: 'rollups' }, s.backlog.rollups); } },
  });
  new Gauge({
    name: 'gw_uplink_oldest_unsent_seconds', help: 'Age of the oldest event head office has not acknowledged (0 when none)', registers: [register],
    collect() { const s = ctx.uplink?.stats(); if (s) this.set(s.backlog.oldestAt === null ? 0 : (Date.now() - s.backlog.oldestAt) / 1000); },
  });
  new Gauge({
    name: 'gw_uplink_connected', help: '1 when the uplink to head office is connected', registers: [register],
    collect() { const s = ctx.uplink?.stats(); if (s) this.set(s.connected ? 1 : 0); },
  });
  new Gauge({
    name: 'gw_uplink_events', help: 'Uplink counters: events and rollup batches published, publish errors, commands applied/refused/duplicate', labelNames: ['stat'], registers: [register],
    collect() {
      this.reset();
      const s = ctx.uplink?.stats();
      if (!s) return;
      this.set({ stat: 'published' }, s.published); this.set({ stat: 'rollups_published' }, s.rollupsPublished); this.set({ stat: 'publish_errors' }, s.publishErrors);
      this.set({ stat: 'commands_applied' }, s.commands.applied); this.set({ stat: 'commands_refused' }, s.commands.refused); this.set({ stat: 'commands_duplicate' }, s.commands.duplicates);
    },
  });
  new Gauge({
    name: 'gw_history_online', help: '1 when the history store accepts writes', registers: [register],
    collect() { const s = history(); if (s?.online !== undefined) this.set(s.online ? 1 : 0); },
  });
  new Counter({
    name: 'gw_connector_messages_total', help: 'Messages received per connector and device (MQTT messages, Modbus poll answers, OPC UA notifications)', labelNames: ['connector', 'device'], registers: [register],
    collect() {
      this.reset();
      for (const [p, c] of ctx.connectors ?? []) for (const [d, s] of Object.entries(c.stats().devices)) this.inc({ connector: p, device: d }, s.messages);
    },
  });
  new Counter({
    name: 'gw_connector_malformed_total', help: 'Malformed payloads per connector and device (not JSON, missing or mistyped fields); counted, never fatal', labelNames: ['connector', 'device'], registers: [register],
    collect() {
      this.reset();
      for (const [p, c] of ctx.connectors ?? []) for (const [d, s] of Object.entries(c.stats().devices)) this.inc({ connector: p, device: d }, s.malformed);
    },
  });
  new Counter({
    name: 'gw_api_errors_total', help: 'API error responses by status and code (malformed bodies count as 400 GW_ERR_BAD_REQUEST)', labelNames: ['status', 'code'], registers: [register],
    collect() { this.reset(); for (const [k, n] of errors) { const [status, code] = k.split(' '); this.inc({ status: status!, code: code! }, n); } },
  });
  new Gauge({
    name: 'gw_notify_outbox', help: 'Chat and SMS notices by state: pending (backlog), failed (gave up after maxAttempts), sent', labelNames: ['state'], registers: [register],
    collect() { this.reset(); const s = ctx.notify?.stats(); if (s) for (const k of ['pending', 'failed', 'sent'] as const) this.set({ state: k }, s[k]); },
  });
  new Counter({
    name: 'gw_notify_failed_attempts_total', help: 'Notification attempts that did not deliver (network, timeout, HTTP error, vendor errcode), since start', registers: [register],
    collect() { this.reset(); const s = ctx.notify?.stats(); if (s) this.inc(s.failedAttempts); },
  });
  new Counter({
    name: 'gw_broker_events_total', help: 'The in-process site broker: connections, refused logins (authFailures, loginsBanned), denied publishes and subscriptions, oversized packets, rate-limited connections, retained messages refused, messages dropped for a full persistent-session queue (sessionMessagesDropped)', labelNames: ['event'], registers: [register],
    collect() { this.reset(); const s = ctx.broker?.stats(); if (s) for (const [event, n] of Object.entries(s)) this.inc({ event }, n); },
  });
  new Gauge({
    name: 'gw_alarms_active', help: 'Active alarms', registers: [register],
    collect() { let n = 0; for (const id of ctx.pipeline.live.ids()) n += ctx.alarms.activeCount(id); this.set(n); },
  });

  const mode = ctx.config.auth.metrics;
  const scrapeToken = process.env.GW_METRICS_TOKEN ? Buffer.from(process.env.GW_METRICS_TOKEN) : undefined;
  const allowed = (header: string | undefined): boolean => {
    const token = bearer(header);
    if (!token) return false;
    if (scrapeToken) {
      const given = Buffer.from(token);
      if (given.length === scrapeToken.length && timingSafeEqual(given, scrapeToken)) return true;
    }
    const c = ctx.users.check(token);
    return !!c && roleAtLeast(c.role, 'admin');
  };

  return async (app: FastifyInstance) => {
    if (mode === 'off') return;
    app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
      if (mode !== 'public' && !allowed(req.headers.authorization)) {
        throw req.headers.authorization ? AuthErrors.FORBIDDEN('/metrics needs an admin token or GW_METRICS_TOKEN') : AuthErrors.UNAUTHORIZED('/metrics needs Authorization: Bearer <admin token or GW_METRICS_TOKEN>');
      }
      reply.header('content-type', register.contentType);
      return register.metrics();
    });
  };
}
