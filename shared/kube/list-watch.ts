/**
 * List+watch of one resource, like client-go's Reflector: list (paginated), then watch from the
 * list's resourceVersion with bookmarks; after a cut, re-watch from the last resourceVersion seen;
 * on 410 Gone (or any failure to resume), list again. A complete list is handed over in one call so
 * the caller can find objects that vanished while it was not watching.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "../observability/logger.js";
import type { WatchOpener } from "./client.js";
import { backoffDelayMs, sleep } from "../backoff.js";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface ListPage<T> {
  items: T[];
  resourceVersion: string;
  continueToken: string | undefined;
}

export interface ListWatchHandler<T> {
  /** Every object that exists as of `resourceVersion` (one complete list). */
  onListed(items: T[], resourceVersion: string): Promise<void>;
  onEvent(type: WatchEventType, obj: T): void;
  /** A bookmark or any event moved the watch to this resourceVersion. */
  onProgress(resourceVersion: string): void;
}

export interface ListWatchOptions<T> {
  resource: string;
  /** How watches are opened: the services' light clients (`KubeClients.watch`), or client-node's Watch on this KubeConfig. */
  watch?: WatchOpener;
  kubeConfig?: KubeConfig;
  /** API path to watch, e.g. `/api/v1/pods`. */
  watchPath: string;
  labelSelector?: string;
  listPage(continueToken: string | undefined, limit: number): Promise<ListPage<T>>;
  handler: ListWatchHandler<T>;
  logger: Logger;
  signal: AbortSignal;
  pageSize?: number;
  /** Server-side watch timeout; the watch is re-opened after it (default 300 s). */
  watchTimeoutSeconds?: number;
  onRelist?(reason: string): void;
  /** The watch is open (true) or not: listing, backing off, or reconnecting (false). */
  onWatchOpen?(open: boolean): void;
}

/** The opener of `opts`: its `watch`, or client-node's Watch (loaded only then) on its KubeConfig. */
async function openWatch(opts: Pick<ListWatchOptions<unknown>, "watch" | "kubeConfig">): Promise<WatchOpener> {
  if (opts.watch) return opts.watch;
  if (!opts.kubeConfig) throw new Error("runListWatch needs `watch` or `kubeConfig`");
  const { Watch } = await import("@kubernetes/client-node");
  const w = new Watch(opts.kubeConfig);
  return (path, query, onEvent, onDone) => w.watch(path, query, onEvent, onDone);
}

class GoneError extends Error {
  override readonly name = "GoneError";
}

export async function runListWatch<T extends { metadata?: { resourceVersion?: string } }>(opts: ListWatchOptions<T>): Promise<void> {
  const { logger, signal } = opts;
  const log = logger.child({ resource: opts.resource });
  let resourceVersion: string | null = null;
  let failures = 0;
  while (!signal.aborted) {
    try {
      if (resourceVersion === null) {
        resourceVersion = await listAll(opts);
        failures = 0;
      }
      resourceVersion = await watchOnce(opts, resourceVersion, () => {
        failures = 0;
      });
    } catch (err) {
      if (signal.aborted) break;
      if (err instanceof GoneError) {
        log.warn({ resourceVersion }, "watch expired (410 Gone): relisting");
        opts.onRelist?.("410");
        resourceVersion = null;
        continue;
      }
      failures++;
      const delay = backoffDelayMs(failures, { baseMs: 200, maxMs: 10_000 });
      log.warn({ err: String((err as Error)?.message ?? err), attempt: failures, delayMs: delay }, "list/watch failed; retrying");
      if (failures >= 5 && resourceVersion !== null) {
        // A watch that keeps failing to resume may be on a resourceVersion the server lost.
        opts.onRelist?.("repeated-failures");
        resourceVersion = null;
      }
      await sleep(delay, signal);
    }
  }
}

async function listAll<T extends { metadata?: { resourceVersion?: string } }>(opts: ListWatchOptions<T>): Promise<string> {
  const items: T[] = [];
  let token: string | undefined;
  let rv = "";
  do {
    const page = await opts.listPage(token, opts.pageSize ?? 500);
    items.push(...page.items);
    token = page.continueToken || undefined;
    if (!rv) rv = page.resourceVersion;
  } while (token !== undefined && !opts.signal.aborted);
  // Progress first: what onListed publishes (the watcher's first sync markers) carries the list's
  // resourceVersion, not an older one.
  opts.handler.onProgress(rv);
  await opts.handler.onListed(items, rv);
  return rv;
}

/** Watches until the stream ends; returns the last resourceVersion seen. Throws GoneError on 410. */
function watchOnce<T extends { metadata?: { resourceVersion?: string } }>(
  opts: ListWatchOptions<T>,
  fromResourceVersion: string,
  onHealthy: () => void,
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let rv = fromResourceVersion;
    let gone = false;
    let settled = false;
    let controller: { abort(): void } | undefined;
    const onAbort = (): void => controller?.abort();
    const finish = (err: unknown): void => {
      if (settled) return;
      settled = true;
      opts.onWatchOpen?.(false);
      opts.signal.removeEventListener("abort", onAbort);
      if (gone) reject(new GoneError("resource version expired"));
      else if (err && !opts.signal.aborted) reject(err);
      else resolve(rv);
    };
    const timeout = opts.watchTimeoutSeconds ?? 300;
    openWatch(opts)
      .then((watch) =>
        watch(
        opts.watchPath,
        {
          resourceVersion: rv,
          allowWatchBookmarks: true,
          timeoutSeconds: Math.round(timeout * (1 + Math.random() * 0.2)),
          labelSelector: opts.labelSelector,
        },
        (type: string, raw: unknown) => {
          const obj = raw as T & { code?: number; reason?: string };
          if (type === "ERROR") {
            if (obj?.code === 410 || obj?.reason === "Expired" || obj?.reason === "Gone") gone = true;
            controller?.abort();
            finish(new Error(`watch error: ${JSON.stringify(obj).slice(0, 300)}`));
            return;
          }
          const objRv = obj?.metadata?.resourceVersion;
          if (objRv) rv = objRv;
          onHealthy();
          if (type === "BOOKMARK") {
            opts.handler.onProgress(rv);
            return;
          }
          if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") {
            opts.handler.onEvent(type, obj);
            opts.handler.onProgress(rv);
          }
        },
        (err: unknown) => {
          const e = err as { statusCode?: number; code?: unknown } | null;
          if (e?.statusCode === 410 || e?.code === 410) gone = true;
          finish(err);
        },
      ))
      .then((c) => {
        controller = c;
        if (!settled) opts.onWatchOpen?.(true);
        if (opts.signal.aborted) c.abort();
        else opts.signal.addEventListener("abort", onAbort, { once: true });
      })
      .catch(finish);
  });
}
