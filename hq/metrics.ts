/**
 * Prometheus metrics of one head-office process (prom-client, own registry): events applied,
 * rejected and duplicate, rollup rows, open gaps, consumer lag, apply batch latency. Served at
 * `/metrics` behind an hq-admin token (api/metrics.ts).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ConsumerLag {
  /** Messages in the stream not yet delivered to the durable consumer. */
  pending: number;
  /** Delivered and not yet acknowledged. */
  ackPending: number;
  redelivered: number;
}

export class HqMetrics {
  readonly registry = new Registry();
  readonly eventsApplied = new Counter({ name: 'hq_events_applied_total', help: 'Events inserted and applied, by type', labelNames: ['type'], registers: [this.registry] });
  readonly eventsDuplicate = new Counter({ name: 'hq_events_duplicate_total', help: 'Events received again (replays, redeliveries, another consumer) and skipped', registers: [this.registry] });
  readonly rejected = new Counter({ name: 'hq_rejected_total', help: 'Messages acknowledged but stored in `rejected` (bad JSON, unknown schema, site mismatch), by stream', labelNames: ['stream'], registers: [this.registry] });
  readonly rollupRows = new Counter({ name: 'hq_rollup_rows_total', help: 'Rollup minute rows received, and inserted (new)', labelNames: ['result'], registers: [this.registry] });
  readonly gapsOpen = new Gauge({ name: 'hq_gaps_open', help: 'Open event gaps (seqs missing beyond the grace period), all estates', registers: [this.registry] });
  readonly applyFailures = new Counter({ name: 'hq_apply_failures_total', help: 'Batches not applied (PostgreSQL error); their messages are nak-ed and redelivered', labelNames: ['stream'], registers: [this.registry] });
  readonly batchSeconds = new Histogram({
    name: 'hq_apply_batch_seconds', help: 'Time to apply one fetched batch in PostgreSQL', labelNames: ['stream'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry],
  });

  constructor(lag: () => Promise<Record<string, ConsumerLag | null>>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'hq_process_' });
    new Gauge({
      name: 'hq_consumer_lag', help: 'Durable consumer backlog: messages pending delivery and awaiting ack', labelNames: ['consumer', 'kind'], registers: [this.registry],
      async collect() {
        this.reset();
        for (const [consumer, l] of Object.entries(await lag().catch(() => ({})))) {
          if (!l) continue;
          this.set({ consumer, kind: 'pending' }, l.pending);
          this.set({ consumer, kind: 'ack_pending' }, l.ackPending);
        }
      },
    });
  }
}
