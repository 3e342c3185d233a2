/**
 * Fan-out of store events to open watches, indexed by resource and namespace so an event only
 * reaches the watches that can want it (never a scan of all watches or of the store).
 */
import type { ChangeEvent } from "./history.js";
import type { Store } from "./store.js";

export interface WatchSubscriber {
  /** undefined = all namespaces. */
  namespace: string | undefined;
  onEvent(e: ChangeEvent): void;
  /** Ends the stream (server shutdown, admin cut-watches). */
  close(): void;
}

const ALL = "\u0000all";

export class WatchHub {
  private readonly subs = new Map<string, Map<string, Set<WatchSubscriber>>>();

  constructor(store: Store) {
    store.onChange((e) => this.dispatch(e));
  }

  add(resource: string, s: WatchSubscriber): void {
    let byNs = this.subs.get(resource);
    if (!byNs) this.subs.set(resource, (byNs = new Map()));
    const k = s.namespace ?? ALL;
    let set = byNs.get(k);
    if (!set) byNs.set(k, (set = new Set()));
    set.add(s);
  }

  remove(resource: string, s: WatchSubscriber): void {
    const byNs = this.subs.get(resource);
    const k = s.namespace ?? ALL;
    byNs?.get(k)?.delete(s);
    if (byNs?.get(k)?.size === 0) byNs.delete(k);
  }

  private dispatch(e: ChangeEvent): void {
    const byNs = this.subs.get(e.resource);
    if (!byNs) return;
    for (const k of e.namespace ? [e.namespace, ALL] : [ALL]) {
      const set = byNs.get(k);
      if (set) for (const s of [...set]) s.onEvent(e);
    }
  }

  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [r, byNs] of this.subs) {
      let n = 0;
      for (const s of byNs.values()) n += s.size;
      out[r] = n;
    }
    return out;
  }

  closeAll(): void {
    for (const byNs of this.subs.values()) for (const set of byNs.values()) for (const s of [...set]) s.close();
  }
}
