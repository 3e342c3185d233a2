/**
 * Runs one benchmark scenario end to end on this machine: nats-server, the API simulator (the
 * scenario's latency: 5 ms ± 2 ms, 20 ms ± 10 ms for scale-out), the kubelet simulator (Pods finish
 * at once, 5 % failures unless the scenario says otherwise, PodGC at 0), and jobtally's services as
 * separate processes (N counters and N removers for scale-out) sharing one client budget. Returns
 * the figures; in a run with a kill, the failover figures too.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { V1Job } from "@kubernetes/client-node";
import { partitionOf } from "../../shared/partition.js";
import { counterOptionSchema } from "../counter/options.js";
import { DEFAULT_MANAGED_BY, JOB_TRACKING_FINALIZER } from "../../shared/constants.js";
import { sleep } from "../../shared/backoff.js";
import { lagSamples, parsePrometheus, percentiles, processUsage, sumOf, type LagStats, type Sample } from "./measure.js";
import { listAllJobs, scrapeApiRequests, scrapeMetrics } from "./probes.js";
import { servicePlan, type ServiceKind } from "./topology.js";
import { countingAgainAfter, firstCompleteAfter, type FailoverFigures } from "./failover.js";
import { FailoverProbe } from "./failover-probe.js";
import { startLocalPipeline, type LocalPipeline } from "./local-pipeline.js";
import { scenarioFloor, type ApiLatency, type FloorBound, type Scenario } from "./scenarios.js";

/** A status write the killed counter had on the wire may land this long after the kill. */
const KILL_SETTLE_MS = 1000;

export interface ServiceFigures {
  /** Which service this process is a replica of (absent in the JSON of earlier runs). */
  service?: ServiceKind;
  /** SIGKILLed mid-run: its figures are those read just before the kill. */
  killed?: boolean;
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
  /** Counter replicas and as many removers (1 in the JSON of earlier runs, where it is absent). */
  replicas?: number;
  partitions?: number;
  api?: ApiLatency;
  removerConcurrency?: number;
  wallSeconds: number;
  /** Pods created, failed ones and their replacements included: the N of the floor 2N/Q. */
  podsCreated: number;
  floorSeconds: number;
  /** Which floor `floorSeconds` is: the budget's 2N/Q or the removers' latency-bound one. */
  floorBound?: FloorBound | null;
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
  /** Creation intents the removers dropped because they waited past their `notAfterMs` (absent in earlier JSON). */
  creationsExpired?: number;
  peakActiveFraction: number;
  timedOut: boolean;
  /** The machine's 1-minute load average as the run ended (this run's processes included): a busy machine shows. */
  loadAverage1m?: number;
  failover?: FailoverFigures | null;
  series: { atMs: number; counted: number; apiRequests: number }[];
}

export interface RunOptions {
  onProgress(counted: number, total: number, elapsedMs: number): void;
  /** A counter was SIGKILLed (scenarios with `killCounterAt`). */
  onKill?(counter: string, partitions: number, elapsedMs: number): void;
  keepLogs: boolean;
}

