/**
 * client-go's EventSourceObjectSpamFilter: each involved object may emit `burst` events at once and
 * one more every `refillMs` after that (client-go: 25, and one per 5 minutes), so a Job of 100,000
 * Pods does not cost 100,000 Events. Pure apart from the clock passed in; the oldest objects are
 * forgotten past `maxObjects`.
 */
export interface SpamFilterOptions {
  burst: number;
  refillMs: number;
  maxObjects: number;
}

export const CLIENT_GO_SPAM_FILTER: SpamFilterOptions = { burst: 25, refillMs: 300_000, maxObjects: 4096 };

export class EventSpamFilter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly opts: SpamFilterOptions = CLIENT_GO_SPAM_FILTER) {}

  /** Whether an event on `objectKey` may be sent now (and takes its token). */
  allow(objectKey: string, nowMs: number): boolean {
    let b = this.buckets.get(objectKey);
    if (b) {
      this.buckets.delete(objectKey); // re-insert: the Map's order is the recency order
      b.tokens = Math.min(this.opts.burst, b.tokens + (nowMs - b.at) / this.opts.refillMs);
      b.at = nowMs;
    } else {
      b = { tokens: this.opts.burst, at: nowMs };
    }
    this.buckets.set(objectKey, b);
    if (this.buckets.size > this.opts.maxObjects) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  forget(objectKey: string): void {
    this.buckets.delete(objectKey);
  }
}
