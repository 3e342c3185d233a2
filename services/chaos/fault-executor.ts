/**
 * Carries out a run's fault schedule against the live topology: each event fires at its time
 * after the Jobs were submitted; overlapping API faults are combined into one setting of the
 * simulator's admin endpoint; actions on one process are serialized. Records what the user did
 * (the ground truth needs it) and how many faults of each kind were really applied.
 */
import { sleep } from "../../shared/backoff.js";
import type { Checker } from "./checker/checker.js";
import type { UserActions } from "./checker/final-checks.js";
import type { Observer } from "./observer.js";
import type { FaultEvent, FaultKind } from "./plan.js";
import type { Topology } from "./topology.js";
import { ANNOTATION_FAILURE_CONDITION } from "./workload.js";
import { DISRUPTION_TARGET } from "./pod-failure-policy.js";
import { NAMESPACE } from "./topology.js";
import type { PodHistory } from "./checker/pod-history.js";

interface ErrorRule {
  code: number;
  probability: number;
  verbs?: string[];
  retryAfterSeconds?: number;
}

export class FaultExecutor {
  readonly applied = new Map<FaultKind, number>();
  /** Faults that could not be applied (no target at that moment, an API refusal), for the run's log. */
  readonly skipped: string[] = [];
  readonly deletedJobs = new Set<string>();
  readonly releasesByJob = new Map<string, number[]>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<void>>();
  private fired = 0;
  private readonly locks = new Map<string, Promise<void>>();
  private readonly errorRules = new Map<number, ErrorRule>();
  private readonly latencies = new Map<number, { latencyMs: number; jitterMs: number }>();
  private nextId = 0;
  private settingsChain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly faults: readonly FaultEvent[],
    private readonly topo: Topology,
    private readonly checker: Checker,
    private readonly observer: Observer,
    private readonly now: () => number = Date.now,
  ) {}

  userActions(): UserActions {
    return { deletedJobs: this.deletedJobs, releasesByJob: this.releasesByJob };
  }

  /** Schedules every event relative to now. */
  start(): void {
    for (const f of this.faults) {
      this.timers.push(
        setTimeout(() => {
          this.fired++;
          if (this.stopped) return;
          const p = this.fire(f).catch((err: unknown) => void this.skipped.push(`${f.kind} at ${f.atMs} ms: ${(err as Error).message}`));
          this.running.add(p);
          void p.finally(() => this.running.delete(p));
        }, f.atMs),
      );
    }
  }

  /** Every event fired and finished (restarts done, API faults lifted). */
  idle(): boolean {
    return this.fired === this.faults.length && this.running.size === 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.allSettled([...this.running]);
    this.errorRules.clear();
    this.latencies.clear();
    await this.pushSettings();
  }

  private count(kind: FaultKind): void {
    this.applied.set(kind, (this.applied.get(kind) ?? 0) + 1);
  }

  private async locked(key: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.locks.set(key, next.catch(() => {}));
    await next;
  }

  private pushSettings(): Promise<void> {
    const latency = [...this.latencies.values()];
    const settings = {
      latencyMs: Math.max(0, ...latency.map((l) => l.latencyMs)),
      jitterMs: Math.max(0, ...latency.map((l) => l.jitterMs)),
      errors: [...this.errorRules.values()],
    };
    this.settingsChain = this.settingsChain.catch(() => {}).then(async () => void (await this.topo.api.putFaults(settings)));
    return this.settingsChain;
  }

  private async withRule(rule: ErrorRule, durationMs: number): Promise<void> {
    const id = this.nextId++;
    this.errorRules.set(id, rule);
    await this.pushSettings();
    await sleep(durationMs);
    this.errorRules.delete(id);
    await this.pushSettings();
  }

  /** A running Pod of the Job that holds the finalizer and is not being deleted, chosen by `pick`. */
  private runningPod(jobName: string, pick: number): PodHistory | undefined {
    const job = this.checker.jobByName(jobName);
    if (!job) return undefined;
    const candidates = [...this.checker.pods.values()]
      .filter((p) => p.jobUid === job.uid && !p.gone && p.last.phase === "Running" && p.last.hasFinalizer && !p.last.deleting)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    return candidates[Math.min(candidates.length - 1, Math.floor(pick * candidates.length))];
  }

  /** Waits (up to 10 s, while the Job runs) for a running Pod to hit. */
  private async awaitRunningPod(jobName: string, pick: number): Promise<PodHistory | undefined> {
    const deadline = this.now() + 10_000;
    for (;;) {
      const pod = this.runningPod(jobName, pick);
      const job = this.checker.jobByName(jobName);
      if (pod || this.stopped || this.deletedJobs.has(jobName) || job?.terminal || this.now() > deadline) return pod;
      await sleep(100);
    }
  }

  private noteRelease(job: string): void {
    const list = this.releasesByJob.get(job) ?? [];
    list.push(this.now());
    this.releasesByJob.set(job, list);
  }

  private async fire(f: FaultEvent): Promise<void> {
    const api = this.topo.api;
    switch (f.kind) {
      case "kill-service": {
        const name = `${f.service}-${f.replica}`;
        await this.locked(name, async () => {
          await this.topo.kill(name);
          this.count(f.kind);
          await sleep(f.downMs);
          if (!this.stopped) this.topo.start(name);
        });
        return;
      }
      case "nats-restart":
      case "nats-node-loss": {
        const node = f.kind === "nats-node-loss" ? f.node : 0;
        // One node down at a time: a cluster loses one node, never its quorum.
        await this.locked("nats", async () => {
          const down = Array.from({ length: this.topo.nats.nodes }, (_, i) => i).filter((i) => !this.topo.nats.isRunning(i));
          if (down.length > 0) return void this.skipped.push(`${f.kind}: node ${down.join(", ")} is down for good already`);
          await this.topo.nats.kill(node);
          this.count(f.kind);
          if (f.downMs === null) return;
          await sleep(f.downMs);
          if (!this.stopped) await this.topo.nats.start(node);
        });
        return;
      }
      case "api-errors":
        this.count(f.kind);
        await this.withRule({ code: f.code, probability: f.probability, ...(f.code === 429 ? { retryAfterSeconds: 1 } : {}) }, f.durationMs);
        return;
      case "api-latency": {
        this.count(f.kind);
        const id = this.nextId++;
        this.latencies.set(id, { latencyMs: f.latencyMs, jitterMs: f.jitterMs });
        await this.pushSettings();
        await sleep(f.durationMs);
        this.latencies.delete(id);
        await this.pushSettings();
        return;
      }
      case "cut-watches":
        this.count(f.kind);
        await api.cutWatches();
        return;
      case "compaction":
        await this.locked("compaction", async () => {
          // Watch reconnections mostly fail for a moment: the services back off (200 ms and more)
          // while the checker retries every few ms; once the checker is back, the history goes,
          // and the services' resumes meet 410 Gone and relist.
          const id = this.nextId++;
          this.errorRules.set(id, { code: 503, probability: 0.75, verbs: ["watch"] });
          await this.pushSettings();
          const before = this.observer.connections();
          await api.cutWatches();
          await this.observer.waitReconnected(before, 5000);
          await api.compact();
          this.count(f.kind);
          await sleep(400);
          this.errorRules.delete(id);
          await this.pushSettings();
        });
        return;
      case "delete-pod": {
        const pod = await this.awaitRunningPod(f.job, f.pick);
        if (!pod) return void this.skipped.push(`delete-pod: no running Pod of ${f.job}`);
        if (await api.deletePod(NAMESPACE, pod.name, pod.uid)) this.count(f.kind);
        return;
      }
      case "disrupt-pod": {
        const pod = await this.awaitRunningPod(f.job, f.pick);
        if (!pod) return void this.skipped.push(`disrupt-pod: no running Pod of ${f.job}`);
        await api.patchPodAnnotations(NAMESPACE, pod.name, { [ANNOTATION_FAILURE_CONDITION]: `${DISRUPTION_TARGET}:PreemptionByScheduler` });
        this.count(f.kind);
        return;
      }
      case "delete-job":
        await api.deleteJob(NAMESPACE, f.job, f.policy);
        this.deletedJobs.add(f.job);
        this.count(f.kind);
        return;
      case "parallelism": {
        const before = this.checker.jobByName(f.job)?.last.parallelism ?? null;
        if (this.deletedJobs.has(f.job)) return void this.skipped.push(`parallelism: ${f.job} deleted`);
        await api.patchJob(NAMESPACE, f.job, { spec: { parallelism: f.parallelism } });
        if (before === null || f.parallelism < before) this.noteRelease(f.job);
        this.count(f.kind);
        return;
      }
      case "suspend":
        if (this.deletedJobs.has(f.job)) return void this.skipped.push(`suspend: ${f.job} deleted`);
        await this.locked(`suspend-${f.job}`, async () => {
          this.noteRelease(f.job);
          await api.patchJob(NAMESPACE, f.job, { spec: { suspend: true } });
          this.count(f.kind);
          await sleep(f.resumeAfterMs);
          if (!this.deletedJobs.has(f.job)) await api.patchJob(NAMESPACE, f.job, { spec: { suspend: false } });
        });
        return;
    }
  }
}