export async function runScenario(sc: Scenario, opts: RunOptions): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "jobtally-bench-"));
  const namespace = "bench";
  let pipeline: LocalPipeline | null = null;
  let failover: FailoverProbe | null = null;
  try {
    pipeline = await startLocalPipeline({
      dir,
      namespace,
      api: sc.api,
      kubelet: { durationMs: 0, failProbability: sc.failProbability },
      plan: servicePlan(sc, namespace),
      partitions: sc.partitions,
      serviceLogLevel: process.env.BENCH_SERVICE_LOG_LEVEL ?? "warn",
    });
    const { nats, monitorPort, simUrl, core, batch, kubeletPort, services } = pipeline;
    const counters = Object.entries(services).filter(([, s]) => s.service === "counter");

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
    const timeoutMs = Math.max(180_000, scenarioFloor(sc, totalPods).seconds * 4000 + 120_000);
    let timedOut = false;
    let lastJobs: V1Job[] = [];
    let peakActive = 0;
    let killedApiRequests = 0;
    for (;;) {
      lastJobs = await listAllJobs(batch, namespace);
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
      const livePorts = Object.entries(services)
        .filter(([name]) => name !== failover?.killed.name)
        .map(([, s]) => s.port);
      const apiRequests = killedApiRequests + (await scrapeApiRequests(livePorts));
      series.push({ atMs: now - t0, counted, apiRequests });
      opts.onProgress(counted, totalPods, now - t0);
      if (finished === sc.jobs) break;
      if (now - t0 > timeoutMs) {
        timedOut = true;
        break;
      }
      if (sc.killCounterAt !== null && failover === null && counted >= sc.killCounterAt * totalPods) {
        const [victim, ...survivors] = counters;
        if (!victim || survivors.length === 0) throw new Error(`${sc.label}: a kill needs at least two counters`);
        failover = await FailoverProbe.kill({ name: victim[0], child: victim[1].child, port: victim[1].port }, survivors.map(([, s]) => s.port), { natsUrl: nats.url, partitions: sc.partitions });
        killedApiRequests = sumOf(failover.killed.metrics, "jobtally_api_requests_total");
        opts.onKill?.(failover.killed.name, failover.killed.partitions.length, now - t0);
      }
      await sleep(sc.jobs > 100 ? 500 : 200);
    }
    const wallSeconds = (Date.now() - t0) / 1000;
    const loadAverage1m = loadavg()[0] as number;
    await failover?.stop();
    const killed = failover?.killed ?? null;

    const usage: Record<string, ServiceFigures> = {};
    let cpuTotal = 0;
    let rssTotal = 0;
    const metrics: Sample[] = [];
    for (const [name, s] of Object.entries(services)) {
      const dead = killed?.name === name;
      const u = dead ? killed.usage : processUsage(s.child.proc.pid as number);
      usage[name] = { service: s.service, ...(dead ? { killed: true } : {}), cpuSeconds: u.cpuSeconds, cpuSecondsPer1000Pods: (u.cpuSeconds * 1000) / totalPods, peakRssBytes: u.peakRssBytes };
      cpuTotal += u.cpuSeconds;
      rssTotal += u.peakRssBytes;
      metrics.push(...(dead ? killed.metrics : await scrapeMetrics(s.port)));
    }
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
    const floor = scenarioFloor(sc, podsCreated);
    let failoverFigures: FailoverFigures | null = null;
    if (failover && killed) {
      const orphanUids = lastJobs.map((j) => j.metadata?.uid ?? "").filter((uid) => killed.partitions.includes(partitionOf(uid, sc.partitions)));
      failoverFigures = {
        victim: killed.name,
        victimPartitions: killed.partitions,
        orphanJobs: orphanUids.length,
        killAtSeconds: (killed.atMs - t0) / 1000,
        leaseDurationSeconds: counterOptionSchema.leaseDurationMs.default / 1000,
        allOwnedAfterSeconds: firstCompleteAfter(failover.samples, killed.atMs, sc.partitions, "owned"),
        allReadyAfterSeconds: firstCompleteAfter(failover.samples, killed.atMs, sc.partitions, "ready"),
        countingAgainAfterSeconds: countingAgainAfter(orphanUids.map((uid) => perJobSamples.get(uid) ?? []), killed.atMs, KILL_SETTLE_MS),
        intentsFenced: sumOf(metrics, "jobtally_intents_fenced_total"),
      };
    }
    return {
      scenario: sc.scenario,
      label: sc.label,
      pods: totalPods,
      podsCreated,
      jobs: sc.jobs,
      parallelism: sc.parallelism,
      qps: sc.qps,
      burst: sc.burst,
      replicas: sc.replicas,
      partitions: sc.partitions,
      api: sc.api,
      removerConcurrency: sc.removerConcurrency,
      wallSeconds,
      floorSeconds: floor.seconds,
      floorBound: floor.bound,
      ratioToFloor: floor.seconds > 0 ? wallSeconds / floor.seconds : null,
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
      creationsExpired: sumOf(metrics, "jobtally_intents_total", { kind: "createPod", outcome: "expired" }),
      peakActiveFraction: Math.min(1, peakActive / Math.max(1, Math.min(sc.parallelism, sc.podsPerJob) * sc.jobs)),
      timedOut,
      loadAverage1m,
      failover: failoverFigures,
      series,
    };
  } finally {
    await failover?.stop();
    await pipeline?.stop();
    if (!opts.keepLogs) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`logs kept in ${dir}\n`);
  }
}
