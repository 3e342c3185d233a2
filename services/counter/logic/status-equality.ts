/**
 * Whether two Job statuses mean the same, so that an unchanged sync writes nothing. Compares what
 * the API server stores, not how it spells it: `active: 0` comes back omitted, empty uncounted
 * lists as `{}`, times as RFC 3339 strings (or Dates, through client-node). `ready` and
 * `terminating` absent count as 0 (a 1.26 server drops `terminating`; writing a 0 is no news).
 */
import type { V1JobStatus } from "@kubernetes/client-node";
import { toMs } from "./time.js";

function normalize(status: V1JobStatus | null | undefined): unknown {
  const s = status ?? {};
  return {
    active: s.active ?? 0,
    ready: s.ready ?? 0,
    terminating: s.terminating ?? 0,
    succeeded: s.succeeded ?? 0,
    failed: s.failed ?? 0,
    startTime: toMs(s.startTime),
    completionTime: toMs(s.completionTime),
    completedIndexes: s.completedIndexes ?? "",
    failedIndexes: s.failedIndexes ?? null,
    uncounted: {
      succeeded: s.uncountedTerminatedPods?.succeeded ?? [],
      failed: s.uncountedTerminatedPods?.failed ?? [],
    },
    conditions: (s.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason ?? "",
      message: c.message ?? "",
      lastProbeTime: toMs(c.lastProbeTime),
      lastTransitionTime: toMs(c.lastTransitionTime),
    })),
  };
}

export function isSameStatus(a: V1JobStatus | null | undefined, b: V1JobStatus | null | undefined): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

/**
 * Whether `after` differs from `before` only in progress figures (active, ready, terminating,
 * startTime): a write that may wait one batch period for news that matters (a Pod to list in the
 * uncounted lists, a count, a condition) instead of costing a request of its own.
 */
export function onlyProgressChanged(before: V1JobStatus | null | undefined, after: V1JobStatus | null | undefined): boolean {
  const strip = (s: V1JobStatus | null | undefined): unknown => ({ ...(normalize(s) as object), active: 0, ready: 0, terminating: 0, startTime: 0 });
  return !isSameStatus(before, after) && JSON.stringify(strip(before)) === JSON.stringify(strip(after));
}
