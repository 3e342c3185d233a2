/**
 * meta.k8s.io/v1 Table output, as kubectl asks for it (`Accept: application/json;as=Table;...`):
 * the server-side printers of pods and jobs, a generic NAME/AGE for the rest.
 */
import type { KubeObject } from "./object.js";
import type { ResourceInfo } from "./resources.js";

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const col = (name: string, type: string, description: string, priority = 0, format = ""): Column => ({ name, type, format, description, priority });

const NAME = col("Name", "string", "Name must be unique within a namespace.", 0, "name");
const AGE = col("Age", "string", "CreationTimestamp is a timestamp representing the server time when this object was created.");

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 730) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

function age(o: KubeObject, nowMs: number): string {
  const c = o.metadata.creationTimestamp;
  return c ? humanDuration(nowMs - Date.parse(c)) : "<unknown>";
}

interface Printer {
  columns: Column[];
  cells(o: KubeObject, nowMs: number): unknown[];
}

interface ContainerStatus {
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string; signal?: number; exitCode?: number } };
}

const podPrinter: Printer = {
  columns: [
    NAME,
    col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    col("Status", "string", "The aggregate status of the containers in this pod."),
    col("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
    AGE,
    col("IP", "string", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
    col("Node", "string", "NodeName is a request to schedule this pod onto a specific node.", 1),
  ],
  cells(o, now) {
    const spec = (o.spec ?? {}) as { containers?: unknown[]; nodeName?: string };
    const status = (o.status ?? {}) as { phase?: string; reason?: string; containerStatuses?: ContainerStatus[]; podIP?: string };
    const total = spec.containers?.length ?? 0;
    const statuses = status.containerStatuses ?? [];
    let reason = status.reason ?? status.phase ?? "Unknown";
    let restarts = 0;
    let ready = 0;
    for (const cs of statuses) {
      restarts += cs.restartCount ?? 0;
      if (cs.ready) ready++;
      if (cs.state?.waiting?.reason) reason = cs.state.waiting.reason;
      else if (cs.state?.terminated?.reason && status.phase !== "Succeeded" && status.phase !== "Failed") reason = cs.state.terminated.reason;
    }
    if (o.metadata.deletionTimestamp) reason = status.reason === "NodeLost" ? "Unknown" : "Terminating";
    return [o.metadata.name, `${ready}/${total}`, reason, restarts, age(o, now), status.podIP ?? "<none>", spec.nodeName ?? "<none>"];
  },
};

function hasTrue(o: KubeObject, type: string): boolean {
  const conds = (o.status?.conditions as { type?: string; status?: string }[] | undefined) ?? [];
  return conds.some((c) => c.type === type && c.status === "True");
}

const jobPrinter: Printer = {
  columns: [
    NAME,
    col("Status", "string", "Status of the job."),
    col("Completions", "string", "The desired number of successfully finished pods the job should be run with."),
    col("Duration", "string", "Time required to complete the job."),
    AGE,
    col("Containers", "string", "Names of each container in the template.", 1),
    col("Images", "string", "Images referenced by each container in the template.", 1),
    col("Selector", "string", "Query over pods that should match the pod count.", 1),
  ],
  cells(o, now) {
    const spec = (o.spec ?? {}) as { completions?: number; parallelism?: number; suspend?: boolean; template?: { spec?: { containers?: { name?: string; image?: string }[] } }; selector?: { matchLabels?: Record<string, string> } };
    const status = (o.status ?? {}) as { succeeded?: number; startTime?: string; completionTime?: string };
    const succeeded = status.succeeded ?? 0;
    const completions = spec.completions !== undefined ? `${succeeded}/${spec.completions}` : `${succeeded}/1 of ${spec.parallelism ?? 1}`;
    let state = "Running";
    if (hasTrue(o, "Complete")) state = "Complete";
    else if (hasTrue(o, "Failed")) state = "Failed";
    else if (o.metadata.deletionTimestamp) state = "Terminating";
    else if (hasTrue(o, "FailureTarget")) state = "FailureTarget";
    else if (hasTrue(o, "SuccessCriteriaMet")) state = "SuccessCriteriaMet";
    else if (spec.suspend) state = "Suspended";
    let duration = "";
    if (status.startTime) duration = humanDuration((status.completionTime ? Date.parse(status.completionTime) : now) - Date.parse(status.startTime));
    const containers = spec.template?.spec?.containers ?? [];
    const selector = Object.entries(spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(",");
    return [o.metadata.name, state, completions, duration, age(o, now), containers.map((c) => c.name).join(","), containers.map((c) => c.image).join(","), selector];
  },
};

const namespacePrinter: Printer = {
  columns: [NAME, col("Status", "string", "The status of the namespace"), AGE],
  cells: (o, now) => [o.metadata.name, (o.status as { phase?: string } | undefined)?.phase ?? "", age(o, now)],
};

const genericPrinter: Printer = { columns: [NAME, AGE], cells: (o, now) => [o.metadata.name, age(o, now)] };

function printerFor(r: ResourceInfo): Printer {
  if (r.plural === "pods") return podPrinter;
  if (r.plural === "jobs") return jobPrinter;
  if (r.plural === "namespaces") return namespacePrinter;
  return genericPrinter;
}

export type IncludeObject = "None" | "Metadata" | "Object";

function rowObject(o: KubeObject, include: IncludeObject): unknown {
  if (include === "None") return undefined;
  if (include === "Object") return o;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata };
}

export function toTable(r: ResourceInfo, objects: KubeObject[], listMeta: Record<string, unknown>, include: IncludeObject, nowMs: number): unknown {
  const p = printerFor(r);
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: listMeta,
    columnDefinitions: p.columns,
    rows: objects.map((o) => ({ cells: p.cells(o, nowMs), object: rowObject(o, include) })),
  };
}

/** `Accept` asks for a Table (kubectl get). */
export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}
