/**
 * The window of recent change events (etcd's history as the watch cache keeps it): watches resume
 * from any resourceVersion inside it, older ones get 410 Expired. Bounded by a count, and dropped
 * entirely by compact().
 */
import type { KubeObject } from "./object.js";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface ChangeEvent {
  rv: number;
  type: EventType;
  /** resourceKey() of the resource: "pods", "jobs.batch". */
  resource: string;
  namespace: string;
  key: string;
  /** The stored object after the change; for DELETED the last stored object (at the delete's RV). */
  object: KubeObject;
  /** The stored object before the change (undefined for ADDED). */
  prev: KubeObject | undefined;
}

export class EventHistory {
  private events: ChangeEvent[] = [];
  private head = 0;
  /** The RV just before the oldest retained event: watches from here on can be served. */
  private floor = 0;

  constructor(private windowSize: number) {}

  setWindow(size: number): void {
    this.windowSize = size;
    this.trim();
  }

  append(e: ChangeEvent): void {
    this.events.push(e);
    this.trim();
  }

  private trim(): void {
    while (this.events.length - this.head > this.windowSize) {
      const dropped = this.events[this.head] as ChangeEvent;
      this.floor = dropped.rv;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  /** Drops every event: only the current RV stays watchable. */
  compact(currentRv: number): void {
    this.events = [];
    this.head = 0;
    this.floor = currentRv;
  }

  /** The oldest RV a watch or an exact list can start from. */
  oldestAvailable(): number {
    return this.floor;
  }

  /** Events with rv > `rv`, oldest first. Caller checks rv >= oldestAvailable(). */
  since(rv: number): ChangeEvent[] {
    let lo = this.head;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.events[mid] as ChangeEvent).rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.events.slice(lo);
  }

  get size(): number {
    return this.events.length - this.head;
  }
}
