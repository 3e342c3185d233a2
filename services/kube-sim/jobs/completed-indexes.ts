/** `status.completedIndexes` interval strings ("0-3,5"), validated as the API server does. */

export interface IndexInterval {
  first: number;
  last: number;
}

/** Parses "1,3-5,7"; returns an error detail on bad syntax, unordered or overlapping intervals. */
export function parseIndexIntervals(s: string): IndexInterval[] | string {
  if (s === "") return [];
  const out: IndexInterval[] = [];
  for (const part of s.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return "error parsing completed indexes";
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) return "error parsing completed indexes";
    const prev = out[out.length - 1];
    if (prev && first <= prev.last) return "error parsing completed indexes: intervals are not ordered";
    out.push({ first, last });
  }
  return out;
}

/**
 * pkg/apis/batch/validation `validateIndexesFormat`: the number of indexes in "1,3-5,7", or the
 * error the API server reports (successPolicy `succeededIndexes`, status indexes of 1.32+).
 */
export function validateIndexesFormat(s: string, completions: number): { total: number } | { error: string } {
  if (s === "") return { total: 0 };
  let lastIndex: number | null = null;
  let total = 0;
  const int32 = (text: string): number | null => (/^[+-]?\d+$/.test(text) && Math.abs(Number(text)) <= 2_147_483_647 ? Number(text) : null);
  for (const fragment of s.split(",")) {
    const limits = fragment.split("-");
    if (limits.length > 2) return { error: `the fragment ${JSON.stringify(fragment)} violates the requirement that an index interval can have at most two parts separated by '-'` };
    const x = int32(limits[0] ?? "");
    if (x === null) return { error: `cannot convert string to integer for index: ${JSON.stringify(limits[0])}` };
    if (x >= completions) return { error: `too large index: ${JSON.stringify(limits[0])}` };
    if (lastIndex !== null && lastIndex >= x) return { error: `non-increasing order, previous: ${lastIndex}, current: ${x}` };
    total++;
    if (limits.length > 1) {
      const y = int32(limits[1] ?? "");
      if (y === null) return { error: `cannot convert string to integer for index: ${JSON.stringify(limits[1])}` };
      if (y >= completions) return { error: `too large index: ${JSON.stringify(limits[1])}` };
      if (x >= y) return { error: `non-increasing order, previous: ${x}, current: ${y}` };
      total += y - x;
      lastIndex = y;
    } else {
      lastIndex = x;
    }
  }
  return { total };
}
