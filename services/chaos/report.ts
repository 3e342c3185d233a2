/** What the campaign prints (pure): a line per run, a block per run with violations, the summary. */
import type { FaultKind, JobPlan, RunPlan } from "./plan.js";
import { describeFault, FAULT_KINDS } from "./schedule.js";
import { replayCommand } from "./seeds.js";

export interface RunSummary {
  plan: RunPlan;
  violations: readonly string[];
  applied: ReadonlyMap<FaultKind, number>;
  pods: number;
  flexiblePods: number;
  gappedJobs: number;
  uncertainPods: number;
  observerGaps: number;
  wallMs: number;
  /** Where the logs are, when kept. */
  logDir: string | null;
  skipped: readonly string[];
}

export interface CampaignTotals {
  runs: number;
  faults: number;
  pods: number;
  violations: number;
  faultsByKind: Map<FaultKind, number>;
  /** Seeds of the runs with violations. */
  failedSeeds: number[];
}

export function newTotals(): CampaignTotals {
  return { runs: 0, faults: 0, pods: 0, violations: 0, faultsByKind: new Map(), failedSeeds: [] };
}

export function addRun(t: CampaignTotals, r: RunSummary): CampaignTotals {
  const faultsByKind = new Map(t.faultsByKind);
  let faults = 0;
  for (const [k, n] of r.applied) {
    faultsByKind.set(k, (faultsByKind.get(k) ?? 0) + n);
    faults += n;
  }
  return {
    runs: t.runs + 1,
    faults: t.faults + faults,
    pods: t.pods + r.pods,
    violations: t.violations + r.violations.length,
    faultsByKind,
    failedSeeds: r.violations.length > 0 ? [...t.failedSeeds, r.plan.seed] : t.failedSeeds,
  };
}

function topologyText(p: RunPlan): string {
  const t = p.topology;
  return `${t.nats === "cluster" ? "3-node NATS cluster" : "single nats-server"}, ${t.partitions} partitions, PodGC ${t.podGc ? "at once" : "off"}, Pods ${t.kubelet.durationMs} ms + up to ${t.kubelet.jitterMs} ms`;
}

export function describeJob(j: JobPlan): string {
  const parts = [`${j.indexed ? "Indexed" : "NonIndexed"}`, `${j.completions} completions`, `parallelism ${j.parallelism}`];
  if (j.backoffLimit < 2_147_483_647) parts.push(`backoffLimit ${j.backoffLimit}`);
  if (j.activeDeadlineSeconds !== null) parts.push(`activeDeadlineSeconds ${j.activeDeadlineSeconds}`);
  if (j.podFailurePolicy) parts.push("podFailurePolicy");
  const ann = Object.entries(j.podAnnotations).map(([k, v]) => `${k.replace("kubelet-sim.jobtally.io/", "")}=${v}`);
  if (ann.length > 0) parts.push(ann.join(" "));
  return `${j.name}: ${parts.join(", ")}`;
}

export function runLine(r: RunSummary, total: number): string {
  const faults = [...r.applied.values()].reduce((a, b) => a + b, 0);
  const extras: string[] = [];
  if (r.flexiblePods > 0) extras.push(`${r.flexiblePods} racy Pods`);
  if (r.observerGaps > 0) extras.push(`${r.observerGaps} checker relists`);
  if (r.uncertainPods > 0) extras.push(`${r.uncertainPods} Pods not fully seen`);
  return (
    `run ${r.plan.index + 1}/${total} seed ${r.plan.seed}: ${r.plan.topology.nats}, ${r.plan.jobs.length} Jobs, ${r.pods} Pods, ${faults} faults: ` +
    `${r.violations.length} violations (${(r.wallMs / 1000).toFixed(1)} s${extras.length > 0 ? `; ${extras.join(", ")}` : ""})`
  );
}

/** Everything needed to understand and replay a failing run. */
export function violationBlock(r: RunSummary): string {
  const p = r.plan;
  return [
    `VIOLATION in run ${p.index + 1}, seed ${p.seed} (replay: ${replayCommand(p.seed, p.maxPods)})`,
    `  topology: ${topologyText(p)}`,
    "  jobs:",
    ...p.jobs.map((j) => `    ${describeJob(j)}`),
    ...p.unmanaged.map((u) => `    ${u.name}: managed by ${u.managedBy}`),
    "  fault schedule (from the Jobs' submission):",
    ...(p.faults.length > 0 ? p.faults.map((f) => `    ${describeFault(f)}`) : ["    (none)"]),
    ...(r.skipped.length > 0 ? ["  not applied:", ...r.skipped.map((s) => `    ${s}`)] : []),
    "  violations:",
    ...r.violations.map((v) => `    - ${v.split("\n").join("\n      ")}`),
    ...(r.logDir ? [`  logs: ${r.logDir}`] : []),
  ].join("\n");
}

export function faultsByKindLine(t: CampaignTotals): string {
  const parts = FAULT_KINDS.filter((k) => (t.faultsByKind.get(k) ?? 0) > 0).map((k) => `${k} ${t.faultsByKind.get(k)}`);
  return `faults by kind: ${parts.length > 0 ? parts.join(", ") : "none"}`;
}

/** The campaign's last line, exactly. */
export function summaryLine(t: CampaignTotals): string {
  return `runs: ${t.runs}, faults: ${t.faults}, pods: ${t.pods}, violations: ${t.violations}`;
}

export const SUMMARY_LINE = /^runs: (\d+), faults: (\d+), pods: (\d+), violations: (\d+)$/;
