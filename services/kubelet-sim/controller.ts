/**
 * The simulated kubelet: keeps the latest observed state of every Pod in scope, asks the pure
 * stage planner what to do next, schedules it on one timer queue, and sends the API calls through
 * a p-queue. One action per Pod at a time; after each action the Pod is planned again from the
 * freshest state, so a Pod deleted mid-run is killed instead of finished.
 */
import PQueue from "p-queue";
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import type { Logger } from "../../shared/observability/logger.js";
import { apiErrorInfo } from "../../shared/kube/errors.js";
import { backoffDelayMs } from "../../shared/backoff.js";
import { compareResourceVersions } from "../../shared/resource-version.js";
import { podBehaviour, RESTARTED_RUN_EXIT_CODE, type BehaviourDefaults, type PodBehaviour } from "./logic/behaviour.js";
import { isTerminalPhase, podFacts, type PodFacts } from "./logic/pod-facts.js";
import { newLocalPodState, planPod, type LocalPodState, type StageName } from "./logic/stages.js";
import { exitReason, KILLED_EXIT_CODE, KILLED_REASON, runningStatus, terminatedStatus, type StatusPatch } from "./logic/status.js";
import type { KubeletMetrics } from "./metrics.js";
import { OutcomeRecord } from "./record.js";
import { TimerQueue, type TimerClock } from "./timer-queue.js";

export interface KubeletControllerConfig {
  nodeNames: string[];
  behaviour: BehaviourDefaults;
  podGcDelayMs: number;
  concurrency: number;
}

export interface KubeletControllerDeps {
  core: CoreV1Api;
  logger: Logger;
  metrics: KubeletMetrics;
  clock: TimerClock;
}

interface TrackedPod {
  facts: PodFacts;
  local: LocalPodState;
  /** Consecutive failed actions, for backoff. */
  failures: number;
  /** After a failure: no new attempt before this time. */
  notBeforeMs: number;
}

