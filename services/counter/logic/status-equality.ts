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
