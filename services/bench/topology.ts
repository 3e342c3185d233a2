/**
 * Which jobtally processes a scenario runs, with which flags: pure. The runner adds the flags every
 * process shares (kubeconfig, NATS URL) and a distinct `--http-port` each.
 */
import type { Scenario } from "./scenarios.js";

export type ServiceKind = "watcher" | "counter" | "finalizer-remover";

export interface ServiceProcess {
  /** Unique within a run: the service's name, with `-<i>` when it has several replicas. */
  name: string;
  service: ServiceKind;
  /** `jobtally <args>`, without the shared flags and the port. */
  args: string[];
}

/** "counter" for a single replica, "counter-1", "counter-2"... for several. */
export function replicaName(service: ServiceKind, index: number, replicas: number): string {
  return replicas === 1 ? service : `${service}-${index + 1}`;
}

/**
 * One client budget for every counter and remover, shared over NATS (`--shared-qps`), or each
 * process unlimited with its own flag when the scenario has no budget.
 */
export function budgetArgs(sc: Pick<Scenario, "qps" | "burst">, ownFlag: "--qps" | "--api-qps"): string[] {
  return sc.qps === 0 ? [ownFlag, "0"] : ["--shared-qps", String(sc.qps), "--shared-burst", String(sc.burst)];
}

type PlanInput = Pick<Scenario, "qps" | "burst" | "replicas" | "partitions" | "removerConcurrency">;

/** The removers first, then the counters, then the watcher (the order they are started in). */
export function servicePlan(sc: PlanInput, namespace: string): ServiceProcess[] {
  const partitioned = ["--partitions", String(sc.partitions)];
  const out: ServiceProcess[] = [];
  for (let i = 0; i < sc.replicas; i++) {
    const name = replicaName("finalizer-remover", i, sc.replicas);
    out.push({ name, service: "finalizer-remover", args: ["finalizer-remover", ...partitioned, ...budgetArgs(sc, "--qps"), "--concurrency", String(sc.removerConcurrency)] });
  }
  for (let i = 0; i < sc.replicas; i++) {
    const name = replicaName("counter", i, sc.replicas);
    out.push({ name, service: "counter", args: ["counter", ...partitioned, "--replica-id", name, ...budgetArgs(sc, "--api-qps"), "--events", "all"] });
  }
  out.push({ name: "watcher", service: "watcher", args: ["watcher", ...partitioned, "--namespace", namespace] });
  return out;
}
