/**
 * Carries out one intent through injected Pod API functions (the real ones are in kube-api.ts),
 * so that the rules can be tested without a server. Every API answer goes through
 * decideOnApiError; this module only sequences the steps, logs and reports outcomes.
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { AdoptPodIntent, CreatePodIntent, Intent } from "../../shared/intents/intents.js";
import { describeIntent } from "../../shared/intents/intents.js";
import { apiErrorInfo, type ApiErrorInfo } from "../../shared/kube/errors.js";
import type { IntentOutcome } from "../../shared/nats/intent-queue.js";
import type { LogLimiter } from "../../shared/observability/log-limiter.js";
import type { Logger } from "../../shared/observability/logger.js";
import { decideOnApiError, type ApiStep } from "./decide.js";
import { adoptionPatch } from "./kube-api.js";

/**
 * The API calls an intent may need. Each throws client-node's ApiException on a non-2xx.
 * `guard` runs right before the request leaves (after waiting for the API budget) and throws an
 * IntentVoidedError when the intent must not be carried out any more; nothing is sent then.
 */
export interface PodApi {
  /** Strategic merge patch removing the tracking finalizer from the Pod with this name and UID. */
  removeFinalizer(namespace: string, name: string, uid: string, guard?: () => void): Promise<void>;
  createPod(namespace: string, pod: V1Pod, guard?: () => void): Promise<void>;
  /** Deletes the Pod with this name and UID (a UID precondition). */
  deletePod(namespace: string, name: string, uid: string, guard?: () => void): Promise<void>;
  /** Strategic merge patch adopting the Pod (kube-api.ts `adoptionPatch`: ownerReference, finalizer, preconditions). */
  adoptPod(namespace: string, name: string, patch: object, guard?: () => void): Promise<void>;
}

/**
 * What the verification (verify.ts) read and checked just before: an adoption is patched only with
 * the resourceVersion of the Pod it judged, so a Pod that changed since is not adopted blindly.
 */
export interface VerifiedFacts {
  podResourceVersion?: string;
}

/** Intent outcome labels of `jobtally_intents_total`. */
export type OutcomeLabel = "done" | "already-done" | "retry" | "rejected-retry" | "dropped" | "expired" | "fenced";

/** The intent must not be carried out any more; it is settled without an API request. */
export abstract class IntentVoidedError extends Error {}

/**
 * A creation intent reached the API budget after its `notAfterMs`: the counter has planned (or is
 * about to plan) the Pod again, so creating it now could make one Pod too many.
 */
export class CreationExpiredError extends IntentVoidedError {
  constructor(readonly notAfterMs: number) {
    super(`creation intent expired ${Date.now() - notAfterMs} ms ago`);
    this.name = "CreationExpiredError";
  }
}

/**
 * The partition lease could not be verified just now (this process was paused, or NATS is away):
 * the intent goes back to the queue and is decided again on its next delivery.
 */
export class LeaseUnverifiedError extends IntentVoidedError {
  constructor() {
    super("the partition lease is not verified: decided again on the next delivery");
    this.name = "LeaseUnverifiedError";
  }
}

/**
 * The partition lease the intent was decided under is no longer the current one (another replica
 * took the partition over, or it was released): carrying it out could act twice for one Job.
 */
export class IntentFencedError extends IntentVoidedError {
  constructor(readonly reason: string) {
    super(`intent fenced: ${reason}`);
    this.name = "IntentFencedError";
  }
}

