/**
 * The checks made once a run has settled (pure): every managed Job that was not deleted finished,
 * with the counts its Pods allow (ground-truth.ts), no Pod created twice, no Pod left holding the
 * finalizer, and the Jobs of another controller untouched.
 */
import type { JobPlan, UnmanagedJobPlan } from "../plan.js";
import { allowedOutcomes, countsReachable, type JobContext, type Outcome, type PodFacts, type RecordedOutcome } from "./ground-truth.js";
import type { JobHistory } from "./job-history.js";
import { parseIndexes, type JobState, type PodState } from "./objects.js";
import type { PodHistory } from "./pod-history.js";
import { FAIL_JOB_EXIT_CODE } from "../pod-failure-policy.js";
import { LOOSE_DEADLINE_SECONDS } from "../workload.js";

/** One entry of the kubelet simulator's `/record` (its HTTP contract). */
export interface RecordedPod {
  podUID: string;
  name: string;
  jobUID: string | null;
  phase: "Succeeded" | "Failed" | null;
  exitCode: number | null;
  deletedBeforeFinish: boolean;
  failureCondition?: string | null;
  recordedAt: string;
}

/** What the user did to a Job, by name. */
export interface UserActions {
  deletedJobs: ReadonlySet<string>;
  /** Moments the user suspended a Job or lowered its parallelism: it releases Pods then. */
  releasesByJob: ReadonlyMap<string, readonly number[]>;
}

export interface FinalInput {
  jobs: readonly JobHistory[];
  pods: readonly PodHistory[];
  record: readonly RecordedPod[];
  plannedJobs: readonly JobPlan[];
  unmanaged: readonly UnmanagedJobPlan[];
  user: UserActions;
  /** The Jobs and Pods as a last list shows them. */
  finalJobs: readonly JobState[];
  finalPods: readonly PodState[];
  podGc: boolean;
}

export interface FinalResult {
  violations: string[];
  /** Pods allowed more than one outcome (the documented races), over all checked Jobs. */
  flexiblePods: number;
  /** Managed Jobs whose status ledger had a hole (a relist): checked by counts only. */
  gappedJobs: number;
  /** Pods the checker could not follow from start to end. */
  uncertainPods: number;
  /** Per Job: its counts and every Pod with more than one allowed outcome, and why (for the run's log). */
  details: string[];
}

const fmt = (o: ReadonlySet<Outcome>): string => `{${[...o].join(",")}}`;

function recorded(r: RecordedPod): RecordedOutcome {
  return { phase: r.phase, exitCode: r.exitCode, deletedBeforeFinish: r.deletedBeforeFinish, failureCondition: r.failureCondition ?? null, recordedAtMs: Date.parse(r.recordedAt) };
}

function podFactsOf(job: JobHistory, pods: readonly PodHistory[], record: readonly RecordedPod[]): PodFacts[] {
  const byUid = new Map<string, PodFacts>();
  const listed = (uid: string): PodFacts["listed"] => {
    const s = job.listedSucceeded.has(uid);
    const f = job.listedFailed.has(uid);
    return s && f ? "both" : s ? "succeeded" : f ? "failed" : null;
  };
  for (const h of pods) if (h.jobUid === job.uid) byUid.set(h.uid, { uid: h.uid, name: h.name, index: h.index, history: h, record: null, listed: listed(h.uid) });
  for (const r of record) {
    if (r.jobUID !== job.uid) continue;
    const known = byUid.get(r.podUID);
    if (known) known.record = recorded(r);
    else byUid.set(r.podUID, { uid: r.podUID, name: r.name, index: null, history: null, record: recorded(r), listed: listed(r.podUID) });
  }
  for (const uid of [...job.listedSucceeded, ...job.listedFailed]) {
    if (!byUid.has(uid)) byUid.set(uid, { uid, name: `(uid ${uid})`, index: null, history: null, record: null, listed: listed(uid) });
  }
  return [...byUid.values()];
}

