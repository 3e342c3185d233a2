/**
 * Ordered, non-overlapping index intervals: the `status.completedIndexes` format ("0-3,5,7,8").
 * Mirrors in-tree `orderedIntervals` (indexed_job_utils.go): parse drops corrupt fragments and
 * indexes >= completions, format writes two adjacent indexes as "a,b" and longer runs as "a-b".
 */
export interface IndexInterval {
  first: number;
  last: number;
}

export class OrderedIntervals {
  private constructor(readonly intervals: readonly IndexInterval[]) {}

  static empty(): OrderedIntervals {
    return new OrderedIntervals([]);
  }

  /** In-tree `parseIndexesFromString`: tolerant of corrupt fragments, clipped to `completions`. */
  static parse(text: string | null | undefined, completions: number): OrderedIntervals {
    if (!text) return OrderedIntervals.empty();
    const parsed: IndexInterval[] = [];
    for (const fragment of text.split(",")) {
      const limits = fragment.split("-");
      const first = parseIndex(limits[0]);
      if (first === null || limits.length > 2) continue;
      if (first >= completions) continue;
      let last = first;
      if (limits.length === 2) {
        const parsedLast = parseIndex(limits[1]);
        if (parsedLast === null || parsedLast < first) continue;
        last = Math.min(parsedLast, completions - 1);
      }
      parsed.push({ first, last });
    }
    return OrderedIntervals.empty().merge(parsed);
  }

  static fromIndexes(indexes: Iterable<number>): OrderedIntervals {
    return OrderedIntervals.empty().withIndexes(indexes);
  }

  /** In-tree `withOrderedIndexes`, accepting indexes in any order and with duplicates. */
  withIndexes(indexes: Iterable<number>): OrderedIntervals {
    const sorted = [...new Set(indexes)].sort((a, b) => a - b);
    return this.merge(sorted.map((ix) => ({ first: ix, last: ix })));
  }

  /** In-tree `merge`: union with another ordered list of intervals. */
  merge(other: OrderedIntervals | readonly IndexInterval[]): OrderedIntervals {
    const theirs = other instanceof OrderedIntervals ? other.intervals : other;
    const all = [...this.intervals, ...theirs].sort((a, b) => a.first - b.first || a.last - b.last);
    const result: IndexInterval[] = [];
    for (const next of all) {
      const last = result[result.length - 1];
      if (last === undefined || next.first > last.last + 1) {
        result.push({ first: next.first, last: next.last });
      } else if (next.last > last.last) {
        last.last = next.last;
      }
    }
    return new OrderedIntervals(result);
  }

  has(index: number): boolean {
    let lo = 0;
    let hi = this.intervals.length;
    while (hi > lo) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if ((this.intervals[mid] as IndexInterval).last >= index) hi = mid;
      else lo = mid + 1;
    }
    const candidate = this.intervals[hi];
    return candidate !== undefined && candidate.first <= index;
  }

  total(): number {
    return this.intervals.reduce((sum, iv) => sum + iv.last - iv.first + 1, 0);
  }

  /** In-tree `String()`. */
  format(): string {
    return this.intervals
      .map((iv) => {
        if (iv.last === iv.first) return `${iv.first}`;
        return `${iv.first}${iv.last === iv.first + 1 ? "," : "-"}${iv.last}`;
      })
      .join(",");
  }

  *indexes(): IterableIterator<number> {
    for (const iv of this.intervals) for (let ix = iv.first; ix <= iv.last; ix++) yield ix;
  }
}

function parseIndex(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}
