/**
 * What a Pod (as the view shows it) means to its Job. Mirrors in-tree `isPodFailed`,
 * `controller.IsPodActive`, `controller.IsPodTerminating` and the `controller.ActivePods` order.
 */
import type { PodView } from "../../../shared/view/records.js";
import { toMs } from "./time.js";

export function isPodSucceeded(pod: PodView): boolean {
  return pod.phase === "Succeeded";
}

export function isPodTerminal(pod: PodView): boolean {
  return pod.phase === "Succeeded" || pod.phase === "Failed";
}

/**
 * In-tree `isPodFailed`: phase Failed, or (unless only failed Pods are replaced) deleted and not
 * Succeeded: "deleted Pods with finalizers get inevitably marked as Failed", which also covers
 * orphans that never reach a terminal phase. A `gone` Pod was deleted too.
 */
export function isPodFailed(pod: PodView, onlyReplaceFailed: boolean): boolean {
  if (pod.phase === "Failed") return true;
  if (onlyReplaceFailed) return false;
  return isPodDeleted(pod) && pod.phase !== "Succeeded";
}

export function isPodDeleted(pod: PodView): boolean {
  return pod.deletionTimestamp !== null || pod.gone;
}

/** `controller.IsPodActive`: still running or about to, and nobody asked for its deletion. */
export function isPodActive(pod: PodView): boolean {
  return !pod.gone && !isPodTerminal(pod) && pod.deletionTimestamp === null;
}

/** `controller.IsPodTerminating`: deleted, still in the API, not yet in a terminal phase. */
export function isPodTerminating(pod: PodView): boolean {
  return !pod.gone && !isPodTerminal(pod) && pod.deletionTimestamp !== null;
}

/** Finished as tracking sees it: a terminal phase, or deleted (it can only end Failed, unless Succeeded). */
export function isPodFinished(pod: PodView): boolean {
  return isPodTerminal(pod) || pod.deletionTimestamp !== null;
}

/** The Pod still holds the tracking finalizer in the API (a `gone` Pod holds nothing). */
export function holdsFinalizer(pod: PodView): boolean {
  return pod.hasFinalizer && !pod.gone;
}

/**
 * In-tree `getFinishedTime` with what the view keeps: the latest container finish, else the
 * moment of deletion (`deletionTimestamp - deletionGracePeriodSeconds`: a Pod deleted with a 30 s
 * grace period gets a deletionTimestamp 30 s ahead), else the creation timestamp, else `fallbackMs`.
 */
export function podFinishedAtMs(pod: PodView, fallbackMs: number): number {
  const deletedAt = toMs(pod.deletionTimestamp);
  return toMs(pod.finishedAt) ?? (deletedAt === null ? null : deletedAt - (pod.deletionGracePeriodSeconds ?? 0) * 1000) ?? toMs(pod.creationTimestamp) ?? fallbackMs;
}

/** The completion index when it is usable for a Job of `completions` (in-tree `getCompletionIndex` + range check). */
export function validCompletionIndex(pod: PodView, completions: number | null): number | null {
  const ix = pod.completionIndex;
  if (ix === null || completions === null || !Number.isInteger(ix) || ix < 0 || ix >= completions) return null;
  return ix;
}

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * `controller.ActivePods` Less, minus what the view does not keep (node assignment, restart
 * counts): Pending < Unknown < Running, not ready < ready, newer (or no creation time) < older.
 * Pods first in this order are the cheapest to delete. Ties are broken by name for determinism.
 */
export function compareForRemoval(a: PodView, b: PodView): number {
  const phase = (PHASE_ORDINAL[a.phase] ?? 0) - (PHASE_ORDINAL[b.phase] ?? 0);
  if (phase !== 0) return phase;
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  const ta = toMs(a.creationTimestamp);
  const tb = toMs(b.creationTimestamp);
  if (ta !== tb) {
    if (ta === null) return -1;
    if (tb === null) return 1;
    return tb - ta;
  }
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
