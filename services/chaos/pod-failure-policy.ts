/**
 * The one `spec.podFailurePolicy` the campaign gives some of its Jobs, and an independent matcher
 * for it (the checker must not borrow the counter's: services meet only over HTTP, and a shared
 * bug would hide itself). Exit code 42 fails the Job, a DisruptionTarget condition is ignored
 * (never counted), exit codes 1 and 3 are counted; anything else falls through to the default
 * (counted).
 */

export const CONTAINER_NAME = "work";
export const FAIL_JOB_EXIT_CODE = 42;
export const COUNTED_EXIT_CODE = 3;
export const DISRUPTION_TARGET = "DisruptionTarget";

export const CHAOS_POD_FAILURE_POLICY = {
  rules: [
    { action: "FailJob", onExitCodes: { containerName: CONTAINER_NAME, operator: "In", values: [FAIL_JOB_EXIT_CODE] } },
    { action: "Ignore", onPodConditions: [{ type: DISRUPTION_TARGET, status: "True" }] },
    { action: "Count", onExitCodes: { operator: "In", values: [1, COUNTED_EXIT_CODE] } },
  ],
} as const;

export type PolicyAction = "FailJob" | "Ignore" | "Count";

/** What the policy does with a Pod that ended Failed with this exit code and (failure) condition. */
export function policyActionFor(exitCode: number | null, condition: string | null): PolicyAction | null {
  if (exitCode === FAIL_JOB_EXIT_CODE) return "FailJob";
  if (condition === DISRUPTION_TARGET) return "Ignore";
  if (exitCode === 1 || exitCode === COUNTED_EXIT_CODE) return "Count";
  return null;
}

/** Whether a failure is counted in `status.failed` (everything but an Ignore match). */
export function failureIsCounted(hasPolicy: boolean, exitCode: number | null, condition: string | null): boolean {
  return !hasPolicy || policyActionFor(exitCode, condition) !== "Ignore";
}
