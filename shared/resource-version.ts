/**
 * resourceVersion comparison. Kubernetes documents resourceVersions as opaque, but every API
 * server backed by etcd (and the simulator) issues decimal revisions that only grow; that is what
 * lets the view keep the newest state of a key when a relist or a retry replays an older one.
 * A non-numeric version compares as unknown (null) and callers treat it as "not newer".
 */
export function compareResourceVersions(a: string, b: string): number | null {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return a === b ? 0 : null;
  const x = BigInt(a);
  const y = BigInt(b);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** True when `candidate` is strictly newer than `current` (or there is no current). */
export function isNewerResourceVersion(candidate: string, current: string | undefined): boolean {
  if (current === undefined) return true;
  const c = compareResourceVersions(candidate, current);
  return c !== null && c > 0;
}
