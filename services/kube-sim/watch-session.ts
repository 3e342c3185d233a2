/**
 * One watch stream: newline-delimited JSON events over a chunked 200 response. Replays history or
 * sends synthetic ADDED events, then follows live events; translates MODIFIED into ADDED/DELETED
 * when an object moves into or out of the selectors; bookmarks; timeoutSeconds; cuts.
 */
import type { ServerResponse } from "node:http";
import type { ApiError } from "./errors.js";
import type { ChangeEvent } from "./history.js";
import { storedJson, type KubeObject } from "./object.js";
import { apiVersionOf, resourceKey, type ResourceInfo } from "./resources.js";
import { matchesFields, matchesLabels, type FieldSelector, type LabelSelector } from "./selectors.js";
import { toTable, type IncludeObject } from "./table.js";
import type { WatchHub, WatchSubscriber } from "./watch-hub.js";

export interface WatchSessionOptions {
  resource: ResourceInfo;
  namespace: string | undefined;
  labels: LabelSelector;
  fields: FieldSelector;
  bookmarks: boolean;
  bookmarkIntervalMs: number;
  timeoutMs: number | undefined;
  cutAfterMs: number | undefined;
  table: IncludeObject | undefined;
  nowMs(): number;
  currentRv(): number;
  onClose(): void;
}

export class WatchSession implements WatchSubscriber {
  private pending: string[] = [];
  readonly namespace: string | undefined;
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly filtered: boolean;

  constructor(
    private readonly res: ServerResponse,
    private readonly hub: WatchHub,
    private readonly o: WatchSessionOptions,
  ) {
    this.namespace = o.namespace;
    this.filtered = o.labels.length > 0 || o.fields.length > 0;
    res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private", "Transfer-Encoding": "chunked" });
    res.socket?.setNoDelay(true);
    res.flushHeaders();
    res.on("close", () => this.close());
  }

  /** Sends the initial events (synthetic ADDED or replay) and subscribes, in one tick. */
  start(initial: { added: KubeObject[] } | { replay: ChangeEvent[] }, initialEventsEnd: boolean): void {
    if ("added" in initial) for (const o of initial.added) this.write("ADDED", o);
    else for (const e of initial.replay) this.onEvent(e);
    if (initialEventsEnd && this.o.bookmarks) this.bookmark({ "k8s.io/initial-events-end": "true" });
    this.hub.add(resourceKey(this.o.resource), this);
    if (this.o.bookmarks) {
      const t = setInterval(() => this.bookmark(), this.o.bookmarkIntervalMs);
      t.unref();
      this.timers.push(t);
    }
    if (this.o.timeoutMs !== undefined) this.timers.push(setTimeout(() => this.close(), this.o.timeoutMs));
    if (this.o.cutAfterMs !== undefined) this.timers.push(setTimeout(() => this.close(), this.o.cutAfterMs));
  }

  /** Answers with one ERROR event and closes (e.g. 410 Expired). */
  fail(err: ApiError): void {
    if (!this.closed) this.send(`${JSON.stringify({ type: "ERROR", object: err.toStatus() })}\n`);
    this.close();
  }

  private matches(o: KubeObject | undefined): boolean {
    if (!o) return false;
    if (!this.filtered) return true;
    return matchesLabels(this.o.labels, o.metadata.labels) && matchesFields(this.o.fields, o);
  }

  onEvent(e: ChangeEvent): void {
    if (this.closed) return;
    if (e.type === "ADDED") {
      if (this.matches(e.object)) this.write("ADDED", e.object);
    } else if (e.type === "DELETED") {
      if (this.matches(e.object)) this.write("DELETED", e.object);
    } else if (!this.filtered) {
      this.write("MODIFIED", e.object);
    } else {
      const was = this.matches(e.prev);
      const is = this.matches(e.object);
      if (was && is) this.write("MODIFIED", e.object);
      else if (is) this.write("ADDED", e.object);
      else if (was) this.write("DELETED", e.object);
    }
  }

  private write(type: string, o: KubeObject): void {
    if (this.closed) return;
    if (this.o.table) {
      const table = toTable(this.o.resource, [o], { resourceVersion: o.metadata.resourceVersion }, this.o.table, this.o.nowMs());
      this.send(`${JSON.stringify({ type, object: table })}\n`);
    } else {
      this.send(`{"type":"${type}","object":${storedJson(o)}}\n`);
    }
  }

  private bookmark(annotations?: Record<string, string>): void {
    if (this.closed) return;
    const metadata: Record<string, unknown> = { resourceVersion: String(this.o.currentRv()) };
    if (annotations) metadata.annotations = annotations;
    const object = { kind: this.o.resource.kind, apiVersion: apiVersionOf(this.o.resource), metadata };
    this.send(`${JSON.stringify({ type: "BOOKMARK", object })}\n`);
  }

  /**
   * Events of one turn of the event loop go out in one write (one syscall instead of one per
   * event: at thousands of events a second that is most of the simulator's time).
   */
  private send(line: string): void {
    if (this.pending.length === 0) setImmediate(() => this.flush());
    this.pending.push(line);
  }

  private flush(): void {
    if (this.pending.length === 0 || this.res.writableEnded) return;
    const out = this.pending.length === 1 ? this.pending[0]! : this.pending.join("");
    this.pending = [];
    this.res.write(out);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.hub.remove(resourceKey(this.o.resource), this);
    this.res.end();
    this.o.onClose();
  }
}
