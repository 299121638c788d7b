/**
 * Login attempts per username (README.md, "Login and tokens"): fixed one-minute windows, so one
 * client behind a shared address cannot lock everyone out and one username cannot be guessed from
 * many addresses. The per-address limit is @fastify/rate-limit's.
 */
export class PerKeyWindow {
  private window = 0;
  private readonly counts = new Map<string, number>();

  constructor(private readonly max: number, private readonly windowMs = 60_000, private readonly now: () => number = Date.now) {}

  /** Counts one attempt; `retryS` > 0 when the key is over its limit in this window. */
  hit(key: string): { ok: boolean; retryS: number } {
    const t = this.now();
    const w = Math.floor(t / this.windowMs);
    if (w !== this.window) {
      this.window = w;
      this.counts.clear();
    }
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n <= this.max ? { ok: true, retryS: 0 } : { ok: false, retryS: Math.ceil(((w + 1) * this.windowMs - t) / 1000) };
  }

  /** A successful login clears its username's count. */
  reset(key: string): void {
    this.counts.delete(key);
  }
}
