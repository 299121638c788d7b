/**
 * Exponential backoff with jitter, for every retry loop of the gateway (device reconnects, the
 * history's store-and-forward, the uplink, notification and webhook deliveries): the n-th delay is
 * `initial * 2^n`, capped at `max`, then spread by ±`jitter` so that many clients that lost the
 * same switch or server do not retry in lockstep.
 */
export interface BackoffOptions {
  /** First delay in milliseconds. */
  initial: number;
  /** Largest delay in milliseconds. */
  max: number;
  /** Relative spread, 0..1 (0.25 = ±25 %, the default). */
  jitter?: number;
}

/** The delay before retry number `attempt` (0 for the first retry), ms. */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.25));
  const base = Math.min(opts.max, opts.initial * 2 ** Math.min(Math.max(0, attempt), 30));
  const spread = base * jitter;
  return Math.max(0, Math.round(base - spread + Math.random() * 2 * spread));
}

/** A retry loop's backoff: `next()` after each failure, `reset()` after a success. */
export class Backoff {
  private attempt = 0;

  constructor(private readonly opts: BackoffOptions) {}

  /** Delay before the next attempt; each call grows the next one. */
  next(): number {
    return backoffDelay(this.attempt++, this.opts);
  }

  /** Call after a success: the next failure starts again from `initial`. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
