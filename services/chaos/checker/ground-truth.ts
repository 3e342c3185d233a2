/**
 * The ground truth of a Job's counts (pure): for each of its Pods, which outcomes its Job may give
 * it, S (counted succeeded), F (counted failed) or N (never counted), from the kubelet simulator's
 * record of what the Pod did, the order in which the API showed it finishing and losing the
 * finalizer, and the user's deletions. Then whether the Job's final counts are reachable.
 *
 * Most Pods have exactly one outcome (KEP-2307: a Pod is counted iff it finished while it held
 * the tracking finalizer; Succeeded → S; Failed, or deleted before it succeeded → F, unless a
 * podFailurePolicy Ignore rule matches). The in-tree controller, and jobtally after it, is racy in
 * three documented places, where a Pod gets two allowed outcomes:
 * - a Pod deleted while running that still succeeds (its Succeeded status landed after the
 *   deletion): counted failed when the controller saw the deletion first, else succeeded;
 * - a Job failing (backoffLimit, deadline, FailJob): the Pods the controller still saw active are
 *   counted failed, even those whose success it had not seen yet;
 * - a Pod the controller was releasing (excess, suspend, lowered parallelism: finalizer removed
 *   first, then deleted) that finished just before the release: counted or not.
 * The third widening is applied only where the Job really released Pods around that moment.
 */
import type { PodHistory } from "./pod-history.js";
import { failureIsCounted } from "../pod-failure-policy.js";

export type Outcome = "S" | "F" | "N";

export interface RecordedOutcome {
  phase: "Succeeded" | "Failed" | null;
  exitCode: number | null;
  deletedBeforeFinish: boolean;
  failureCondition: string | null;
  recordedAtMs: number;
}

export interface PodFacts {
  uid: string;
  name: string;
  index: number | null;
  history: PodHistory | null;
  /** The kubelet simulator's record of the Pod, if it ran it. */
  record: RecordedOutcome | null;
  /** Seen in the Job's uncounted lists (the ledger). */
  listed: "succeeded" | "failed" | "both" | null;
}

export interface JobContext {
  indexed: boolean;
  hasPodFailurePolicy: boolean;
  /** When FailureTarget (or Failed) was first seen. */
  failureTargetAtMs: number | null;
  /** When the Job released Pods (their finalizer seen removed while they were active). */
  podReleaseTimesMs: readonly number[];
  /** When the user suspended the Job or lowered its parallelism (it releases Pods soon after). */
  userReleaseTimesMs: readonly number[];
  /** The kubelet deletes finished Pods at once. */
  podGc: boolean;
  /** Every status write of the Job was seen (no relist gap): `listed` is complete. */
  ledgerComplete: boolean;
  /** Indexed: when each index was first seen completed. */
  indexDoneAtMs?: ReadonlyMap<number, number>;
}

/** How far the controller's view may lag the API, ms: the width of the racy windows. */
export const VIEW_LAG_MS = 15_000;
/** Releases of one sync reach the API within this of each other (the remover's batch, retries included). */
export const RELEASE_BATCH_MS = 5_000;

export interface Allowed {
  outcomes: ReadonlySet<Outcome>;
  why: string;
}

const set = (...o: Outcome[]): ReadonlySet<Outcome> => new Set(o);

function failedOutcome(ctx: JobContext, rec: RecordedOutcome | null): Outcome {
  return failureIsCounted(ctx.hasPodFailurePolicy, rec?.exitCode ?? null, rec?.failureCondition ?? null) ? "F" : "N";
}

function baseOutcomes(p: PodFacts, ctx: JobContext): Allowed {
  const h = p.history;
  const rec = p.record;
  if (!h || h.uncertain) {
    if (ctx.ledgerComplete && p.listed === "succeeded") return { outcomes: set("S"), why: "not fully observed; listed succeeded" };
    if (ctx.ledgerComplete && p.listed === "failed") return { outcomes: set("F"), why: "not fully observed; listed failed" };
    return { outcomes: rec?.phase === "Succeeded" ? set("S", "F", "N") : set("F", "N"), why: "not fully observed" };
  }
  if (h.finalizerLostWhileActiveMs !== null) {
    // A failing Job lists its active Pods as failed and may remove their finalizers before it
    // deletes them; anywhere else a finalizer removed from an active Pod is a release.
    const failingThen = ctx.failureTargetAtMs !== null && h.finalizerLostWhileActiveMs >= ctx.failureTargetAtMs - VIEW_LAG_MS;
    if (!failingThen) return { outcomes: set("N"), why: "finalizer removed before it finished (released)" };
    if (!ctx.ledgerComplete) return { outcomes: set("F", "N"), why: "finalizer removed while active, the Job failing" };
    return p.listed === "failed"
      ? { outcomes: set("F"), why: "listed failed while active, the Job failing" }
      : { outcomes: set("N"), why: "finalizer removed while active without being listed, the Job failing" };
  }
  const f = h.finishedWithFinalizer;
  if (f === null) return { outcomes: set("N"), why: "never finished while holding the finalizer" };
  if (f.phase === "Succeeded") return { outcomes: set("S"), why: "succeeded holding the finalizer" };
  if (f.phase === "Failed") {
    const o = failedOutcome(ctx, rec);
    return { outcomes: set(o), why: o === "F" ? "failed holding the finalizer" : "failed; podFailurePolicy Ignore" };
  }
  // Deleted before it reached a terminal phase, holding the finalizer.
  if (!ctx.hasPodFailurePolicy) {
    // In-tree isPodFailed: deleted and not Succeeded is failed, at once.
    if (h.terminalPhase === "Succeeded") return { outcomes: set("S", "F"), why: "deleted while running, then succeeded" };
    return { outcomes: set("F"), why: "deleted before it finished" };
  }
  // With a podFailurePolicy only a terminal phase counts (podReplacementPolicy Failed).
  if (h.terminalPhase === "Succeeded") return { outcomes: set("S", "F"), why: "deleted while running, then succeeded (podFailurePolicy)" };
  if (h.terminalPhase === "Failed" || rec?.phase === "Failed") {
    const o = failedOutcome(ctx, rec);
    return { outcomes: set(o), why: "deleted, then failed (podFailurePolicy)" };
  }
  return { outcomes: set("F", "N"), why: "deleted, never reached a terminal phase (podFailurePolicy)" };
}

