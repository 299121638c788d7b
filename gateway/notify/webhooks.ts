/**
 * Signed webhooks with retry. Each event is POSTed as JSON to every webhook subscribed to its kind,
 * with `X-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>` (the GitHub convention), so the
 * receiver can check who sent it. Failures (network error, timeout, 429, 5xx) are retried with
 * exponential backoff and jitter; 4xx other than 429 are dropped. The queue is bounded: when it is
 * full the oldest delivery is dropped and counted. `publish()` never waits and never throws, so the
 * pipeline is never blocked by a slow receiver.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { backoffDelay } from '../core/backoff.js';
import type { Logger } from '../core/log.js';

/** `owner-message`: `{ to, text, link }` for an owner (gateway/owner/; SMS and chat channels route it). */
export type EventKind = 'alarm' | 'work-order' | 'escalation' | 'owner-message';

export interface WebhookConfig {
  url: string;
  secret: string;
  events?: EventKind[];
}

export interface WebhookOptions {
  /** Maximum deliveries waiting (queued or between retries); default 1000. */
  maxQueue?: number;
  /** Attempts per delivery including the first; default 8. */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt up to `maxDelayMs`. Defaults 1 s and 5 min. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  /** Deliveries in flight at once; default 4. */
  concurrency?: number;
}

export interface Delivery {
  id: string;
  hook: WebhookConfig;
  body: string;
  kind: EventKind;
  attempt: number;
  notBefore: number;
}

export interface WebhookStats {
  delivered: number;
  failed: number;
  dropped: number;
  retried: number;
  queued: number;
}

export const signature = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export class WebhookNotifier {
  private readonly queue: Delivery[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  readonly stats: WebhookStats = { delivered: 0, failed: 0, dropped: 0, retried: 0, queued: 0 };
  private readonly o: Required<WebhookOptions>;
  private idle: (() => void)[] = [];

  constructor(
    private readonly hooks: readonly WebhookConfig[],
    private readonly site: string,
    private readonly log: Logger,
    opts: WebhookOptions = {},
  ) {
    this.o = { maxQueue: 1000, maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 300_000, timeoutMs: 10_000, concurrency: 4, ...opts };
  }

  publish(kind: EventKind, data: unknown, action?: string): void {
    if (this.closed) return;
    for (const hook of this.hooks) {
      if (hook.events && !hook.events.includes(kind)) continue;
      const id = randomUUID();
      const body = JSON.stringify({ id, site: this.site, event: kind, action: action ?? null, ts: Date.now(), data });
      if (this.queue.length >= this.o.maxQueue) {
        this.queue.shift();
        this.stats.dropped++;
        this.log.warn({ url: hook.url }, 'webhook queue full: dropped the oldest delivery');
      }
      this.queue.push({ id, hook, body, kind, attempt: 0, notBefore: 0 });
    }
    this.stats.queued = this.queue.length;
    this.pump();
  }

  /** Resolves when nothing is queued or in flight (tests, shutdown). */
  drained(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    if (this.closed) return;
    const now = Date.now();
    let next = Infinity;
    for (let i = 0; i < this.queue.length && this.inFlight < this.o.concurrency; ) {
      const d = this.queue[i]!;
      if (d.notBefore > now) {
        next = Math.min(next, d.notBefore);
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.inFlight++;
      void this.send(d).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
    this.stats.queued = this.queue.length;
    if (next !== Infinity && this.inFlight < this.o.concurrency) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, Math.max(0, next - now));
      this.timer.unref();
    }
    if (this.queue.length === 0 && this.inFlight === 0) for (const r of this.idle.splice(0)) r();
  }

  private async send(d: Delivery): Promise<void> {
    d.attempt++;
    let retry: boolean;
    let why: string;
    try {
      const res = await fetch(d.hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'facility-gateway-webhook',
          'x-signature-256': signature(d.hook.secret, d.body),
          'x-event': d.kind,
          'x-delivery': d.id,
        },
        body: d.body,
        // A redirect would carry the body and its signature to an address nobody configured: not followed.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        this.stats.delivered++;
        return;
      }
      retry = res.status === 429 || res.status >= 500;
      why = res.status >= 300 && res.status < 400 ? `HTTP ${res.status} redirect not followed (configure the final URL)` : `HTTP ${res.status}`;
    } catch (err) {
      retry = true;
      why = (err as Error).message;
    }
    if (!retry || d.attempt >= this.o.maxAttempts) {
      this.stats.failed++;
      this.log.warn({ url: d.hook.url, attempt: d.attempt, why }, 'webhook delivery failed for good');
      return;
    }
    const delay = backoffDelay(d.attempt - 1, { initial: this.o.baseDelayMs, max: this.o.maxDelayMs, jitter: 0.2 });
    d.notBefore = Date.now() + delay;
    this.stats.retried++;
    this.log.debug({ url: d.hook.url, attempt: d.attempt, why, delay }, 'webhook delivery will be retried');
    if (this.queue.length >= this.o.maxQueue) {
      this.stats.dropped++;
      return;
    }
    this.queue.push(d);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const r of this.idle.splice(0)) r();
  }
}
