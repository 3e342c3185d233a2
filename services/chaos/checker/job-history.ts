/**
 * Everything the checker learns from the successive states of one Job, and the invariants each
 * new state must keep (pure). `contiguous` says the new state directly follows the previous one
 * (a watch event, no relist in between): only then can the status ledger be followed UID by UID.
 */
import { hasCondition, parseIndexes, terminalCondition, type JobState } from "./objects.js";

/** A Job status larger than this is a violation (etcd's object limit is far away, but a status that grows with the Job is a bug). */
export const MAX_STATUS_BYTES = 20 * 1024;

export interface JobHistory {
  uid: string;
  name: string;
  managed: boolean;
  first: JobState;
  last: JobState;
  /** Deleted from the API (a DELETED event, or missing from a relist). */
  gone: boolean;
  terminal: { type: string; reason: string; atMs: number } | null;
  failureTargetAtMs: number | null;
  successCriteriaAtMs: number | null;
  /** First seen with a deletionTimestamp (or gone). */
  deletingAtMs: number | null;
  /** UIDs ever seen in `uncountedTerminatedPods.succeeded` / `.failed`. */
  listedSucceeded: Set<string>;
  listedFailed: Set<string>;
  /** UIDs seen leaving the lists (moved into the counters). */
  countedSucceeded: Set<string>;
  countedFailed: Set<string>;
  /** Some status writes were not seen (a relist after 410): the UID ledger has holes. */
  gapped: boolean;
  maxStatusBytes: number;
  /** Indexed: when each index was first seen in `completedIndexes`. */
  indexDoneAtMs: Map<number, number>;
}

export interface JobObservation {
  history: JobHistory;
  violations: string[];
}

function setDiff(a: readonly string[], b: readonly string[]): string[] {
  const bs = new Set(b);
  return a.filter((x) => !bs.has(x));
}

function newHistory(s: JobState, managedBy: string, atMs: number): JobHistory {
  return {
    uid: s.uid,
    name: s.name,
    managed: s.managedBy === managedBy,
    first: s,
    last: s,
    gone: false,
    terminal: null,
    failureTargetAtMs: null,
    successCriteriaAtMs: null,
    deletingAtMs: s.deleting ? atMs : null,
    listedSucceeded: new Set(),
    listedFailed: new Set(),
    countedSucceeded: new Set(),
    countedFailed: new Set(),
    gapped: false,
    maxStatusBytes: 0,
    indexDoneAtMs: new Map(),
  };
}

/** Invariants of one state on its own. */
function stateViolations(s: JobState, managed: boolean): string[] {
  const out: string[] = [];
  const both = s.uncountedSucceeded.filter((u) => s.uncountedFailed.includes(u));
  if (both.length > 0) out.push(`UID in both uncounted lists: ${both.join(", ")}`);
  if (s.statusBytes > MAX_STATUS_BYTES) out.push(`status is ${s.statusBytes} bytes (limit ${MAX_STATUS_BYTES})`);
  if (hasCondition(s, "Complete") && hasCondition(s, "Failed")) out.push("both Complete and Failed conditions");
  const t = terminalCondition(s);
  if (t && s.uncountedSucceeded.length + s.uncountedFailed.length > 0) out.push(`finished (${t.type}) with UIDs still uncounted`);
  if (managed && s.indexed && !s.deleting) {
    const done = parseIndexes(s.completedIndexes).size;
    if (done !== s.succeeded) out.push(`Indexed: succeeded ${s.succeeded} but ${done} completed indexes ("${s.completedIndexes}")`);
  }
  return out;
}

export function observeJob(prev: JobHistory | undefined, s: JobState, atMs: number, contiguous: boolean, managedBy: string): JobObservation {
  if (prev && s.rv <= prev.last.rv) return { history: prev, violations: [] };
  const h = prev ? { ...prev, last: s } : newHistory(s, managedBy, atMs);
  const violations: string[] = [];
  if (!h.managed) {
    if (prev && s.rv !== prev.first.rv) violations.push(`a Job managed by ${s.managedBy ?? "(nobody)"} was written (resourceVersion ${prev.first.rv} → ${s.rv})`);
    if (!s.statusEmpty) violations.push(`a Job managed by ${s.managedBy ?? "(nobody)"} has a status`);
    return { history: h, violations };
  }
  violations.push(...stateViolations(s, true));
  h.maxStatusBytes = Math.max(h.maxStatusBytes, s.statusBytes);
  if (s.deleting && h.deletingAtMs === null) h.deletingAtMs = atMs;
  if (h.failureTargetAtMs === null && (hasCondition(s, "FailureTarget") || hasCondition(s, "Failed"))) h.failureTargetAtMs = atMs;
  if (h.successCriteriaAtMs === null && (hasCondition(s, "SuccessCriteriaMet") || hasCondition(s, "Complete"))) h.successCriteriaAtMs = atMs;

  if (prev) {
    const p = prev.last;
    if (s.succeeded < p.succeeded) violations.push(`succeeded decreased: ${p.succeeded} → ${s.succeeded}`);
    if (s.failed < p.failed) violations.push(`failed decreased: ${p.failed} → ${s.failed}`);
    if (prev.terminal && (s.succeeded !== p.succeeded || s.failed !== p.failed)) {
      violations.push(`counts changed after the Job finished (${prev.terminal.type}): succeeded ${p.succeeded} → ${s.succeeded}, failed ${p.failed} → ${s.failed}`);
    }
    const leftS = setDiff(p.uncountedSucceeded, s.uncountedSucceeded);
    const leftF = setDiff(p.uncountedFailed, s.uncountedFailed);
    if (contiguous && !h.gapped && !s.deleting && !p.deleting) {
      // Each status write first moves the settled UIDs into the counters: a counter grows by
      // exactly the UIDs that left its list (Indexed successes are recorded by index instead).
      if (!s.indexed && s.succeeded >= p.succeeded && s.succeeded - p.succeeded !== leftS.length) violations.push(`succeeded grew by ${s.succeeded - p.succeeded} while ${leftS.length} UIDs left the succeeded list`);
      if (s.failed >= p.failed && s.failed - p.failed !== leftF.length) violations.push(`failed grew by ${s.failed - p.failed} while ${leftF.length} UIDs left the failed list`);
    }
    for (const u of leftS) h.countedSucceeded.add(u);
    for (const u of leftF) h.countedFailed.add(u);
    if (!contiguous) h.gapped = true;
  }
  for (const u of s.uncountedSucceeded) {
    if (h.countedSucceeded.has(u) || h.countedFailed.has(u)) violations.push(`UID ${u} listed as succeeded again after it was counted`);
    h.listedSucceeded.add(u);
  }
  for (const u of s.uncountedFailed) {
    if (h.countedSucceeded.has(u) || h.countedFailed.has(u)) violations.push(`UID ${u} listed as failed again after it was counted`);
    h.listedFailed.add(u);
  }
  if (s.indexed && s.completedIndexes !== (prev?.last.completedIndexes ?? "")) {
    h.indexDoneAtMs = new Map(h.indexDoneAtMs);
    for (const ix of parseIndexes(s.completedIndexes)) if (!h.indexDoneAtMs.has(ix)) h.indexDoneAtMs.set(ix, atMs);
  }
  const t = terminalCondition(s);
  if (t && !h.terminal) h.terminal = { type: t.type, reason: t.reason, atMs };
  return { history: h, violations: violations.map((v) => `Job ${s.name}: ${v}`) };
}

export function observeJobGone(prev: JobHistory, atMs: number): JobHistory {
  return { ...prev, gone: true, deletingAtMs: prev.deletingAtMs ?? atMs };
}
