/** Exponential backoff with full jitter; pure arithmetic, the random source injected. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export function backoffDelayMs(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Calls `fn` until it succeeds, with backoff between attempts (logging what it waits for), or
 * until `signal` aborts (then rejects with the last error).
 */
export async function retryUntilDone<T>(what: string, fn: () => Promise<T>, logger: { warn(obj: object, msg: string): void }, signal: AbortSignal, opts: BackoffOptions = { baseMs: 250, maxMs: 5_000 }): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (signal.aborted) throw err;
      logger.warn({ attempt, err: (err as Error).message }, `could not ${what}; retrying`);
      await sleep(backoffDelayMs(attempt, opts), signal);
    }
  }
}
