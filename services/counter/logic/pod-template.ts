/**
 * The Pod manifest for one creation: in-tree `manageJob` + `controller.GetPodFromTemplate` +
 * `addCompletionIndexEnvVariables` / `addCompletionIndexAnnotation` / `addCompletionIndexLabel`,
 * with the name chosen here (not `generateName`) so that a re-published creation intent is
 * idempotent at the API (AlreadyExists = done).
 */
import type { V1Container, V1Job, V1OwnerReference, V1Pod } from "@kubernetes/client-node";
import {
  COMPLETION_INDEX_KEY,
  INDEX_FAILURE_COUNT_KEY,
  INDEX_IGNORED_FAILURE_COUNT_KEY,
  JOB_TRACKING_FINALIZER,
  LABEL_CONTROLLER_UID,
  LABEL_JOB_NAME,
  LEGACY_LABEL_CONTROLLER_UID,
  LEGACY_LABEL_JOB_NAME,
} from "../../../shared/constants.js";

export const COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX";
/**
 * The random suffix is 10 characters, not generateName's 5: the name is chosen here, with no
 * server-side retry on a clash, and it is the creation's idempotency key (AlreadyExists = done,
 * and the intent's dedup id). With 5 characters of this alphabet (14 million names) a 2,000-Pod
 * Job already reuses a name with ~14 % probability, and the second creation is silently taken for
 * a redelivery of the first. With 10 (2·10^14) a 100,000-Pod Job clashes with ~0.003 %.
 */
const SUFFIX_LENGTH = 10;
/** 63 (a DNS label) minus the random suffix. */
export const MAX_GENERATED_NAME_PREFIX = 63 - SUFFIX_LENGTH;
/** `k8s.io/apimachinery/pkg/util/rand` alphabet: no vowels, no confusable digits. */
const SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** Name prefix of a NonIndexed Job's Pods (`controller.getPodsPrefix` + generator truncation). */
export function podNamePrefix(jobName: string): string {
  return `${jobName}-`.slice(0, MAX_GENERATED_NAME_PREFIX);
}

/** In-tree `podGenerateNameWithIndex`: keep "-<index>-" whole, truncate the Job name. */
export function podNamePrefixWithIndex(jobName: string, index: number): string {
  const appendIndex = `-${index}-`;
  const prefix = jobName + appendIndex;
  if (prefix.length <= MAX_GENERATED_NAME_PREFIX) return prefix;
  return prefix.slice(0, MAX_GENERATED_NAME_PREFIX - appendIndex.length) + appendIndex;
}

export function randomSuffix(random: () => number): string {
  let out = "";
  for (let i = 0; i < SUFFIX_LENGTH; i++) {
    const pick = Math.min(SUFFIX_ALPHABET.length - 1, Math.floor(random() * SUFFIX_ALPHABET.length));
    out += SUFFIX_ALPHABET[pick];
  }
  return out;
}

/** A fresh Pod name, retried against `taken` (names in the view, in flight, or in this plan). */
export function newPodName(jobName: string, index: number | null, random: () => number, taken: ReadonlySet<string>): string {
  const prefix = index === null ? podNamePrefix(jobName) : podNamePrefixWithIndex(jobName, index);
  let name = prefix + randomSuffix(random);
  for (let attempt = 0; attempt < 16 && taken.has(name); attempt++) name = prefix + randomSuffix(random);
  return name;
}

export function controllerRef(job: V1Job): V1OwnerReference {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    name: job.metadata?.name ?? "",
    uid: job.metadata?.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * The Pod for `name` (and `index` for Indexed Jobs). The template is deep-copied; labels gain the
 * Job's selector labels, finalizers gain the tracking finalizer, Indexed Pods gain the index label,
 * annotation, `JOB_COMPLETION_INDEX` env in every (init) container (a downward-API reference to
 * the label, as in-tree with PodIndexLabel) and the hostname `<job>-<index>` (in-tree sets it
 * unconditionally; it only resolves in DNS when the template also sets a subdomain); with
 * backoffLimitPerIndex also the index failure count annotations (`indexFailureCounts`).
 */
export function buildPodForCreation(
  job: V1Job,
  name: string,
  index: number | null,
  indexFailureCounts?: { failureCount: number; ignoredFailureCount: number },
): V1Pod {
  const template = structuredClone(job.spec?.template ?? {});
  const jobName = job.metadata?.name ?? "";
  const jobUID = job.metadata?.uid ?? "";
  const labels: Record<string, string> = {
    ...(template.metadata?.labels ?? {}),
    [LABEL_CONTROLLER_UID]: jobUID,
    [LABEL_JOB_NAME]: jobName,
    [LEGACY_LABEL_CONTROLLER_UID]: jobUID,
    [LEGACY_LABEL_JOB_NAME]: jobName,
  };
  const annotations: Record<string, string> = { ...(template.metadata?.annotations ?? {}) };
  const finalizers = [...(template.metadata?.finalizers ?? [])];
  if (!finalizers.includes(JOB_TRACKING_FINALIZER)) finalizers.push(JOB_TRACKING_FINALIZER);
  const spec = template.spec ?? { containers: [] };
  if (index !== null) {
    labels[COMPLETION_INDEX_KEY] = String(index);
    annotations[COMPLETION_INDEX_KEY] = String(index);
    spec.initContainers = spec.initContainers?.map(withCompletionIndexEnv);
    spec.containers = (spec.containers ?? []).map(withCompletionIndexEnv);
    spec.hostname = `${jobName}-${index}`;
    // In-tree `addIndexFailureCountAnnotation` (backoffLimitPerIndex): the count always, the
    // ignored count only when above 0.
    if (indexFailureCounts) {
      annotations[INDEX_FAILURE_COUNT_KEY] = String(indexFailureCounts.failureCount);
      if (indexFailureCounts.ignoredFailureCount > 0) annotations[INDEX_IGNORED_FAILURE_COUNT_KEY] = String(indexFailureCounts.ignoredFailureCount);
    }
  }
  const pod: V1Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: job.metadata?.namespace ?? "default",
      labels,
      finalizers,
      ownerReferences: [controllerRef(job)],
    },
    spec,
  };
  if (Object.keys(annotations).length > 0 && pod.metadata) pod.metadata.annotations = annotations;
  if (spec.initContainers === undefined) delete spec.initContainers;
  return pod;
}

/** In-tree `addCompletionIndexEnvVariable`: leave a container that already defines the variable alone. */
function withCompletionIndexEnv(container: V1Container): V1Container {
  if (container.env?.some((e) => e.name === COMPLETION_INDEX_ENV)) return container;
  return {
    ...container,
    env: [
      ...(container.env ?? []),
      { name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX_KEY}']` } } },
    ],
  };
}
