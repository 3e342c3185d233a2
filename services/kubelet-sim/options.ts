/** The kubelet simulator's options: one schema gives the flags, the defaults and the validation. */
import { kubeOptions, processOptions } from "../../shared/config/common.js";
import { ConfigError, durationMsOption, integerOption, numberOption, stringOption, type ConfigOf } from "../../shared/config/options.js";

export const kubeletSimSchema = {
  ...kubeOptions,
  namespace: stringOption({ flag: "namespace", env: "KUBELET_SIM_NAMESPACE", description: "only run Pods of this namespace (empty = all namespaces)", default: "" }),
  labelSelector: stringOption({ flag: "label-selector", env: "KUBELET_SIM_LABEL_SELECTOR", description: "only run Pods matching this label selector", default: "" }),
  nodes: integerOption({ flag: "nodes", env: "KUBELET_SIM_NODES", description: "number of simulated nodes Pods are bound to (round-robin)", default: 3, min: 1, max: 100_000 }),
  nodeNamePrefix: stringOption({ flag: "node-name-prefix", env: "KUBELET_SIM_NODE_NAME_PREFIX", description: "simulated nodes are named <prefix><index>", default: "kubelet-sim-node-" }),
  startDelayMs: durationMsOption({ flag: "start-delay", env: "KUBELET_SIM_START_DELAY", description: "bound Pending Pod → Running after this long", default: 100, min: 0 }),
  durationMs: durationMsOption({ flag: "duration-ms", env: "KUBELET_SIM_DURATION_MS", description: "how long a Pod runs (annotation kubelet-sim.jobtally.io/duration-ms overrides)", default: 1000, min: 0 }),
  durationJitterMs: durationMsOption({ flag: "duration-jitter-ms", env: "KUBELET_SIM_DURATION_JITTER_MS", description: "plus a seeded random extra in [0, jitter)", default: 0, min: 0 }),
  failProbability: numberOption({ flag: "fail-probability", env: "KUBELET_SIM_FAIL_PROBABILITY", description: "chance a Pod exits 1 (annotations exit-code / fail-probability override)", default: 0, min: 0, max: 1 }),
  seed: integerOption({ flag: "seed", env: "KUBELET_SIM_SEED", description: "seed of the per-Pod random draws (outcome = f(seed, namespace/name))", default: 1 }),
  podGcDelayMs: integerOption({ flag: "pod-gc-delay-ms", env: "KUBELET_SIM_POD_GC_DELAY_MS", description: "delete terminated Pods this long after they finished (-1 = off, 0 = at once)", default: -1, min: -1 }),
  concurrency: integerOption({ flag: "concurrency", env: "KUBELET_SIM_CONCURRENCY", description: "API calls in flight at once", default: 64, min: 1, max: 10_000 }),
  ...processOptions,
};

export type KubeletSimOptions = ConfigOf<typeof kubeletSimSchema>;

/** Schema defaults, for in-process callers that pass only what they change. */
export function defaultKubeletSimOptions(): KubeletSimOptions {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(kubeletSimSchema)) out[key] = spec.default;
  return out as KubeletSimOptions;
}

/**
 * Merges `partial` over the defaults once and rejects invalid values with one message naming all
 * of them (the same rules the flags enforce: each value goes through its option's parser).
 */
export function resolveKubeletSimOptions(partial: Partial<KubeletSimOptions>): KubeletSimOptions {
  const merged = { ...defaultKubeletSimOptions(), ...partial } as Record<string, unknown>;
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(kubeletSimSchema)) {
    const value = merged[key];
    if (value === undefined) continue;
    try {
      merged[key] = spec.parse(String(value));
    } catch (err) {
      problems.push(`${key} (--${spec.flag}): ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return merged as KubeletSimOptions;
}
