/**
 * Runs one benchmark scenario end to end on this machine: nats-server, the API simulator (5 ms ±
 * 2 ms latency), the kubelet simulator (Pods finish at once, 5 % failures, PodGC at 0), and
 * jobtally's services as separate processes sharing one client budget. Returns the figures.
 */
import { mkdtempSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BatchV1Api, CoreV1Api, KubeConfig, type V1Job } from "@kubernetes/client-node";
import { freeLoopbackPort, spawnJobtallyChild, type Child } from "../../shared/process/child.js";
import { startLocalNatsServer } from "../../shared/process/nats-server.js";
import { DEFAULT_MANAGED_BY, JOB_TRACKING_FINALIZER } from "../../shared/constants.js";
import { sleep } from "../../shared/backoff.js";
import { allowPlainHttp } from "../../shared/kube/client.js";
import { lagSamples, parsePrometheus, percentiles, processUsage, sumOf, type LagStats, type Sample } from "./measure.js";
/**
 * The simulators stand in for the API server and the kubelets, which have their own machines in a
 * cluster; here they share the 2 cores with jobtally. A large young generation keeps their garbage
 * collection (most of the kubelet simulator's time at default settings) from taking jobtally's CPU.
 */
const SIMULATOR_NODE_OPTIONS = "--max-semi-space-size=64";

import { floorSeconds, type Scenario } from "./scenarios.js";

export interface ServiceFigures {
  cpuSecondsPer1000Pods: number;
  cpuSeconds: number;
  peakRssBytes: number;
}

export interface RunResult {
  scenario: string;
  label: string;
  pods: number;
  jobs: number;
  parallelism: number;
  qps: number;
  burst: number;
  wallSeconds: number;
  /** Pods created, failed ones and their replacements included: the N of the floor 2N/Q. */
  podsCreated: number;
  floorSeconds: number;
  ratioToFloor: number | null;
  podsPerSecond: number;
  apiRequestsPerPod: Record<string, number>;
  apiWritesPerPod: number;
  apiWritesPerJob: number;
  statusWritesPer1000Pods: number;
  conflictsPer1000Pods: number;
  maxJobStatusBytes: number;
  lagMs: LagStats;
  services: Record<string, ServiceFigures>;
  servicesTotal: ServiceFigures;
  jetstreamMsgsPerPod: number;
  jetstreamBytesPerPod: number;
  countsExact: boolean;
  countMismatches: string[];
  finalizersLeft: number;
  peakActiveFraction: number;
  timedOut: boolean;
  series: { atMs: number; counted: number; apiRequests: number }[];
}

export interface RunOptions {
  onProgress(counted: number, total: number, elapsedMs: number): void;
  keepLogs: boolean;
}

