/**
 * What the API server under test does where Kubernetes versions differ, so that one conformance
 * suite passes unchanged on a 1.26-era server, on 1.32+ and on the simulator (which behaves as
 * 1.32+). Each capability is detected by probing the server once (an inert object created and
 * read back, or one rule tried) in a namespace of its own, memoised per test process and server.
 * Never from the version string: feature gates decide these behaviours, and clusters turn them on
 * and off. GET /version is only printed in skip reasons.
 *
 * A test that needs a capability the server lacks skips with `lacks(capability)`; a test of a
 * behaviour that differs asserts the branch matching `capability.present`.
 *
 * The suite's Jobs carry `spec.managedBy` so that the built-in Job controller leaves them alone;
 * a server that drops the field (JobManagedBy off: before 1.32 by default) lets that controller
 * run them. `createInertJob` and `inertJobManifest` keep them inert there too.
 */
import { randomBytes } from "node:crypto";
import { PatchStrategy, setHeaderOptions, type V1Job, type V1JobCondition } from "@kubernetes/client-node";
import { DEFAULT_MANAGED_BY } from "../../shared/constants.js";
import { apiErrorInfo } from "../../shared/kube/errors.js";
import type { KubeEnv } from "../support/kube-env.js";
import { waitFor } from "../support/processes.js";
import { FAKE_NODE, jobManifest, podManifest, rawRequest, uniqueName } from "./helpers.js";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

const PREFIXED_JOB_NAME = "batch.kubernetes.io/job-name";
const PREFIXED_CONTROLLER_UID = "batch.kubernetes.io/controller-uid";
/** How long a running built-in Job controller may take to write a new suspended Job's status. */
const JOB_CONTROLLER_PROBE_MS = 15_000;

export interface Capability {
  /** What is detected, as a skip reason names it. */
  name: string;
  present: boolean;
  /** What the probe saw. */
  observed: string;
  /** GET /version's gitVersion (information only). */
  server: string;
}

/** The `t.skip()` reason of a test that needs `c`. */
export const lacks = (c: Capability): string => `the API server (${c.server}) lacks ${c.name}: ${c.observed}`;

const conditionTrue = (job: V1Job, type: string): boolean => (job.status?.conditions ?? []).some((c) => c.type === type && c.status === "True");

/** A whole second: metav1.Time has second precision on the wire. */
const wholeSecond = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

function trueCondition(type: string, at: Date): V1JobCondition {
  return { type, status: "True", reason: "ConformanceProbe", message: "", lastProbeTime: at, lastTransitionTime: at };
}

export class ServerCapabilities {
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(private readonly env: KubeEnv) {}

