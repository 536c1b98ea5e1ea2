// Exponential backoff with jitter for reconnecting watches. Jitter matters: when an API server
// restarts, every client reconnects at once unless each waits a slightly different time.

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** For tests: a source of numbers in [0, 1). */
  random?: () => number;
}

export class Backoff {
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: BackoffOptions) {
    this.minMs = Math.max(0, options.minMs);
    this.maxMs = Math.max(this.minMs, options.maxMs);
    this.random = options.random ?? Math.random;
  }

  /** Consecutive failures since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /**
   * The wait before the next attempt: the ceiling doubles with each failure, up to maxMs,
   * and the wait is a random point in the upper half of it ("equal jitter"), so it never
   * collapses to zero and never exceeds maxMs.
   */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  reset(): void {
    this.failures = 0;
  }
}

/** Waits `ms`, or less if `signal` aborts first; never rejects, so callers check the signal after. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
