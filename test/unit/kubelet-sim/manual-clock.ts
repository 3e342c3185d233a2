/** A TimerClock that moves only when a test advances it, firing due timers in time order. */
import type { TimerClock } from "../../../services/kubelet-sim/timer-queue.js";

export function manualClock(start = 0): TimerClock & { advance(ms: number): void; armed(): number } {
  let now = start;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let id = 0;
  return {
    now: () => now,
    setTimeout(fn, ms) {
      timers.set(++id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(h) {
      timers.delete(h as number);
    },
    advance(ms) {
      now += ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= now).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) return;
        timers.delete(due[0]);
        due[1].fn();
      }
    },
    armed: () => timers.size,
  };
}