export function allowedOutcomes(p: PodFacts, ctx: JobContext): Allowed {
  const base = baseOutcomes(p, ctx);
  const out = new Set(base.outcomes);
  const reasons = [base.why];
  const h = p.history;
  const finishedAt = h?.finishedWithFinalizer?.atMs ?? null;
  // A failing Job counts every Pod it still sees active as failed.
  // (A success the ledger shows listed as such was seen by the controller: it stays S.)
  const indexDoneAt = p.index !== null ? ctx.indexDoneAtMs?.get(p.index) : undefined;
  const listedAsSuccess = (ctx.ledgerComplete && p.listed === "succeeded") || (indexDoneAt !== undefined && ctx.failureTargetAtMs !== null && indexDoneAt <= ctx.failureTargetAtMs);
  if (ctx.failureTargetAtMs !== null && h && !h.uncertain && h.finalizerLostWhileActiveMs === null && !listedAsSuccess) {
    const activeThen = finishedAt === null || finishedAt >= ctx.failureTargetAtMs - VIEW_LAG_MS;
    if (activeThen && !out.has("F")) {
      out.add("F");
      reasons.push("the Job was failing");
    }
  }
  // A release racing the Pod's own finish.
  const lostAt = h?.finalizerLostMs ?? null;
  if (finishedAt !== null && lostAt !== null && !out.has("N") && !(ctx.ledgerComplete && p.listed !== null)) {
    // Its finalizer went in the same batch as other Pods' releases, or soon after the user asked
    // for fewer Pods.
    const nearRelease = ctx.podReleaseTimesMs.some((t) => Math.abs(t - lostAt) <= RELEASE_BATCH_MS) || ctx.userReleaseTimesMs.some((t) => lostAt >= t && lostAt - t <= VIEW_LAG_MS);
    const releasedItself = h?.deletedAfterFinalizerLost === true && !ctx.podGc;
    if (nearRelease || releasedItself) {
      out.add("N");
      reasons.push("released by its Job around its finish");
    }
  }
  return { outcomes: out, why: reasons.join("; ") };
}

export interface CountRange {
  feasible: boolean;
  /** Pods whose only outcome is S / F. */
  mustS: number;
  mustF: number;
  /** Pods that may be S / F. */
  maxS: number;
  maxF: number;
  /** Pods with more than one allowed outcome. */
  flexible: number;
}

/**
 * Whether some choice of one allowed outcome per Pod gives exactly `succeeded` S and `failed` F
 * (NonIndexed). A flow problem with four kinds of flexible Pods (SN, FN, SF, SFN); these cut
 * conditions are exact (checked against brute force in the unit tests).
 */
export function countsReachable(allowed: readonly ReadonlySet<Outcome>[], succeeded: number, failed: number): CountRange {
  let s = 0;
  let f = 0;
  let sn = 0;
  let fn = 0;
  let sf = 0;
  let sfn = 0;
  for (const a of allowed) {
    const S = a.has("S");
    const F = a.has("F");
    const N = a.has("N");
    if (S && !F && !N) s++;
    else if (F && !S && !N) f++;
    else if (S && F && N) sfn++;
    else if (S && F) sf++;
    else if (S && N) sn++;
    else if (F && N) fn++;
  }
  const A = succeeded - s;
  const B = failed - f;
  const feasible = A >= 0 && B >= 0 && A <= sn + sf + sfn && B <= fn + sf + sfn && A + B <= sn + fn + sf + sfn && A + B >= sf;
  return { feasible, mustS: s, mustF: f, maxS: s + sn + sf + sfn, maxF: f + fn + sf + sfn, flexible: sn + fn + sf + sfn };
}
