/**
 * The in-tree Job controller's figures, measured on a real kube-apiserver v1.26.0 on this kind of
 * machine (issue 12: same kubelet driver, every Pod finishes at once, 5 % fail, each deleted the
 * moment it finishes; the controller-manager's own CPU since start and peak RSS). They are the
 * reference each benchmark run is printed beside; jobtally's column is measured, these are not.
 */
import type { RunResult } from "./run-scenario.js";
import { markdownTable, plainTable } from "../../shared/text/table.js";

export interface InTreeFigures {
  wallToFloor: number;
  statusWrites: number;
  cpuSeconds: number;
  rssMiB: number;
}

/** By scenario label (see scenarios.ts); the scenarios the in-tree controller was measured on. */
export const IN_TREE: Readonly<Record<string, InTreeFigures>> = {
  "single-job 2000@200": { wallToFloor: 0.917, statusWrites: 17, cpuSeconds: 3.6, rssMiB: 92 },
  "single-job 2000@50": { wallToFloor: 0.985, statusWrites: 11, cpuSeconds: 8.2, rssMiB: 98 },
  "single-job 10000@200": { wallToFloor: 0.985, statusWrites: 47, cpuSeconds: 20.1, rssMiB: 116 },
  "tiny-jobs 200x1@50": { wallToFloor: 2.747, statusWrites: 622, cpuSeconds: 2.1, rssMiB: 76 },
};

/** Issue 12's targets against the in-tree column: wall/floor at or under, CPU within 1.5x, RSS 100 MiB per service, writes at or under. */
export const CPU_FACTOR_TARGET = 1.5;
export const RSS_PER_SERVICE_TARGET_MIB = 100;

const MiB = 1024 * 1024;

export interface SideBySideRow {
  label: string;
  inTree: InTreeFigures;
  jobtally: { wallToFloor: number | null; statusWrites: number; cpuSeconds: number; rssMiB: number; maxServiceRssMiB: number };
  met: { wall: boolean; statusWrites: boolean; cpu: boolean; rss: boolean };
}

/** Pure: each run that has in-tree figures, with jobtally's in the same units and the targets judged. */
export function sideBySide(runs: RunResult[]): SideBySideRow[] {
  const rows: SideBySideRow[] = [];
  for (const r of runs) {
    const inTree = IN_TREE[r.label];
    if (!inTree) continue;
    const statusWrites = Math.round((r.statusWritesPer1000Pods * r.pods) / 1000);
    const maxServiceRss = Math.max(0, ...Object.values(r.services).map((s) => s.peakRssBytes));
    const j = { wallToFloor: r.ratioToFloor, statusWrites, cpuSeconds: r.servicesTotal.cpuSeconds, rssMiB: r.servicesTotal.peakRssBytes / MiB, maxServiceRssMiB: maxServiceRss / MiB };
    rows.push({
      label: r.label,
      inTree,
      jobtally: j,
      met: {
        wall: j.wallToFloor !== null && j.wallToFloor <= inTree.wallToFloor,
        statusWrites: j.statusWrites <= inTree.statusWrites,
        cpu: j.cpuSeconds <= inTree.cpuSeconds * CPU_FACTOR_TARGET,
        rss: j.maxServiceRssMiB <= RSS_PER_SERVICE_TARGET_MIB,
      },
    });
  }
  return rows;
}

const SIDE_BY_SIDE_HEADER = ["run", "wall/floor in-tree", "jobtally", "status writes in-tree", "jobtally", "CPU s in-tree", "jobtally", "RSS MiB in-tree", "jobtally (max/service)"];

function mark(ok: boolean): string {
  return ok ? "" : " ✗";
}

export function sideBySideRows(rows: SideBySideRow[]): string[][] {
  return rows.map(({ label, inTree, jobtally: j, met }) => [
    label,
    inTree.wallToFloor.toFixed(3),
    `${j.wallToFloor === null ? "—" : j.wallToFloor.toFixed(3)}${mark(met.wall)}`,
    String(inTree.statusWrites),
    `${j.statusWrites}${mark(met.statusWrites)}`,
    inTree.cpuSeconds.toFixed(1),
    `${j.cpuSeconds.toFixed(1)}${mark(met.cpu)}`,
    String(inTree.rssMiB),
    `${j.rssMiB.toFixed(0)} (${j.maxServiceRssMiB.toFixed(0)})${mark(met.rss)}`,
  ]);
}

export const SIDE_BY_SIDE_NOTE =
  "✗: an issue 12 target missed (wall/floor and status writes at or under the in-tree figure, CPU within 1.5x, peak RSS ≤ 100 MiB per service). In-tree: kube-controller-manager v1.26.0 on a real kube-apiserver, not re-measured here.";

export function renderSideBySide(rows: SideBySideRow[], style: "plain" | "markdown"): string {
  return (style === "markdown" ? markdownTable : plainTable)(SIDE_BY_SIDE_HEADER, sideBySideRows(rows));
}
