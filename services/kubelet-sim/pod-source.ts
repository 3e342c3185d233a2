/**
 * List+watch of the Pods in scope, written against plain HTTP semantics so it works with any API
 * server: list (paginated), then watch from the list's resourceVersion with bookmarks; resume
 * from the last seen resourceVersion when a watch ends; relist on 410 Gone (reporting Pods that
 * vanished meanwhile as removed); back off and retry on any other error.
 */
import { Watch, type CoreV1Api, type KubeConfig, type V1Pod, type V1PodList } from "@kubernetes/client-node";
import type { Logger } from "../../shared/observability/logger.js";
import { apiErrorInfo } from "../../shared/kube/errors.js";
import { backoffDelayMs, sleep } from "../../shared/backoff.js";

export interface PodSourceHandlers {
  upsert(pod: V1Pod): void;
  remove(pod: V1Pod): void;
}

export interface PodSourceOptions {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  /** null = all namespaces. */
  namespace: string | null;
  labelSelector: string;
  logger: Logger;
  /** Page size of the list. */
  pageSize?: number;
  /** Server-side watch timeout; the watch is then resumed from the last resourceVersion. */
  watchTimeoutSeconds?: number;
}

export interface PodSource {
  /** Resolves after the first complete list has been delivered. */
  synced: Promise<void>;
  stop(): Promise<void>;
}

class WatchExpired extends Error {
  override readonly name = "WatchExpired";
}

const BACKOFF = { baseMs: 200, maxMs: 10_000 };

export function startPodSource(opts: PodSourceOptions, h: PodSourceHandlers): PodSource {
  const log = opts.logger;
  const abort = new AbortController();
  const known = new Map<string, V1Pod>();
  const watch = new Watch(opts.kubeConfig);
  const path = opts.namespace ? `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/pods` : "/api/v1/pods";
  let currentWatch: AbortController | null = null;
  let markSynced!: () => void;
  const synced = new Promise<void>((r) => (markSynced = r));

  const upsert = (pod: V1Pod): void => {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    known.set(uid, pod);
    h.upsert(pod);
  };
  const remove = (pod: V1Pod): void => {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    known.delete(uid);
    h.remove(pod);
  };

  async function listPage(cont: string | undefined): Promise<V1PodList> {
    const common = { labelSelector: opts.labelSelector || undefined, limit: opts.pageSize ?? 500, _continue: cont };
    return opts.namespace ? opts.core.listNamespacedPod({ namespace: opts.namespace, ...common }) : opts.core.listPodForAllNamespaces(common);
  }

  /** A full list; returns its resourceVersion. A 410 on a continue token restarts the list. */
  async function relist(): Promise<string> {
    for (;;) {
      const items: V1Pod[] = [];
      let cont: string | undefined;
      let rv = "";
      try {
        do {
          const page = await listPage(cont);
          items.push(...page.items);
          if (!rv) rv = page.metadata?.resourceVersion ?? "";
          cont = page.metadata?._continue || undefined;
        } while (cont && !abort.signal.aborted);
      } catch (err) {
        if (cont && apiErrorInfo(err).code === 410) {
          log.info({ err: apiErrorInfo(err).message }, "continue token expired, listing again");
          continue;
        }
        throw err;
      }
      const seen = new Set<string>();
      for (const pod of items) {
        const uid = pod.metadata?.uid;
        if (uid) seen.add(uid);
        upsert(pod);
      }
      for (const [uid, pod] of [...known]) if (!seen.has(uid)) remove(pod);
      return rv;
    }
  }

  /** One watch from `rv`; resolves with the last resourceVersion seen when the server ends it. */
  function watchOnce(rv: string): Promise<string> {
    let last = rv;
    let expired = false;
    let failure: Error | null = null;
    return new Promise<string>((resolve, reject) => {
      const done = (err: unknown): void => {
        currentWatch = null;
        if (expired) return reject(new WatchExpired(`resourceVersion ${last} expired`));
        if (failure) return reject(failure);
        const status = (err as { statusCode?: number } | null)?.statusCode;
        if (status === 410) return reject(new WatchExpired(`watch answered 410 at ${last}`));
        if (err && !abort.signal.aborted) return reject(err instanceof Error ? err : new Error(String(err)));
        resolve(last);
      };
      watch
        .watch(
          path,
          {
            resourceVersion: rv,
            allowWatchBookmarks: true,
            labelSelector: opts.labelSelector || undefined,
            timeoutSeconds: opts.watchTimeoutSeconds ?? 240 + Math.floor(Math.random() * 60),
          },
          (type: string, obj: unknown) => {
            const o = obj as V1Pod & { code?: number; message?: string; reason?: string };
            switch (type) {
              case "ADDED":
              case "MODIFIED":
                upsert(o);
                break;
              case "DELETED":
                remove(o);
                break;
              case "BOOKMARK":
                break;
              case "ERROR":
                if (o.code === 410) expired = true;
                else failure = new Error(`watch ERROR event: ${o.code ?? "?"} ${o.reason ?? ""} ${o.message ?? ""}`);
                return;
              default:
                return;
            }
            const next = o.metadata?.resourceVersion;
            if (next) last = next;
          },
          done,
        )
        .then((ctrl) => {
          currentWatch = ctrl;
          if (abort.signal.aborted) ctrl.abort();
        }, reject);
    });
  }

  const loop = (async () => {
    let rv: string | null = null;
    let attempt = 0;
    while (!abort.signal.aborted) {
      try {
        if (rv === null) {
          rv = await relist();
          markSynced();
        }
        const startedAt = Date.now();
        rv = await watchOnce(rv);
        // A watch that ends at once, again and again, would spin: back off as for an error.
        if (Date.now() - startedAt < 1000 && !abort.signal.aborted) await sleep(backoffDelayMs(++attempt, BACKOFF), abort.signal);
        else attempt = 0;
      } catch (err) {
        if (abort.signal.aborted) break;
        if (err instanceof WatchExpired) {
          log.info({ reason: err.message }, "watch expired, relisting");
          rv = null;
          continue;
        }
        attempt++;
        const info = apiErrorInfo(err);
        const delay = info.retryAfterMs ?? backoffDelayMs(attempt, BACKOFF);
        log.warn({ code: info.code, err: info.message, attempt, delayMs: delay }, "pod list/watch failed, retrying");
        await sleep(delay, abort.signal);
      }
    }
  })();

  return {
    synced,
    async stop() {
      abort.abort();
      currentWatch?.abort();
      await loop;
    },
  };
}
