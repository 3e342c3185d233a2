/**
 * The checker's eyes: a list and then a watch of the run's Jobs, and one of its Pods, through the
 * simulator's HTTP API, feeding every event to the Checker in resourceVersion order. A watch that
 * ends is resumed from the last resourceVersion seen (nothing is missed); only a 410 Gone forces a
 * relist, which is a gap (counted, and the checker treats what changed across it as uncertain).
 * It reconnects within milliseconds, much faster than the services back off, so the campaign's
 * forced compactions catch the services and rarely the checker.
 */
import { sleep } from "../../shared/backoff.js";
import type { Checker } from "./checker/checker.js";
import type { KubeHttp } from "./kube-http.js";

class Gone extends Error {
  override readonly name = "Gone";
}

interface Feed {
  listed(items: readonly unknown[], atMs: number): void;
  event(type: "ADDED" | "MODIFIED" | "DELETED", obj: unknown, atMs: number): void;
}

export class Observer {
  private readonly abort = new AbortController();
  private readonly open = { jobs: false, pods: false };
  private readonly opened = { jobs: 0, pods: 0 };
  private loops: Promise<void>[] = [];
  /** Relists after the first one (each a gap in what the checker saw). */
  gaps = 0;

  constructor(
    private readonly api: KubeHttp,
    private readonly namespace: string,
    private readonly checker: Checker,
    private readonly now: () => number = Date.now,
  ) {}

  /** Lists both resources, then keeps watching them until `stop()`. */
  async start(): Promise<void> {
    const ready: Promise<void>[] = [];
    const jobsFeed: Feed = {
      listed: (items, at) => this.checker.onJobsListed(items, at),
      event: (type, obj, at) => (type === "DELETED" ? this.checker.onJobDeleted(obj, at, true) : this.checker.onJob(obj, at, true)),
    };
    const podsFeed: Feed = {
      listed: (items, at) => this.checker.onPodsListed(items, at),
      event: (type, obj, at) => (type === "DELETED" ? this.checker.onPodDeleted(obj, at, true) : this.checker.onPod(obj, at, true)),
    };
    for (const [key, path, feed] of [
      ["jobs", this.api.jobsPath(this.namespace), jobsFeed],
      ["pods", this.api.podsPath(this.namespace), podsFeed],
    ] as const) {
      let listedOnce!: () => void;
      ready.push(new Promise<void>((r) => (listedOnce = r)));
      this.loops.push(this.loop(key, path, feed, listedOnce));
    }
    await Promise.all(ready);
  }

  /** How many watches each resource has opened so far. */
  connections(): { jobs: number; pods: number } {
    return { ...this.opened };
  }

  /**
   * True once both watches are open on connections made after `since` (a `connections()` taken
   * before the watches were cut), or false after `timeoutMs`.
   */
  async waitReconnected(since: { jobs: number; pods: number }, timeoutMs: number): Promise<boolean> {
    const deadline = this.now() + timeoutMs;
    while (!(this.open.jobs && this.open.pods && this.opened.jobs > since.jobs && this.opened.pods > since.pods)) {
      if (this.now() > deadline || this.abort.signal.aborted) return false;
      await sleep(2);
    }
    return true;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  private async loop(key: "jobs" | "pods", path: string, feed: Feed, listedOnce: () => void): Promise<void> {
    let rv: string | null = null;
    let lists = 0;
    while (!this.abort.signal.aborted) {
      try {
        if (rv === null) {
          const l = await this.api.list(path);
          feed.listed(l.items, this.now());
          rv = l.resourceVersion;
          if (lists++ === 0) listedOnce();
          else this.gaps++;
        }
        rv = await this.watchOnce(key, path, rv, feed);
      } catch (err) {
        if (this.abort.signal.aborted) break;
        if (err instanceof Gone) rv = null;
        else await sleep(10, this.abort.signal);
      }
    }
  }

  /** One watch from `rv`; resolves with the last resourceVersion seen when the stream ends. */
  private async watchOnce(key: "jobs" | "pods", path: string, rv: string, feed: Feed): Promise<string> {
    const url = `${this.api.baseUrl}${path}?watch=1&allowWatchBookmarks=true&timeoutSeconds=3600&resourceVersion=${encodeURIComponent(rv)}`;
    const res = await fetch(url, { signal: this.abort.signal });
    if (res.status === 410) throw new Gone();
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw new Error(`watch ${path}: ${res.status}`);
    }
    this.open[key] = true;
    this.opened[key]++;
    let last = rv;
    const decoder = new TextDecoder();
    let buffered = "";
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line === "") continue;
          const ev = JSON.parse(line) as { type: string; object: { code?: number; metadata?: { resourceVersion?: string } } };
          if (ev.type === "ERROR") {
            if (ev.object.code === 410) throw new Gone();
            throw new Error(`watch ${path}: ERROR ${JSON.stringify(ev.object).slice(0, 200)}`);
          }
          const next = ev.object.metadata?.resourceVersion;
          if (ev.type === "ADDED" || ev.type === "MODIFIED" || ev.type === "DELETED") feed.event(ev.type, ev.object, this.now());
          if (next) last = next;
        }
      }
    } finally {
      this.open[key] = false;
    }
    return last;
  }
}
