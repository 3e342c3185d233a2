/**
 * The soak's samples and what is made of them, pure: the Pods counted per second and the event lag
 * of each sampling window, and the run's summary (lag percentiles, the deepest queues, the rate).
 */
import { lagSamples, percentiles, type LagStats } from "../measure.js";

export type SoakPhase = "warm-up" | "steady" | "drain";

export interface ServiceReading {
  /** Resident set size (VmRSS) when sampled. */
  rssBytes: number;
  /** V8 heap in use (`nodejs_heap_size_used_bytes` from its /metrics). */
  heapUsedBytes: number;
  cpuSeconds: number;
}

export interface SoakSample {
  /** ms since the workload started. */
  atMs: number;
  phase: SoakPhase;
  /** Pods counted so far (succeeded + failed), the deleted Jobs' included. */
  counted: number;
  /** Jobs finished so far. */
  jobsFinished: number;
  /** By process name (watcher, counter, finalizer-remover, or with -<i> for replicas). */
  services: Record<string, ServiceReading>;
  /** Messages in the intents stream (a work queue: intents not yet carried out), `jobtally_stream_messages`. */
  intentsQueued: number;
  /** API calls waiting for the budget plus those in flight, over the removers (`jobtally_work_queue_depth`). */
  removerQueueDepth: number;
  /** Messages in the view stream: about one per live Pod and Job, plus the sync markers. */
  viewMessages: number;
  /** The counters' `jobtally_pods_tracked` and `jobtally_jobs_tracked`, summed. */
  podsTracked: number;
  jobsTracked: number;
  /** The machine's 1-minute load average (every process on it, the simulators' and other users' included). */
  loadAverage1m: number;
}

/** One Pod's event lag: from the kubelet recording its end to the Job status counting it. */
export interface LagPoint {
  /** ms since the workload started. */
  finishedAtMs: number;
  lagMs: number;
}

export interface CountSample {
  /** ms since the workload started. */
  atMs: number;
  counted: number;
}

/**
 * Lag of every Pod, as the benchmarks measure it (measure.ts `lagSamples`): per Job, the k-th Pod
 * to finish is counted when the Job's succeeded + failed first reached k.
 */
export function lagPoints(finishesByJob: ReadonlyMap<string, readonly number[]>, countsByJob: ReadonlyMap<string, readonly CountSample[]>): LagPoint[] {
  const out: LagPoint[] = [];
  for (const [uid, finishes] of finishesByJob) {
    const sorted = [...finishes].sort((a, b) => a - b);
    const lags = lagSamples(sorted, [...(countsByJob.get(uid) ?? [])]);
    lags.forEach((lagMs, k) => out.push({ finishedAtMs: sorted[k] as number, lagMs }));
  }
  return out.sort((a, b) => a.finishedAtMs - b.finishedAtMs);
}

export interface SampleRow extends SoakSample {
  /** Pods counted per second since the previous sample. */
  podsPerSec: number;
  /** Lag of the Pods that finished since the previous sample. */
  lag: LagStats & { pods: number };
}

/** Each sample with its window's rate and lag (a window runs from the previous sample, or 0, to this one). */
export function sampleRows(samples: readonly SoakSample[], lags: readonly LagPoint[]): SampleRow[] {
  const rows: SampleRow[] = [];
  let prev: SoakSample | null = null;
  let i = 0;
  for (const s of samples) {
    const from = prev?.atMs ?? 0;
    const window: number[] = [];
    while (i < lags.length && (lags[i] as LagPoint).finishedAtMs < s.atMs) {
      if ((lags[i] as LagPoint).finishedAtMs >= from) window.push((lags[i] as LagPoint).lagMs);
      i++;
    }
    const seconds = (s.atMs - from) / 1000;
    rows.push({ ...s, podsPerSec: seconds > 0 ? (s.counted - (prev?.counted ?? 0)) / seconds : 0, lag: { ...percentiles(window), pods: window.length } });
    prev = s;
  }
  return rows;
}

export interface SoakSummary {
  /** Lag of the Pods that finished in the steady phase (after the warm-up, before the drain). */
  lagMs: LagStats;
  lagPods: number;
  /** Pods counted per second over the steady phase. */
  steadyPodsPerSec: number;
  /** Over the whole run, the start's burst of creations included. */
  maxIntentsQueued: number;
  maxRemoverQueueDepth: number;
  maxViewMessages: number;
  /** Over the samples of the steady phase. */
  steady: { maxIntentsQueued: number; maxRemoverQueueDepth: number };
}

export function summarize(samples: readonly SoakSample[], lags: readonly LagPoint[], steady: { fromMs: number; toMs: number }): SoakSummary {
  const inSteady = (ms: number): boolean => ms >= steady.fromMs && ms < steady.toMs;
  const steadyLags = lags.filter((l) => inSteady(l.finishedAtMs)).map((l) => l.lagMs);
  const steadySamples = samples.filter((s) => s.phase === "steady");
  const firstS = steadySamples[0];
  const lastS = steadySamples[steadySamples.length - 1];
  const span = firstS && lastS ? (lastS.atMs - firstS.atMs) / 1000 : 0;
  const max = (f: (s: SoakSample) => number, of: readonly SoakSample[] = samples): number => of.reduce((m, s) => Math.max(m, f(s)), 0);
  return {
    lagMs: percentiles(steadyLags),
    lagPods: steadyLags.length,
    steadyPodsPerSec: span > 0 && firstS && lastS ? (lastS.counted - firstS.counted) / span : 0,
    maxIntentsQueued: max((s) => s.intentsQueued),
    maxRemoverQueueDepth: max((s) => s.removerQueueDepth),
    maxViewMessages: max((s) => s.viewMessages),
    steady: { maxIntentsQueued: max((s) => s.intentsQueued, steadySamples), maxRemoverQueueDepth: max((s) => s.removerQueueDepth, steadySamples) },
  };
}
