/**
 * One run of the campaign: start the topology, watch the API, submit the workload, carry out the
 * fault schedule, wait until everything settled (every managed Job finished or deleted, no Pod
 * holding the finalizer, every fault over), then check. Logs of every process go to the run's
 * directory, kept when the run found a violation.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "../../shared/backoff.js";
import { DEFAULT_MANAGED_BY } from "../../shared/constants.js";
import { Checker } from "./checker/checker.js";
import { finalChecks, type RecordedPod } from "./checker/final-checks.js";
import { jobState, podState } from "./checker/objects.js";
import { FaultExecutor } from "./fault-executor.js";
import { Observer } from "./observer.js";
import type { JobPlan, RunPlan, UnmanagedJobPlan } from "./plan.js";
import { CHAOS_POD_FAILURE_POLICY, CONTAINER_NAME } from "./pod-failure-policy.js";
import { NAMESPACE, startTopology, type Topology } from "./topology.js";
import type { RunSummary } from "./report.js";

/** What a run found (the report's `RunSummary`). */
export type RunResult = RunSummary;

export interface RunOptions {
  keepLogs: boolean;
  /** Progress lines (stderr). */
  onProgress?(line: string): void;
}

/** How long a run may take to settle after its Jobs were submitted. */
export function settleTimeoutMs(plan: RunPlan): number {
  const lastFault = plan.faults.reduce((m, f) => Math.max(m, f.atMs + ("downMs" in f && f.downMs ? f.downMs : 0) + ("durationMs" in f ? f.durationMs : 0)), 0);
  const pods = plan.jobs.reduce((n, j) => n + j.completions, 0);
  // Slack for a loaded machine: 20 ms per Pod on top of four times the fault-free estimate, and the
  // documented recovery after a NATS restart (docs/architecture.md, "Known limits"): an intent
  // delivered before the restart comes back only after ack_wait (30 s), and a partition reopened
  // meanwhile holds its creations until its queued creations drain (at most 60 s).
  return Math.min(60 * 60_000, Math.max(150_000, 4 * plan.estimatedMs + lastFault + 60_000 + 30_000 + 60_000 + 20 * pods));
}

/** A Job of one container in the chaos namespace: `spec` and the template's `metadata` vary. */
function jobOf(name: string, spec: Record<string, unknown>, templateMetadata: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: NAMESPACE },
    spec: {
      ...spec,
      template: {
        metadata: templateMetadata,
        spec: { restartPolicy: "Never", containers: [{ name: CONTAINER_NAME, image: "busybox:1.36", command: ["sh", "-c", "true"] }] },
      },
    },
  };
}

function jobManifest(j: JobPlan): unknown {
  return jobOf(
    j.name,
    {
      managedBy: DEFAULT_MANAGED_BY,
      completions: j.completions,
      parallelism: j.parallelism,
      completionMode: j.indexed ? "Indexed" : "NonIndexed",
      backoffLimit: j.backoffLimit,
      ...(j.activeDeadlineSeconds !== null ? { activeDeadlineSeconds: j.activeDeadlineSeconds } : {}),
      ...(j.podFailurePolicy ? { podFailurePolicy: CHAOS_POD_FAILURE_POLICY } : {}),
    },
    { annotations: j.podAnnotations },
  );
}

function unmanagedManifest(u: UnmanagedJobPlan): unknown {
  return jobOf(u.name, { managedBy: u.managedBy, completions: u.completions, parallelism: 1 });
}

function settled(checker: Checker, plan: RunPlan, executor: FaultExecutor): boolean {
  if (!executor.idle()) return false;
  for (const j of plan.jobs) {
    if (executor.deletedJobs.has(j.name)) continue;
    const h = checker.jobByName(j.name);
    if (!h || !h.terminal) return false;
  }
  for (const p of checker.pods.values()) if (!p.gone && p.last.hasFinalizer) return false;
  return true;
}

