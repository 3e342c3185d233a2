/**
 * The facts about one Pod that decide how its Job must count it, reduced from the successive
 * states the checker saw (pure). The API's order is the truth: a watch delivers every change of
 * a Pod in resourceVersion order, so "it finished while it held the finalizer" is observed, not
 * guessed. A state seen only after an observation gap (a relist) may hide transitions: the Pod is
 * then `uncertain` unless the missed part cannot matter.
 */
import { isTerminalPhase, type PodState } from "./objects.js";

export interface PodHistory {
  uid: string;
  name: string;
  jobUid: string | null;
  index: number | null;
  firstSeenMs: number;
  last: PodState;
  gone: boolean;
  /**
   * The first state seen in which the Pod had finished (terminal phase, or being deleted) while
   * it still held the tracking finalizer: what its Job had to count.
   */
  finishedWithFinalizer: { phase: string; deleting: boolean; atMs: number } | null;
  /** The first terminal phase seen (with or without the finalizer). */
  terminalPhase: string | null;
  /** When the finalizer was first seen gone while the Pod was neither terminal nor being deleted (released, not counted). */
  finalizerLostWhileActiveMs: number | null;
  /** When the finalizer was first seen gone (or the Pod gone). */
  finalizerLostMs: number | null;
  /** A deletionTimestamp first appeared after the finalizer was gone (someone deleted a released Pod). */
  deletedAfterFinalizerLost: boolean;
  /** Some change of this Pod happened where the checker could not see it. */
  uncertain: boolean;
}

const isFinishing = (s: PodState): boolean => isTerminalPhase(s.phase) || s.deleting;
/** A freshly created Pod of a Job: what a creation looks like, nothing happened to it yet. */
const looksNew = (s: PodState): boolean => s.hasFinalizer && !isFinishing(s);

function apply(h: PodHistory, before: PodState | null, s: PodState, atMs: number): void {
  if (s.hasFinalizer && isFinishing(s) && h.finishedWithFinalizer === null) h.finishedWithFinalizer = { phase: s.phase, deleting: s.deleting, atMs };
  if (isTerminalPhase(s.phase) && h.terminalPhase === null) h.terminalPhase = s.phase;
  if (!s.hasFinalizer && h.finalizerLostMs === null) {
    h.finalizerLostMs = atMs;
    if (!isFinishing(s) && h.finishedWithFinalizer === null) h.finalizerLostWhileActiveMs = atMs;
  }
  if (s.deleting && before !== null && !before.deleting && !before.hasFinalizer) h.deletedAfterFinalizerLost = true;
}

/**
 * A new state of the Pod. `contiguous`: a watch event (nothing missed since the previous state);
 * false for a state read by a relist after a gap.
 */
export function observePod(prev: PodHistory | undefined, s: PodState, atMs: number, contiguous: boolean): PodHistory {
  if (!prev) {
    const h: PodHistory = {
      uid: s.uid,
      name: s.name,
      jobUid: s.jobUid,
      index: s.index,
      firstSeenMs: atMs,
      last: s,
      gone: false,
      finishedWithFinalizer: null,
      terminalPhase: null,
      finalizerLostWhileActiveMs: null,
      finalizerLostMs: null,
      deletedAfterFinalizerLost: false,
      // First seen in a relist in a state a creation does not produce: its start was missed. (A
      // watch shows every Pod from its creation on.)
      uncertain: !contiguous && !looksNew(s),
    };
    apply(h, null, s, atMs);
    return h;
  }
  if (s.rv <= prev.last.rv) return prev;
  const h: PodHistory = { ...prev, last: s, jobUid: prev.jobUid ?? s.jobUid, index: prev.index ?? s.index };
  if (!contiguous && missedSomethingThatCounts(prev.last, s)) h.uncertain = true;
  apply(h, prev.last, s, atMs);
  return h;
}

/**
 * Across a gap, only one thing matters: the first state in which the Pod finished holding the
 * finalizer, or the finalizer going before it finished. Nothing was missed when the Pod had already
 * finished with the finalizer before the gap, or when it still held the finalizer after the gap and
 * nobody deleted it (the phase cannot go back, and a terminal phase seen now is the first one).
 */
function missedSomethingThatCounts(before: PodState, after: PodState): boolean {
  if (before.hasFinalizer && isFinishing(before)) return false;
  if (!before.hasFinalizer) return false;
  if (after.hasFinalizer && !after.deleting) return false;
  return true;
}

export function observePodGone(prev: PodHistory, atMs: number, contiguous: boolean): PodHistory {
  const h: PodHistory = { ...prev, gone: true };
  if (h.finalizerLostMs === null) h.finalizerLostMs = atMs;
  // A Pod vanishing while it still held the finalizer must have lost it unseen: the DELETED event
  // carries its last state, so a watch always shows the removal first; a relist may not.
  if (!contiguous && missedSomethingThatCounts(prev.last, { ...prev.last, hasFinalizer: false, deleting: true })) h.uncertain = true;
  return h;
}
