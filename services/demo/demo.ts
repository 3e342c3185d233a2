/**
 * `jobtally demo`: everything on one machine. nats-server (temporary store), the API simulator and
 * the kubelet simulator with PodGC at 0 (unless $KUBECONFIG / --kubeconfig names a real cluster),
 * the watcher, counters and finalizer-removers as separate processes; a few Jobs; live progress;
 * a summary checking every count against the kubelet's record (or an independent Pod watch on a
 * real cluster). Exit code 0 only when everything matched.
 */
import { mkdtempSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { BatchV1Api, CoreV1Api, KubeConfig, type V1Job } from "@kubernetes/client-node";
import type { ConfigOf } from "../../shared/config/options.js";
import { createLogger } from "../../shared/observability/logger.js";
import { freeLoopbackPort, spawnJobtallyChild, type Child } from "../../shared/process/child.js";
import { startLocalNatsServer } from "../../shared/process/nats-server.js";
import { JOB_TRACKING_FINALIZER } from "../../shared/constants.js";
import { sleep } from "../../shared/backoff.js";
import type { demoOptionSchema } from "./options.js";
import { demoJobManifest, planDemoJobs, type DemoJobPlan } from "./plan.js";
import { renderProgress, renderSummary, rowMatches, type JobProgress, type SummaryRow } from "./render.js";
import { OutcomeObserver } from "./outcome-observer.js";

export type DemoConfig = ConfigOf<typeof demoOptionSchema>;

function terminalOf(job: V1Job): { state: JobProgress["state"]; reason: string } {
  for (const c of job.status?.conditions ?? []) {
    if (c.status !== "True") continue;
    if (c.type === "Complete" || c.type === "Failed") return { state: c.type, reason: c.reason ?? "" };
  }
  if (job.spec?.suspend) return { state: "Suspended", reason: "" };
  return { state: "Running", reason: "" };
}

export async function runDemo(config: DemoConfig): Promise<number> {
  const logger = createLogger("demo", process.env.LOG_LEVEL ?? "warn");
  const out = (s: string): void => void process.stdout.write(`${s}\n`);
  const dir = mkdtempSync(join(tmpdir(), "jobtally-demo-"));
  const children: Child[] = [];
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const log = (name: string): string => join(dir, `${name}.log`);
  const onSim = !config.kubeconfig;
  let kubeconfigPath = config.kubeconfig;
  let simUrl: string | null = null;
  let kubeletPort = 0;
  let ok = false;
  try {
    out(`jobtally demo: ${config.pods} Pods in ${config.jobs} Jobs, ${onSim ? "embedded API simulator" : `cluster of ${kubeconfigPath}`}; logs in ${dir}`);
    const nats = await startLocalNatsServer({ logFile: log("nats-server") });
    children.push(nats.child);
    out(`  nats-server        ${nats.url}`);
    if (onSim) {
      kubeconfigPath = join(dir, "kubeconfig");
      const simPort = await freeLoopbackPort();
      children.push(spawnJobtallyChild(["sim", "--port", String(simPort), "--kubeconfig-out", kubeconfigPath], { name: "sim", logFile: log("sim") }));
      const deadline = Date.now() + 30_000;
      while (!(existsSync(kubeconfigPath) && readFileSync(kubeconfigPath, "utf8").includes("server"))) {
        if (Date.now() > deadline) throw new Error(`the API simulator did not start; see ${log("sim")}`);
        await sleep(50);
      }
      simUrl = `http://127.0.0.1:${simPort}`;
      out(`  API simulator      ${simUrl} (kubectl --kubeconfig ${kubeconfigPath} get jobs)`);
    }
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    const namespace = `jobtally-demo-${randomBytes(3).toString("hex")}`;
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    out(`  namespace          ${namespace}`);

    if (onSim) {
      kubeletPort = await freeLoopbackPort();
      children.push(
        spawnJobtallyChild(
          ["kubelet-sim", "--kubeconfig", kubeconfigPath, "--namespace", namespace, "--http-port", String(kubeletPort), "--duration-ms", String(config.podDurationMs), "--duration-jitter-ms", String(config.podDurationMs), "--fail-probability", String(config.failProbability), "--pod-gc-delay-ms", "0", "--nodes", "20", "--concurrency", "256"],
          { name: "kubelet-sim", logFile: log("kubelet-sim") },
        ),
      );
    }
    const common = ["--kubeconfig", kubeconfigPath, "--nats-url", nats.url, "--http-port", "0"];
    const partitioned = [...common, "--partitions", String(config.partitions)];
    children.push(spawnJobtallyChild(["watcher", ...partitioned, "--namespace", namespace], { name: "watcher", logFile: log("watcher") }));
    // Identical replicas: they share the partitions through leases, as a scaled Deployment does.
    for (let i = 0; i < config.counters; i++) {
      children.push(spawnJobtallyChild(["counter", ...partitioned, "--replica-id", `demo-counter-${i}`, "--api-qps", "0"], { name: `counter-${i}`, logFile: log(`counter-${i}`) }));
    }
    for (let i = 0; i < config.removers; i++) {
      children.push(spawnJobtallyChild(["finalizer-remover", ...common, "--qps", String(config.qps)], { name: `remover-${i}`, logFile: log(`remover-${i}`) }));
    }
    out(`  services           watcher, ${config.counters} counter(s), ${config.removers} finalizer-remover(s)${onSim ? ", kubelet-sim (PodGC at 0 s)" : ""}`);

    const observer = onSim ? null : new OutcomeObserver();
    void observer?.run(kc, core, namespace, logger, abort.signal);

    const plans = planDemoJobs(config.pods, config.jobs, config.parallelism);
    const started = new Map<string, number>();
    const finishedAt = new Map<string, number>();
    const uids = new Map<string, string>();
    for (const plan of plans) {
      const job = await batch.createNamespacedJob({ namespace, body: demoJobManifest(plan, namespace, config.failProbability, config.podDurationMs) });
      uids.set(plan.name, job.metadata?.uid ?? "");
      started.set(plan.name, Date.now());
    }
    const t0 = Date.now();
    const tty = config.progress || process.stderr.isTTY;
    let lastRequests: { at: number; total: number } | null = null;
    let lastDraw = 0;
    let lastPrint = 0;
    let jobs: V1Job[] = [];
    while (!abort.signal.aborted) {
      jobs = (await batch.listNamespacedJob({ namespace })).items;
      const progress: JobProgress[] = plans.map((plan) => toProgress(plan, jobs.find((j) => j.metadata?.name === plan.name)));
      for (const p of progress) if (p.state !== "Running" && !finishedAt.has(p.name)) finishedAt.set(p.name, Date.now());
      let rate: number | null = null;
      if (simUrl) {
        const total = await simRequestTotal(simUrl).catch(() => null);
        if (total !== null) {
          const now = Date.now();
          if (lastRequests) rate = ((total - lastRequests.total) * 1000) / Math.max(1, now - lastRequests.at);
          lastRequests = { at: now, total };
        }
      }
      const text = renderProgress(progress, rate, Date.now() - t0);
      if (tty) process.stderr.write(`\x1b[${progress.length + 1}F\x1b[J`.repeat(lastDraw > 0 ? 1 : 0) + text + "\n");
      else if (Date.now() - lastPrint > 5000) {
        process.stderr.write(`${text}\n`);
        lastPrint = Date.now();
      }
      lastDraw = Date.now();
      if (progress.every((p) => p.state === "Complete" || p.state === "Failed")) break;
      if (Date.now() - t0 > config.timeoutMs) {
        out(`timed out after ${config.timeoutMs} ms`);
        break;
      }
      await sleep(500, abort.signal);
    }

    const record = kubeletPort ? ((await (await fetch(`http://127.0.0.1:${kubeletPort}/record`)).json()) as { byJob: Record<string, { succeeded: number; failed: number }> }) : null;
    await sleep(1000);
    const pods = (await core.listNamespacedPod({ namespace })).items;
    const rows: SummaryRow[] = plans.map((plan) => {
      const job = jobs.find((j) => j.metadata?.name === plan.name);
      const uid = uids.get(plan.name) ?? "";
      const expected = record ? (record.byJob[uid] ?? { succeeded: 0, failed: 0 }) : (observer?.tally(uid) ?? { succeeded: 0, failed: 0 });
      const t = job ? terminalOf(job) : { state: "Running" as const, reason: "missing" };
      return {
        name: plan.name,
        mode: plan.indexed ? "Indexed" : "NonIndexed",
        completions: plan.completions,
        state: t.state,
        reason: t.reason,
        succeeded: job?.status?.succeeded ?? 0,
        failed: job?.status?.failed ?? 0,
        expectedSucceeded: plan.indexed ? Math.min(expected.succeeded, plan.completions) : expected.succeeded,
        expectedFailed: expected.failed,
        finalizersLeft: pods.filter((p) => (p.metadata?.ownerReferences ?? []).some((r) => r.uid === uid) && (p.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)).length,
        seconds: ((finishedAt.get(plan.name) ?? Date.now()) - (started.get(plan.name) ?? t0)) / 1000,
      };
    });
    out("");
    out(renderSummary(rows, record ? "kubelet" : "observed"));
    ok = rows.every(rowMatches);
    out("");
    out(ok ? `all ${rows.length} Jobs counted exactly (${config.pods} Pods)` : "MISMATCH: see the rows above and the logs");
    if (!onSim) await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  } finally {
    abort.abort();
    await Promise.all([...children].reverse().map((c) => c.stop("SIGTERM", 10_000)));
    if (ok && !config.keepLogs) rmSync(dir, { recursive: true, force: true });
    else out(`logs kept in ${dir}`);
  }
  return ok ? 0 : 1;
}

function toProgress(plan: DemoJobPlan, job: V1Job | undefined): JobProgress {
  const u = job?.status?.uncountedTerminatedPods;
  return {
    name: plan.name,
    completions: plan.completions,
    succeeded: job?.status?.succeeded ?? 0,
    failed: job?.status?.failed ?? 0,
    uncounted: (u?.succeeded?.length ?? 0) + (u?.failed?.length ?? 0),
    active: job?.status?.active ?? 0,
    state: job ? terminalOf(job).state : "Running",
  };
}

async function simRequestTotal(simUrl: string): Promise<number> {
  const text = await (await fetch(`${simUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("kube_sim_requests_total{")) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}
