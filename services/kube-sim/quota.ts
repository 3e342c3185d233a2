/**
 * ResourceQuota, as far as Pod counts go: the `pods` and `count/pods` hard limits, enforced by
 * admission on Pod creation with the real 403 and message. The simulator is its own quota
 * controller: `status.hard` follows `spec.hard` at once (a real server admits no create in the
 * namespace until the quota controller has filled it), and `status.used` is not maintained.
 *
 * Usage as the in-tree pod evaluator computes it (`PodUsageFunc`, `QuotaV1Pod`): `count/pods`
 * counts every Pod in storage; `pods` only those not in a terminal phase and not past their
 * deletion grace period.
 */
import { forbidden } from "./errors.js";
import type { KubeObject } from "./object.js";
import { PODS, RESOURCE_QUOTAS } from "./resources.js";
import type { Store } from "./store.js";
import type { Strategy } from "./strategies.js";

const POD_RESOURCES = ["count/pods", "pods"] as const;
type PodResource = (typeof POD_RESOURCES)[number];

export const resourceQuotaStrategy: Strategy = {
  hasStatus: true,
  tracksGeneration: false,
  prepareForCreate(obj) {
    obj.status = {};
  },
  validateCreate: () => [],
  validateUpdate: () => [],
  validateStatusUpdate: () => [],
  normalize(obj) {
    const hard = (obj.spec as { hard?: Record<string, unknown> } | undefined)?.hard;
    const status = (obj.status ?? {}) as Record<string, unknown>;
    if (hard && Object.keys(hard).length > 0) status.hard = { ...hard };
    else delete status.hard;
    obj.status = status;
  },
};

/** An integer quantity ("3", "10"); decimal suffixes ("1k") too. Anything else: no limit. */
export function parseCount(q: unknown): number | null {
  if (typeof q === "number" && Number.isFinite(q)) return q;
  if (typeof q !== "string") return null;
  const m = /^(\d+)(k|M|G)?$/.exec(q.trim());
  if (!m) return null;
  const mult = m[2] === "k" ? 1e3 : m[2] === "M" ? 1e6 : m[2] === "G" ? 1e9 : 1;
  return Number(m[1]) * mult;
}

/** In-tree `QuotaV1Pod`: the Pod still uses its `pods` quota. */
export function podUsesQuota(pod: KubeObject, now: Date): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase === "Succeeded" || phase === "Failed") return false;
  const del = pod.metadata.deletionTimestamp;
  const grace = pod.metadata.deletionGracePeriodSeconds;
  if (del !== undefined && grace !== undefined && now.getTime() > Date.parse(del) + grace * 1000) return false;
  return true;
}

function usage(store: Store, namespace: string, now: Date): Record<PodResource, number> {
  const table = store.table(PODS);
  let all = 0;
  let live = 0;
  for (const key of table.byNamespace.get(namespace) ?? []) {
    const pod = table.objects.get(key);
    if (!pod) continue;
    all++;
    if (podUsesQuota(pod, now)) live++;
  }
  return { "count/pods": all, pods: live };
}

/**
 * Quota admission of one Pod creation: throws the real 403 when a quota of the namespace would be
 * exceeded, naming the quota and only the exceeded resources:
 * `pods "x" is forbidden: exceeded quota: q, requested: pods=1, used: pods=3, limited: pods=3`.
 */
export function admitPodQuota(store: Store, namespace: string, podName: string, now: Date): void {
  const quotas = [...(store.table(RESOURCE_QUOTAS).byNamespace.get(namespace) ?? [])].sort();
  if (quotas.length === 0) return;
  let used: Record<PodResource, number> | null = null;
  for (const key of quotas) {
    const quota = store.table(RESOURCE_QUOTAS).objects.get(key);
    const hard = (quota?.status as { hard?: Record<string, unknown> } | undefined)?.hard;
    if (!quota || !hard) continue;
    used ??= usage(store, namespace, now);
    const exceeded: { name: PodResource; used: number; limit: number }[] = [];
    for (const name of POD_RESOURCES) {
      const limit = parseCount(hard[name]);
      if (limit !== null && used[name] + 1 > limit) exceeded.push({ name, used: used[name], limit });
    }
    if (exceeded.length === 0) continue;
    const list = (f: (e: (typeof exceeded)[number]) => string): string => exceeded.map(f).join(",");
    throw forbidden(
      PODS,
      podName,
      `exceeded quota: ${quota.metadata.name as string}, requested: ${list((e) => `${e.name}=1`)}, used: ${list((e) => `${e.name}=${e.used}`)}, limited: ${list((e) => `${e.name}=${e.limit}`)}`,
    );
  }
}
