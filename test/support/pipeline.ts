/**
 * The whole system for end-to-end tests: a real nats-server (or a three-node cluster with R3
 * streams, `natsCluster: true`), the Kubernetes API (the simulator, or
 * the cluster of $KUBECONFIG), the kubelet simulator, and jobtally's three services as separate
 * processes started through the `jobtally` executable, exactly as a user runs them. Services can
 * be killed (-9) and restarted at any time; the test then checks counts against the kubelet's own
 * record.
 */
import type { V1Job, V1JobSpec, V1Pod, V1PodFailurePolicy } from "@kubernetes/client-node";
import { acquireKubeEnv, type KubeEnv } from "./kube-env.js";
import { startNatsServer, type StartNatsServerOptions } from "./nats-server.js";
import { startNatsCluster, type NatsClusterHandle } from "./nats-cluster.js";
import { spawnJobtally, waitFor, type ChildHandle } from "./processes.js";
import { freeLoopbackPort } from "../../shared/process/child.js";
import { DEFAULT_MANAGED_BY, JOB_TRACKING_FINALIZER } from "../../shared/constants.js";
import type { KubeletRecord } from "../../services/kubelet-sim/record.js";

/** Lease timing of the counters in end-to-end tests: a dead counter's partitions move in ~3 s. */
export const TEST_LEASE_FLAGS = ["--lease-duration", "3s", "--lease-renew-deadline", "2s", "--lease-retry-period", "500ms"];

export type ServiceName = "watcher" | "counter" | "finalizer-remover" | "kubelet-sim";

export interface PipelineOptions {
  partitions?: number;
  /** Extra flags per service. */
  flags?: Partial<Record<ServiceName, string[]>>;
  /** kubelet-sim defaults. */
  failProbability?: number;
  durationMs?: number;
  podGcDelayMs?: number;
  seed?: number;
  /**
   * Run on a three-node nats-server cluster instead of a single server: the services get every
   * node's URL and `--stream-replicas 3`.
   */
  natsCluster?: boolean;
  /** Options of the single nats-server (auth, TLS: `config` and `scheme`). */
  natsServer?: StartNatsServerOptions;
  /** Extra environment per service (credentials, TLS files), beside LOG_LEVEL. */
  env?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Keep every line each service logs, not only the tail (`ChildHandle.allLogs()`). */
  keepAllLogs?: boolean;
}

/** What every test may do to NATS, whether one server or a cluster (for a cluster: every node). */
export interface NatsHandle {
  /** Kills it (SIGKILL by default) and waits for the exit; the stored data stays. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports and store. */
  restart(): Promise<void>;
  /** Kills it and removes its store. */
  stop(): Promise<void>;
}

export interface JobSpecInput {
  name: string;
  completions?: number | null;
  parallelism?: number;
  indexed?: boolean;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  suspend?: boolean;
  /** Pod annotations (kubelet-sim steering: duration-ms, exit-code, fail-probability, failure-condition, restarts). */
  podAnnotations?: Record<string, string>;
  managedBy?: string | null;
  /** `spec.podFailurePolicy` (the Pod template's one container is named "work"). */
  podFailurePolicy?: V1PodFailurePolicy;
  /** `spec.template.spec.restartPolicy`. @default "Never" */
  restartPolicy?: "Never" | "OnFailure";
  /** Labels of the Pod template (with `extraSpec.manualSelector`, what `extraSpec.selector` selects). */
  podLabels?: Record<string, string>;
  /** Further `spec` fields (backoffLimitPerIndex, successPolicy, podReplacementPolicy, ...), merged last. */
  extraSpec?: Partial<V1JobSpec>;
}

