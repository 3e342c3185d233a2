/** `jobtally demo` options. */
import { booleanOption, durationMsOption, integerOption, numberOption, stringOption } from "../../shared/config/options.js";

export const demoOptionSchema = {
  kubeconfig: stringOption({ flag: "kubeconfig", env: "KUBECONFIG", description: "run against this cluster instead of the embedded simulator", default: "" }),
  pods: integerOption({ flag: "pods", env: "DEMO_PODS", description: "Pods in all, split across the Jobs", default: 20_000, min: 1, max: 1_000_000 }),
  jobs: integerOption({ flag: "jobs", env: "DEMO_JOBS", description: "number of Jobs (every other one Indexed)", default: 4, min: 1, max: 1000 }),
  parallelism: integerOption({ flag: "parallelism", env: "DEMO_PARALLELISM", description: "parallelism of each Job", default: 500, min: 1, max: 100_000 }),
  failProbability: numberOption({ flag: "fail-probability", env: "DEMO_FAIL_PROBABILITY", description: "chance that a Pod fails", default: 0.05, min: 0, max: 1 }),
  podDurationMs: integerOption({ flag: "pod-duration-ms", env: "DEMO_POD_DURATION_MS", description: "how long a simulated Pod runs", default: 200, min: 0 }),
  qps: numberOption({ flag: "qps", env: "DEMO_QPS", description: "API budget of each finalizer-remover (0 = unlimited)", default: 0, min: 0 }),
  counters: integerOption({ flag: "counters", env: "DEMO_COUNTERS", description: "counter processes (identical replicas sharing the partitions through leases)", default: 2, min: 1, max: 64 }),
  removers: integerOption({ flag: "removers", env: "DEMO_REMOVERS", description: "finalizer-remover processes", default: 2, min: 1, max: 64 }),
  partitions: integerOption({ flag: "partitions", env: "JOBTALLY_PARTITIONS", description: "partitions", default: 8, min: 1, max: 1024 }),
  timeoutMs: durationMsOption({ flag: "timeout", env: "DEMO_TIMEOUT", description: "give up after this long", default: 15 * 60_000, min: 1000 }),
  progress: booleanOption({ flag: "progress", env: "DEMO_PROGRESS", description: "draw live progress bars (off when stderr is not a terminal unless set)", default: false }),
  keepLogs: booleanOption({ flag: "keep-logs", env: "DEMO_KEEP_LOGS", description: "keep the log directory even when everything matched", default: false }),
};
