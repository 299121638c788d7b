/**
 * Store-and-forward of sealed batches to InfluxDB. At most `maxInFlight` batches are POSTed at
 * once. A batch that fails for a reason that may pass (network, timeout, 5xx, auth, missing
 * database) goes to the spool (`../spool.ts`) and the store turns offline: sealed batches go
 * straight to the spool until a retry (exponential backoff) gets the oldest spooled chunk written.
 * Then new batches are written live again while the spool is replayed in order beside them, one
 * chunk at a time at no more than `replayRate` points/s; once it has drained, the rollups of the
 * replayed range are recomputed (continuous queries only look a few minutes back). A batch
 * InfluxDB rejects with 400 is dropped and counted: resending it cannot succeed.
 */
import { Backoff } from '../../core/backoff.js';
import { Errors } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { countFields, splitLines, timeSpan } from '../lineproto.js';
import type { Spool, SpoolChunk } from '../spool.js';
import { WriteLatency } from '../store.js';
import { errorText, type InfluxConnection } from './connection.js';
import { EVENTS_MEASUREMENT, type InfluxSchema } from './schema.js';
import type { Batch } from './writer.js';

export interface ForwardOptions {
  conn: InfluxConnection;
  schema: InfluxSchema;
  spool: Spool;
  log: Logger;
  /** Lines per replayed chunk. */
  batchSize: number;
  maxInFlight: number;
  /** Points waiting in memory before the oldest batches spill to the spool. */
  maxBuffered: number;
  /** Points per second replayed from the spool. */
  replayRate: number;
  /** First and largest retry delay while offline, ms. */
  retryDelay: number;
  maxRetryDelay: number;
}

/** A write failure that retrying the same payload cannot fix (InfluxDB answered 400). */
class PermanentWriteError extends Error {}

export class StoreAndForward {
  online = true;
  closed = false;
  /** Points in batches waiting to be sent. */
  queuedPoints = 0;
  readonly counters = {
    written: 0,
    writtenFields: 0,
    spooled: 0,
    replayed: 0,
    dropped: 0,
    failedWrites: 0,
    lastError: null as string | null,
  };
  readonly latency = new WriteLatency();

  private readonly queue: Batch[] = [];
  private readonly inFlight = new Map<number, Promise<void>>();
  private replaying: Promise<void> | null = null;
  private replayTimer: NodeJS.Timeout | undefined;
  private nextReplayAt = 0;
  /** Time span of the points replayed since the spool was last empty (rollups to refresh). */
  private replaySpan: { from: number; to: number } | null = null;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private waiters: Array<() => void> = [];
  private flushing = 0;
  private closing = false;

  constructor(private readonly o: ForwardOptions) {
    // 0 to +10 % around the doubling delay.
    this.backoff = new Backoff({ initial: o.retryDelay * 1.05, max: o.maxRetryDelay * 1.05, jitter: 0.05 / 1.05 });
  }

  /** Write requests under way. */
  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /** Take a sealed batch: to the send queue, or to the spool while offline. */
  accept(batch: Batch): void {
    if (!this.online) {
      this.toSpool(batch);
      return;
    }
    this.queue.push(batch);
    this.queuedPoints += batch.lines;
    // A server that is slow but up: spill the oldest batches to disk instead of growing memory.
    while (this.queuedPoints > this.o.maxBuffered && this.queue.length > 1) {
      const old = this.queue.shift()!;
      this.queuedPoints -= old.lines;
      this.toSpool(old);
    }
  }

  /** InfluxDB did not answer at start: begin offline, retrying with backoff. */
  startOffline(err: unknown): void {
    this.counters.lastError = errorText(err);
    this.goOffline();
  }

