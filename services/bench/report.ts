/** Pure rendering of benchmark results: the console table, the Markdown table and the SVG chart. */
import type { RunResult } from "./run-scenario.js";
import { fixed, markdownTable, plainTable } from "../../shared/text/table.js";

const MiB = 1024 * 1024;

const f = fixed;

export const TABLE_HEADER = [
  "run",
  "pods",
  "pods run",
  "wall s",
  "floor s",
  "wall/floor",
  "pods/s",
  "status writes/1k",
  "API writes/pod",
  "conflicts/1k",
  "max status B",
  "lag p50/p99 ms",
  "CPU s/1k pods",
  "peak RSS MiB",
  "counts",
  "finalizers left",
];

export function tableRows(runs: RunResult[]): string[][] {
  return runs.map((r) => [
    r.label,
    String(r.pods),
    String(r.podsCreated),
    f(r.wallSeconds, 1),
    f(r.floorSeconds, 1),
    f(r.ratioToFloor),
    f(r.podsPerSecond, 0),
    f(r.statusWritesPer1000Pods, 1),
    r.jobs > 1 ? `${f(r.apiWritesPerPod)} (${f(r.apiWritesPerJob, 1)}/job)` : f(r.apiWritesPerPod),
    f(r.conflictsPer1000Pods, 1),
    String(Math.round(r.maxJobStatusBytes)),
    `${Math.round(r.lagMs.p50)}/${Math.round(r.lagMs.p99)}`,
    f(r.servicesTotal.cpuSecondsPer1000Pods),
    f(r.servicesTotal.peakRssBytes / MiB, 0),
    r.countsExact ? "exact" : `WRONG${r.timedOut ? " (timed out)" : ""}`,
    String(r.finalizersLeft),
  ]);
}

export function renderTable(runs: RunResult[]): string {
  return plainTable(TABLE_HEADER, tableRows(runs));
}

export function renderMarkdownTable(runs: RunResult[]): string {
  return markdownTable(TABLE_HEADER, tableRows(runs));
}

const SERVICE_ORDER = ["watcher", "counter", "finalizer-remover"] as const;

/** Where the CPU and memory go: per service, CPU seconds per 1,000 Pods and peak RSS. */
export function renderServiceMarkdownTable(runs: RunResult[]): string {
  const header = ["run", ...SERVICE_ORDER.flatMap((s) => [`${s} CPU s/1k`, `${s} RSS MiB`])];
  const rows = runs.map((r) => [
    r.label,
    ...SERVICE_ORDER.flatMap((s) => {
      const u = r.services[s];
      return u ? [f(u.cpuSecondsPer1000Pods), f(u.peakRssBytes / MiB, 0)] : ["—", "—"];
    }),
  ]);
  return markdownTable(header, rows);
}

/**
 * The counter's memory against the size of the Job: the one-Job runs at the same QPS and
 * parallelism and different sizes (10,000 and 100,000 Pods at QPS 1,000 in the full run).
 */
export function counterMemoryNote(runs: RunResult[]): string | null {
  const single = runs.filter((r) => r.scenario === "single-job" && r.services.counter);
  for (const big of single) {
    const small = single.find((r) => r !== big && r.qps === big.qps && r.parallelism === big.parallelism && r.pods < big.pods);
    if (!small) continue;
    const a = small.services.counter!.peakRssBytes;
    const b = big.services.counter!.peakRssBytes;
    return `Counter peak RSS against Job size (QPS ${big.qps}, parallelism ${big.parallelism}): ${small.pods} Pods ${f(a / MiB, 0)} MiB, ${big.pods} Pods ${f(b / MiB, 0)} MiB (${b >= a ? "+" : ""}${f(((b - a) / a) * 100, 0)} %).`;
  }
  return null;
}

/** Pods counted and jobtally's API requests per second over time, one panel per run. */
export function renderChart(runs: RunResult[]): string {
  const panelW = 520;
  const panelH = 180;
  const pad = 40;
  const parts: string[] = [];
  runs.forEach((r, i) => {
    const y0 = i * (panelH + pad * 2);
    const tMax = Math.max(1, ...r.series.map((s) => s.atMs));
    const cMax = Math.max(1, r.pods);
    const rates = r.series.map((s, k) => {
      const prev = r.series[k - 1];
      return prev ? ((s.apiRequests - prev.apiRequests) * 1000) / Math.max(1, s.atMs - prev.atMs) : 0;
    });
    const rMax = Math.max(1, ...rates);
    const x = (t: number): number => pad + (t / tMax) * panelW;
    const yc = (c: number): number => y0 + pad + panelH - (c / cMax) * panelH;
    const yr = (v: number): number => y0 + pad + panelH - (v / rMax) * panelH;
    const counted = r.series.map((s) => `${x(s.atMs).toFixed(1)},${yc(s.counted).toFixed(1)}`).join(" ");
    const rate = r.series.map((s, k) => `${x(s.atMs).toFixed(1)},${yr(rates[k] as number).toFixed(1)}`).join(" ");
    parts.push(
      `<g><text x="${pad}" y="${y0 + pad - 10}" font-size="13">${r.label}: ${r.pods} Pods in ${r.wallSeconds.toFixed(1)} s (floor ${r.floorSeconds.toFixed(1)} s)</text>`,
      `<rect x="${pad}" y="${y0 + pad}" width="${panelW}" height="${panelH}" fill="none" stroke="#999"/>`,
      `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${counted}"/>`,
      `<polyline fill="none" stroke="#ff7f0e" stroke-width="1" points="${rate}"/>`,
      `<text x="${pad + panelW + 6}" y="${y0 + pad + 10}" font-size="11" fill="#1f77b4">counted (max ${cMax})</text>`,
      `<text x="${pad + panelW + 6}" y="${y0 + pad + 26}" font-size="11" fill="#ff7f0e">API req/s (max ${Math.round(rMax)})</text>`,
      `<text x="${pad}" y="${y0 + pad + panelH + 14}" font-size="11">0 s</text><text x="${pad + panelW - 30}" y="${y0 + pad + panelH + 14}" font-size="11">${(tMax / 1000).toFixed(0)} s</text></g>`,
    );
  });
  const h = runs.length * (panelH + pad * 2) + pad;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${panelW + pad * 2 + 160}" height="${h}" font-family="sans-serif">\n${parts.join("\n")}\n</svg>\n`;
}
