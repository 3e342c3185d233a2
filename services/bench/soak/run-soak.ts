/**
 * Runs the soak (I/O): the pipeline of the benchmarks (../local-pipeline.ts) with one replica of
 * each service, `jobs` Jobs running at once and each finished Job deleted and replaced, for
 * `minutes`; then no more Jobs, the last ones finish and are deleted (the drain). The Jobs are
 * polled every `pollMs` (what the lag is measured from), the services sampled every
 * `sampleEveryMs`. At the end the counts are checked against the kubelet simulator's record.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { BatchV1Api, V1Job } from "@kubernetes/client-node";
import { sleep } from "../../../shared/backoff.js";
import { INTENT_STREAM, JOB_TRACKING_FINALIZER, VIEW_STREAM } from "../../../shared/constants.js";
import { apiErrorInfo } from "../../../shared/kube/errors.js";
import { processUsage, sumOf, type Sample } from "../measure.js";
import { listAllJobs, scrapeMetrics } from "../probes.js";
import { servicePlan } from "../topology.js";
import { startLocalPipeline, type LocalPipeline } from "../local-pipeline.js";
import type { ApiLatency } from "../scenarios.js";
import { jobCompletions, podTiming, soakJob, type PodTiming } from "./workload.js";
import { lagPoints, type CountSample, type LagPoint, type ServiceReading, type SoakPhase, type SoakSample } from "./samples.js";

export interface SoakConfig {
  minutes: number;
  ratePerSec: number;
  jobs: number;
  parallelism: number;
  /** Completions of a Job on average (each Job's is spread over [½, 1½] of it). */
  completions: number;
  turnaroundMs: number;
  failProbability: number;
  warmupMs: number;
  sampleEveryMs: number;
  pollMs: number;
  drainTimeoutMs: number;
  /** Shared API budget of the counter and the remover (requests/s; burst twice that). */
  qps: number;
  partitions: number;
  keepLogs: boolean;
}

export interface SoakRunResult {
  timing: PodTiming;
  samples: SoakSample[];
  lags: LagPoint[];
  serviceNames: string[];
  jobsCreated: number;
  jobsChecked: number;
  countMismatches: string[];
  finalizersLeft: number;
  drained: boolean;
  trackedAfterDrain: { jobs: number; pods: number };
  /** When the steady phase ended (ms since the start). */
  steadyEndMs: number;
}

export interface SoakHooks {
  onSample(sample: SoakSample): void;
  onNote(message: string): void;
}

/** 5 ms ± 2 ms: an API server next door (as the benchmarks' quick scenarios). */
const LAN_API: ApiLatency = { latencyMs: 3, jitterMs: 4 };
const NAMESPACE = "soak";
/** How long the counters get to forget the last Jobs after they were deleted. */
const FORGET_TIMEOUT_MS = 60_000;

interface FinalCount {
  name: string;
  succeeded: number;
  failed: number;
}

function isFinished(j: V1Job): boolean {
  return (j.status?.conditions ?? []).some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
}