export interface Pipeline<Nats extends NatsHandle = NatsHandle> {
  env: KubeEnv;
  nats: Nats;
  namespace: string;
  services: Record<ServiceName, ChildHandle>;
  /** NATS URL(s) the services use, comma-separated. */
  natsUrls: string;
  start(name: ServiceName): void;
  /**
   * One more process of `name` beside those already running (a scaled-out Deployment), with the
   * same flags plus `extraFlags`; stopped with the pipeline, its output kept for failure messages.
   */
  replica(name: ServiceName, replicaName: string, extraFlags?: string[], env?: Record<string, string>): ChildHandle;
  /** kill -9 then start again. */
  restart(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  createJob(spec: JobSpecInput): Promise<V1Job>;
  readJob(name: string): Promise<V1Job>;
  waitForJobFinished(name: string, timeoutMs: number): Promise<V1Job>;
  kubeletRecord(): Promise<KubeletRecord>;
  podsWithFinalizer(): Promise<V1Pod[]>;
  logs(): string;
  stop(): Promise<void>;
}

export function isFinished(job: V1Job): "Complete" | "Failed" | null {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === "Complete" || c.type === "Failed") && c.status === "True") return c.type;
  }
  return null;
}

async function startNats(cluster: boolean, server: StartNatsServerOptions = {}): Promise<{ handle: NatsHandle; urls: string; replicas: number }> {
  if (cluster) {
    const handle = await startNatsCluster({ size: 3 });
    return { handle, urls: handle.urls, replicas: 3 };
  }
  const handle = await startNatsServer(server);
  return { handle, urls: handle.url, replicas: 1 };
}

