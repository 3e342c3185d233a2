/**
 * Which partitions a replica should own: pure functions of what it observed, table-tested.
 * Live replicas are sorted by id; with P partitions and N replicas, the first P mod N replicas
 * take ceil(P/N) partitions and the others floor(P/N), so the targets add up to P whenever the
 * replicas agree on who is alive, and a replica that disagrees converges on its next tick.
 */

/** This replica's fair share of `partitions` among `liveMembers` (sorted, `self` included). */
export function fairShare(self: string, liveMembers: string[], partitions: number): number {
  const sorted = [...new Set(liveMembers)].sort();
  const i = sorted.indexOf(self);
  if (i < 0) return 0;
  const n = sorted.length;
  return Math.floor(partitions / n) + (i < partitions % n ? 1 : 0);
}

export interface OwnershipInput {
  /** Partitions this replica may own (every partition in automatic mode). */
  eligible: number[];
  /** How many it should own (its fair share, or every eligible one with a fixed set). */
  target: number;
  /** Partitions it owns now (releases in progress excluded). */
  owned: number[];
  /** Lease state of each eligible partition it does not own. */
  leaseState(partition: number): "free" | "expired" | "held";
}

export interface OwnershipPlan {
  /** Take these (free ones first, then expired), in order, until the target is reached. */
  acquire: number[];
  /** Hand these over (drain, then release): the highest-numbered beyond the target. */
  release: number[];
}

export function planOwnership(input: OwnershipInput): OwnershipPlan {
  const owned = new Set(input.owned);
  if (owned.size > input.target) {
    const release = [...owned].sort((a, b) => b - a).slice(0, owned.size - input.target);
    return { acquire: [], release };
  }
  const want = input.target - owned.size;
  if (want === 0) return { acquire: [], release: [] };
  const free: number[] = [];
  const expired: number[] = [];
  for (const p of input.eligible) {
    if (owned.has(p)) continue;
    const s = input.leaseState(p);
    if (s === "free") free.push(p);
    else if (s === "expired") expired.push(p);
  }
  return { acquire: [...free, ...expired].slice(0, want), release: [] };
}
