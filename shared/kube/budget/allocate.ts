/**
 * How a group's API budget (Q requests/s) is shared between its members (counters and
 * finalizer-removers, each its own process). Pure, so every member computes the same split from
 * the same reports. Max-min fair ("water filling"): a member asking for less than an equal share
 * gets what it asks for plus headroom, the rest is split between the members that want more; what
 * nobody wants is spread over everyone in proportion, so the shares always add up to Q.
 */
export interface MemberDemand {
  member: string;
  /** Requests/s the member would use now: recent rate plus what it has queued. */
  demandQps: number;
}

export interface AllocationOptions {
  totalQps: number;
  /** Nobody gets less than this (a quiet member must still be able to write at once). */
  minQps: number;
  /** A member is given this multiple of its demand, so a rise is served before the next report. */
  headroom: number;
}

export function allocateShares(members: readonly MemberDemand[], opts: AllocationOptions): Map<string, number> {
  const shares = new Map<string, number>();
  if (members.length === 0) return shares;
  const minQps = Math.min(opts.minQps, opts.totalQps / members.length);
  const wants = members
    .map((m) => ({ member: m.member, want: Math.max(minQps, Math.max(0, m.demandQps) * opts.headroom) }))
    .sort((a, b) => a.want - b.want || (a.member < b.member ? -1 : 1));
  let remaining = opts.totalQps;
  let left = wants.length;
  for (const w of wants) {
    const give = Math.min(w.want, remaining / left);
    shares.set(w.member, give);
    remaining -= give;
    left--;
  }
  if (remaining > 1e-9) {
    const given = opts.totalQps - remaining;
    for (const w of wants) {
      const base = shares.get(w.member)!;
      shares.set(w.member, base + (given > 0 ? (remaining * base) / given : remaining / wants.length));
    }
  }
  return shares;
}
