/**
 * `spec.podFailurePolicy`: in-tree `pod_failure_policy.go` (`matchPodFailurePolicy`,
 * `matchOnExitCodes`, `matchOnPodConditions`, `isOnExitCodesOperatorMatching`) and
 * `getFailJobMessage`, over what the view keeps of a Pod. A pure matcher that imports only types.
 *
 * The rules are evaluated in order; the first that matches decides. A rule with an action or an
 * operator this version does not know never matches (in-tree skips it the same way), so a newer
 * API server's Job degrades to the default handling instead of failing the sync.
 */
import type { V1Job, V1PodFailurePolicy, V1PodFailurePolicyOnExitCodesRequirement, V1PodFailurePolicyOnPodConditionsPattern } from "@kubernetes/client-node";
import type { ContainerExitCode, PodConditionView, PodView } from "../../../shared/view/records.js";

export type PodFailurePolicyAction = "FailJob" | "FailIndex" | "Ignore" | "Count";

export interface PodFailurePolicyMatch {
  /** The action of the rule that matched, or null when none did (the default: Count). */
  action: PodFailurePolicyAction | null;
  /** Index of that rule in `spec.podFailurePolicy.rules`, or null. */
  ruleIndex: number | null;
  /**
   * False only for an Ignore match: the failure is neither counted in `status.failed` nor held
   * against `backoffLimit` (the Pod still loses its finalizer and is replaced).
   */
  countFailed: boolean;
  /** The message of the Job's FailureTarget / Failed conditions when a FailJob rule matched, else null. */
  jobFailureMessage: string | null;
}

/** In-tree `batch.JobReasonPodFailurePolicy`: reason of both conditions after a FailJob match. */
export const REASON_POD_FAILURE_POLICY = "PodFailurePolicy";

const NO_MATCH: PodFailurePolicyMatch = { action: null, ruleIndex: null, countFailed: true, jobFailureMessage: null };

/**
 * In-tree `matchPodFailurePolicy`. FailIndex matches as in-tree (counted); the index it fails is
 * decided by `isIndexFailed` (backoff-limit-per-index.ts; the API server accepts FailIndex only
 * together with backoffLimitPerIndex).
 */
export function matchPodFailurePolicy(policy: V1PodFailurePolicy | null | undefined, pod: PodView): PodFailurePolicyMatch {
  if (!policy) return NO_MATCH;
  const rules = policy.rules ?? [];
  for (let index = 0; index < rules.length; index++) {
    const rule = rules[index];
    if (!rule) continue;
    const action = knownAction(rule.action);
    if (rule.onExitCodes) {
      const container = matchOnExitCodes(pod.containerExitCodes ?? [], rule.onExitCodes);
      if (container === null || action === null) continue;
      return decide(action, index, () => `Container ${container.name} for pod ${pod.namespace}/${pod.name} failed with exit code ${container.exitCode} matching FailJob rule at index ${index}`);
    } else if (rule.onPodConditions) {
      const condition = matchOnPodConditions(pod.conditions ?? [], rule.onPodConditions);
      if (condition === null || action === null) continue;
      return decide(action, index, () => `Pod ${pod.namespace}/${pod.name} has condition ${condition.type} matching FailJob rule at index ${index}`);
    }
  }
  return NO_MATCH;
}

function knownAction(action: string | undefined): PodFailurePolicyAction | null {
  return action === "FailJob" || action === "FailIndex" || action === "Ignore" || action === "Count" ? action : null;
}

function decide(action: PodFailurePolicyAction, ruleIndex: number, failJobMessage: () => string): PodFailurePolicyMatch {
  switch (action) {
    case "Ignore":
      return { action, ruleIndex, countFailed: false, jobFailureMessage: null };
    case "FailJob":
      return { action, ruleIndex, countFailed: true, jobFailureMessage: failJobMessage() };
    case "Count":
    case "FailIndex":
      return { action, ruleIndex, countFailed: true, jobFailureMessage: null };
  }
}

/**
 * In-tree `matchOnExitCodes` / `getMatchingContainerFromList`: the first terminated container
 * (regular containers before init containers, the order the view keeps) with a non-zero exit
 * code, the right name when the rule names one, and a value the operator accepts.
 */
function matchOnExitCodes(exitCodes: readonly ContainerExitCode[], requirement: V1PodFailurePolicyOnExitCodesRequirement): ContainerExitCode | null {
  for (const container of exitCodes) {
    if (container.exitCode === 0) continue;
    if (requirement.containerName !== undefined && requirement.containerName !== null && requirement.containerName !== container.name) continue;
    if (isOnExitCodesOperatorMatching(container.exitCode, requirement)) return container;
  }
  return null;
}

function isOnExitCodesOperatorMatching(exitCode: number, requirement: V1PodFailurePolicyOnExitCodesRequirement): boolean {
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case "In":
      return values.includes(exitCode);
    case "NotIn":
      return !values.includes(exitCode);
    default:
      return false;
  }
}

/** In-tree `matchOnPodConditions`: the first of the Pod's conditions that equals a pattern in type and status. */
function matchOnPodConditions(conditions: readonly PodConditionView[], patterns: readonly V1PodFailurePolicyOnPodConditionsPattern[]): PodConditionView | null {
  for (const condition of conditions) {
    if (patterns.some((p) => p.type === condition.type && p.status === condition.status)) return condition;
  }
  return null;
}

/**
 * In-tree `getFailJobMessage`: the message of the first failed Pod (in the order given) that
 * matches a FailJob rule, or null. Only Pods still in the API count (in-tree reads its informer);
 * `isFailed` is the caller's `isPodFailed`, which with a podFailurePolicy means phase Failed.
 */
export function failJobMessage(job: V1Job, pods: readonly PodView[], isFailed: (pod: PodView) => boolean): string | null {
  const policy = job.spec?.podFailurePolicy;
  if (!policy) return null;
  for (const pod of pods) {
    if (pod.gone || !isFailed(pod)) continue;
    const message = matchPodFailurePolicy(policy, pod).jobFailureMessage;
    if (message !== null) return message;
  }
  return null;
}