function checkJob(job: JobHistory, plan: JobPlan | undefined, input: FinalInput, out: string[], details: string[]): { flexible: number; uncertain: number } {
  const name = `Job ${job.name}`;
  const s = job.last;
  const facts = podFactsOf(job, input.pods, input.record);
  const ctx: JobContext = {
    indexed: s.indexed,
    hasPodFailurePolicy: s.hasPodFailurePolicy,
    failureTargetAtMs: job.failureTargetAtMs,
    podReleaseTimesMs: facts.map((p) => p.history?.finalizerLostWhileActiveMs).filter((t): t is number => t !== null && t !== undefined),
    userReleaseTimesMs: input.user.releasesByJob.get(job.name) ?? [],
    podGc: input.podGc,
    ledgerComplete: !job.gapped,
    indexDoneAtMs: job.indexDoneAtMs,
  };
  const allowed = facts.map((p) => ({ p, a: allowedOutcomes(p, ctx) }));
  const flexible = allowed.filter(({ a }) => a.outcomes.size > 1).length;
  const uncertain = facts.filter((p) => p.history === null || p.history.uncertain).length;
  details.push(`${name}: ${job.terminal?.type ?? "unfinished"} ${job.terminal?.reason ?? ""} succeeded ${s.succeeded} failed ${s.failed}, ${facts.length} Pods, ledger ${ctx.ledgerComplete ? "complete" : "with holes"}`);
  for (const { p, a } of allowed) if (a.outcomes.size > 1 || p.history === null || p.history.uncertain) details.push(`  ${p.name} ${fmt(a.outcomes)} listed=${p.listed} record=${p.record?.phase ?? "-"}: ${a.why}`);

  if (!job.terminal) {
    out.push(`${name}: never finished (no Complete or Failed condition): succeeded ${s.succeeded}, failed ${s.failed}, uncounted ${s.uncountedSucceeded.length}+${s.uncountedFailed.length}`);
    return { flexible, uncertain };
  }
  // The ledger, UID by UID: what the Job listed must be what the Pod allows.
  if (ctx.ledgerComplete) {
    for (const { p, a } of allowed) {
      if (p.listed === "both") out.push(`${name}: Pod ${p.name} listed both as succeeded and as failed`);
      else if (p.listed === "succeeded" && !a.outcomes.has("S")) out.push(`${name}: Pod ${p.name} counted succeeded, but ${fmt(a.outcomes)}: ${a.why}`);
      else if (p.listed === "failed" && !a.outcomes.has("F")) out.push(`${name}: Pod ${p.name} counted failed, but ${fmt(a.outcomes)}: ${a.why}`);
    }
  }
  const completions = s.completions ?? 0;
  if (!s.indexed) {
    const r = countsReachable(allowed.map(({ a }) => a.outcomes), s.succeeded, s.failed);
    if (!r.feasible) {
      out.push(
        `${name}: counts succeeded ${s.succeeded}, failed ${s.failed}; the Pods allow succeeded ${r.mustS}..${r.maxS}, failed ${r.mustF}..${r.maxF}` +
          ` (${facts.length} Pods, ${r.flexible} racy)${describeMismatch(allowed, ctx)}`,
      );
    }
    const sureSuccesses = allowed.filter(({ a }) => a.outcomes.size === 1 && a.outcomes.has("S")).length;
    if (job.terminal.type === "Complete" && sureSuccesses > completions) out.push(`${name}: ${sureSuccesses} Pods succeeded for ${completions} completions (a Pod created twice)`);
    if (job.terminal.type === "Complete" && s.succeeded < completions) out.push(`${name}: Complete with succeeded ${s.succeeded} < completions ${completions}`);
    // More successes than completions only through the documented races (a Pod that succeeded after it was deleted, and its replacement).
    const racySuccesses = allowed.filter(({ a }) => a.outcomes.size > 1 && a.outcomes.has("S")).length;
    if (job.terminal.type === "Complete" && s.succeeded > completions + racySuccesses) out.push(`${name}: Complete with succeeded ${s.succeeded} > completions ${completions} (a Pod created twice)`);
  } else {
    const done = parseIndexes(s.completedIndexes);
    const must = new Set<number>();
    const can = new Set<number>();
    const successesByIndex = new Map<number, number>();
    for (const { p, a } of allowed) {
      const ix = p.index;
      if (ix === null) continue;
      if (a.outcomes.has("S")) can.add(ix);
      if (a.outcomes.size === 1 && a.outcomes.has("S")) {
        must.add(ix);
        successesByIndex.set(ix, (successesByIndex.get(ix) ?? 0) + 1);
      }
    }
    const missing = [...must].filter((i) => !done.has(i));
    const extra = [...done].filter((i) => !can.has(i));
    if (missing.length > 0) out.push(`${name}: indexes ${missing.join(",")} succeeded but are not in completedIndexes "${s.completedIndexes}"`);
    if (extra.length > 0) out.push(`${name}: completedIndexes has ${extra.join(",")}, which no Pod succeeded for`);
    for (const [ix, n] of successesByIndex) if (n > 1) out.push(`${name}: ${n} Pods of index ${ix} succeeded (a Pod created twice)`);
    const mustF = allowed.filter(({ a }) => a.outcomes.size === 1 && a.outcomes.has("F")).length;
    const maxF = allowed.filter(({ a }) => a.outcomes.has("F")).length;
    if (s.failed < mustF || s.failed > maxF) out.push(`${name}: failed ${s.failed}; the Pods allow ${mustF}..${maxF}${describeMismatch(allowed, ctx)}`);
    if (job.terminal.type === "Complete" && done.size < completions) out.push(`${name}: Complete with ${done.size} of ${completions} indexes done`);
  }
  if (job.terminal.type === "Failed") {
    const reason = job.terminal.reason;
    if (reason === "BackoffLimitExceeded" && s.backoffLimit !== null && s.failed <= s.backoffLimit) out.push(`${name}: BackoffLimitExceeded with failed ${s.failed} ≤ backoffLimit ${s.backoffLimit}`);
    if (reason === "DeadlineExceeded" && (s.activeDeadlineSeconds === null || s.activeDeadlineSeconds >= LOOSE_DEADLINE_SECONDS)) out.push(`${name}: DeadlineExceeded, with activeDeadlineSeconds ${s.activeDeadlineSeconds}`);
    if (reason === "PodFailurePolicy" && !(s.hasPodFailurePolicy && facts.some((p) => p.record?.exitCode === FAIL_JOB_EXIT_CODE))) out.push(`${name}: failed by PodFailurePolicy, but no Pod exited ${FAIL_JOB_EXIT_CODE}`);
  }
  if (plan && plan.activeDeadlineSeconds !== null && plan.activeDeadlineSeconds < 60 && job.terminal.type === "Complete") out.push(`${name}: Complete although its ${plan.activeDeadlineSeconds} s deadline passed long before its Pods could finish`);
  return { flexible, uncertain };
}

