/** A clock with timers, injected wherever timing logic is tested with a manual clock. */
export interface TimerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
