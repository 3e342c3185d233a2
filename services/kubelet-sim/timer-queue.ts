/**
 * One timer for all Pods: a min-heap of due times and a single armed `setTimeout` for the
 * earliest. Thousands of Pods then cost one timer, and rescheduling a key is O(log n) (the old
 * heap entry is left behind and skipped when it surfaces).
 */

import type { TimerClock } from "../../shared/timer-clock.js";
export type { TimerClock };

export const systemTimerClock: TimerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface Entry<K> {
  atMs: number;
  seq: number;
  key: K;
}

export interface Scheduled {
  atMs: number;
  tag: string;
}

export class TimerQueue<K> {
  private readonly heap: Entry<K>[] = [];
  private readonly live = new Map<K, { atMs: number; seq: number; tag: string }>();
  private seq = 0;
  private armedAt: number | null = null;
  private handle: unknown = null;
  private closed = false;

  constructor(
    private readonly onDue: (key: K, tag: string) => void,
    private readonly clock: TimerClock = systemTimerClock,
  ) {}

  get size(): number {
    return this.live.size;
  }

  /** Schedules `key` at `atMs`, replacing any earlier schedule of the same key. */
  schedule(key: K, atMs: number, tag: string): void {
    if (this.closed) return;
    const seq = ++this.seq;
    this.live.set(key, { atMs, seq, tag });
    this.push({ atMs, seq, key });
    this.arm();
  }

  scheduled(key: K): Scheduled | undefined {
    const e = this.live.get(key);
    return e ? { atMs: e.atMs, tag: e.tag } : undefined;
  }

  cancel(key: K): void {
    this.live.delete(key);
  }

  close(): void {
    this.closed = true;
    if (this.handle !== null) this.clock.clearTimeout(this.handle);
    this.handle = null;
    this.live.clear();
    this.heap.length = 0;
  }

  private arm(): void {
    this.dropStaleTop();
    const top = this.heap[0];
    if (!top) return;
    if (this.armedAt !== null && this.armedAt <= top.atMs) return;
    if (this.handle !== null) this.clock.clearTimeout(this.handle);
    this.armedAt = top.atMs;
    this.handle = this.clock.setTimeout(() => this.fire(), Math.max(0, top.atMs - this.clock.now()));
  }

  private fire(): void {
    this.handle = null;
    this.armedAt = null;
    if (this.closed) return;
    const now = this.clock.now();
    const due: [K, string][] = [];
    for (;;) {
      this.dropStaleTop();
      const top = this.heap[0];
      if (!top || top.atMs > now) break;
      this.pop();
      const live = this.live.get(top.key);
      if (live && live.seq === top.seq) {
        this.live.delete(top.key);
        due.push([top.key, live.tag]);
      }
    }
    this.arm();
    for (const [key, tag] of due) this.onDue(key, tag);
  }

  private dropStaleTop(): void {
    for (;;) {
      const top = this.heap[0];
      if (!top) return;
      const live = this.live.get(top.key);
      if (live && live.seq === top.seq) return;
      this.pop();
    }
  }

  private push(e: Entry<K>): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i] as Entry<K>, h[parent] as Entry<K>)) break;
      [h[i], h[parent]] = [h[parent] as Entry<K>, h[i] as Entry<K>];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (h.length === 0 || !last) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l] as Entry<K>, h[m] as Entry<K>)) m = l;
      if (r < h.length && this.less(h[r] as Entry<K>, h[m] as Entry<K>)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m] as Entry<K>, h[i] as Entry<K>];
      i = m;
    }
  }

  private less(a: Entry<K>, b: Entry<K>): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  }
}