  /** `probe` run once; a failed probe is forgotten, so the next caller tries again. */
  private once<T>(key: string, probe: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = probe();
      this.memo.set(key, p);
      p.catch(() => this.memo.delete(key));
    }
    return p;
  }

  /** GET /version's gitVersion, or what went wrong reading it. */
  version(): Promise<string> {
    return this.once("version", async () => {
      const res = await rawRequest(this.env, "GET", "/version").catch((err: Error) => ({ status: 0, body: undefined, text: err.message }));
      return res.status === 200 && typeof res.body?.gitVersion === "string" ? String(res.body.gitVersion) : `version unknown (GET /version → ${res.status})`;
    });
  }

  private async capability(name: string, present: boolean, observed: string): Promise<Capability> {
    return { name, present, observed, server: await this.version() };
  }

  /** Runs `fn` in a namespace of its own (deleted afterwards, without waiting), out of every test's way. */
  private async inProbeNamespace<T>(fn: (namespace: string) => Promise<T>): Promise<T> {
    const namespace = `jt-probe-${randomBytes(4).toString("hex")}`;
    await this.env.core.createNamespace({ body: { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } } });
    try {
      return await fn(namespace);
    } finally {
      await this.env.core.deleteNamespace({ name: namespace }).catch(() => undefined);
    }
  }

  /** A suspended Job created with `spec.managedBy`, as read back with a GET. */
  private probeJob(): Promise<V1Job> {
    return this.once("probe-job", () =>
      this.inProbeNamespace(async (namespace) => {
        const name = uniqueName("probe");
        await this.env.batch.createNamespacedJob({ namespace, body: jobManifest(name, { suspend: true }) });
        return this.env.batch.readNamespacedJob({ name, namespace });
      }),
    );
  }

  /** Keeps `spec.managedBy` (JobManagedBy: alpha 1.30, on by default from 1.32); older servers drop it silently. */
  keepsManagedBy(): Promise<Capability> {
    return this.once("managed-by", async () => {
      const got = (await this.probeJob()).spec?.managedBy;
      const observed =
        got === DEFAULT_MANAGED_BY
          ? `a Job created with spec.managedBy "${DEFAULT_MANAGED_BY}" reads it back`
          : `a Job created with spec.managedBy "${DEFAULT_MANAGED_BY}" reads back ${got === undefined ? "without the field (dropped silently)" : JSON.stringify(got)}`;
      return this.capability("spec.managedBy (Jobs managed by another controller)", got === DEFAULT_MANAGED_BY, observed);
    });
  }

  /** Generates the `batch.kubernetes.io/` template labels and selects on them (1.27+); older servers only `controller-uid` and `job-name`. */
  prefixedJobLabels(): Promise<Capability> {
    return this.once("prefixed-labels", async () => {
      const job = await this.probeJob();
      const labels = job.spec?.template.metadata?.labels ?? {};
      const present = labels[PREFIXED_JOB_NAME] === job.metadata?.name && labels[PREFIXED_CONTROLLER_UID] === job.metadata?.uid;
      return this.capability("the batch.kubernetes.io/ Job template labels", present, `generated template labels: ${Object.keys(labels).sort().join(", ") || "none"}`);
    });
  }

  /**
   * Enforces the stricter Job status rules (one gate, JobManagedBy, turns them all on: 1.32+ by
   * default): counters never decrease, terminal conditions stay, completionTime only with
   * Complete and immutable, a finished Job has no active Pods nor uncounted UIDs, and so on.
   * 1.26 enforces only non-negative counters and non-empty, unique uncounted UIDs. Tried with one
   * rule the suite's tests do not exercise: Complete=True together with Failed=True.
   */
  strictJobStatus(): Promise<Capability> {
    return this.once("strict-status", () =>
      this.inProbeNamespace(async (namespace) => {
        const name = uniqueName("probe-status");
        const job = await this.env.batch.createNamespacedJob({ namespace, body: jobManifest(name, { suspend: true }) });
        const at = wholeSecond(Date.now() - 60_000);
        const status = { startTime: at, completionTime: new Date(at.getTime() + 1000), conditions: [trueCondition("Complete", at), trueCondition("Failed", at)] };
        const capName = "the 1.32+ Job status rules";
        try {
          // Without a resourceVersion: an unconditional update, which no controller's write can turn into a 409.
          await this.env.batch.replaceNamespacedJobStatus({ name, namespace, body: { ...job, metadata: { ...job.metadata, resourceVersion: undefined }, status } });
          return this.capability(capName, false, "a Job status with both Complete=True and Failed=True was accepted (200)");
        } catch (err) {
          const info = apiErrorInfo(err);
          if (info.code !== 422) throw err;
          return this.capability(capName, true, `a Job status with both Complete=True and Failed=True → 422 (${info.message})`);
        }
      }),
    );
  }

  /** Lets an Indexed Job change `completions` together with `parallelism` (ElasticIndexedJob: beta 1.27, GA 1.31); 1.26 keeps completions immutable. */
  elasticIndexedJobs(): Promise<Capability> {
    return this.once("elastic-indexed", () =>
      this.inProbeNamespace(async (namespace) => {
        const name = uniqueName("probe-elastic");
        await this.env.batch.createNamespacedJob({ namespace, body: jobManifest(name, { suspend: true, completionMode: "Indexed", completions: 1, parallelism: 1 }) });
        const capName = "elastic Indexed Jobs (completions changed together with parallelism)";
        try {
          const patched = await this.env.batch.patchNamespacedJob({ name, namespace, body: { spec: { completions: 2, parallelism: 2 } } }, mergePatch);
          return this.capability(capName, true, `an Indexed Job's completions and parallelism patched together 1 → 2: 200, read back ${patched.spec?.completions}/${patched.spec?.parallelism}`);
        } catch (err) {
          const info = apiErrorInfo(err);
          if (info.code !== 422) throw err;
          return this.capability(capName, false, `an Indexed Job's completions and parallelism patched together 1 → 2: 422 (${info.message})`);
        }
      }),
    );
  }

  /** Refuses a Pod in a terminal phase going back to a running one (newer servers); 1.26 does not validate the phase. */
  refusesTerminalPodPhaseChange(): Promise<Capability> {
    return this.once("pod-phase", () =>
      this.inProbeNamespace(async (namespace) => {
        const name = uniqueName("probe-phase");
        await this.env.core.createNamespacedPod({ namespace, body: podManifest(name, { nodeName: FAKE_NODE }) });
        await this.env.core.patchNamespacedPodStatus({ name, namespace, body: { status: { phase: "Succeeded" } } }, mergePatch);
        const capName = "validation of Pod phase transitions (a terminal phase is final)";
        try {
          await this.env.core.patchNamespacedPodStatus({ name, namespace, body: { status: { phase: "Running" } } }, mergePatch);
          return this.capability(capName, false, "a Succeeded Pod's phase set back to Running was accepted (200)");
        } catch (err) {
          const info = apiErrorInfo(err);
          if (info.code !== 422) throw err;
          return this.capability(capName, true, `a Succeeded Pod's phase set back to Running → 422 (${info.message})`);
        }
      }),
    );
  }

  /**
   * A Job controller acts on the suite's Jobs: where `spec.managedBy` is dropped and the built-in
   * controller runs, it gives a new suspended Job the Suspended=True condition within moments.
   * Where managedBy is kept, the built-in controller of the same release honours it.
   */
  jobControllerActs(): Promise<Capability> {
    return this.once("job-controller", async () => {
      const capName = "a Job controller acting on the suite's Jobs";
      const managedBy = await this.keepsManagedBy();
      if (managedBy.present) return this.capability(capName, false, `spec.managedBy "${DEFAULT_MANAGED_BY}" is kept, so the built-in Job controller leaves the suite's Jobs alone`);
      return this.inProbeNamespace(async (namespace) => {
        const name = uniqueName("probe-controller");
        const started = Date.now();
        await this.env.batch.createNamespacedJob({ namespace, body: jobManifest(name, { suspend: true }) });
        const seen = await waitFor(async () => conditionTrue(await this.env.batch.readNamespacedJob({ name, namespace }), "Suspended"), {
          timeoutMs: JOB_CONTROLLER_PROBE_MS,
          intervalMs: 200,
          what: "a Job controller to mark the probe Job Suspended",
        }).catch(() => false);
        return seen
          ? this.capability(capName, true, `spec.managedBy is dropped and a suspended Job got the Suspended=True condition ${Date.now() - started} ms after its creation`)
          : this.capability(capName, false, `spec.managedBy is dropped, but no Job controller wrote a suspended Job's status within ${JOB_CONTROLLER_PROBE_MS / 1000} s`);
      });
    });
  }
}