  /** Send what the queue holds, replay the spool, or schedule the next retry while offline. */
  pump(): void {
    if (this.closed) return;
    if (this.online) {
      while (this.inFlight.size < this.o.maxInFlight && this.queue.length > 0) {
        const batch = this.queue.shift()!;
        this.queuedPoints -= batch.lines;
        const p = this.sendLive(batch).finally(() => {
          this.inFlight.delete(batch.seq);
          this.wake();
          this.pump();
        });
        this.inFlight.set(batch.seq, p);
      }
      this.scheduleReplay();
    } else if (this.retryTimer === undefined && !this.replaying && !this.closing) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.probe();
      }, this.backoff.next());
      this.retryTimer.unref();
    }
  }

  /**
   * Wait until every batch up to `seq` is written and the spool has drained (the replay runs at
   * full speed meanwhile); rejects with `GW_ERR_HISTORY_UNAVAILABLE` after a failed write.
   */
  async flush(seq: number): Promise<void> {
    if (this.closed) return;
    const failuresAtStart = this.counters.failedWrites;
    this.flushing++;
    try {
      if (!this.online) this.retryNow();
      for (;;) {
        const pending = this.hasPendingUpTo(seq);
        if (!pending && this.o.spool.points === 0 && !this.replaying) return;
        // After a failure, reject once every batch up to `seq` is written or queued.
        if ((this.counters.failedWrites > failuresAtStart && !pending) || this.closed) {
          throw Errors.HISTORY_UNAVAILABLE(
            `${this.o.spool.points} points not yet written to InfluxDB at ${this.o.conn.host}:${this.o.conn.port} (kept in the store-and-forward queue, retrying): ${this.counters.lastError}`,
          );
        }
        this.pump();
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    } finally {
      this.flushing--;
    }
  }

  /**
   * Stop retrying; write what is queued if InfluxDB is reachable (bounded by the request timeout),
   * otherwise put it in the spool; the spool stays on disk for the next start.
   */
  async close(): Promise<void> {
    this.closing = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.replayTimer !== undefined) clearTimeout(this.replayTimer);
    this.retryTimer = this.replayTimer = undefined;
    if (this.online) {
      const deadline = Date.now() + this.o.conn.requestTimeout;
      this.pump();
      while (this.online && (this.queue.length > 0 || this.inFlight.size > 0) && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
          this.waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
        this.pump();
      }
    }
    // Whatever did not go out waits in the spool for the next start.
    this.spillQueue();
    await Promise.allSettled([...this.inFlight.values(), this.replaying]);
    const spool = this.o.spool;
    if (spool.points > 0) {
      this.o.log.warn({ points: spool.points, bytes: spool.bytes }, 'influx history closed with points in the store-and-forward queue (replayed on next start)');
    }
    spool.close();
    this.o.conn.close();
    this.closed = true;
    this.wake();
  }

  /** The spool keeps lines (a rare path: InfluxDB away or slow), so the batch is split back. */
  private toSpool(batch: Batch): void {
    this.counters.spooled += batch.lines;
    let dropped = 0;
    try {
      dropped = this.o.spool.append(splitLines(batch.body.toString('utf8')));
    } catch (err) {
      dropped = batch.lines;
      this.o.log.error({ err: errorText(err), points: batch.lines }, 'cannot append to the store-and-forward queue: points lost');
    }
    if (dropped > 0) {
      this.counters.dropped += dropped;
      this.o.log.warn(
        { dropped, totalDropped: this.counters.dropped, queueBytes: this.o.spool.bytes, lastError: this.counters.lastError },
        'influx history: store-and-forward queue full, oldest points dropped',
      );
    }
    this.wake();
  }

  private retryNow(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (!this.replaying) this.probe();
  }

  /** While offline: try the oldest spooled chunk (or a ping when the spool is empty). */
  private probe(): void {
    if (this.closing || this.online) return;
    if (this.o.spool.points > 0) {
      this.startReplay();
      return;
    }
    this.replaying = (async () => {
      try {
        if (await this.o.conn.ping()) this.goOnline();
        else throw new Error(`no answer to /ping`);
      } catch (err) {
        this.fail(err);
      } finally {
        this.replaying = null;
        this.wake();
        this.pump();
      }
    })();
  }

  private scheduleReplay(): void {
    if (this.replaying || this.closing || !this.online || this.o.spool.points === 0) return;
    const wait = this.flushing > 0 ? 0 : this.nextReplayAt - Date.now();
    if (wait <= 0) {
      if (this.replayTimer !== undefined) clearTimeout(this.replayTimer);
      this.replayTimer = undefined;
      this.startReplay();
    } else if (this.replayTimer === undefined) {
      this.replayTimer = setTimeout(() => {
        this.replayTimer = undefined;
        this.pump();
      }, wait);
      this.replayTimer.unref();
    }
  }

  private startReplay(): void {
    let chunk: SpoolChunk | null;
    try {
      chunk = this.o.spool.peek(this.o.batchSize);
    } catch (err) {
      this.o.log.error({ err: errorText(err) }, 'cannot read the store-and-forward queue');
      return;
    }
    if (!chunk) return;
    const c = chunk;
    this.replaying = (async () => {
      const started = Date.now();
      try {
        await this.post(c.body);
        this.noteSpan(c.body);
        this.o.spool.ack(c);
        this.counters.replayed += c.lines;
        this.counters.written += c.lines;
        this.counters.writtenFields += countFields(c.body, `${EVENTS_MEASUREMENT},`);
        this.nextReplayAt = started + (c.lines / this.o.replayRate) * 1000;
        if (!this.online) this.goOnline();
        if (this.o.spool.points === 0) this.afterReplay();
      } catch (err) {
        if (err instanceof PermanentWriteError) {
          this.o.spool.ack(c);
          this.rejected(err, c.lines, 'influx rejected a queued chunk: dropped');
        } else {
          this.fail(err);
        }
      } finally {
        this.replaying = null;
        this.wake();
        this.pump();
      }
    })();
  }

  /** Widen the span of replayed points (rollups to refresh) to the timestamps of the chunk. */
  private noteSpan(body: string): void {
    const span = timeSpan(body);
    if (!span) return;
    this.replaySpan = this.replaySpan ? { from: Math.min(this.replaySpan.from, span.from), to: Math.max(this.replaySpan.to, span.to) } : span;
  }

  /** The spool drained: recompute rollups of the replayed range (the CQs only look back minutes). */
  private afterReplay(): void {
    const span = this.replaySpan;
    this.replaySpan = null;
    this.o.log.info({ replayed: this.counters.replayed, span }, 'influx history: store-and-forward queue replayed');
    if (!span) return;
    this.o.schema.refreshRollups(span.from, span.to).catch((err: unknown) =>
      this.o.log.warn({ err: errorText(err), span }, 'could not refresh rollups after replay (the continuous queries cover the last minutes only)'),
    );
  }

  private async sendLive(batch: Batch): Promise<void> {
    try {
      await this.post(batch.body);
      this.counters.written += batch.lines;
      this.counters.writtenFields += batch.fields;
    } catch (err) {
      if (err instanceof PermanentWriteError) {
        this.rejected(err, batch.lines, 'influx rejected a batch: dropped');
      } else {
        this.toSpool(batch);
        this.fail(err);
      }
    }
  }

  /** InfluxDB answered 400: resending cannot help, the points are dropped and counted. */
  private rejected(err: PermanentWriteError, points: number, message: string): void {
    this.counters.failedWrites++;
    this.counters.lastError = errorText(err);
    this.counters.dropped += points;
    this.o.log.error({ err: this.counters.lastError, points }, message);
  }

  private fail(err: unknown): void {
    this.counters.failedWrites++;
    this.counters.lastError = errorText(err);
    this.goOffline();
  }

  private goOffline(): void {
    if (!this.online) return;
    this.online = false;
    this.o.log.warn(
      { err: this.counters.lastError, queuePoints: this.o.spool.points },
      'influx history offline: points go to the store-and-forward queue',
    );
    // Nothing waits in memory while offline.
    this.spillQueue();
  }

  /** Every batch waiting in memory goes to the spool. */
  private spillQueue(): void {
    const left = this.queue.splice(0);
    this.queuedPoints = 0;
    for (const b of left) this.toSpool(b);
  }

  private goOnline(): void {
    if (this.online) return;
    this.online = true;
    this.backoff.reset();
    this.o.log.info({ queuePoints: this.o.spool.points }, 'influx history back online: replaying the store-and-forward queue');
  }

  private async post(body: string | Buffer<ArrayBuffer>): Promise<void> {
    if (!this.o.schema.ready) await this.o.schema.ensure();
    const started = performance.now();
    const res = await this.o.conn.postLines(body);
    if (res.status === 204) {
      this.latency.noteSince(started);
      return;
    }
    const text = res.text.slice(0, 500);
    if (/database not found|retention policy not found/i.test(text)) {
      // Dropped behind our back (or a new server): recreate the schema, then retry.
      this.o.schema.ready = false;
    }
    const msg = `HTTP ${res.status} from /write: ${text.trim()}`;
    if (res.status === 400) throw new PermanentWriteError(msg);
    throw new Error(msg);
  }

  private hasPendingUpTo(seq: number): boolean {
    if (this.closed) return false;
    for (const s of this.inFlight.keys()) if (s <= seq) return true;
    for (const b of this.queue) if (b.seq <= seq) return true;
    return false;
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}
