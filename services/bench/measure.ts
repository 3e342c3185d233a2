/** Reading figures: Prometheus text, /proc CPU and peak RSS, and count lag. Pure where it can be. */
import { readFileSync } from "node:fs";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition (enough for counters, gauges and histogram series). */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = (l[2] as string).replace(/\\"/g, '"');
    out.push({ name: m[1] as string, labels, value: Number(m[4]) });
  }
  return out;
}

export function sumOf(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) if (s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
  return total;
}

export interface ProcessUsage {
  cpuSeconds: number;
  peakRssBytes: number;
  /** Resident set size now (VmRSS). */
  rssBytes: number;
}

/** CPU time (user + system), peak and current RSS of a live process, from /proc. */
export function processUsage(pid: number): ProcessUsage {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kB = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { cpuSeconds: ticks / 100, peakRssBytes: kB("VmHWM"), rssBytes: kB("VmRSS") };
}

export interface LagStats {
  p50: number;
  p99: number;
  max: number;
}

/**
 * Lag from a Pod finishing to its count in the Job status: the k-th finish (in time order) is
 * matched with the first sample whose counted total reached k (FIFO), per Job.
 */
export function lagSamples(finishTimesMs: number[], samples: { atMs: number; counted: number }[]): number[] {
  const finishes = [...finishTimesMs].sort((a, b) => a - b);
  const lags: number[] = [];
  let j = 0;
  for (let k = 0; k < finishes.length; k++) {
    while (j < samples.length && (samples[j] as { counted: number }).counted < k + 1) j++;
    if (j >= samples.length) break;
    lags.push(Math.max(0, (samples[j] as { atMs: number }).atMs - (finishes[k] as number)));
  }
  return lags;
}

export function percentiles(values: number[]): LagStats {
  if (values.length === 0) return { p50: 0, p99: 0, max: 0 };
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number): number => v[Math.min(v.length - 1, Math.floor(q * v.length))] as number;
  return { p50: at(0.5), p99: at(0.99), max: v[v.length - 1] as number };
}