const RETRY_BACKOFF = { baseMs: 100, maxMs: 30_000 };
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export class KubeletController {
  readonly record = new OutcomeRecord();
  private readonly pods = new Map<string, TrackedPod>();
  private readonly inFlight = new Set<string>();
  private readonly ownNodes: Set<string>;
  private readonly timers: TimerQueue<string>;
  private readonly queue: PQueue;
  private nextNode = 0;
  private closed = false;

  constructor(
    private readonly cfg: KubeletControllerConfig,
    private readonly deps: KubeletControllerDeps,
  ) {
    if (cfg.nodeNames.length === 0) throw new Error("kubelet simulator needs at least one node name");
    this.ownNodes = new Set(cfg.nodeNames);
    this.queue = new PQueue({ concurrency: cfg.concurrency });
    this.timers = new TimerQueue((uid) => this.fire(uid), deps.clock);
  }

  /** A Pod was added or changed (watch, list, or the answer to our own write). */
  observe(pod: V1Pod): void {
    if (this.closed) return;
    const facts = podFacts(pod);
    if (!facts.uid) return;
    let tracked = this.pods.get(facts.uid);
    if (!tracked) {
      tracked = { facts, local: newLocalPodState(), failures: 0, notBeforeMs: 0 };
      this.pods.set(facts.uid, tracked);
      this.deps.metrics.trackedPods.set(this.pods.size);
    } else {
      // An older state than we already hold (a watch event behind our own write): keep ours.
      const cmp = compareResourceVersions(facts.resourceVersion, tracked.facts.resourceVersion);
      if (cmp !== null && cmp < 0) return;
    }
    tracked.facts = facts;
    if (tracked.local.boundSeenAtMs === null && facts.nodeName !== null && this.ownNodes.has(facts.nodeName)) {
      tracked.local.boundSeenAtMs = this.deps.clock.now();
    }
    if ((tracked.local.deletionSeenAtMs ?? null) === null && facts.deleting) tracked.local.deletionSeenAtMs = this.deps.clock.now();
    this.replan(facts.uid);
  }

  /** A Pod is gone from the API (DELETED event, or missing from a relist). */
  forget(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const tracked = this.pods.get(uid);
    const facts = tracked?.facts ?? podFacts(pod);
    this.noteVanished(facts);
    this.timers.cancel(uid);
    this.pods.delete(uid);
    this.deps.metrics.trackedPods.set(this.pods.size);
  }

  /** Resolves when no API call is queued or in flight (tests, shutdown). */
  async onIdle(): Promise<void> {
    await this.queue.onIdle();
  }

  /** Waits for the API calls in flight; schedules nothing more. */
  async close(): Promise<void> {
    this.closed = true;
    this.timers.close();
    this.queue.clear();
    await this.queue.onIdle();
  }

  private replan(uid: string): void {
    if (this.closed || this.inFlight.has(uid)) return;
    const tracked = this.pods.get(uid);
    if (!tracked) return;
    const plan = planPod(tracked.facts, tracked.local, this.stageContext(tracked.facts));
    if (!plan) {
      this.timers.cancel(uid);
      return;
    }
    const dueAtMs = Math.max(plan.dueAtMs, tracked.notBeforeMs);
    const current = this.timers.scheduled(uid);
    if (current && current.tag === plan.stage && current.atMs === dueAtMs) return;
    this.timers.schedule(uid, dueAtMs, plan.stage);
  }

  private stageContext(facts: PodFacts): Parameters<typeof planPod>[2] {
    return {
      nowMs: this.deps.clock.now(),
      isOwnNode: (n) => this.ownNodes.has(n),
      behaviour: podBehaviour(facts, this.cfg.behaviour),
      podGcDelayMs: this.cfg.podGcDelayMs,
    };
  }

  private fire(uid: string): void {
    if (this.closed || this.inFlight.has(uid)) return;
    this.inFlight.add(uid);
    void this.queue
      .add(() => this.act(uid))
      .catch((err: unknown) => this.deps.logger.error({ err: (err as Error).message, uid }, "kubelet action crashed"))
      .finally(() => {
        this.inFlight.delete(uid);
        this.replan(uid);
      });
  }

  /** Plans again with the freshest state (it may have changed since the timer was set) and acts. */
  private async act(uid: string): Promise<void> {
    const tracked = this.pods.get(uid);
    if (!tracked || this.closed) return;
    const ctx = this.stageContext(tracked.facts);
    const plan = planPod(tracked.facts, tracked.local, ctx);
    if (!plan || Math.max(plan.dueAtMs, tracked.notBeforeMs) > ctx.nowMs) return;
    try {
      await this.run(plan.stage, tracked, ctx.behaviour);
      tracked.failures = 0;
      tracked.notBeforeMs = 0;
    } catch (err) {
      const info = apiErrorInfo(err);
      this.deps.metrics.apiErrors.inc({ stage: plan.stage, code: String(info.code ?? 0) });
      if (info.code === 404) {
        // Gone: the DELETED event (or the next relist) will forget it; nothing left to act on.
        this.noteVanished(tracked.facts);
        this.pods.delete(uid);
        return;
      }
      tracked.failures++;
      const delay = info.retryAfterMs ?? backoffDelayMs(tracked.failures, RETRY_BACKOFF);
      this.deps.logger.warn({ pod: `${tracked.facts.namespace}/${tracked.facts.name}`, stage: plan.stage, code: info.code, err: info.message, retryInMs: delay }, "kubelet action failed");
      tracked.notBeforeMs = this.deps.clock.now() + delay;
    }
  }

  private async run(stage: StageName, t: TrackedPod, behaviour: PodBehaviour): Promise<void> {
    const p = t.facts;
    const exitCode = behaviour.exitCode;
    const now = this.deps.clock.now();
    switch (stage) {
      case "bind": {
        const node = this.cfg.nodeNames[this.nextNode++ % this.cfg.nodeNames.length] as string;
        try {
          await this.deps.core.createNamespacedPodBinding({
            name: p.name,
            namespace: p.namespace,
            body: { apiVersion: "v1", kind: "Binding", metadata: { name: p.name, namespace: p.namespace, uid: p.uid }, target: { apiVersion: "v1", kind: "Node", name: node } },
          });
        } catch (err) {
          // 409: someone bound it first; the watch shows where.
          if (apiErrorInfo(err).code === 409) return;
          throw err;
        }
        t.facts = { ...p, nodeName: node };
        t.local.boundSeenAtMs = now;
        return;
      }
      case "start": {
        await this.patchStatus(t, runningStatus(p, now));
        t.local.startedAtMs = now;
        t.local.runStartedAtMs = now;
        this.deps.metrics.podsStarted.inc();
        return;
      }
      case "restart": {
        const previous = { restartCount: p.restartCount + 1, exitCode: RESTARTED_RUN_EXIT_CODE, startedAtMs: t.local.runStartedAtMs ?? t.local.startedAtMs ?? p.startTimeMs ?? now };
        await this.patchStatus(t, runningStatus(p, now, previous));
        t.local.runStartedAtMs = now;
        return;
      }
      case "finish": {
        const condition = behaviour.failureCondition;
        await this.patchStatus(t, terminatedStatus(p, exitCode, exitReason(exitCode), now, t.local.runStartedAtMs ?? t.local.startedAtMs, { restartCount: p.restartCount, condition }));
        t.local.finishedAtMs = now;
        this.noteFinished(p, exitCode, false, condition?.type ?? null);
        return;
      }
      case "kill": {
        await this.patchStatus(t, terminatedStatus(p, KILLED_EXIT_CODE, KILLED_REASON, now, t.local.runStartedAtMs ?? t.local.startedAtMs, { restartCount: p.restartCount }));
        t.local.finishedAtMs = now;
        this.noteFinished(p, KILLED_EXIT_CODE, true);
        await this.deleteNow(t);
        return;
      }
      case "remove":
        await this.deleteNow(t);
        return;
      case "gc":
        await this.deleteNow(t);
        this.deps.metrics.podsGcDeleted.inc();
        return;
    }
  }

  private async patchStatus(t: TrackedPod, patch: StatusPatch): Promise<void> {
    const updated = await this.deps.core.patchNamespacedPodStatus({ name: t.facts.name, namespace: t.facts.namespace, body: patch }, mergePatch);
    const facts = podFacts(updated);
    if (facts.uid === t.facts.uid) t.facts = facts;
  }

  /** DELETE with grace 0 and a UID precondition; 404 means it is already gone. */
  private async deleteNow(t: TrackedPod): Promise<void> {
    try {
      await this.deps.core.deleteNamespacedPod({
        name: t.facts.name,
        namespace: t.facts.namespace,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: t.facts.uid } },
      });
    } catch (err) {
      const code = apiErrorInfo(err).code;
      // 409: the precondition failed, i.e. a new Pod has that name now; ours is gone.
      if (code !== 404 && code !== 409) throw err;
    }
    t.local.deleteRequested = true;
  }

  private noteFinished(p: PodFacts, exitCode: number, deletedBeforeFinish: boolean, failureCondition: string | null = null): void {
    const phase = exitCode === 0 && failureCondition === null ? "Succeeded" : "Failed";
    const added = this.record.add({
      namespace: p.namespace,
      name: p.name,
      podUID: p.uid,
      jobUID: p.controllerUID,
      nodeName: p.nodeName,
      phase,
      exitCode,
      deletedBeforeFinish,
      failureCondition,
      recordedAt: new Date(this.deps.clock.now()).toISOString(),
    });
    if (added) this.deps.metrics.podsFinished.inc({ phase });
  }

  /** A Pod of our nodes disappeared before we set it terminal: deleted before it finished. */
  private noteVanished(p: PodFacts): void {
    if (p.nodeName === null || !this.ownNodes.has(p.nodeName) || this.record.has(p.uid) || isTerminalPhase(p.phase)) return;
    this.record.add({
      namespace: p.namespace,
      name: p.name,
      podUID: p.uid,
      jobUID: p.controllerUID,
      nodeName: p.nodeName,
      phase: null,
      exitCode: null,
      deletedBeforeFinish: true,
      failureCondition: null,
      recordedAt: new Date(this.deps.clock.now()).toISOString(),
    });
  }
}
