/**
 * The kubelet's own record of outcomes: every Pod it moved to a terminal phase, and every Pod of
 * its nodes that was deleted before it finished. End-to-end tests compare jobtally's Job counts
 * against this, so each Pod UID is recorded once, at the moment the API accepted the write.
 */
import { NO_OWNER_TOKEN } from "../../shared/constants.js";

export interface RecordedPod {
  namespace: string;
  name: string;
  podUID: string;
  /** UID of the Pod's controller owner (the Job); null for Pods without one. */
  jobUID: string | null;
  nodeName: string | null;
  /**
   * The terminal phase this kubelet set. null: the Pod vanished (deleted with grace 0 by someone
   * else, or force-deleted) before the kubelet could set one.
   */
  phase: "Succeeded" | "Failed" | null;
  exitCode: number | null;
  /** The Pod was being deleted (or gone) before it finished on its own. */
  deletedBeforeFinish: boolean;
  /**
   * The condition type this kubelet set with the failure (annotation `failure-condition`, e.g.
   * DisruptionTarget), or null. @default null (records of older simulators)
   */
  failureCondition?: string | null;
  /** When the kubelet recorded it (RFC 3339, ms). */
  recordedAt: string;
}

export interface JobTally {
  /** Pods this kubelet set Succeeded (still counted if deleted later). */
  succeeded: number;
  /** Pods this kubelet set Failed, including those it failed because they were deleted. */
  failed: number;
  /** Pods deleted before they finished: failed-by-deletion plus vanished ones. */
  deletedBeforeFinish: number;
  /**
   * Failed Pods by the condition this kubelet set with the failure (DisruptionTarget, ...); absent
   * when there was none. A podFailurePolicy Ignore rule on such a condition keeps them out of the
   * Job's `status.failed`.
   */
  failedWithCondition?: Record<string, number>;
}

export interface KubeletRecord {
  pods: RecordedPod[];
  /** Keyed by Job UID; Pods without a controller owner under "_none". */
  byJob: Record<string, JobTally>;
}

export class OutcomeRecord {
  private readonly pods = new Map<string, RecordedPod>();

  has(podUID: string): boolean {
    return this.pods.has(podUID);
  }

  /** Records `entry` unless its Pod UID is already recorded; true when it was added. */
  add(entry: RecordedPod): boolean {
    if (this.pods.has(entry.podUID)) return false;
    this.pods.set(entry.podUID, entry);
    return true;
  }

  snapshot(): KubeletRecord {
    const pods = [...this.pods.values()].map((p) => ({ ...p }));
    const byJob: Record<string, JobTally> = {};
    for (const p of pods) {
      const key = p.jobUID ?? NO_OWNER_TOKEN;
      const t = (byJob[key] ??= { succeeded: 0, failed: 0, deletedBeforeFinish: 0 });
      if (p.phase === "Succeeded") t.succeeded++;
      if (p.phase === "Failed") t.failed++;
      if (p.deletedBeforeFinish) t.deletedBeforeFinish++;
      if (p.phase === "Failed" && p.failureCondition) {
        t.failedWithCondition ??= {};
        t.failedWithCondition[p.failureCondition] = (t.failedWithCondition[p.failureCondition] ?? 0) + 1;
      }
    }
    return { pods, byJob };
  }
}
