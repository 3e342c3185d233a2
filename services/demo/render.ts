/** Pure text rendering for the demo: progress bars and the summary table. */
import { bar } from "../../shared/text/progress-bar.js";

export interface JobProgress {
  name: string;
  completions: number;
  succeeded: number;
  failed: number;
  uncounted: number;
  active: number;
  state: "Running" | "Complete" | "Failed" | "Suspended";
}


export function renderProgress(jobs: JobProgress[], apiRequestsPerSecond: number | null, elapsedMs: number): string {
  const nameWidth = Math.max(4, ...jobs.map((j) => j.name.length));
  const lines = jobs.map((j) => {
    const counted = j.succeeded;
    return `${j.name.padEnd(nameWidth)} ${bar(counted / Math.max(1, j.completions), 30)} ${String(counted).padStart(6)}/${j.completions} ok ${String(j.failed).padStart(5)} failed ${String(j.active).padStart(5)} active ${String(j.uncounted).padStart(4)} uncounted  ${j.state}`;
  });
  const rate = apiRequestsPerSecond === null ? "" : `   API ${Math.round(apiRequestsPerSecond)} req/s`;
  lines.push(`elapsed ${(elapsedMs / 1000).toFixed(1)} s${rate}`);
  return lines.join("\n");
}

export interface SummaryRow {
  name: string;
  mode: string;
  completions: number;
  state: string;
  reason: string;
  succeeded: number;
  failed: number;
  expectedSucceeded: number;
  expectedFailed: number;
  finalizersLeft: number;
  seconds: number;
}

export function rowMatches(r: SummaryRow): boolean {
  return r.state === "Complete" && r.succeeded === r.expectedSucceeded && r.failed === r.expectedFailed && r.finalizersLeft === 0;
}

export function renderSummary(rows: SummaryRow[], source: string): string {
  const header = ["job", "mode", "completions", "state", "succeeded", `expected (${source})`, "failed", "expected", "finalizers left", "seconds", "check"];
  const body = rows.map((r) => [
    r.name,
    r.mode,
    String(r.completions),
    r.reason ? `${r.state} (${r.reason})` : r.state,
    String(r.succeeded),
    String(r.expectedSucceeded),
    String(r.failed),
    String(r.expectedFailed),
    String(r.finalizersLeft),
    r.seconds.toFixed(1),
    rowMatches(r) ? "OK" : "MISMATCH",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join("  ");
  return [fmt(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(fmt)].join("\n");
}
