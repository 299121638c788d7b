/**
 * The durable queue of chat, SMS and routed-webhook notices (`notify_outbox` in gateway.db).
 *
 * A notice is a row from the moment its event happens; it leaves the `pending` state only when
 * the receiver confirmed it (HTTP 2xx and, for chat robots, `errcode`/`code` 0) or after
 * `maxAttempts` (then `failed`, kept and reported in /api/health and /metrics). Attempts back off
 * exponentially up to a cap; a restart picks the pending rows up where they were. Each row has a
 * unique `key` (route, order, event, action or level), so the same event never queues twice.
 * Redirects are not followed (a redirect would carry the message, and DingTalk's signature in the
 * query, to an address nobody configured); every request has a timeout. Rows hold the message
 * only: secrets stay in the config and are never written to the database or the log.
 */
import { EventEmitter } from 'node:events';
import { backoffDelay } from '../core/backoff.js';
import type { Logger } from '../core/log.js';
import type { Db } from '../storage/sqlite.js';
import { answerOk, chatRequest, smsRequest, type Notice, type SmsMessage, type WireRequest } from './format.js';
import type { NotifyChannel, NotifyRoute, SmsGateway } from '../config/notify.js';
import { migrate } from '../storage/migrations.js';

const NOTIFY_OUTBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS notify_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,
  route TEXT NOT NULL,
  channel TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  last_error TEXT);
