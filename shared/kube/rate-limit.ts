/**
 * A client-side API budget like client-go's `--kube-api-qps` / `--kube-api-burst`: a p-queue worker
 * pool (concurrency and priority) whose tasks each take a token from a token bucket before their
 * request. The bucket's rate can change at run time, which is how a shared budget re-balances.
 */
import PQueue from "p-queue";
import { TokenBucket, type BucketClock, realClock } from "./budget/token-bucket.js";

export interface ApiBudgetOptions {
  /** Requests per second; 0 = unlimited. */
  qps: number;
  /** Requests at once after idleness; 0 = 2 × qps. */
  burst: number;
  /** Requests in flight at once. */
  concurrency: number;
  clock?: BucketClock;
}

export class ApiBudget {
  readonly queue: PQueue;
  readonly bucket: TokenBucket;

  constructor(opts: ApiBudgetOptions) {
    if (!(opts.qps >= 0) || !(opts.burst >= 0) || !(opts.concurrency >= 1)) {
      throw new RangeError(`invalid API budget: qps ${opts.qps}, burst ${opts.burst}, concurrency ${opts.concurrency}`);
    }
    this.queue = new PQueue({ concurrency: opts.concurrency });
    this.bucket = new TokenBucket(opts.qps, defaultBurst(opts.qps, opts.burst), opts.clock ?? realClock);
  }

  /**
   * Runs `call` once a worker is free and a token is had; higher priority goes first at both.
   * `stillWanted` (throwing when the request is no longer wanted) runs when a worker takes the task
   * and again when its token is handed over, so a request that went stale while it waited costs
   * no token and makes no request.
   */
  run<T>(call: () => Promise<T>, priority = 0, stillWanted?: () => void): Promise<T> {
    return this.queue.add(
      async () => {
        stillWanted?.();
        await this.bucket.take(priority, stillWanted);
        return call();
      },
      { priority },
    );
  }

  /** Requests queued or in flight (including those waiting for a token). */
  get backlog(): number {
    return this.queue.size + this.queue.pending;
  }

  onIdle(): Promise<void> {
    return this.queue.onIdle();
  }
}

export function defaultBurst(qps: number, burst: number): number {
  return Math.max(1, Math.round(burst || 2 * qps));
}