export async function runSoak(cfg: SoakConfig, hooks: SoakHooks): Promise<SoakRunResult> {
  const timing = podTiming({ ratePerSec: cfg.ratePerSec, jobs: cfg.jobs, parallelism: cfg.parallelism, turnaroundMs: cfg.turnaroundMs });
  const dir = mkdtempSync(join(tmpdir(), "jobtally-soak-"));
  let pipeline: LocalPipeline | null = null;
  try {
    const sc = { qps: cfg.qps, burst: 2 * cfg.qps, replicas: 1, partitions: cfg.partitions, removerConcurrency: 64 };
    pipeline = await startLocalPipeline({
      dir,
      namespace: NAMESPACE,
      api: LAN_API,
      kubelet: { durationMs: timing.durationMs, durationJitterMs: timing.jitterMs, failProbability: cfg.failProbability },
      plan: servicePlan(sc, NAMESPACE),
      partitions: cfg.partitions,
      // The stream gauges are what the queue depth is read from: fresher than the default 30 s.
      extraServiceArgs: ["--stream-check-interval", "5s"],
      // ~6 watch events per Pod: a few minutes of them for the watches to resume from.
      historyWindow: 200_000,
    });
    const p = pipeline;
    const { batch } = p;
    hooks.onNote(`pipeline ready; Pods run ${timing.durationMs} ms + [0, ${timing.jitterMs}) ms, ${cfg.jobs} Jobs × ${cfg.parallelism} in flight`);

    let seq = 0;
    let jobsCreated = 0;
    const createJob = async (): Promise<void> => {
      const n = seq++;
      await batch.createNamespacedJob({ namespace: NAMESPACE, body: soakJob(`soak-${n}`, NAMESPACE, jobCompletions(n, cfg.completions), cfg.parallelism) });
      jobsCreated++;
    };
    const t0 = Date.now();
    for (let i = 0; i < cfg.jobs; i += 20) await Promise.all(Array.from({ length: Math.min(20, cfg.jobs - i) }, createJob));

    const steadyEnd = t0 + cfg.minutes * 60_000;
    const finals = new Map<string, FinalCount>();
    let finalsCounted = 0;
    const countsByJob = new Map<string, CountSample[]>();
    const samples: SoakSample[] = [];
    let nextSampleAt = t0 + cfg.sampleEveryMs;
    let drained = false;
    for (;;) {
      const loopStart = Date.now();
      const phase: SoakPhase = loopStart >= steadyEnd ? "drain" : loopStart - t0 < cfg.warmupMs ? "warm-up" : "steady";
      const jobs = await listAllJobs(batch, NAMESPACE);
      const atMs = Date.now() - t0;
      let countedLive = 0;
      let unfinished = 0;
      const finished: V1Job[] = [];
      for (const j of jobs) {
        const uid = j.metadata?.uid ?? "";
        if (finals.has(uid)) continue; // deleted, not gone from the list yet
        const counted = (j.status?.succeeded ?? 0) + (j.status?.failed ?? 0);
        const series = countsByJob.get(uid) ?? [];
        if (series.length === 0 || (series[series.length - 1] as CountSample).counted !== counted) series.push({ atMs, counted });
        countsByJob.set(uid, series);
        if (isFinished(j)) finished.push(j);
        else {
          unfinished++;
          countedLive += counted;
        }
      }
      for (const j of finished) {
        const final = { name: j.metadata?.name ?? "", succeeded: j.status?.succeeded ?? 0, failed: j.status?.failed ?? 0 };
        finals.set(j.metadata?.uid ?? "", final);
        finalsCounted += final.succeeded + final.failed;
      }
      await Promise.all(finished.map((j) => deleteJob(batch, j.metadata?.name ?? "")));
      if (phase !== "drain") await Promise.all(finished.map(() => createJob()));

      if (Date.now() >= nextSampleAt) {
        samples.push(await takeSample(p, { atMs: Date.now() - t0, phase, counted: countedLive + finalsCounted, jobsFinished: finals.size }));
        hooks.onSample(samples[samples.length - 1] as SoakSample);
        nextSampleAt = Math.max(nextSampleAt + cfg.sampleEveryMs, Date.now() + cfg.sampleEveryMs / 2);
      }
      if (phase === "drain" && unfinished === 0) {
        drained = true;
        break;
      }
      if (phase === "drain" && Date.now() > steadyEnd + cfg.drainTimeoutMs) break;
      await sleep(Math.max(0, cfg.pollMs - (Date.now() - loopStart)));
    }
    hooks.onNote(drained ? "every Job finished and was deleted; waiting for the counter to forget them" : "drain timed out");

    // The last Jobs are deleted: the counter should hold nothing any more.
    const counterPorts = Object.values(p.services)
      .filter((s) => s.service === "counter")
      .map((s) => s.port);
    let tracked = { jobs: -1, pods: -1 };
    for (const deadline = Date.now() + FORGET_TIMEOUT_MS; ; ) {
      let jobsTracked = 0;
      let podsTracked = 0;
      for (const port of counterPorts) {
        const m = await scrapeMetrics(port);
        jobsTracked += sumOf(m, "jobtally_jobs_tracked");
        podsTracked += sumOf(m, "jobtally_pods_tracked");
      }
      tracked = { jobs: jobsTracked, pods: podsTracked };
      if ((jobsTracked === 0 && podsTracked === 0) || Date.now() > deadline) break;
      await sleep(1000);
    }
    samples.push(await takeSample(p, { atMs: Date.now() - t0, phase: "drain", counted: finalsCounted, jobsFinished: finals.size }));
    hooks.onSample(samples[samples.length - 1] as SoakSample);

    // Counts against the kubelet's record; the lag from its finish times.
    const record = (await (await fetch(`http://127.0.0.1:${p.kubeletPort}/record`)).json()) as {
      pods: { jobUID: string | null; recordedAt: string; phase: string | null }[];
      byJob: Record<string, { succeeded: number; failed: number }>;
    };
    const finishesByJob = new Map<string, number[]>();
    for (const pod of record.pods) {
      if (!pod.jobUID || !pod.phase) continue;
      const arr = finishesByJob.get(pod.jobUID) ?? [];
      arr.push(Date.parse(pod.recordedAt) - t0);
      finishesByJob.set(pod.jobUID, arr);
    }
    const countMismatches: string[] = [];
    for (const [uid, got] of finals) {
      const want = record.byJob[uid] ?? { succeeded: 0, failed: 0 };
      if (got.succeeded !== want.succeeded || got.failed !== want.failed) countMismatches.push(`${got.name}: succeeded ${got.succeeded}/${want.succeeded} failed ${got.failed}/${want.failed}`);
    }
    const pods = await p.core.listNamespacedPod({ namespace: NAMESPACE });
    const finalizersLeft = pods.items.filter((x) => (x.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)).length;
    return {
      timing,
      samples,
      lags: lagPoints(finishesByJob, countsByJob),
      serviceNames: Object.keys(p.services),
      jobsCreated,
      jobsChecked: finals.size,
      countMismatches,
      finalizersLeft,
      drained,
      trackedAfterDrain: tracked,
      steadyEndMs: steadyEnd - t0,
    };
  } finally {
    await pipeline?.stop();
    if (!cfg.keepLogs) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`logs kept in ${dir}\n`);
  }
}