/** The first few Pods whose outcome is not fixed, or whose listing disagrees, for the message. */
function describeMismatch(allowed: { p: PodFacts; a: { outcomes: ReadonlySet<Outcome>; why: string } }[], ctx: JobContext): string {
  const flexible = allowed.filter(({ a }) => a.outcomes.size > 1).slice(0, 5);
  const parts = flexible.map(({ p, a }) => `${p.name} ${fmt(a.outcomes)} (${a.why})`);
  return parts.length > 0 ? `; racy Pods: ${parts.join("; ")}${ctx.ledgerComplete ? "" : "; ledger incomplete"}` : "";
}

export function finalChecks(input: FinalInput): FinalResult {
  const out: string[] = [];
  let flexiblePods = 0;
  let gappedJobs = 0;
  let uncertainPods = 0;
  const details: string[] = [];
  const planByName = new Map(input.plannedJobs.map((j) => [j.name, j]));
  const finalJobByUid = new Map(input.finalJobs.map((j) => [j.uid, j]));
  const finishedOrGone = new Set<string>();
  for (const job of input.jobs) {
    if (!job.managed) continue;
    const deletedByUser = input.user.deletedJobs.has(job.name);
    if (job.gone || deletedByUser || job.terminal) finishedOrGone.add(job.uid);
    if (deletedByUser) continue;
    if (job.gone || !finalJobByUid.has(job.uid)) {
      out.push(`Job ${job.name}: disappeared, though nobody deleted it`);
      continue;
    }
    if (job.gapped) gappedJobs++;
    const r = checkJob(job, planByName.get(job.name), input, out, details);
    flexiblePods += r.flexible;
    uncertainPods += r.uncertain;
  }
  for (const u of input.unmanaged) {
    const job = [...input.jobs].find((j) => j.name === u.name);
    const now = input.finalJobs.find((j) => j.name === u.name);
    if (!job || !now) out.push(`Job ${u.name} (managed by ${u.managedBy}): missing`);
    else if (now.rv !== job.first.rv) out.push(`Job ${u.name} (managed by ${u.managedBy}): written (resourceVersion ${job.first.rv} → ${now.rv})`);
  }
  const knownJobUids = new Set(input.jobs.map((j) => j.uid));
  for (const p of input.finalPods) {
    if (!p.hasFinalizer) continue;
    const owner = p.jobUid ?? input.pods.find((h) => h.uid === p.uid)?.jobUid ?? null;
    const why = owner === null || !knownJobUids.has(owner) ? "its Job is gone" : finishedOrGone.has(owner) ? "its Job is finished or deleted" : "its Job never finished";
    out.push(`Pod ${p.name} still holds the finalizer (${why}; phase ${p.phase}${p.deleting ? ", being deleted" : ""})`);
  }
  return { violations: out, flexiblePods, gappedJobs, uncertainPods, details };
}