export async function runOnce(plan: RunPlan, opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `jobtally-chaos-${plan.seed}-`));
  const abort = new AbortController();
  const checker = new Checker(DEFAULT_MANAGED_BY);
  let topo: Topology | null = null;
  let observer: Observer | null = null;
  let executor: FaultExecutor | null = null;
  const violations: string[] = [];
  const phases: string[] = [];
  let result: Omit<RunResult, "wallMs" | "logDir"> | null = null;
  try {
    // A port taken between finding it free and binding it is the machine's doing: one more try.
    topo = await startTopology(plan, dir, abort.signal).catch(async (err: unknown) => {
      opts.onProgress?.(`  start-up failed (${(err as Error).message}); trying once more`);
      await sleep(1000);
      return startTopology(plan, dir, abort.signal);
    });
    observer = new Observer(topo.api, NAMESPACE, checker);
    await observer.start();
    await topo.waitReady(120_000);
    phases.push(`ready ${Date.now() - started} ms`);
    for (const u of plan.unmanaged) await topo.api.createJob(NAMESPACE, unmanagedManifest(u));
    await Promise.all(plan.jobs.map((j) => topo?.api.createJob(NAMESPACE, jobManifest(j))));
    const t0 = Date.now();
    executor = new FaultExecutor(plan.faults, topo, checker, observer);
    executor.start();
    const deadline = t0 + settleTimeoutMs(plan);
    let lastProgress = 0;
    while (!settled(checker, plan, executor)) {
      if (Date.now() > deadline) {
        violations.push(`did not settle within ${Math.round((deadline - t0) / 1000)} s (faults over: ${executor.idle()})`);
        break;
      }
      if (opts.onProgress && Date.now() - lastProgress > 10_000) {
        lastProgress = Date.now();
        const pending = plan.jobs.filter((j) => !(checker.jobByName(j.name)?.terminal || executor?.deletedJobs.has(j.name)));
        const holding = [...checker.pods.values()].filter((p) => !p.gone && p.last.hasFinalizer).length;
        const detail = pending.map((j) => {
          const s = checker.jobByName(j.name)?.last;
          return `${j.name} ${s ? `${s.succeeded}/${s.completions} succeeded, ${s.failed} failed` : "not seen"}`;
        });
        opts.onProgress(`  … ${Math.round((Date.now() - t0) / 1000)} s: ${plan.jobs.length - pending.length}/${plan.jobs.length} Jobs done, ${checker.pods.size} Pods seen, ${holding} holding the finalizer${detail.length > 0 ? ` (${detail.join("; ")})` : ""}`);
      }
      await sleep(200);
    }
    phases.push(`settled ${Date.now() - t0} ms after submission`);
    await executor.stop();
    // Late writes (a count after the Job finished, a write to another controller's Job) show up here.
    await sleep(1000);
    const finalJobs = (await topo.api.list(topo.api.jobsPath(NAMESPACE))).items.map(jobState);
    const finalPods = (await topo.api.list(topo.api.podsPath(NAMESPACE))).items.map(podState);
    const recordRes = await fetch(`http://127.0.0.1:${topo.kubeletPort}/record`);
    const record = ((await recordRes.json()) as { pods: RecordedPod[] }).pods;
    await observer.stop();
    const final = finalChecks({
      jobs: [...checker.jobs.values()],
      pods: [...checker.pods.values()],
      record,
      plannedJobs: plan.jobs,
      unmanaged: plan.unmanaged,
      user: executor.userActions(),
      finalJobs,
      finalPods,
      podGc: plan.topology.podGc,
    });
    writeFileSync(join(dir, "checker.txt"), [...final.details, "", ...executor.skipped.map((x) => `not applied: ${x}`), ""].join("\n"));
    violations.unshift(...checker.violations);
    violations.push(...final.violations);
    violations.push(...topo.crashes);
    const podUids = new Set([...checker.pods.keys(), ...record.map((r) => r.podUID)]);
    const applied = new Map(executor.applied);
    if (plan.topology.podGc) applied.set("pod-gc", 1);
    result = {
      plan,
      violations,
      applied,
      skipped: executor.skipped,
      pods: podUids.size,
      flexiblePods: final.flexiblePods,
      gappedJobs: final.gappedJobs,
      uncertainPods: final.uncertainPods,
      observerGaps: observer.gaps,
    };
  } catch (err) {
    violations.push(`run failed: ${(err as Error).stack ?? String(err)}`);
  } finally {
    abort.abort();
    await executor?.stop().catch(() => {});
    await observer?.stop();
    const stopping = Date.now();
    await topo?.stop();
    phases.push(`stopped in ${Date.now() - stopping} ms`);
    opts.onProgress?.(`  phases: ${phases.join(", ")}`);
  }
  const keep = opts.keepLogs || violations.length > 0;
  if (!keep) rmSync(dir, { recursive: true, force: true });
  const base = result ?? { plan, violations, applied: new Map(), skipped: [], pods: checker.pods.size, flexiblePods: 0, gappedJobs: 0, uncertainPods: 0, observerGaps: observer?.gaps ?? 0 };
  return { ...base, violations, wallMs: Date.now() - started, logDir: keep ? dir : null };
}
