/** Options every jobtally service shares (Kubernetes, NATS, partitions, logging, HTTP probes). */
import { DEFAULT_MANAGED_BY } from "../constants.js";
import { booleanOption, durationMsOption, integerOption, numberOption, stringOption } from "./options.js";

export const kubeOptions = {
  kubeconfig: stringOption({ flag: "kubeconfig", env: "KUBECONFIG", description: "kubeconfig file; empty means the in-cluster service account", default: "" }),
};

export const natsOptions = {
  natsUrl: stringOption({ flag: "nats-url", env: "NATS_URL", description: "NATS server URL(s), comma-separated", default: "nats://127.0.0.1:4222" }),
  streamReplicas: integerOption({ flag: "stream-replicas", env: "JOBTALLY_STREAM_REPLICAS", description: "replicas of the JetStream streams jobtally creates (3 on a NATS cluster)", default: 1, min: 1, max: 5 }),
  natsUser: stringOption({ flag: "nats-user", env: "NATS_USER", description: "NATS user name (with --nats-password)", default: "" }),
  natsPassword: stringOption({ flag: "nats-password", env: "NATS_PASSWORD", description: "NATS password (prefer the environment variable, from a Secret)", default: "" }),
  natsToken: stringOption({ flag: "nats-token", env: "NATS_TOKEN", description: "NATS authentication token (instead of a user)", default: "" }),
  natsCreds: stringOption({ flag: "nats-creds", env: "NATS_CREDS", description: "file with NATS credentials: a .creds file (user JWT and seed) or an nkey user seed", default: "" }),
  natsTlsCa: stringOption({ flag: "nats-tls-ca", env: "NATS_TLS_CA", description: "PEM file of the CA that signed the NATS server certificate (turns TLS on)", default: "" }),
  natsTlsCert: stringOption({ flag: "nats-tls-cert", env: "NATS_TLS_CERT", description: "PEM client certificate for NATS (with --nats-tls-key; turns TLS on)", default: "" }),
  natsTlsKey: stringOption({ flag: "nats-tls-key", env: "NATS_TLS_KEY", description: "PEM private key of --nats-tls-cert", default: "" }),
  ...streamLimitOptionsSpec(),
};

/**
 * Limits of the JetStream streams (shared/nats/streams.ts says what happens at each). Every service
 * ensures the streams, so give every process the same values. A stream past
 * `--stream-warn-ratio` of a limit logs a warning (at most every 5 minutes) and shows in
 * `jobtally_stream_usage_ratio`.
 */
function streamLimitOptionsSpec() {
  return {
    viewMaxRecords: integerOption({
      flag: "view-max-records",
      env: "JOBTALLY_VIEW_MAX_RECORDS",
      description: "records the view stream may hold: live Pods and Jobs plus the tombstones of the running Jobs' Pods (kept until the Job is finished), 1 KiB each, plus one sync marker per partition; when full, new Pods wait (the watcher retries), nothing is dropped",
      default: 2_000_000,
      min: 1,
    }),
    intentMaxMsgs: integerOption({ flag: "intent-max-msgs", env: "JOBTALLY_INTENT_MAX_MSGS", description: "intents the work queue may hold; when full, publishers wait and retry, no queued intent is dropped", default: 1_000_000, min: 1 }),
    intentMaxBytes: integerOption({ flag: "intent-max-bytes", env: "JOBTALLY_INTENT_MAX_BYTES", description: "bytes the work queue may hold (same behaviour as --intent-max-msgs)", default: 2 * 1024 ** 3, min: 1024 }),
    dlqMaxMsgs: integerOption({ flag: "dlq-max-msgs", env: "JOBTALLY_DLQ_MAX_MSGS", description: "dead letters kept (the oldest go first; they also expire after 14 days)", default: 100_000, min: 1 }),
    dlqMaxBytes: integerOption({ flag: "dlq-max-bytes", env: "JOBTALLY_DLQ_MAX_BYTES", description: "bytes of dead letters kept (the oldest go first)", default: 256 * 1024 ** 2, min: 1024 }),
    streamWarnRatio: numberOption({ flag: "stream-warn-ratio", env: "JOBTALLY_STREAM_WARN_RATIO", description: "warn when a stream holds more than this fraction of one of its limits", default: 0.8, min: 0.01, max: 1 }),
    streamCheckIntervalMs: durationMsOption({ flag: "stream-check-interval", env: "JOBTALLY_STREAM_CHECK_INTERVAL", description: "how often each service reads the streams' usage", default: 30_000, min: 100 }),
  };
}

export const managementOptions = {
  managedBy: stringOption({ flag: "managed-by", env: "JOBTALLY_MANAGED_BY", description: "manage the Jobs whose spec.managedBy equals this", default: DEFAULT_MANAGED_BY }),
  manageAllJobs: booleanOption({ flag: "manage-all-jobs", env: "JOBTALLY_MANAGE_ALL_JOBS", description: "manage every Job (only where the built-in Job controller is off)", default: false }),
  partitions: integerOption({ flag: "partitions", env: "JOBTALLY_PARTITIONS", description: "number of partitions Jobs are hashed into (same value for every service)", default: 32, min: 1, max: 1024 }),
};

export const processOptions = {
  logLevel: stringOption({ flag: "log-level", env: "LOG_LEVEL", description: "pino log level", default: "info", oneOf: ["trace", "debug", "info", "warn", "error", "fatal", "silent"] }),
  httpPort: integerOption({ flag: "http-port", env: "JOBTALLY_HTTP_PORT", description: "port of /metrics, /healthz and /readyz (0 = pick a free one, -1 = off)", default: 0, min: -1, max: 65535 }),
};

/** Liveness of the pipeline services. */
export const healthOptions = {
  maxEventLoopLagMs: durationMsOption({
    flag: "max-event-loop-lag",
    env: "JOBTALLY_MAX_EVENT_LOOP_LAG",
    description: "/healthz fails for 30 s after the event loop stalled longer than this (a wedged process gets restarted)",
    default: 10_000,
    min: 100,
  }),
};

/** One API budget for every counter and finalizer-remover of an installation (shared over NATS). */
export const sharedBudgetOptions = {
  sharedQps: numberOption({
    flag: "shared-qps",
    env: "JOBTALLY_SHARED_QPS",
    description: "API requests per second shared by every counter and finalizer-remover of the budget group, re-balanced by demand over NATS (0 = off: this process uses its own budget)",
    default: 0,
    min: 0,
  }),
  sharedBurst: integerOption({ flag: "shared-burst", env: "JOBTALLY_SHARED_BURST", description: "burst of the shared budget (0 = 2 x shared-qps)", default: 0, min: 0 }),
  budgetGroup: stringOption({ flag: "budget-group", env: "JOBTALLY_BUDGET_GROUP", description: "name of the shared budget's group (one per installation)", default: "default", pattern: /^[A-Za-z0-9_-]+$/ }),
};