export interface ExecutorDeps {
  api: PodApi;
  /** Throws IntentFencedError when the intent's lease is superseded (checked right before each request). */
  fence?(intent: Intent): void;
  logger: Logger;
  /** Called once per execution with the outcome label. */
  onOutcome?(kind: Intent["kind"], outcome: OutcomeLabel): void;
  /** Called for every non-retryable API answer. */
  onRejected?(kind: Intent["kind"], code: number | null): void;
  /**
   * Called when the API server rejected a creation: the FailedCreate Event and the report to the
   * counter (failed-create.ts). "exists": an earlier delivery created the Pod, the intent is done.
   */
  onCreationRejected?(intent: CreatePodIntent, info: ApiErrorInfo): Promise<string>;
  /** A creation dropped unsent past its `notAfterMs` (the counter plans the Pod again). */
  onCreationExpired?(intent: CreatePodIntent): void;
  random?: () => number;
  /**
   * Rate limit of the repeated warnings and errors (a transient API error, a rejected removal):
   * one line per step, kind of answer and code per interval, with the count suppressed. Metrics
   * count every one. @default none (every one logged)
   */
  logLimiter?: LogLimiter;
}

function logFields(intent: Intent): Record<string, unknown> {
  const pod = intent.kind === "createPod" ? `${intent.namespace}/${intent.pod.metadata?.name ?? "?"}` : `${intent.namespace}/${intent.name}`;
  // jobName: creations, deletions and adoptions name their Job; removals only its UID.
  const job = intent.kind === "removeFinalizer" ? (intent.jobUID ?? "none") : `${intent.namespace}/${intent.jobName}`;
  return { pod, job, jobUID: intent.jobUID, partition: intent.partition, intent: intent.kind };
}

type StepResult = { ok: true; already: boolean } | { ok: false; outcome: IntentOutcome; label: OutcomeLabel };

async function step(intent: Intent, which: ApiStep, call: () => Promise<void>, attempt: number, deps: ExecutorDeps): Promise<StepResult> {
  try {
    await call();
    return { ok: true, already: false };
  } catch (err) {
    if (err instanceof CreationExpiredError) {
      deps.logger.info(logFields(intent), "creation intent expired before its turn in the API budget; dropped (the counter plans the Pod again)");
      if (intent.kind === "createPod") deps.onCreationExpired?.(intent);
      return { ok: false, outcome: { kind: "ack" }, label: "expired" };
    }
    if (err instanceof LeaseUnverifiedError) {
      deps.logger.info(logFields(intent), "partition lease not verified lately; the intent is decided again on its next delivery");
      return { ok: false, outcome: { kind: "retry", delayMs: 250 }, label: "retry" };
    }
    if (err instanceof IntentFencedError) {
      deps.logger.warn({ ...logFields(intent), epoch: intent.epoch, holder: intent.holder, why: err.reason }, `${describeIntent(intent)}: refused, its partition lease was superseded (fencing); not executed`);
      return { ok: false, outcome: { kind: "drop", reason: err.message }, label: "fenced" };
    }
    const info = apiErrorInfo(err);
    const d = decideOnApiError(which, info, attempt, deps.random);
    const fields = { ...logFields(intent), step: which, code: info.code, reason: info.reason, err: info.message, attempt };
    switch (d.kind) {
      case "done":
        deps.logger.debug({ ...fields, why: d.why }, "intent already carried out");
        return { ok: true, already: true };
      case "retry": {
        const log = deps.logLimiter ? deps.logLimiter.take(`${which}:retry:${info.code}`) : { suppressed: 0 };
        if (log) deps.logger.warn({ ...fields, delayMs: d.delayMs, suppressed: log.suppressed }, `${describeIntent(intent)}: transient API error; will retry`);
        return { ok: false, outcome: { kind: "retry", delayMs: d.delayMs }, label: "retry" };
      }
      case "rejected-retry": {
        deps.onRejected?.(intent.kind, info.code);
        const log = deps.logLimiter ? deps.logLimiter.take(`${which}:rejected:${info.code}`) : { suppressed: 0 };
        if (log) {
          deps.logger.error(
            { ...fields, delayMs: d.delayMs, suppressed: log.suppressed },
            `${describeIntent(intent)}: the API server rejected it (a webhook or policy?); the finalizer stays until this succeeds, retrying`,
          );
        }
        return { ok: false, outcome: { kind: "retry", delayMs: d.delayMs }, label: "rejected-retry" };
      }
      case "rejected-drop":
        if (intent.kind === "createPod" && (await deps.onCreationRejected?.(intent, info)) === "exists") return { ok: true, already: true };
        deps.onRejected?.(intent.kind, info.code);
        deps.logger.error(fields, `${describeIntent(intent)}: the API server rejected it; dropping (the counter re-plans)`);
        return { ok: false, outcome: { kind: "drop", reason: `${info.code} ${info.reason ?? ""} ${info.message}`.trim() }, label: "dropped" };
    }
  }
}

