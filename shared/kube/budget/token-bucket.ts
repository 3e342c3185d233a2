/**
 * A token bucket whose rate and burst can change at run time (a shared budget re-balances every
 * few hundred milliseconds), like client-go's flowcontrol rate limiter: `burst` tokens at most,
 * refilled at `rate` per second; `take()` waits for a token. Waiters are served by priority (higher
 * first), then in arrival order. Rate 0 means unlimited.
 */
import type { TimerClock } from "../../timer-clock.js";

export type BucketClock = TimerClock;

export const realClock: BucketClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface Waiter {
  priority: number;
  resolve(): void;
  reject(err: unknown): void;
  stillWanted?: () => void;
}

export class TokenBucket {
  private rate: number;
  private burst: number;
  private tokens: number;
  private last: number;
  private readonly waiters: Waiter[] = [];
  private timer: unknown = null;
  /** Tokens handed out since the bucket was made (for demand estimates). */
  taken = 0;

  constructor(
    rate: number,
    burst: number,
    private readonly clock: BucketClock = realClock,
  ) {
    assertRate(rate, burst);
    this.rate = rate;
    this.burst = Math.max(1, burst);
    this.tokens = this.burst;
    this.last = clock.now();
  }

  get qps(): number {
    return this.rate;
  }
  get capacity(): number {
    return this.burst;
  }
  /** Callers waiting for a token. */
  get waiting(): number {
    return this.waiters.length;
  }
  /** Tokens in the bucket now (refilled to this moment). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /**
   * New rate and burst. Tokens earned so far are kept up to the new burst; `fill` tops the bucket
   * up to the new burst (a member's first share of a group's burst).
   */
  setRate(rate: number, burst: number, fill = false): void {
    assertRate(rate, burst);
    this.refill();
    this.rate = rate;
    this.burst = Math.max(1, burst);
    this.tokens = fill ? this.burst : Math.min(this.tokens, this.burst);
    this.reschedule();
  }

  /**
   * Waits for a token. `stillWanted` runs when the token is about to be handed over; if it throws,
   * the wait ends with that error and the token stays in the bucket.
   */
  take(priority = 0, stillWanted?: () => void): Promise<void> {
    if (this.rate === 0) {
      this.taken++;
      return Promise.resolve();
    }
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      this.taken++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      let i = this.waiters.length;
      while (i > 0 && this.waiters[i - 1]!.priority < priority) i--;
      this.waiters.splice(i, 0, { priority, resolve, reject, stillWanted });
      this.reschedule();
    });
  }

  private refill(): void {
    const now = this.clock.now();
    if (this.rate > 0) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  private pump(): void {
    this.timer = null;
    this.refill();
    while (this.waiters.length > 0 && (this.rate === 0 || this.tokens >= 1)) {
      const w = this.waiters.shift()!;
      try {
        w.stillWanted?.();
      } catch (err) {
        w.reject(err);
        continue;
      }
      if (this.rate > 0) this.tokens -= 1;
      this.taken++;
      w.resolve();
    }
    this.reschedule();
  }

  private reschedule(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.waiters.length === 0) return;
    const waitMs = this.rate === 0 ? 0 : Math.max(0, ((1 - this.tokens) / this.rate) * 1000);
    this.timer = this.clock.setTimeout(() => this.pump(), Math.ceil(waitMs));
  }
}

function assertRate(rate: number, burst: number): void {
  if (!Number.isFinite(rate) || rate < 0 || !Number.isFinite(burst) || burst < 0) {
    throw new RangeError(`invalid token bucket: rate ${rate}/s, burst ${burst}`);
  }
}