export function startPipeline(opts: PipelineOptions & { natsCluster: true }): Promise<Pipeline<NatsClusterHandle>>;
export function startPipeline(opts?: PipelineOptions): Promise<Pipeline>;
export async function startPipeline(opts: PipelineOptions = {}): Promise<Pipeline> {
  const { handle: nats, urls: natsUrls, replicas } = await startNats(opts.natsCluster ?? false, opts.natsServer);
  let env: KubeEnv;
  try {
    env = await acquireKubeEnv({ namespacePrefix: "jt-e2e" });
  } catch (err) {
    await nats.stop();
    throw err;
  }
  const ns = env.namespace;
  const partitions = String(opts.partitions ?? 4);
  const kubeletPort = await freeLoopbackPort();
  const common = ["--kubeconfig", env.kubeconfigPath, "--nats-url", natsUrls, "--stream-replicas", String(replicas), "--http-port", "-1"];
  const partitioned = [...common, "--partitions", partitions];
  const args: Record<ServiceName, string[]> = {
    watcher: ["watcher", ...partitioned, "--namespace", ns, "--sync-marker-interval", "1s", ...(opts.flags?.watcher ?? [])],
    // Short leases, so that a killed counter's partitions move within seconds (defaults: 15 s, 10 s, 2 s).
    counter: ["counter", ...partitioned, "--api-qps", "0", "--pod-failure-backoff", "1s", "--pod-failure-backoff-max", "5s", ...TEST_LEASE_FLAGS, ...(opts.flags?.counter ?? [])],
    "finalizer-remover": ["finalizer-remover", ...partitioned, "--qps", "0", ...(opts.flags?.["finalizer-remover"] ?? [])],
    "kubelet-sim": [
      "kubelet-sim",
      "--kubeconfig",
      env.kubeconfigPath,
      "--namespace",
      ns,
      "--http-port",
      String(kubeletPort),
      "--duration-ms",
      String(opts.durationMs ?? 200),
      "--duration-jitter-ms",
      "200",
      "--start-delay",
      "50",
      "--fail-probability",
      String(opts.failProbability ?? 0),
      "--seed",
      String(opts.seed ?? 7),
      "--pod-gc-delay-ms",
      String(opts.podGcDelayMs ?? 0),
      ...(opts.flags?.["kubelet-sim"] ?? []),
    ],
  };
  const services = {} as Record<ServiceName, ChildHandle>;
  const retired: ChildHandle[] = [];
  const start = (name: ServiceName): void => {
    if (services[name]) retired.push(services[name]);
    services[name] = spawnJobtally(args[name], { name, keepAllLogs: opts.keepAllLogs, env: { LOG_LEVEL: process.env.JOBTALLY_TEST_LOG_LEVEL ?? "info", ...opts.env?.[name] } });
  };
  for (const name of ["kubelet-sim", "finalizer-remover", "counter", "watcher"] as ServiceName[]) start(name);

  const extras: ChildHandle[] = [];
  const pipeline: Pipeline = {
    env,
    nats,
    namespace: ns,
    natsUrls,
    services,
    start,
    replica(name, replicaName, extraFlags = [], extraEnv = {}) {
      const h = spawnJobtally([...args[name], ...extraFlags], { name: replicaName, keepAllLogs: opts.keepAllLogs, env: { LOG_LEVEL: process.env.JOBTALLY_TEST_LOG_LEVEL ?? "info", ...opts.env?.[name], ...extraEnv } });
      extras.push(h);
      return h;
    },
    async restart(name, signal = "SIGKILL") {
      await services[name].kill(signal);
      start(name);
    },
    async createJob(spec) {
      const completions = spec.completions === undefined ? 1 : spec.completions;
      const job: V1Job = {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: spec.name, namespace: ns },
        spec: {
          ...(completions === null ? {} : { completions }),
          parallelism: spec.parallelism ?? 1,
          completionMode: spec.indexed ? "Indexed" : "NonIndexed",
          backoffLimit: spec.backoffLimit ?? 6,
          activeDeadlineSeconds: spec.activeDeadlineSeconds,
          suspend: spec.suspend ?? false,
          ...(spec.managedBy === null ? {} : { managedBy: spec.managedBy ?? DEFAULT_MANAGED_BY }),
          ...(spec.podFailurePolicy ? { podFailurePolicy: spec.podFailurePolicy } : {}),
          ...spec.extraSpec,
          template: {
            metadata: { annotations: spec.podAnnotations, ...(spec.podLabels ? { labels: spec.podLabels } : {}) },
            spec: { restartPolicy: spec.restartPolicy ?? "Never", containers: [{ name: "work", image: "busybox:1.36", command: ["sh", "-c", "true"] }] },
          },
        },
      };
      // The API may be injecting faults: retry 5xx/429; an AlreadyExists after a retry is ours.
      for (let attempt = 1; ; attempt++) {
        try {
          return await env.batch.createNamespacedJob({ namespace: ns, body: job });
        } catch (err) {
          const code = (err as { code?: number }).code ?? 0;
          if (code === 409 && attempt > 1) return env.batch.readNamespacedJob({ name: spec.name, namespace: ns });
          if (attempt >= 20 || !(code === 429 || code >= 500)) throw err;
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
    },
    readJob: (name) => env.batch.readNamespacedJob({ name, namespace: ns }),
    async waitForJobFinished(name, timeoutMs) {
      return waitFor(
        async () => {
          const job = await env.batch.readNamespacedJob({ name, namespace: ns });
          return isFinished(job) ? job : undefined;
        },
        { timeoutMs, intervalMs: 250, what: `Job ${ns}/${name} to finish` },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n--- service logs ---\n${pipeline.logs()}`);
      });
    },
    async kubeletRecord() {
      const res = await fetch(`http://127.0.0.1:${kubeletPort}/record`);
      if (!res.ok) throw new Error(`kubelet-sim /record answered ${res.status}`);
      return (await res.json()) as KubeletRecord;
    },
    async podsWithFinalizer() {
      const list = await env.core.listNamespacedPod({ namespace: ns });
      return list.items.filter((p) => (p.metadata?.finalizers ?? []).includes(JOB_TRACKING_FINALIZER));
    },
    logs() {
      const tail = (h: ChildHandle): string => `=== ${h.name} (pid ${h.proc.pid}) ===\n${h.logs().split("\n").slice(-40).join("\n")}`;
      return [...retired, ...Object.values(services), ...extras].map(tail).join("\n");
    },
    async stop() {
      await Promise.all([...Object.values(services), ...extras].map((h) => h.kill("SIGTERM")));
      await env.release();
      await nats.stop();
    },
  };
  return pipeline;
}
