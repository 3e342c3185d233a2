/** Builders shared by the counter logic tests: a Job, Pods as the view shows them, a snapshot. */
import assert from "node:assert/strict";
import type { V1Job, V1JobStatus, V1Pod } from "@kubernetes/client-node";
import { JOB_TRACKING_FINALIZER } from "../../../shared/constants.js";
import type { PodPhase, PodView } from "../../../shared/view/records.js";
import { DEFAULT_SYNC_OPTIONS, type SyncOptions, type SyncSnapshot } from "../../../services/counter/logic/index.js";

/** 2024-01-01T00:00:00Z */
export const T0 = Date.UTC(2024, 0, 1);
export const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");

export interface JobSetup {
  name?: string;
  completions?: number | null;
  parallelism?: number;
  backoffLimit?: number;
  indexed?: boolean;
  suspend?: boolean;
  activeDeadlineSeconds?: number;
  podReplacementPolicy?: string;
  status?: V1JobStatus;
}

export function makeJob(setup: JobSetup = {}): V1Job {
  const name = setup.name ?? "pi";
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: "ns", uid: "job-uid", resourceVersion: "1" },
    spec: {
      completions: setup.completions === null ? undefined : (setup.completions ?? 5),
      parallelism: setup.parallelism ?? 2,
      backoffLimit: setup.backoffLimit ?? 6,
      completionMode: setup.indexed ? "Indexed" : "NonIndexed",
      suspend: setup.suspend ?? false,
      activeDeadlineSeconds: setup.activeDeadlineSeconds,
      podReplacementPolicy: setup.podReplacementPolicy,
      template: {
        metadata: { labels: { app: "pi" } },
        spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] },
      },
    },
    status: setup.status ?? { startTime: iso(T0 - 60_000) as unknown as Date },
  };
}

export interface PodSetup {
  phase?: PodPhase;
  finalizer?: boolean;
  deleting?: boolean;
  gone?: boolean;
  ready?: boolean;
  index?: number | null;
  finishedAtMs?: number | null;
  createdAtMs?: number;
}

export function pod(uid: string, setup: PodSetup = {}): PodView {
  const phase = setup.phase ?? "Running";
  const terminal = phase === "Succeeded" || phase === "Failed";
  return {
    v: 1,
    kind: "pod",
    uid,
    name: `pod-${uid}`,
    namespace: "ns",
    jobUID: "job-uid",
    resourceVersion: "1",
    phase,
    hasFinalizer: setup.gone ? false : (setup.finalizer ?? true),
    deletionTimestamp: setup.deleting ? iso(T0 - 1000) : null,
    gone: setup.gone ?? false,
    ready: setup.ready ?? false,
    completionIndex: setup.index ?? null,
    creationTimestamp: iso(setup.createdAtMs ?? T0 - 50_000),
    finishedAt: terminal && setup.finishedAtMs !== null ? iso(setup.finishedAtMs ?? T0 - 5000) : null,
  };
}

import { seededRandom } from "../../../shared/random.js";
export { seededRandom };

export interface SnapshotSetup {
  job: V1Job;
  pods?: PodView[];
  nowMs?: number;
  removalsInFlight?: string[];
  creationsInFlight?: [string, number | null][];
  deletionsInFlight?: string[];
  backoff?: SyncSnapshot["backoff"];
  options?: Partial<SyncOptions>;
  seed?: number;
}

export function makeSnapshot(setup: SnapshotSetup): SyncSnapshot {
  return {
    job: setup.job,
    pods: setup.pods ?? [],
    nowMs: setup.nowMs ?? T0,
    removalsInFlight: new Set(setup.removalsInFlight ?? []),
    creationsInFlight: new Map((setup.creationsInFlight ?? []).map(([name, index]) => [name, { index }])),
    deletionsInFlight: new Set(setup.deletionsInFlight ?? []),
    backoff: setup.backoff ?? { failuresAfterLastSuccess: 0, lastFailureTimeMs: null },
    random: seededRandom(setup.seed ?? 1),
    options: { ...DEFAULT_SYNC_OPTIONS, ...setup.options },
  };
}

/** Compare only the fields a case names; the message shows the whole want/got pair. */
export function expectFields(caseName: string, got: Record<string, unknown>, want: Record<string, unknown>): void {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(want)) picked[key] = got[key];
  assert.deepStrictEqual(picked, want, `${caseName}\nwant: ${JSON.stringify(want)}\ngot:  ${JSON.stringify(picked)}`);
}

export function conditionTypes(status: V1JobStatus | null | undefined): string[] {
  return (status?.conditions ?? []).filter((c) => c.status === "True").map((c) => c.type);
}

/**
 * A `readPod` for JobSyncer tests in which the API server agrees with the view: the Pod as the
 * counter's records show it (so a Pod first seen finished is confirmed, logic/first-seen-finished.ts).
 */
export function apiAgreesWithView(states: () => Iterable<{ pods: ReadonlyMap<string, { record: PodView }> }>): (namespace: string, name: string) => Promise<V1Pod | null> {
  return async (namespace, name) => {
    for (const s of states()) {
      for (const { record } of s.pods.values()) {
        if (record.name !== name || record.namespace !== namespace || record.gone) continue;
        return { metadata: { name, namespace, uid: record.uid, finalizers: record.hasFinalizer ? [JOB_TRACKING_FINALIZER] : [] } };
      }
    }
    return null;
  };
}
