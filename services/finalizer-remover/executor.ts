/**
 * Carries out one intent through injected Pod API functions (the real ones are in kube-api.ts),
 * so that the rules can be tested without a server. Every API answer goes through
 * decideOnApiError; this module only sequences the steps, logs and reports outcomes.
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { Intent } from "../../shared/intents/intents.js";
import { describeIntent } from "../../shared/intents/intents.js";
import { apiErrorInfo } from "../../shared/kube/errors.js";
import type { IntentOutcome } from "../../shared/nats/intent-queue.js";
import type { Logger } from "../../shared/observability/logger.js";
import { decideOnApiError, type ApiStep } from "./decide.js";

/** The three API calls an intent may need. Each throws client-node's ApiException on a non-2xx. */
export interface PodApi {
  /** Strategic merge patch removing the tracking finalizer from the Pod with this name and UID. */
  removeFinalizer(namespace: string, name: string, uid: string): Promise<void>;
  /**
   * Creates the Pod, unless `notAfterMs` has passed by the time the request would go out (after
   * waiting for the budget): then it throws CreationExpiredError and creates nothing.
   */
  createPod(namespace: string, pod: V1Pod, notAfterMs?: number): Promise<void>;
  /** Deletes the Pod with this name and UID (a UID precondition). */
  deletePod(namespace: string, name: string, uid: string): Promise<void>;
}

/** Intent outcome labels of `jobtally_intents_total`. */
export type OutcomeLabel = "done" | "already-done" | "retry" | "rejected-retry" | "dropped" | "expired";

/**
 * A creation intent reached the API budget after its `notAfterMs`: the counter has planned (or is
 * about to plan) the Pod again, so creating it now could make one Pod too many.
 */
export class CreationExpiredError extends Error {
  constructor(readonly notAfterMs: number) {
    super(`creation intent expired ${Date.now() - notAfterMs} ms ago`);
    this.name = "CreationExpiredError";
  }
}

export interface ExecutorDeps {
  api: PodApi;
  logger: Logger;
  /** Called once per execution with the outcome label. */
  onOutcome?(kind: Intent["kind"], outcome: OutcomeLabel): void;
  /** Called for every non-retryable API answer. */
  onRejected?(kind: Intent["kind"], code: number | null): void;
  random?: () => number;
}

function logFields(intent: Intent): Record<string, unknown> {
  const pod = intent.kind === "createPod" ? `${intent.namespace}/${intent.pod.metadata?.name ?? "?"}` : `${intent.namespace}/${intent.name}`;
  const job = intent.kind === "removeFinalizer" ? (intent.jobUID ?? "none") : `${intent.namespace}/${intent.jobName}`;
  return { pod, job, jobUID: intent.jobUID, partition: intent.partition, intent: intent.kind };
}

type StepResult = { ok: true; already: boolean } | { ok: false; outcome: IntentOutcome; label: OutcomeLabel };

async function step(intent: Intent, which: ApiStep, call: () => Promise<void>, attempt: number, deps: ExecutorDeps): Promise<StepResult> {
  try {
    await call();
    return { ok: true, already: false };
  } catch (err) {
    const info = apiErrorInfo(err);
    const d = decideOnApiError(which, info, attempt, deps.random);
    const fields = { ...logFields(intent), step: which, code: info.code, reason: info.reason, err: info.message, attempt };
    switch (d.kind) {
      case "done":
        deps.logger.debug({ ...fields, why: d.why }, "intent already carried out");
        return { ok: true, already: true };
      case "retry":
        deps.logger.warn({ ...fields, delayMs: d.delayMs }, `${describeIntent(intent)}: transient API error; will retry`);
        return { ok: false, outcome: { kind: "retry", delayMs: d.delayMs }, label: "retry" };
      case "rejected-retry":
        deps.onRejected?.(intent.kind, info.code);
        deps.logger.error(
          { ...fields, delayMs: d.delayMs },
          `${describeIntent(intent)}: the API server rejected it (a webhook or policy?); the finalizer stays until this succeeds, retrying`,
        );
        return { ok: false, outcome: { kind: "retry", delayMs: d.delayMs }, label: "rejected-retry" };
      case "rejected-drop":
        deps.onRejected?.(intent.kind, info.code);
        deps.logger.error(fields, `${describeIntent(intent)}: the API server rejected it; dropping (the counter re-plans)`);
        return { ok: false, outcome: { kind: "drop", reason: `${info.code} ${info.reason ?? ""} ${info.message}`.trim() }, label: "dropped" };
    }
  }
}

/** Runs `intent`; `attempt` is its delivery count (1 the first time), used for backoff. */
export async function executeIntent(intent: Intent, attempt: number, deps: ExecutorDeps): Promise<IntentOutcome> {
  const finish = (label: OutcomeLabel, outcome: IntentOutcome): IntentOutcome => {
    deps.onOutcome?.(intent.kind, label);
    return outcome;
  };
  const ack: IntentOutcome = { kind: "ack" };
  switch (intent.kind) {
    case "removeFinalizer": {
      const r = await step(intent, "removeFinalizer", () => deps.api.removeFinalizer(intent.namespace, intent.name, intent.podUID), attempt, deps);
      return r.ok ? finish(r.already ? "already-done" : "done", ack) : finish(r.label, r.outcome);
    }
    case "createPod": {
      let expired = false;
      const r = await step(
        intent,
        "createPod",
        () =>
          deps.api.createPod(intent.namespace, intent.pod, intent.notAfterMs).catch((err: unknown) => {
            if (!(err instanceof CreationExpiredError)) throw err;
            expired = true;
          }),
        attempt,
        deps,
      );
      if (expired) {
        deps.logger.info(logFields(intent), "creation intent expired before its turn in the API budget; dropped (the counter plans the Pod again)");
        return finish("expired", ack);
      }
      return r.ok ? finish(r.already ? "already-done" : "done", ack) : finish(r.label, r.outcome);
    }
    case "deletePod": {
      if (intent.removeFinalizerFirst) {
        const r = await step(intent, "removeFinalizer", () => deps.api.removeFinalizer(intent.namespace, intent.name, intent.podUID), attempt, deps);
        if (!r.ok) return finish(r.label, r.outcome);
        // Gone already: nothing left to delete.
        if (r.already) return finish("already-done", ack);
      }
      const r = await step(intent, "deletePod", () => deps.api.deletePod(intent.namespace, intent.name, intent.podUID), attempt, deps);
      return r.ok ? finish(r.already ? "already-done" : "done", ack) : finish(r.label, r.outcome);
    }
  }
}
