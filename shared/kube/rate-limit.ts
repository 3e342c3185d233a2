/**
 * A client-side API budget like client-go's `--kube-api-qps` / `--kube-api-burst`, on p-queue:
 * at most `burst` requests start in any window of `burst / qps` seconds (so `qps` on average and
 * `burst` at once). `strict: true` makes the window sliding; without it p-queue's fixed window lets
 * about twice the cap through across a boundary.
 */
import PQueue from "p-queue";

export interface ApiBudgetOptions {
  /** Requests per second; 0 = unlimited. */
  qps: number;
  /** Requests at once after idleness; 0 = 2 × qps. */
  burst: number;
  /** Requests in flight at once. */
  concurrency: number;
}

export function createApiBudget(opts: ApiBudgetOptions): PQueue {
  if (opts.qps < 0 || opts.burst < 0 || opts.concurrency < 1) {
    throw new Error(`invalid API budget: qps ${opts.qps}, burst ${opts.burst}, concurrency ${opts.concurrency}`);
  }
  if (opts.qps === 0) return new PQueue({ concurrency: opts.concurrency });
  const burst = Math.max(1, Math.round(opts.burst || 2 * opts.qps));
  return new PQueue({ concurrency: opts.concurrency, intervalCap: burst, interval: Math.max(1, Math.round((burst / opts.qps) * 1000)), strict: true });
}
