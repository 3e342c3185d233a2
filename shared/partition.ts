/**
 * Job → partition mapping. FNV-1a 32-bit over the Job UID, modulo the partition count: the same
 * hash the NATS server's `{{partition(N,1)}}` mapping uses, so a publisher needs no server config.
 */
export function fnv1a32(input: string): number {
  let hash = 0x811c9dc5;
  const bytes = Buffer.from(input, "utf8");
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function partitionOf(key: string, partitions: number): number {
  return fnv1a32(key) % partitions;
}

/** Parses "0-3,7,9-10" into a sorted list of partition numbers, all below `partitions`. */
export function parsePartitionSet(spec: string, partitions: number): number[] {
  const trimmed = spec.trim();
  if (trimmed === "" || trimmed === "all") return Array.from({ length: partitions }, (_, i) => i);
  const out = new Set<number>();
  for (const part of trimmed.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`invalid partition set element "${part}" (want N or N-M)`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new Error(`invalid partition range "${part}" (end before start)`);
    for (let p = lo; p <= hi; p++) {
      if (p >= partitions) throw new Error(`partition ${p} is out of range (partitions: ${partitions})`);
      out.add(p);
    }
  }
  return [...out].sort((a, b) => a - b);
}
