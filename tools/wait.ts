/** Polling helper for tests, benchmarks and demos that wait on real processes: the one `waitFor`. */

export interface WaitOptions {
  /** Give up after this many ms (default 10 000). */
  timeout?: number;
  /** Delay between attempts in ms (default 100). */
  interval?: number;
  /**
   * What is awaited, for the error message: "influxd /ping on port 1234"; a function is called
   * when the time is up (to show the last state).
   */
  what?: string | (() => string);
}

/** What a truthy check lets through: `cond && value` yields `value`. */
export type Truthy<T> = Exclude<T, false | 0 | 0n | '' | null | undefined>;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Call `fn` until it returns a truthy value (which is returned) or the timeout passes. A throw
 * counts as "not yet"; the last error is quoted in the timeout message.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, opts: WaitOptions = {}): Promise<Truthy<T>> {
  const timeout = opts.timeout ?? 10_000;
  const interval = opts.interval ?? 100;
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const v = await fn();
      if (v) return v as Truthy<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() + interval > deadline) break;
    await sleep(interval);
  }
  const what = typeof opts.what === 'function' ? opts.what() : (opts.what ?? 'the condition');
  const why = lastError === undefined ? '' : `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
  throw new Error(`timed out after ${timeout} ms (${attempts} attempts) waiting for ${what}${why}`);
}
