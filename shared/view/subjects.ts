/** Subjects of the view stream: `jobtally.view.<partition>.<jobUID>.job|pod.<podUID>`, `jobtally.view.<partition>.sync`. */
import { NO_OWNER_TOKEN, VIEW_SUBJECT_PREFIX } from "../constants.js";

export function jobViewSubject(partition: number, jobUID: string): string {
  return `${VIEW_SUBJECT_PREFIX}.${partition}.${jobUID}.job`;
}

export function podViewSubject(partition: number, jobUID: string | null, podUID: string): string {
  return `${VIEW_SUBJECT_PREFIX}.${partition}.${jobUID ?? NO_OWNER_TOKEN}.pod.${podUID}`;
}

export function syncMarkerSubject(partition: number): string {
  return `${VIEW_SUBJECT_PREFIX}.${partition}.sync`;
}

/** Filter for everything in one partition. */
export function partitionViewFilter(partition: number): string {
  return `${VIEW_SUBJECT_PREFIX}.${partition}.>`;
}

export type ParsedViewSubject =
  | { kind: "job"; partition: number; jobUID: string }
  | { kind: "pod"; partition: number; jobUID: string | null; podUID: string }
  | { kind: "sync"; partition: number };

export function parseViewSubject(subject: string): ParsedViewSubject | null {
  const prefix = `${VIEW_SUBJECT_PREFIX}.`;
  if (!subject.startsWith(prefix)) return null;
  const t = subject.slice(prefix.length).split(".");
  const partition = Number(t[0]);
  if (!Number.isInteger(partition) || partition < 0) return null;
  if (t.length === 2 && t[1] === "sync") return { kind: "sync", partition };
  if (t.length === 3 && t[2] === "job" && t[1]) return { kind: "job", partition, jobUID: t[1] };
  if (t.length === 4 && t[2] === "pod" && t[1] && t[3]) {
    return { kind: "pod", partition, jobUID: t[1] === NO_OWNER_TOKEN ? null : t[1], podUID: t[3] };
  }
  return null;
}
