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
