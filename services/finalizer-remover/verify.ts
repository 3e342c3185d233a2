/**
 * Intents are verified where they are executed. Whoever can publish to the intent queue must not
 * be able to make the finalizer-remover (which holds the Pod create/patch/delete role) create an
 * arbitrary Pod, or strip the tracking finalizer from a Pod jobtally does not manage. The
 * reference is the view, written only by the watcher (another NATS user) from the API server:
 * - a creation needs the Job's record (`jobtally.view.<p>.<jobUID>.job`, published for managed
 *   Jobs only), a Job managed by this installation, in the Pod's namespace, and a Pod that is
 *   exactly that Job's template as the counter builds it (podTemplateMismatch), with one
 *   controller ownerReference to the Job;
 * - a removal or deletion needs the Pod's record under that Job (`...<jobUID>.pod.<podUID>`: the
 *   watcher routes there only Pods of managed Jobs and, with --manage-all-jobs, orphans). Without
 *   one (a forged intent, or a redelivery after the Pod was counted and gone) the Pod is read from
 *   the API: gone is done; a Pod whose controller is a Job this installation does not manage is
 *   refused;
 * - an adoption needs the Job's record (read afresh), a Job managed by this installation, in the
 *   Pod's namespace, neither being deleted nor finished (in-tree `ClaimPods` + the `canAdopt`
 *   recheck), and the Pod as the API shows it now: no controller at all, not being deleted, labels
 *   the Job's selector matches. The verdict carries that read's resourceVersion, the patch's
 *   precondition (a Pod that changed since is judged again, not adopted blindly).
 * The checks read NATS, not the API (Job records cached by UID for JOB_CACHE_TTL_MS, read again
 * before a refusal in case the template changed meanwhile); only the rare fallback and adoptions
 * (rare too: orphans) read a Pod.
 * Decisions are pure functions (table-tested); IntentVerifier does the reads.
 */
import type { V1Container, V1Job, V1Pod } from "@kubernetes/client-node";
import {
  COMPLETION_INDEX_KEY,
  INDEX_FAILURE_COUNT_KEY,
  INDEX_IGNORED_FAILURE_COUNT_KEY,
  JOB_TRACKING_FINALIZER,
  LABEL_CONTROLLER_UID,
  LABEL_JOB_NAME,
  LEGACY_LABEL_CONTROLLER_UID,
  LEGACY_LABEL_JOB_NAME,
} from "../../shared/constants.js";
import type { AdoptPodIntent, CreatePodIntent, DeletePodIntent, Intent, RemoveFinalizerIntent } from "../../shared/intents/intents.js";
import { matchesLabelSelector } from "../../shared/kube/label-selector.js";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { VIEW_STREAM } from "../../shared/constants.js";
import type { DeadLetters } from "../../shared/nats/dead-letters.js";
import type { IntentOutcome } from "../../shared/nats/intent-queue.js";
import { LogLimiter } from "../../shared/observability/log-limiter.js";
import type { Logger } from "../../shared/observability/logger.js";
import type { RemoverMetrics } from "../../shared/observability/metrics.js";
import { partitionOf } from "../../shared/partition.js";
import { parseViewRecord } from "../../shared/view/validate.js";
import { controllerJobUID, hasNoController, hasTrackingFinalizer, isManagedJob, type ManagementPolicy } from "../../shared/view/project.js";
import type { JobView, PodView, ViewRecord } from "../../shared/view/records.js";
import { jobViewSubject, podViewSubject } from "../../shared/view/subjects.js";

export const JOB_CACHE_TTL_MS = 30_000;
/** `JOB_COMPLETION_INDEX`, the env var the counter adds to every container of an Indexed Job's Pod. */
const COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX";

/** Short label of a refusal (`jobtally_intents_refused_total{reason}`). */
export type RefusalCode =
  | "partition"
  | "job-unknown"
  | "job-not-managed"
  | "job-mismatch"
  | "namespace"
  | "owner"
  | "template"
  | "pod-unknown"
  | "pod-mismatch"
  | "foreign-controller";

export type Verdict =
  /** Go ahead; an adoption carries the resourceVersion of the Pod it judged (the patch's precondition). */
  | { kind: "allow"; podResourceVersion?: string }
  /** Nothing to do (the Pod is gone, the Job deleted): acked without an API request. */
  | { kind: "done"; why: string }
  | { kind: "refuse"; code: RefusalCode; reason: string };

const ALLOW: Verdict = { kind: "allow" };
const refuse = (code: RefusalCode, reason: string): Verdict => ({ kind: "refuse", code, reason });