const byServer = new Map<string, ServerCapabilities>();

/** The capabilities of `env`'s API server, probed at most once per test process. */
export function capabilitiesOf(env: KubeEnv): ServerCapabilities {
  const server = env.kubeConfig.getCurrentCluster()?.server ?? env.kubeconfigPath;
  let caps = byServer.get(server);
  if (!caps) {
    caps = new ServerCapabilities(env);
    byServer.set(server, caps);
  }
  return caps;
}

/**
 * `manifest` made inert for the server: unchanged where `spec.managedBy` is kept (the built-in
 * controller leaves the Job alone); suspended where it is dropped, so that the built-in
 * controller, which then owns the Job, creates no Pods for it.
 */
export async function inertJobManifest(env: KubeEnv, manifest: V1Job): Promise<V1Job> {
  if ((await capabilitiesOf(env).keepsManagedBy()).present) return manifest;
  return { ...manifest, spec: { ...manifest.spec!, suspend: true } };
}

/**
 * Creates an inert Job (`inertJobManifest`) in the test's namespace and answers it as stored once
 * no controller is about to write it, so that a write with its resourceVersion races nobody:
 * where a Job controller acts on it, after its one status write (Suspended=True). With `finished`,
 * such a Job is then marked Complete, which the controller never syncs again: a test that adds
 * Pods of its own needs that, since the controller deletes a suspended Job's Pods and releases
 * the ones its selector does not match (removing their ownerReference).
 */
export async function createInertJob(env: KubeEnv, manifest: V1Job, opts: { finished?: boolean } = {}): Promise<V1Job> {
  const namespace = env.namespace;
  const created = await env.batch.createNamespacedJob({ namespace, body: await inertJobManifest(env, manifest) });
  if (!(await capabilitiesOf(env).jobControllerActs()).present) return created;
  const name = created.metadata!.name!;
  const settled = await waitFor(
    async () => {
      const job = await env.batch.readNamespacedJob({ name, namespace });
      return conditionTrue(job, "Suspended") ? job : false;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `the Job controller to mark Job ${namespace}/${name} Suspended` },
  );
  return opts.finished ? markComplete(env, settled) : settled;
}

/** Writes a Complete status (valid under every server's rules), retrying on a conflicting controller write. */
async function markComplete(env: KubeEnv, job: V1Job): Promise<V1Job> {
  const name = job.metadata!.name!;
  const at = wholeSecond(Date.now() - 60_000);
  const status = { startTime: at, completionTime: new Date(at.getTime() + 1000), conditions: [trueCondition("SuccessCriteriaMet", at), trueCondition("Complete", at)] };
  let current = job;
  for (let attempt = 1; ; attempt++) {
    try {
      return await env.batch.replaceNamespacedJobStatus({ name, namespace: env.namespace, body: { ...current, status } });
    } catch (err) {
      if (apiErrorInfo(err).code !== 409 || attempt >= 5) throw err;
      current = await env.batch.readNamespacedJob({ name, namespace: env.namespace });
    }
  }
}
