/**
 * Adoption of orphan Pods: in-tree `getPodsForJob` (`ClaimPods` with the tracking finalizer, as
 * KEP-2307 decided) as a pure decision. The watcher files an orphan the Job's selector matches, in
 * its namespace, under that Job as an adoption candidate (`PodView.adoptionCandidate`: no
 * controller, not being deleted); the sync asks for its adoption, which the finalizer-remover
 * carries out with one patch (controller ownerReference and tracking finalizer).
 *
 * Until the view shows a candidate adopted it is not the Job's: never active, counted or deleted.
 * In-tree adopts at the start of the sync that then counts and manages the Pods, and a failed
 * adoption fails that whole sync; here adoptions are asynchronous, so a Job with adoptions still
 * to be seen plans no creation or deletion and takes no terminal condition meanwhile (it would
 * otherwise create Pods the adopted ones make superfluous, or finish without Pods it is about to
 * own). Once adopted, a Pod is an ordinary Pod of the Job: active while it runs, counted once when
 * it finishes, a terminal one counted at once (in-tree gives an adopted Pod the finalizer in the
 * same sync, so a finished orphan is counted).
 */
import type { PodView } from "../../../shared/view/records.js";
import type { PlannedAdoption } from "./types.js";

/** Filed under the Job only as the orphan it may adopt (not the Job's Pod yet). */
export function isAdoptionCandidate(pod: PodView): boolean {
  return pod.adoptionCandidate === true;
}

/** A candidate that can be adopted now: it still exists and is not being deleted (in-tree `ClaimObject`). */
export function isAdoptable(pod: PodView): boolean {
  return isAdoptionCandidate(pod) && !pod.gone && pod.deletionTimestamp === null;
}

export interface AdoptionPlan {
  /** The Job's own Pods: every record but the candidates. */
  own: PodView[];
  /** Adoptions to ask for now (adoptable candidates with none in flight), oldest Pod first. */
  adoptions: PlannedAdoption[];
  /** Adoptable candidates, asked for now or before: while any is, the Job waits for the view to show it adopted. */
  pending: number;
  /**
   * Candidates the Job's status lists, holding the finalizer (a finished Pod of the Job whose
   * controller reference went before its finalizer did): not counted until adopted again or gone,
   * so that the adoption, which keeps the finalizer, cannot make it count twice.
   */
  heldListed: Set<string>;
}

/** Splits a Job's records into its own Pods and the orphans it adopts (for a Job neither finished nor being deleted). */
export function planAdoptions(pods: readonly PodView[], adoptionsInFlight: ReadonlySet<string>, listed: ReadonlySet<string> = new Set()): AdoptionPlan {
  const own: PodView[] = [];
  const adoptable: PodView[] = [];
  const heldListed = new Set<string>();
  for (const p of pods) {
    if (!isAdoptionCandidate(p)) own.push(p);
    else {
      if (isAdoptable(p)) adoptable.push(p);
      if (!p.gone && p.hasFinalizer && listed.has(p.uid)) heldListed.add(p.uid);
    }
  }
  const adoptions = adoptable
    .filter((p) => !adoptionsInFlight.has(p.uid))
    .sort((a, b) => (a.creationTimestamp ?? "").localeCompare(b.creationTimestamp ?? "") || a.name.localeCompare(b.name))
    .map((p) => ({ podUID: p.uid, name: p.name, namespace: p.namespace, resourceVersion: p.resourceVersion }));
  return { own, adoptions, pending: adoptable.length, heldListed };
}
