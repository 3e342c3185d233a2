/** Assertions every end-to-end test makes about a finished Job. */
import assert from "node:assert/strict";
import type { V1Job } from "@kubernetes/client-node";
import type { Pipeline } from "../support/pipeline.js";
import { waitFor } from "../support/processes.js";

/**
 * The user's checks: the Job's succeeded/failed equal what the kubelet did, no UID is left
 * uncounted, and no Pod of the namespace still holds the tracking finalizer.
 */
export async function assertCountsMatchKubelet(p: Pipeline, job: V1Job, opts: { indexed?: boolean } = {}): Promise<{ succeeded: number; failed: number }> {
  const uid = job.metadata?.uid as string;
  const record = await p.kubeletRecord();
  const mine = record.byJob[uid] ?? { succeeded: 0, failed: 0, deletedBeforeFinish: 0 };
  const status = job.status ?? {};
  const uncounted = (status.uncountedTerminatedPods?.succeeded?.length ?? 0) + (status.uncountedTerminatedPods?.failed?.length ?? 0);
  assert.equal(uncounted, 0, `uncountedTerminatedPods not empty: ${JSON.stringify(status.uncountedTerminatedPods)}`);
  if (opts.indexed) {
    assert.equal(status.succeeded ?? 0, job.spec?.completions, "Indexed: every index succeeded once");
    assert.ok((status.succeeded ?? 0) <= mine.succeeded, `succeeded ${status.succeeded} > kubelet's ${mine.succeeded}`);
  } else {
    assert.equal(status.succeeded ?? 0, mine.succeeded, `succeeded: Job says ${status.succeeded}, kubelet set ${mine.succeeded} Pods Succeeded`);
  }
  assert.equal(status.failed ?? 0, mine.failed, `failed: Job says ${status.failed}, kubelet set ${mine.failed} Pods Failed`);
  await waitFor(async () => (await p.podsWithFinalizer()).length === 0, { timeoutMs: 30_000, intervalMs: 200, what: "no Pod to hold the tracking finalizer" });
  return { succeeded: status.succeeded ?? 0, failed: status.failed ?? 0 };
}

export function conditionOf(job: V1Job, type: string): { status: string; reason?: string } | undefined {
  return job.status?.conditions?.find((c) => c.type === type);
}
