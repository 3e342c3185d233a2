/** `jobtally chaos` options: one schema gives the flags, the defaults and the validation. */
import { booleanOption, integerOption, stringOption, type ConfigOf } from "../../shared/config/options.js";
import { MAX_SEED } from "./seeds.js";

export const chaosOptionSchema = {
  runs: integerOption({ flag: "runs", env: "CHAOS_RUNS", description: "runs in the campaign", default: 20, min: 1, max: 1_000_000 }),
  seed: integerOption({ flag: "seed", env: "CHAOS_SEED", description: "campaign seed (run 0 uses it as is, run i a seed derived from it); -1 = draw one and print it", default: -1, min: -1, max: MAX_SEED }),
  maxPods: integerOption({ flag: "max-pods", env: "CHAOS_MAX_PODS", description: "largest Job, in completions (Jobs are 1 to this many Pods, log-uniform; a run has at most twice this in all)", default: 5000, min: 1, max: 100_000 }),
  faultsPerRun: integerOption({ flag: "faults-per-run", env: "CHAOS_FAULTS_PER_RUN", description: "timed faults per run, on average (longer runs get more); 0 = none", default: 5, min: 0, max: 100 }),
  nats: stringOption({ flag: "nats", env: "CHAOS_NATS", description: "NATS topology per run: auto (a three-node cluster in about one run of four), single or cluster", default: "auto", oneOf: ["auto", "single", "cluster"] }),
  parallel: integerOption({ flag: "parallel", env: "CHAOS_PARALLEL", description: "runs carried out at the same time, each with its own processes (a run waits mostly on timers)", default: 1, min: 1, max: 16 }),
  keepLogs: booleanOption({ flag: "keep-logs", env: "CHAOS_KEEP_LOGS", description: "keep every run's process logs (those of runs with violations are always kept)", default: false }),
  failFast: booleanOption({ flag: "fail-fast", env: "CHAOS_FAIL_FAST", description: "stop at the first run with a violation", default: false }),
};

export type ChaosOptions = ConfigOf<typeof chaosOptionSchema>;