/** Plain JSON, `undefined` members dropped, so that two manifests compare by content. */
function plain(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(plain(a))) === JSON.stringify(sortKeys(plain(b)));
}
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

function withIndexEnv(c: V1Container): V1Container {
  if (c.env?.some((e) => e.name === COMPLETION_INDEX_ENV)) return c;
  return { ...c, env: [...(c.env ?? []), { name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX_KEY}']` } } }] };
}

/**
 * Why `pod` is not a Pod the counter would build from `job` (services/counter/logic/pod-template.ts,
 * the in-tree `GetPodFromTemplate` plus the index additions), or null when it is. Checked here
 * field by field rather than rebuilt, so that the name, index and failure counts the counter
 * chose need not be known: everything that decides what runs, where and as whom (spec, labels,
 * annotations, finalizers, owner) must be the template's.
 */
export function podTemplateMismatch(job: V1Job, pod: V1Pod): string | null {
  const template = job.spec?.template ?? {};
  const jobName = job.metadata?.name ?? "";
  const jobUID = job.metadata?.uid ?? "";
  const md = pod.metadata ?? {};
  const extraTop = Object.keys(pod).filter((k) => !["apiVersion", "kind", "metadata", "spec"].includes(k) && (pod as Record<string, unknown>)[k] !== undefined);
  if (extraTop.length > 0) return `unexpected Pod fields ${extraTop.join(", ")}`;
  const extraMeta = Object.keys(md).filter((k) => !["name", "namespace", "labels", "annotations", "finalizers", "ownerReferences"].includes(k) && (md as Record<string, unknown>)[k] !== undefined);
  if (extraMeta.length > 0) return `unexpected metadata fields ${extraMeta.join(", ")}`;
  const refs = md.ownerReferences ?? [];
  const ref = refs[0];
  if (refs.length !== 1 || !ref || ref.controller !== true || ref.kind !== "Job" || ref.apiVersion !== "batch/v1" || ref.uid !== jobUID || ref.name !== jobName) {
    return `ownerReferences must be exactly one controller reference to Job ${jobName} (${jobUID})`;
  }
  const indexed = job.spec?.completionMode === "Indexed";
  const indexLabel = md.labels?.[COMPLETION_INDEX_KEY];
  if (indexed && (indexLabel === undefined || !/^(0|[1-9]\d{0,8})$/.test(indexLabel))) return "an Indexed Job's Pod needs its completion index label";
  const labels: Record<string, string> = {
    ...(template.metadata?.labels ?? {}),
    [LABEL_CONTROLLER_UID]: jobUID,
    [LABEL_JOB_NAME]: jobName,
    [LEGACY_LABEL_CONTROLLER_UID]: jobUID,
    [LEGACY_LABEL_JOB_NAME]: jobName,
  };
  if (indexed) labels[COMPLETION_INDEX_KEY] = indexLabel as string;
  if (!same(md.labels ?? {}, labels)) return "labels differ from the Job's template";
  const annotations: Record<string, string> = { ...(template.metadata?.annotations ?? {}) };
  if (indexed) annotations[COMPLETION_INDEX_KEY] = indexLabel as string;
  const podAnnotations = { ...(md.annotations ?? {}) };
  if (indexed && job.spec?.backoffLimitPerIndex !== undefined && job.spec.backoffLimitPerIndex !== null) {
    for (const k of [INDEX_FAILURE_COUNT_KEY, INDEX_IGNORED_FAILURE_COUNT_KEY]) {
      const v = podAnnotations[k];
      if (v === undefined || annotations[k] !== undefined) continue;
      if (!/^\d{1,9}$/.test(v)) return `annotation ${k} must be a count`;
      delete podAnnotations[k];
    }
  }
  if (!same(podAnnotations, annotations)) return "annotations differ from the Job's template";
  const finalizers = [...(template.metadata?.finalizers ?? [])];
  if (!finalizers.includes(JOB_TRACKING_FINALIZER)) finalizers.push(JOB_TRACKING_FINALIZER);
  if (!same(md.finalizers ?? [], finalizers)) return "finalizers differ from the Job's template plus the tracking finalizer";
  const spec = structuredClone(plain(template.spec ?? { containers: [] })) as NonNullable<V1Pod["spec"]>;
  if (indexed) {
    if (spec.initContainers) spec.initContainers = spec.initContainers.map(withIndexEnv);
    spec.containers = (spec.containers ?? []).map(withIndexEnv);
    spec.hostname = `${jobName}-${indexLabel}`;
  }
  if (!same(pod.spec ?? {}, spec)) return "spec differs from the Job's template";
  return null;
}

/**
 * The Job an intent that acts for a Job (a creation, an adoption) names, judged against the Job's
 * view record (null: none in the view): it exists in the intent's partition, is managed here, has
 * that name, lives in `podNamespace`, and is neither being deleted nor finished (in-tree creates and
 * adopts nothing then: an intent that waited in the queue past the Job's end would run a Pod
 * nobody counts). `allow` only with `record.job` set.
 */
function verifyIntentJob(intent: CreatePodIntent | AdoptPodIntent, record: JobView | null, policy: ManagementPolicy, partitions: number, podNamespace: string): Verdict {
  const what = `Job ${intent.namespace}/${intent.jobName} (${intent.jobUID})`;
  if (partitionOf(intent.jobUID, partitions) !== intent.partition) return refuse("partition", `${what} is not in partition ${intent.partition}`);
  if (record === null) return refuse("job-unknown", `${what} is not in the view: it does not exist, or this installation does not manage it`);
  if (record.gone || record.job === null) return { kind: "done", why: "the Job was deleted" };
  const job = record.job;
  if (job.metadata?.uid !== intent.jobUID || record.uid !== intent.jobUID) return refuse("job-mismatch", `the view's record of ${what} is of another Job`);
  if (!isManagedJob(job, policy)) return refuse("job-not-managed", `${what} is managed by ${JSON.stringify(job.spec?.managedBy ?? "the built-in controller")}, not by this installation`);
  if (job.metadata?.name !== intent.jobName) return refuse("job-mismatch", `${what}: the Job with that UID is named ${job.metadata?.name ?? "?"}`);
  if (job.metadata?.namespace !== intent.namespace || podNamespace !== intent.namespace) {
    return refuse("namespace", `${what} lives in namespace ${job.metadata?.namespace ?? "?"}, the Pod in ${podNamespace}`);
  }
  if (job.metadata?.deletionTimestamp) return { kind: "done", why: "the Job is being deleted" };
  if (isFinishedJob(job)) return { kind: "done", why: "the Job is finished" };
  return ALLOW;
}

/** A creation, judged against the Job's view record (null: none in the view), then the Pod against its template. */
export function verifyCreation(intent: CreatePodIntent, record: JobView | null, policy: ManagementPolicy, partitions: number): Verdict {
  const judged = verifyIntentJob(intent, record, policy, partitions, intent.pod.metadata?.namespace ?? intent.namespace);
  const job = record?.job;
  if (judged.kind !== "allow" || !job) return judged;
  const mismatch = podTemplateMismatch(job, intent.pod);
  if (mismatch !== null) return refuse(mismatch.startsWith("ownerReferences") ? "owner" : "template", `Pod ${intent.pod.metadata?.name ?? "?"} is not Job ${intent.namespace}/${intent.jobName} (${intent.jobUID})'s template: ${mismatch}`);
  return ALLOW;
}

/** A removal or deletion, judged against the Pod's view record (null: none under that Job). */
export function verifyPodRecord(intent: RemoveFinalizerIntent | DeletePodIntent, record: PodView | null): Verdict | "unknown" {
  if (record === null) return "unknown";
  if (record.uid !== intent.podUID || record.name !== intent.name || record.namespace !== intent.namespace || record.jobUID !== intent.jobUID) {
    return refuse("pod-mismatch", `the view's record of Pod ${intent.podUID} is ${record.namespace}/${record.name} of Job ${record.jobUID ?? "none"}, not ${intent.namespace}/${intent.name} of ${intent.jobUID ?? "none"}`);
  }
  return ALLOW;
}

/**
 * A removal or deletion whose Pod is not in the view, judged against the Pod read from the API
 * (null: it does not exist) and the view's record of its controller Job (`jobRecord`, looked up
 * by the caller from the Pod's own ownerReference, never from the intent's claim).
 */
export function verifyLivePod(intent: RemoveFinalizerIntent | DeletePodIntent, pod: V1Pod | null, jobRecord: JobView | null, policy: ManagementPolicy): Verdict {
  if (pod === null) return { kind: "done", why: "the Pod does not exist" };
  if (pod.metadata?.uid !== intent.podUID) return { kind: "done", why: "the name belongs to another Pod now" };
  if (intent.kind === "removeFinalizer" && !hasTrackingFinalizer(pod)) return { kind: "done", why: "the Pod has no tracking finalizer" };
  const controller = controllerJobUID(pod);
  const where = `Pod ${intent.namespace}/${intent.name}`;
  if (intent.kind === "deletePod" && controller !== intent.jobUID) return refuse("foreign-controller", `${where} is not controlled by Job ${intent.jobUID}`);
  // An orphan (no controlling Job) may lose the finalizer: nothing else will ever remove it.
  if (controller === null) return intent.kind === "removeFinalizer" ? ALLOW : refuse("foreign-controller", `${where} has no controlling Job`);
  if (jobRecord !== null && jobRecord.gone && intent.kind === "removeFinalizer") return ALLOW;
  if (jobRecord === null || jobRecord.job === null || jobRecord.gone) return refuse("foreign-controller", `${where} is controlled by Job ${controller}, which this installation does not manage`);
  if (!isManagedJob(jobRecord.job, policy)) return refuse("foreign-controller", `${where} is controlled by Job ${controller}, managed by ${JSON.stringify(jobRecord.job.spec?.managedBy ?? "the built-in controller")}`);
  return ALLOW;
}

/** The Job side of an adoption, judged against the Job's view record (null: none in the view). */
export function verifyAdoptionJob(intent: AdoptPodIntent, record: JobView | null, policy: ManagementPolicy, partitions: number): Verdict {
  return verifyIntentJob(intent, record, policy, partitions, intent.namespace);
}

function isFinishedJob(job: V1Job): boolean {
  return (job.status?.conditions ?? []).some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
}

/**
 * The Pod side of an adoption, judged against the Pod read from the API just now (null: it does
 * not exist) and the Job (already judged by verifyAdoptionJob). A Pod that is not, or no longer,
 * an orphan the Job selects is left alone: nothing to do (in-tree `ClaimObject` ignores it).
 */
export function verifyAdoptionPod(intent: AdoptPodIntent, job: V1Job, pod: V1Pod | null): Verdict {
  if (pod === null) return { kind: "done", why: "the Pod does not exist" };
  if (pod.metadata?.uid !== intent.podUID) return { kind: "done", why: "the name belongs to another Pod now" };
  if (pod.metadata?.namespace !== undefined && pod.metadata.namespace !== job.metadata?.namespace) {
    return refuse("namespace", `Pod ${intent.namespace}/${intent.name} is in namespace ${pod.metadata.namespace}, the Job in ${job.metadata?.namespace ?? "?"}`);
  }
  if (controllerJobUID(pod) === intent.jobUID) return { kind: "done", why: "the Pod is adopted already" };
  if (!hasNoController(pod)) return { kind: "done", why: "the Pod has a controller now" };
  if (pod.metadata?.deletionTimestamp) return { kind: "done", why: "the Pod is being deleted" };
  if (!matchesLabelSelector(job.spec?.selector, pod.metadata?.labels)) return { kind: "done", why: "the Job's selector does not match the Pod's labels (any more)" };
  const rv = pod.metadata?.resourceVersion;
  if (!rv) return { kind: "done", why: "the Pod read has no resourceVersion to patch against" };
  return { kind: "allow", podResourceVersion: rv };
}

export interface IntentVerifierDeps {
  /** The last record of a view subject, or null when there is none. */
  readView(subject: string): Promise<ViewRecord | null>;
  /** The Pod from the API (through the API budget), or null on 404. */
  readPod(namespace: string, name: string): Promise<V1Pod | null>;
  policy: ManagementPolicy;
  partitions: number;
  now(): number;
  /** @default JOB_CACHE_TTL_MS */
  jobCacheTtlMs?: number;
}

/** The reads behind the decisions, with a small cache of Job records by UID. */
export class IntentVerifier {
  private readonly jobs = new Map<string, { record: JobView | null; atMs: number }>();
  private readonly ttlMs: number;

  constructor(private readonly deps: IntentVerifierDeps) {
    this.ttlMs = deps.jobCacheTtlMs ?? JOB_CACHE_TTL_MS;
  }

  async verify(intent: Intent): Promise<Verdict> {
    switch (intent.kind) {
      case "createPod": {
        const cached = this.jobs.get(intent.jobUID);
        const fresh = cached === undefined || this.deps.now() - cached.atMs >= this.ttlMs;
        const v = verifyCreation(intent, await this.jobRecord(intent.partition, intent.jobUID, fresh), this.deps.policy, this.deps.partitions);
        // A refusal or a deleted Job on a cached record: read it again first (the template of a
        // suspended Job may have changed, the Job may be new).
        if (v.kind !== "allow" && !fresh) return verifyCreation(intent, await this.jobRecord(intent.partition, intent.jobUID, true), this.deps.policy, this.deps.partitions);
        return v;
      }
      case "removeFinalizer":
      case "deletePod": {
        const rec = await this.deps.readView(podViewSubject(intent.partition, intent.jobUID, intent.podUID));
        const v = verifyPodRecord(intent, rec?.kind === "pod" ? rec : null);
        if (v !== "unknown") return v;
        const pod = await this.deps.readPod(intent.namespace, intent.name);
        const controller = pod === null ? null : controllerJobUID(pod);
        const jobRecord = controller === null ? null : await this.jobRecord(partitionOf(controller, this.deps.partitions), controller, true);
        return verifyLivePod(intent, pod, jobRecord, this.deps.policy);
      }
      case "adoptPod": {
        // Read afresh: the Job may have been deleted or finished moments ago.
        const record = await this.jobRecord(intent.partition, intent.jobUID, true);
        const v = verifyAdoptionJob(intent, record, this.deps.policy, this.deps.partitions);
        if (v.kind !== "allow" || !record?.job) return v;
        return verifyAdoptionPod(intent, record.job, await this.deps.readPod(intent.namespace, intent.name));
      }
    }
  }

  private async jobRecord(partition: number, jobUID: string, refresh: boolean): Promise<JobView | null> {
    const cached = this.jobs.get(jobUID);
    if (!refresh && cached) return cached.record;
    const rec = await this.deps.readView(jobViewSubject(partition, jobUID));
    const record = rec?.kind === "job" ? rec : null;
    this.jobs.set(jobUID, { record, atMs: this.deps.now() });
    this.evictOld();
    return record;
  }

  private evictOld(): void {
    if (this.jobs.size < 10_000) return;
    const now = this.deps.now();
    for (const [uid, e] of this.jobs) if (now - e.atMs >= this.ttlMs) this.jobs.delete(uid);
  }
}

/** The last record of `subject` in the view; null when there is none or it does not parse. */
export function viewRecordReader(nc: NatsConnection): (subject: string) => Promise<ViewRecord | null> {
  let jsm: JetStreamManager | undefined;
  return async (subject) => {
    jsm ??= await jetstreamManager(nc, { checkAPI: false });
    let data: Uint8Array;
    try {
      const m = await jsm.streams.getMessage(VIEW_STREAM, { last_by_subj: subject });
      if (m === null) return null;
      data = m.data;
    } catch (err) {
      if (/no message found|not found/i.test(String((err as Error)?.message))) return null;
      throw err;
    }
    try {
      return parseViewRecord(data);
    } catch {
      return null;
    }
  };
}

export interface IntentVerificationDeps {
  verifier: IntentVerifier;
  deadLetters: Pick<DeadLetters, "send">;
  metrics: Pick<RemoverMetrics, "refused" | "deadLetters" | "intents">;
  logger: Logger;
  /** DLQ source (`jobtally.dlq.<source>`). */
  source: string;
  now?: () => number;
}

/** An intent allowed to go ahead, with what its verification read (executor.ts `VerifiedFacts`). */
export type VerifiedIntent = Extract<Verdict, { kind: "allow" }>;

/**
 * The hook run before an intent is executed: `allow` lets it go ahead; otherwise the outcome that
 * settles it (a refusal is dead-lettered with its reason and counted; a throw, e.g. NATS away
 * while reading the view, retries the intent).
 */
export function createIntentVerification(d: IntentVerificationDeps): (intent: Intent) => Promise<IntentOutcome | VerifiedIntent> {
  const limiter = new LogLimiter(10_000, d.now);
  return async (intent) => {
    const v = await d.verifier.verify(intent);
    if (v.kind === "allow") return v;
    if (v.kind === "done") {
      d.metrics.intents.inc({ kind: intent.kind, outcome: "already-done" });
      d.logger.debug({ intent: intent.kind, partition: intent.partition, why: v.why }, "intent has nothing left to do; acked without an API request");
      return { kind: "ack" };
    }
    const reason = `intent refused (${v.code}): ${v.reason}`;
    await d.deadLetters.send(d.source, reason, new TextEncoder().encode(JSON.stringify(intent)), { kind: intent.kind, partition: String(intent.partition), holder: intent.holder, epoch: String(intent.epoch) });
    d.metrics.refused.inc({ kind: intent.kind, reason: v.code });
    d.metrics.deadLetters.inc({ source: d.source });
    const log = limiter.take(`${intent.kind}/${v.code}`);
    if (log) d.logger.error({ intent: intent.kind, partition: intent.partition, holder: intent.holder, code: v.code, why: v.reason, suppressed: log.suppressed }, "intent refused: it does not match a Job this installation manages; dead-lettered, not executed");
    return { kind: "drop", reason };
  };
}
