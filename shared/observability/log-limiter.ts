/**
 * Rate limit for error log lines about bad input (a flood of forged or malformed messages must not
 * flood the logs): at most one line per key per interval, the next one saying how many were
 * suppressed meanwhile. Metrics count every occurrence; the log is for a human.
 */
export class LogLimiter {
  private readonly last = new Map<string, { atMs: number; suppressed: number }>();

  constructor(
    private readonly intervalMs: number = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Null: stay quiet. Otherwise log now, mentioning `suppressed` lines skipped since the last one. */
  take(key: string): { suppressed: number } | null {
    const t = this.now();
    const e = this.last.get(key);
    if (e && t - e.atMs < this.intervalMs) {
      e.suppressed++;
      return null;
    }
    const suppressed = e?.suppressed ?? 0;
    this.last.set(key, { atMs: t, suppressed: 0 });
    if (this.last.size > 1_000) for (const [k, v] of this.last) if (t - v.atMs >= this.intervalMs) this.last.delete(k);
    return { suppressed };
  }
}
