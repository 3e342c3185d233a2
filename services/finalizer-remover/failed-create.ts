/**
 * A Pod creation the API server rejected (403 quota, 422, a webhook): as the in-tree PodControl,
 * a `FailedCreate` Warning Event on the Job ("Error creating: <the API's message>"), and, as the
 * in-tree `manageJob` lowering its expectations, a report to the counter owning the Job's partition
 * (shared/intents/creation-failure.ts) so that the Pod is no longer expected (not active) and the
 * next creations go through slow start. A namespace being terminated gets neither (in-tree: "all
 * subsequent creations will fail"; the expectation runs out on its own).
 */
import type { CoreV1Event } from "@kubernetes/client-node";
import type { CreatePodIntent } from "../../shared/intents/intents.js";
import { creationFailureSubject, type CreationFailureReport } from "../../shared/intents/creation-failure.js";
import type { ApiErrorInfo } from "../../shared/kube/errors.js";
import { EventSpamFilter } from "../../shared/kube/event-spam-filter.js";
import type { Logger } from "../../shared/observability/logger.js";

/** In-tree `controller.FailedCreatePodReason`. */
export const FAILED_CREATE_REASON = "FailedCreate";
/** In-tree `v1.NamespaceTerminatingCause`. */
export const NAMESPACE_TERMINATING_CAUSE = "NamespaceTerminating";

export function isNamespaceTerminating(info: ApiErrorInfo): boolean {
  return (info.causes ?? []).includes(NAMESPACE_TERMINATING_CAUSE);
}

/** The Warning Event the in-tree PodControl records for a rejected creation. */
export function failedCreateEvent(intent: CreatePodIntent, info: ApiErrorInfo, nowMs: number, instance: string): CoreV1Event {
  const t = new Date(nowMs);
  return {
    metadata: { generateName: `${intent.jobName}.`, namespace: intent.namespace },
    involvedObject: { apiVersion: "batch/v1", kind: "Job", name: intent.jobName, namespace: intent.namespace, uid: intent.jobUID },
    reason: FAILED_CREATE_REASON,
    message: `Error creating: ${info.message}`,
    type: "Warning",
    source: { component: "jobtally-finalizer-remover" },
    reportingComponent: "jobtally.io/finalizer-remover",
    reportingInstance: instance,
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
  };
}

/** Why a creation is reported without an API answer: dropped past its deadline, or a redelivery that found no Pod. */
export type UnsentOutcome = "expired" | "unconfirmed";

const UNSENT_MESSAGES: Record<UnsentOutcome, { reason: string; message: string }> = {
  expired: { reason: "Expired", message: "the creation intent waited past its deadline and was dropped unsent" },
  unconfirmed: { reason: "Unconfirmed", message: "the creation intent was delivered again and its Pod does not exist; not created again" },
};

export function creationFailureReport(intent: CreatePodIntent, info: ApiErrorInfo | UnsentOutcome): CreationFailureReport {
  const unsent = typeof info === "string" ? UNSENT_MESSAGES[info] : null;
  return {
    v: intent.v,
    kind: "creationFailed",
    outcome: typeof info === "string" ? info : "rejected",
    partition: intent.partition,
    epoch: intent.epoch,
    holder: intent.holder,
    jobUID: intent.jobUID,
    namespace: intent.namespace,
    jobName: intent.jobName,
    podName: intent.pod.metadata?.name ?? "",
    code: typeof info === "string" ? null : info.code,
    reason: unsent ? unsent.reason : (info as ApiErrorInfo).reason,
    message: unsent ? unsent.message : (info as ApiErrorInfo).message,
  };
}

/**
 * The report of a creation that did not happen and was not rejected, so that the counter plans
 * the Pod again at once instead of when its expectation runs out:
 * - `expired` (`ExecutorDeps.onCreationExpired`): dropped unsent past its deadline (a backlog
 *   longer than the intents' time to live would otherwise stall the Job for the whole timeout);
 * - `unconfirmed` (redelivered-creation.ts): a redelivery that may have been sent before found no Pod.
 */