async function deleteJob(batch: BatchV1Api, name: string): Promise<void> {
  try {
    await batch.deleteNamespacedJob({ name, namespace: NAMESPACE, propagationPolicy: "Background" });
  } catch (err) {
    if (apiErrorInfo(err).code !== 404) throw err;
  }
}

/** Every service's RSS, heap and CPU, and the queue and state gauges from their /metrics. */
async function takeSample(p: LocalPipeline, base: Pick<SoakSample, "atMs" | "phase" | "counted" | "jobsFinished">): Promise<SoakSample> {
  const services: Record<string, ServiceReading> = {};
  let intentsQueued = 0;
  let viewMessages = 0;
  let removerQueueDepth = 0;
  let podsTracked = 0;
  let jobsTracked = 0;
  for (const [name, s] of Object.entries(p.services)) {
    if (s.child.proc.exitCode !== null || s.child.proc.signalCode !== null) throw new Error(`${name} exited during the soak: see ${p.log(name)}`);
    const usage = processUsage(s.child.proc.pid as number);
    const m: Sample[] = await scrapeMetrics(s.port);
    services[name] = { rssBytes: usage.rssBytes, heapUsedBytes: sumOf(m, "jobtally_process_nodejs_heap_size_used_bytes"), cpuSeconds: usage.cpuSeconds };
    // Every service reads the streams' usage (each reading at most 5 s old): the largest is taken.
    intentsQueued = Math.max(intentsQueued, sumOf(m, "jobtally_stream_messages", { stream: INTENT_STREAM }));
    viewMessages = Math.max(viewMessages, sumOf(m, "jobtally_stream_messages", { stream: VIEW_STREAM }));
    if (s.service === "finalizer-remover") removerQueueDepth += sumOf(m, "jobtally_work_queue_depth");
    if (s.service === "counter") {
      podsTracked += sumOf(m, "jobtally_pods_tracked");
      jobsTracked += sumOf(m, "jobtally_jobs_tracked");
    }
  }
  return { ...base, services, intentsQueued, removerQueueDepth, viewMessages, podsTracked, jobsTracked, loadAverage1m: loadavg()[0] as number };
}