export async function runScenario(sc: Scenario, opts: RunOptions): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "jobtally-bench-"));
  const log = (n: string): string => join(dir, `${n}.log`);
  const children: Child[] = [];
  const services: Record<string, { child: Child; port: number }> = {};
  const monitorPort = await freeLoopbackPort();
  const nats = await startLocalNatsServer({ logFile: log("nats"), monitorPort });
  children.push(nats.child);
  try {
    const kubeconfigPath = join(dir, "kubeconfig");
    const simPort = await freeLoopbackPort();
    children.push(spawnJobtallyChild(["sim", "--port", String(simPort), "--kubeconfig-out", kubeconfigPath, "--latency", "3", "--jitter", "4", "--history-window", "500000"], { name: "sim", logFile: log("sim"), env: { LOG_LEVEL: "warn", NODE_OPTIONS: SIMULATOR_NODE_OPTIONS } }));
    for (let i = 0; !(existsSync(kubeconfigPath) && readFileSync(kubeconfigPath, "utf8").includes("server")); i++) {
      if (i > 600) throw new Error(`simulator did not start: ${log("sim")}`);
      await sleep(50);
    }
    const simUrl = `http://127.0.0.1:${simPort}`;
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    allowPlainHttp(kc);
    const core = kc.makeApiClient(CoreV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    const namespace = "bench";
    await core.createNamespace({ body: { metadata: { name: namespace } } });

    const kubeletPort = await freeLoopbackPort();
    children.push(
      spawnJobtallyChild(
        ["kubelet-sim", "--kubeconfig", kubeconfigPath, "--namespace", namespace, "--http-port", String(kubeletPort), "--duration-ms", "0", "--start-delay", "0", "--fail-probability", "0.05", "--pod-gc-delay-ms", "0", "--nodes", "100", "--concurrency", "512"],
        { name: "kubelet-sim", logFile: log("kubelet-sim"), env: { LOG_LEVEL: "warn", NODE_OPTIONS: SIMULATOR_NODE_OPTIONS } },
      ),
    );
    // One client budget for all of jobtally's writers: the counter and the pool share it over NATS.
    const budgetArgs = (ownFlag: string): string[] => (sc.qps === 0 ? [ownFlag, "0"] : ["--shared-qps", String(sc.qps), "--shared-burst", String(sc.burst)]);
    const common = ["--kubeconfig", kubeconfigPath, "--nats-url", nats.url];
    const partitioned = ["--partitions", "16"];
    const start = async (name: string, args: string[]): Promise<void> => {
      const port = await freeLoopbackPort();
      const child = spawnJobtallyChild([...args, ...common, "--http-port", String(port)], { name, logFile: log(name), env: { LOG_LEVEL: process.env.BENCH_SERVICE_LOG_LEVEL ?? "warn" } });
      children.push(child);
      services[name] = { child, port };
    };
    await start("finalizer-remover", ["finalizer-remover", ...budgetArgs("--qps"), "--concurrency", "64"]);
    await start("counter", ["counter", ...partitioned, ...budgetArgs("--api-qps"), "--events", "all"]);
    await start("watcher", ["watcher", ...partitioned, "--namespace", namespace]);
    await waitReady(Object.values(services).map((s) => s.port));

    const totalPods = sc.jobs * sc.podsPerJob;
    const t0 = Date.now();
    const created: V1Job[] = [];
    const creations: Promise<void>[] = [];
    for (let i = 0; i < sc.jobs; i++) {
      creations.push(
        batch
          .createNamespacedJob({
            namespace,
            body: {
              metadata: { name: `bench-${i}`, namespace },
              spec: {
                completions: sc.podsPerJob,
                parallelism: sc.parallelism,
                completionMode: sc.indexed ? "Indexed" : "NonIndexed",
                backoffLimit: 2_147_483_647,
                managedBy: DEFAULT_MANAGED_BY,
                template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox:1.36" }] } },
              },
            },
          })
          .then((j) => void created.push(j)),
      );
      if (creations.length >= 32) await Promise.all(creations.splice(0));
    }
    await Promise.all(creations);

    const series: RunResult["series"] = [];
    const perJobSamples = new Map<string, { atMs: number; counted: number }[]>();
    const timeoutMs = Math.max(180_000, floorSeconds(totalPods, sc.qps) * 4000 + 120_000);
    let timedOut = false;
    let lastJobs: V1Job[] = [];
    let peakActive = 0;
    for (;;) {
      lastJobs = await listAll(batch, namespace);
      const now = Date.now();
      let counted = 0;
      let finished = 0;
      let active = 0;
      for (const j of lastJobs) {
        const c = (j.status?.succeeded ?? 0) + (j.status?.failed ?? 0);
        counted += c;
        active += j.status?.active ?? 0;
        const uid = j.metadata?.uid ?? "";
        const arr = perJobSamples.get(uid) ?? [];
        if (arr.length === 0 || (arr[arr.length - 1] as { counted: number }).counted !== c) arr.push({ atMs: now, counted: c });
        perJobSamples.set(uid, arr);
        if ((j.status?.conditions ?? []).some((x) => (x.type === "Complete" || x.type === "Failed") && x.status === "True")) finished++;
      }
      peakActive = Math.max(peakActive, active);
      const apiRequests = await scrapeApiRequests(Object.values(services).map((s) => s.port));
      series.push({ atMs: now - t0, counted, apiRequests });
      opts.onProgress(counted, totalPods, now - t0);
      if (finished === sc.jobs) break;
      if (now - t0 > timeoutMs) {
        timedOut = true;
        break;
      }
      await sleep(sc.jobs > 100 ? 500 : 200);
    }
    const wallSeconds = (Date.now() - t0) / 1000;

    const usage: Record<string, ServiceFigures> = {};
    let cpuTotal = 0;
    let rssTotal = 0;
    for (const [name, s] of Object.entries(services)) {
      const u = processUsage(s.child.proc.pid as number);
      usage[name] = { cpuSeconds: u.cpuSeconds, cpuSecondsPer1000Pods: (u.cpuSeconds * 1000) / totalPods, peakRssBytes: u.peakRssBytes };
      cpuTotal += u.cpuSeconds;
      rssTotal += u.peakRssBytes;
    }
    const metrics: Sample[] = [];
    for (const s of Object.values(services)) metrics.push(...parsePrometheus(await (await fetch(`http://127.0.0.1:${s.port}/metrics`)).text()));
    const apiRequestsPerPod: Record<string, number> = {};
    let writes = 0;
    let podsCreated = 0;
    for (const m of metrics) {
      if (m.name !== "jobtally_api_requests_total") continue;
      if (m.labels.verb === "create" && m.labels.resource === "pods" && m.labels.code === "201") podsCreated += m.value;
      const key = `${m.labels.verb} ${m.labels.resource}`;
      apiRequestsPerPod[key] = (apiRequestsPerPod[key] ?? 0) + m.value / totalPods;
      if (["create", "update", "patch", "delete"].includes(m.labels.verb ?? "")) writes += m.value;
    }
    const statusWrites = sumOf(metrics, "jobtally_job_status_writes_total");
    const conflicts = sumOf(metrics, "jobtally_job_status_writes_total", { outcome: "409" });
    const simMetrics = parsePrometheus(await (await fetch(`${simUrl}/metrics`)).text());
    const varz = (await (await fetch(`http://127.0.0.1:${monitorPort}/varz`)).json()) as { in_msgs: number; in_bytes: number };
    const record = (await (await fetch(`http://127.0.0.1:${kubeletPort}/record`)).json()) as {
      pods: { jobUID: string | null; recordedAt: string; phase: string | null }[];
      byJob: Record<string, { succeeded: number; failed: number }>;
    };
    const mismatches: string[] = [];
    const lagsFinish = new Map<string, number[]>();
    for (const p of record.pods) if (p.jobUID && p.phase) lagsFinish.set(p.jobUID, [...(lagsFinish.get(p.jobUID) ?? []), Date.parse(p.recordedAt)]);
    for (const j of lastJobs) {
      const uid = j.metadata?.uid ?? "";
      const want = record.byJob[uid] ?? { succeeded: 0, failed: 0 };
      const gotS = j.status?.succeeded ?? 0;
      const gotF = j.status?.failed ?? 0;
      const wantS = sc.indexed ? Math.min(want.succeeded, sc.podsPerJob) : want.succeeded;
      if (gotS !== wantS || gotF !== want.failed) mismatches.push(`${j.metadata?.name}: succeeded ${gotS}/${wantS} failed ${gotF}/${want.failed}`);
    }
    // Per-Job FIFO matching, pooled: the k-th Pod of a Job to finish is counted when that Job's total reaches k.
    const lagValues: number[] = [];
    for (const [uid, finishes] of lagsFinish) lagValues.push(...lagSamples(finishes, perJobSamples.get(uid) ?? []));
    const lagMs = percentiles(lagValues);
    const pods = await core.listNamespacedPod({ namespace });
    const finalizersLeft = pods.items.filter((p) => (p.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)).length;
    // N is every Pod that ran (a failed Pod's replacement is a Pod too), as in the in-tree figures.
    const floor = floorSeconds(podsCreated, sc.qps);
    return {
      scenario: sc.scenario,
      label: sc.label,
      pods: totalPods,
      podsCreated,
      jobs: sc.jobs,
      parallelism: sc.parallelism,
      qps: sc.qps,
      burst: sc.burst,
      wallSeconds,
      floorSeconds: floor,
      ratioToFloor: floor > 0 ? wallSeconds / floor : null,
      podsPerSecond: totalPods / wallSeconds,
      apiRequestsPerPod,
      apiWritesPerPod: writes / totalPods,
      apiWritesPerJob: writes / sc.jobs,
      statusWritesPer1000Pods: (statusWrites * 1000) / totalPods,
      conflictsPer1000Pods: (conflicts * 1000) / totalPods,
      maxJobStatusBytes: sumOf(simMetrics, "kube_sim_job_status_bytes_max"),
      lagMs,
      services: usage,
      servicesTotal: { cpuSeconds: cpuTotal, cpuSecondsPer1000Pods: (cpuTotal * 1000) / totalPods, peakRssBytes: rssTotal },
      jetstreamMsgsPerPod: varz.in_msgs / totalPods,
      jetstreamBytesPerPod: varz.in_bytes / totalPods,
      countsExact: mismatches.length === 0 && !timedOut,
      countMismatches: mismatches,
      finalizersLeft,
      peakActiveFraction: Math.min(1, peakActive / Math.max(1, Math.min(sc.parallelism, sc.podsPerJob) * sc.jobs)),
      timedOut,
      series,
    };
  } finally {
    await Promise.all([...children].reverse().map((c) => c.stop("SIGTERM", 5000)));
    if (!opts.keepLogs) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`logs kept in ${dir}\n`);
  }
}

async function listAll(batch: BatchV1Api, namespace: string): Promise<V1Job[]> {
  const out: V1Job[] = [];
  let token: string | undefined;
  do {
    const page = await batch.listNamespacedJob({ namespace, limit: 500, _continue: token });
    out.push(...page.items);
    token = page.metadata?._continue || undefined;
  } while (token);
  return out;
}

async function scrapeApiRequests(ports: number[]): Promise<number> {
  let total = 0;
  for (const port of ports) {
    try {
      total += sumOf(parsePrometheus(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()), "jobtally_api_requests_total");
    } catch {
      // a service between restarts: counted next time
    }
  }
  return total;
}

async function waitReady(ports: number[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const port of ports) {
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`service on port ${port} not ready after 60 s`);
      await sleep(100);
    }
  }
}