export function createUnsentCreationReporter(deps: Pick<FailedCreateDeps, "publish" | "logger">, outcome: UnsentOutcome): (intent: CreatePodIntent) => void {
  return (intent) => {
    try {
      deps.publish(creationFailureSubject(intent.partition), JSON.stringify(creationFailureReport(intent, outcome)));
    } catch (err) {
      deps.logger.warn({ job: `${intent.namespace}/${intent.jobName}`, outcome, err: String(err) }, "creation report not published");
    }
  };
}

export interface FailedCreateDeps {
  /** Publishes a report on core NATS (fire and forget). */
  publish(subject: string, data: string): void;
  /** Creates the Event (through the API budget, lowest priority); errors are only logged. */
  createEvent(namespace: string, event: CoreV1Event): Promise<unknown>;
  /**
   * Whether a Pod with this name exists (a GET through the budget; 404 = false). Throws when it
   * cannot tell.
   */
  podExists(namespace: string, name: string): Promise<boolean>;
  logger: Logger;
  now(): number;
  /** Events per Job, as client-go's spam filter. @default 25, then one per 5 minutes */
  spamFilter?: EventSpamFilter;
  instance?: string;
}

/**
 * What became of a rejected creation:
 * - `reported`: the Pod does not exist; Event recorded, counter told;
 * - `exists`: an earlier delivery of this intent created the Pod (its ack was lost) and admission
 *   rejects the repeat before the name clash is seen (a full quota answers 403, not 409
 *   AlreadyExists): the intent is done, nothing reported;
 * - `unverified`: the Pod's existence could not be checked: the Event only, no report (the
 *   counter's expectation runs out on its own);
 * - `namespace-terminating`: neither.
 */
export type RejectedCreationOutcome = "reported" | "exists" | "unverified" | "namespace-terminating";

/** The executor's hook for a rejected creation (`ExecutorDeps.onCreationRejected`). */
export function createFailedCreateHandler(deps: FailedCreateDeps): (intent: CreatePodIntent, info: ApiErrorInfo) => Promise<RejectedCreationOutcome> {
  const spam = deps.spamFilter ?? new EventSpamFilter();
  const job = (intent: CreatePodIntent): string => `${intent.namespace}/${intent.jobName}`;
  return async (intent, info) => {
    const podName = intent.pod.metadata?.name ?? "";
    if (isNamespaceTerminating(info)) {
      deps.logger.info({ job: job(intent), pod: podName }, "namespace is being terminated: pod creation skipped, no event");
      return "namespace-terminating";
    }
    // Telling the counter "this Pod will not exist" lets it plan another: only when it is so.
    let exists: boolean | null;
    try {
      exists = await deps.podExists(intent.namespace, podName);
    } catch (err) {
      deps.logger.warn({ job: job(intent), pod: podName, err: String(err) }, "could not check whether the rejected Pod exists: not reported to the counter");
      exists = null;
    }
    if (exists === true) {
      deps.logger.info({ job: job(intent), pod: podName, code: info.code }, "creation rejected, but an earlier delivery created the Pod: done");
      return "exists";
    }
    if (exists === false) {
      try {
        deps.publish(creationFailureSubject(intent.partition), JSON.stringify(creationFailureReport(intent, info)));
      } catch (err) {
        // Only a delay: the counter's expectation for this Pod runs out on its own.
        deps.logger.warn({ job: job(intent), err: String(err) }, "creation failure report not published");
      }
    }
    if (spam.allow(intent.jobUID, deps.now())) {
      void deps.createEvent(intent.namespace, failedCreateEvent(intent, info, deps.now(), deps.instance ?? `${process.pid}`)).catch((err: unknown) => {
        deps.logger.debug({ job: job(intent), err: String(err) }, "FailedCreate event not recorded");
      });
    }
    return exists === false ? "reported" : "unverified";
  };
}
