/**
 * A lag watchdog for `/healthz`: a timer that should fire every `intervalMs` measures how late it
 * fires. A process whose event loop is wedged (a runaway synchronous loop, a stuck native call,
 * starved by GC) answers nothing in time, or answers between long stalls: both show up here as a
 * lag over `maxLagMs`, and the process reports itself unhealthy for `holdMs` after the last one,
 * so Kubernetes restarts it. An outage of NATS or the API server never makes it unhealthy.
 */
export interface EventLoopWatchdogOptions {
  /** Lag above which the process is unhealthy. */
  maxLagMs: number;
  /** How often the timer fires. @default 500 */
  intervalMs?: number;
  /** How long a stall keeps the process unhealthy. @default 30_000 */
  holdMs?: number;
  /** Monotonic clock. @default performance.now */
  now?: () => number;
  /** Called once per stall over the limit (log line, metric). */
  onStall?(lagMs: number): void;
}

export interface EventLoopWatchdog {
  /** False while the loop is stalled, or was within `holdMs`. */
  isHealthy(): boolean;
  /** The largest lag seen in the last check, in ms. */
  lastLagMs(): number;
  /** Records one timer firing (exported for tests with a manual clock). */
  tick(): void;
  stop(): void;
}

export function startEventLoopWatchdog(opts: EventLoopWatchdogOptions): EventLoopWatchdog {
  const intervalMs = opts.intervalMs ?? 500;
  const holdMs = opts.holdMs ?? 30_000;
  const now = opts.now ?? (() => performance.now());
  let expected = now() + intervalMs;
  let lag = 0;
  let stalledAt: number | null = null;
  const tick = (): void => {
    const t = now();
    lag = Math.max(0, t - expected);
    expected = t + intervalMs;
    if (lag > opts.maxLagMs) {
      stalledAt = t;
      opts.onStall?.(lag);
    }
  };
  const timer = opts.now ? null : setInterval(tick, intervalMs);
  timer?.unref();
  return {
    isHealthy() {
      const t = now();
      // The timer itself is overdue: the loop is stalled right now (seen between two stalls).
      if (t - expected > opts.maxLagMs) return false;
      return stalledAt === null || t - stalledAt >= holdMs;
    },
    lastLagMs: () => lag,
    tick,
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}