/**
 * Runs `intent`; `attempt` is its delivery count (1 the first time), used for backoff. `verified`:
 * what the verification read (an adoption without it is not carried out: decided again later).
 */
export async function executeIntent(intent: Intent, attempt: number, deps: ExecutorDeps, verified: VerifiedFacts = {}): Promise<IntentOutcome> {
  const finish = (label: OutcomeLabel, outcome: IntentOutcome): IntentOutcome => {
    deps.onOutcome?.(intent.kind, label);
    return outcome;
  };
  const guard = (): void => {
    deps.fence?.(intent);
    if (intent.kind === "createPod" && intent.notAfterMs !== undefined && Date.now() > intent.notAfterMs) throw new CreationExpiredError(intent.notAfterMs);
  };
  const ack: IntentOutcome = { kind: "ack" };
  switch (intent.kind) {
    case "removeFinalizer": {
      const r = await step(intent, "removeFinalizer", () => deps.api.removeFinalizer(intent.namespace, intent.name, intent.podUID, guard), attempt, deps);
      return r.ok ? finish(r.already ? "already-done" : "done", ack) : finish(r.label, r.outcome);
    }
    case "createPod": {
      const r = await step(intent, "createPod", () => deps.api.createPod(intent.namespace, intent.pod, guard), attempt, deps);
      return r.ok ? finish(r.already ? "already-done" : "done", ack) : finish(r.label, r.outcome);
    }
    case "deletePod": {
      if (intent.removeFinalizerFirst) {
        const r = await step(intent, "removeFinalizer", () => deps.api.removeFinalizer(intent.namespace, intent.name, intent.podUID, guard), attempt, deps);
        if (!r.ok) return finish(r.label, r.outcome);
        // Gone already: nothing left to delete.
        if (r.already) return finish("already-done", ack);
      }
      const r = await step(intent, "deletePod", () => deps.api.deletePod(intent.namespace, intent.name, intent.podUID, guard), attempt, deps);
      return r.ok ? finish(r.already ? "already-done" : "done", ack) : finish(r.label, r.outcome);
    }
    case "adoptPod":
      return adopt(intent, attempt, deps, verified, guard, finish);
  }
}

async function adopt(
  intent: AdoptPodIntent,
  attempt: number,
  deps: ExecutorDeps,
  verified: VerifiedFacts,
  guard: () => void,
  finish: (label: OutcomeLabel, outcome: IntentOutcome) => IntentOutcome,
): Promise<IntentOutcome> {
  const rv = verified.podResourceVersion;
  if (rv === undefined || rv === "") {
    // The lease was not verified when the intent arrived, so neither was the Pod: fenced now if
    // its lease is superseded, otherwise decided again (and verified) on its next delivery.
    const r = await step(intent, "adoptPod", async () => {
      guard();
      throw new LeaseUnverifiedError();
    }, attempt, deps);
    return r.ok ? finish("retry", { kind: "retry", delayMs: 250 }) : finish(r.label, r.outcome);
  }
  const patch = adoptionPatch({ uid: intent.podUID, resourceVersion: rv }, { name: intent.jobName, uid: intent.jobUID });
  const r = await step(intent, "adoptPod", () => deps.api.adoptPod(intent.namespace, intent.name, patch, guard), attempt, deps);
  return r.ok ? finish(r.already ? "already-done" : "done", { kind: "ack" }) : finish(r.label, r.outcome);
}