CREATE INDEX IF NOT EXISTS notify_outbox_due ON notify_outbox(next_at) WHERE status = 'pending';
`;

export interface OutboxOptions {
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  /** Attempts before a row is `failed`; default 50. */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt up to `maxDelayMs`; defaults 5 s and 10 min. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Requests in flight at once; default 4. */
  concurrency?: number;
}

export interface OutboxRow {
  id: number;
  key: string;
  route: string;
  channel: NotifyChannel;
  payload: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  next_at: number;
  created_at: number;
  sent_at: number | null;
  last_error: string | null;
}

export interface NotifyStats {
  pending: number;
  failed: number;
  sent: number;
  /** Creation time of the oldest pending notice, or null. */
  oldestPendingAt: number | null;
  /** Attempts that did not deliver, since start. */
  failedAttempts: number;
  lastError: string | null;
}

export interface OutboxDeps {
  db: Db;
  site: string;
  routes: readonly NotifyRoute[];
  sms?: SmsGateway | undefined;
  log: Logger;
  now?: () => number;
}

/** Events: `delivered` (row), `attempt-failed` (row, why), `failed` (row, why). */
export class NotifyOutbox extends EventEmitter {
  private readonly o: Required<OutboxOptions>;
  private readonly routes: Map<string, NotifyRoute>;
  private readonly inFlight = new Map<number, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private failedAttempts = 0;
  private lastError: string | null = null;
  private readonly now: () => number;
  private readonly q;

  constructor(private readonly d: OutboxDeps, opts: OutboxOptions = {}) {
    super();
    this.o = { timeoutMs: 10_000, maxAttempts: 50, baseDelayMs: 5000, maxDelayMs: 600_000, concurrency: 4, ...opts };
    this.routes = new Map(d.routes.map((r) => [r.name, r]));
    this.now = d.now ?? Date.now;
    migrate(d.db, 'notify_outbox', [NOTIFY_OUTBOX_SCHEMA]);
    this.q = {
      insert: d.db.prepare('INSERT OR IGNORE INTO notify_outbox (key, route, channel, payload, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      due: d.db.prepare("SELECT * FROM notify_outbox WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?"),
      next: d.db.prepare("SELECT id, next_at FROM notify_outbox WHERE status = 'pending' ORDER BY next_at, id LIMIT ?"),
      sent: d.db.prepare("UPDATE notify_outbox SET status = 'sent', attempts = ?, sent_at = ?, last_error = NULL WHERE id = ?"),
      retry: d.db.prepare('UPDATE notify_outbox SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?'),
      failed: d.db.prepare("UPDATE notify_outbox SET status = 'failed', attempts = ?, last_error = ? WHERE id = ?"),
      counts: d.db.prepare('SELECT status, COUNT(*) AS n, MIN(created_at) AS oldest FROM notify_outbox GROUP BY status'),
      byKey: d.db.prepare('SELECT * FROM notify_outbox WHERE key = ?'),
      all: d.db.prepare('SELECT * FROM notify_outbox ORDER BY id'),
    };
  }

  /** Queues a notice (durably, before returning). False when the key was queued before. */
  enqueue(key: string, route: NotifyRoute, payload: Notice | SmsMessage, notBefore = this.now()): boolean {
    const added = this.q.insert.run(key, route.name, route.channel, JSON.stringify(payload), notBefore, this.now()).changes > 0;
    if (added) queueMicrotask(() => this.pump());
    return added;
  }

  row(key: string): OutboxRow | undefined {
    return this.q.byKey.get(key) as OutboxRow | undefined;
  }

  rows(): OutboxRow[] {
    return this.q.all.all() as OutboxRow[];
  }

  stats(): NotifyStats {
    const s: NotifyStats = { pending: 0, failed: 0, sent: 0, oldestPendingAt: null, failedAttempts: this.failedAttempts, lastError: this.lastError };
    for (const r of this.q.counts.all() as { status: OutboxRow['status']; n: number; oldest: number }[]) {
      s[r.status] = r.n;
      if (r.status === 'pending') s.oldestPendingAt = r.oldest;
    }
    return s;
  }

  /** Sends what is due now and sets the timer for the next due row. */
  pump(): void {
    if (this.closed) return;
    const free = this.o.concurrency - this.inFlight.size;
    if (free > 0) {
      const due = (this.q.due.all(this.now(), free + this.inFlight.size) as OutboxRow[]).filter((r) => !this.inFlight.has(r.id)).slice(0, free);
      for (const row of due) {
        const p = this.attempt(row).finally(() => {
          this.inFlight.delete(row.id);
          this.pump();
        });
        this.inFlight.set(row.id, p);
      }
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.closed) return;
    // A finished attempt pumps again; the timer is for the next row not already in flight.
    if (this.inFlight.size >= this.o.concurrency) return;
    const next = (this.q.next.all(this.inFlight.size + 1) as { id: number; next_at: number }[]).find((r) => !this.inFlight.has(r.id));
    if (!next) return;
    // Real-time timer towards the next due row; the clock of `now` decides what is due.
    const delay = Math.min(Math.max(0, next.next_at - this.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, delay);
    this.timer.unref();
  }

  private request(row: OutboxRow, route: NotifyRoute): WireRequest {
    if (row.channel === 'sms') {
      if (!this.d.sms) throw new Error('no SMS gateway configured (notifications.sms)');
      return smsRequest(this.d.sms, JSON.parse(row.payload) as SmsMessage);
    }
    return chatRequest(route, JSON.parse(row.payload) as Notice, this.now(), this.d.site);
  }

  private async attempt(row: OutboxRow): Promise<void> {
    const attempts = row.attempts + 1;
    const route = this.routes.get(row.route);
    if (!route) {
      this.q.failed.run(attempts - 1, 'route no longer configured', row.id);
      this.d.log.warn({ route: row.route, id: row.id }, 'notification dropped: its route is no longer configured');
      this.emit('failed', row, 'route no longer configured');
      return;
    }
    let why: string;
    try {
      const req = this.request(row, route);
      const res = await fetch(req.url, {
        method: req.method,
        headers: req.headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      const text = await res.text().catch(() => '');
      const verdict = answerOk(row.channel, res.status, text);
      if (verdict.ok) {
        this.q.sent.run(attempts, this.now(), row.id);
        this.emit('delivered', { ...row, attempts, status: 'sent' });
        return;
      }
      why = verdict.why;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      why = e.name === 'TimeoutError' ? `timed out after ${this.o.timeoutMs} ms` : e.cause?.code ?? e.message;
    }
    this.failedAttempts++;
    this.lastError = `${row.route}: ${why}`;
    // The route name and channel only: chat URLs carry their key or token.
    if (attempts >= this.o.maxAttempts) {
      this.q.failed.run(attempts, why, row.id);
      this.d.log.error({ route: row.route, channel: row.channel, attempts, why }, 'notification failed for good');
      this.emit('failed', { ...row, attempts, status: 'failed' }, why);
      return;
    }
    const delay = backoffDelay(attempts - 1, { initial: this.o.baseDelayMs, max: this.o.maxDelayMs, jitter: 0.1 });
    this.q.retry.run(attempts, this.now() + delay, why, row.id);
    this.d.log.warn({ route: row.route, channel: row.channel, attempts, why, retryInMs: delay }, 'notification not delivered: will retry');
    this.emit('attempt-failed', { ...row, attempts }, why);
  }

  /** Stops sending; requests in flight finish (bounded by the timeout). Pending rows stay. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight.values()]);
  }
}
