/**
 * Exponential backoff with jitter for reconnect loops: the n-th delay is `initial * 2^n`, capped at
 * `max`, then spread by ±`jitter` so that many devices that lost the same switch do not reconnect in
 * lockstep.
 */
export interface BackoffOptions {
  /** First delay in milliseconds. */
  initial: number;
  /** Largest delay in milliseconds. */
  max: number;
  /** Relative spread, 0..1 (0.25 = ±25 %). */
  jitter?: number;
}

export class Backoff {
  private attempt = 0;
  private readonly jitter: number;

  constructor(private readonly opts: BackoffOptions) {
    this.jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.25));
  }

  /** Delay before the next attempt; each call grows the next one. */
  next(): number {
    const base = Math.min(this.opts.max, this.opts.initial * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const spread = base * this.jitter;
    return Math.max(0, Math.round(base - spread + Math.random() * 2 * spread));
  }

  /** Call after a success: the next failure starts again from `initial`. */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
