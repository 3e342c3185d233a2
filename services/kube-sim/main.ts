/** `jobtally sim`: runs the Kubernetes API simulator until SIGTERM/SIGINT. */
import { durationMsOption, integerOption, loadOptions, numberOption, renderOptionsHelp, stringOption } from "../../shared/config/options.js";
import { processOptions } from "../../shared/config/common.js";
import { createLogger } from "../../shared/observability/logger.js";
import type { ErrorRule, FaultSettings } from "./faults.js";
import { startApiSimulator } from "./index.js";
import { writeFile } from "node:fs/promises";
import { renderKubeconfig } from "./kubeconfig.js";

export const simOptions = {
  port: integerOption({ flag: "port", env: "KUBE_SIM_PORT", description: "port to listen on (0 = pick a free one)", default: 0, min: 0, max: 65535 }),
  host: stringOption({ flag: "host", env: "KUBE_SIM_HOST", description: "address to listen on", default: "127.0.0.1" }),
  kubeconfigOut: stringOption({ flag: "kubeconfig-out", env: "KUBE_SIM_KUBECONFIG_OUT", description: "write a kubeconfig for the simulator to this file once listening", default: "" }),
  historyWindow: integerOption({ flag: "history-window", env: "KUBE_SIM_HISTORY_WINDOW", description: "change events kept for watch resume (older resourceVersions get 410)", default: 100_000, min: 1 }),
  bookmarkInterval: durationMsOption({ flag: "bookmark-interval", env: "KUBE_SIM_BOOKMARK_INTERVAL", description: "interval of BOOKMARK events on watches that allow them", default: 5000, min: 1 }),
  rvWait: durationMsOption({ flag: "rv-wait", env: "KUBE_SIM_RV_WAIT", description: "how long a request for a future resourceVersion waits before 504", default: 3000, min: 0 }),
  seed: integerOption({ flag: "seed", env: "KUBE_SIM_SEED", description: "seed of the fault injection randomness", default: 1, min: 0 }),
  latency: durationMsOption({ flag: "latency", env: "KUBE_SIM_LATENCY", description: "fixed latency added to every API request", default: 0, min: 0 }),
  jitter: durationMsOption({ flag: "jitter", env: "KUBE_SIM_JITTER", description: "uniform random extra latency per API request (0..jitter)", default: 0, min: 0 }),
  errorRate500: numberOption({ flag: "error-rate-500", env: "KUBE_SIM_ERROR_RATE_500", description: "probability of a 500 InternalError", default: 0, min: 0, max: 1 }),
  errorRate503: numberOption({ flag: "error-rate-503", env: "KUBE_SIM_ERROR_RATE_503", description: "probability of a 503 ServiceUnavailable", default: 0, min: 0, max: 1 }),
  errorRate429: numberOption({ flag: "error-rate-429", env: "KUBE_SIM_ERROR_RATE_429", description: "probability of a 429 TooManyRequests (Retry-After: 1)", default: 0, min: 0, max: 1 }),
  conflictRate: numberOption({ flag: "conflict-rate", env: "KUBE_SIM_CONFLICT_RATE", description: "probability of a 409 Conflict on writes", default: 0, min: 0, max: 1 }),
  faultVerbs: stringOption({ flag: "fault-verbs", env: "KUBE_SIM_FAULT_VERBS", description: "comma-separated verbs the error rates apply to (empty = all)", default: "" }),
  faultResources: stringOption({ flag: "fault-resources", env: "KUBE_SIM_FAULT_RESOURCES", description: "comma-separated resources the error rates apply to, e.g. pods,jobs/status (empty = all)", default: "" }),
  qps: numberOption({ flag: "qps", env: "KUBE_SIM_QPS", description: "server-side request limit, answered with 429 + Retry-After (0 = none)", default: 0, min: 0 }),
  burst: integerOption({ flag: "burst", env: "KUBE_SIM_BURST", description: "burst of the QPS limit (0 = qps)", default: 0, min: 0 }),
  watchCutSeconds: integerOption({ flag: "watch-cut-seconds", env: "KUBE_SIM_WATCH_CUT_SECONDS", description: "close every watch after this many seconds (0 = never)", default: 0, min: 0 }),
  compactEverySeconds: integerOption({ flag: "compact-every-seconds", env: "KUBE_SIM_COMPACT_EVERY_SECONDS", description: "drop the event history this often (0 = never)", default: 0, min: 0 }),
  kubeconfigServer: stringOption({
    flag: "kubeconfig-server",
    env: "KUBE_SIM_KUBECONFIG_SERVER",
    description: "server URL written into the kubeconfig (default: the listening URL; e.g. http://sim:6443 inside docker-compose)",
    default: "",
  }),
  logLevel: processOptions.logLevel,
};

function list(s: string): string[] {
  return s.split(",").map((x) => x.trim()).filter((x) => x !== "");
}

export function faultsFromFlags(c: ReturnType<typeof loadOptions<typeof simOptions>>): Partial<FaultSettings> {
  const scope = { verbs: list(c.faultVerbs), resources: list(c.faultResources) };
  const errors: ErrorRule[] = [];
  if (c.errorRate500 > 0) errors.push({ code: 500, probability: c.errorRate500, ...scope });
  if (c.errorRate503 > 0) errors.push({ code: 503, probability: c.errorRate503, ...scope });
  if (c.errorRate429 > 0) errors.push({ code: 429, probability: c.errorRate429, retryAfterSeconds: 1, ...scope });
  if (c.conflictRate > 0) errors.push({ code: 409, probability: c.conflictRate, ...scope });
  return { latencyMs: c.latency, jitterMs: c.jitter, errors, qps: c.qps, burst: c.burst, watchCutSeconds: c.watchCutSeconds, compactEverySeconds: c.compactEverySeconds };
}

export async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(`usage: jobtally sim [--flags]\n\n${renderOptionsHelp(simOptions)}`);
    return;
  }
  const c = loadOptions(simOptions, argv);
  const logger = createLogger("kube-sim", c.logLevel);
  // Handlers first, so a SIGTERM during start-up still ends in a clean exit 0.
  let signalled: (signal: string) => void = () => {};
  const stopRequested = new Promise<string>((resolve) => (signalled = resolve));
  const onSignal = (signal: string): void => signalled(signal);
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  const sim = await startApiSimulator({
    port: c.port,
    host: c.host,
    historyWindow: c.historyWindow,
    bookmarkIntervalMs: c.bookmarkInterval,
    resourceVersionWaitMs: c.rvWait,
    seed: c.seed,
    faults: faultsFromFlags(c) as FaultSettings,
    logger,
  });
  if (c.kubeconfigOut) {
    if (c.kubeconfigServer) await writeFile(c.kubeconfigOut, renderKubeconfig(c.kubeconfigServer));
    else await sim.writeKubeconfig(c.kubeconfigOut);
  }
  logger.info({ url: sim.url, port: sim.port, kubeconfig: c.kubeconfigOut || undefined }, "kube-sim listening");
  const signal = await stopRequested;
  logger.info({ signal }, "kube-sim stopping");
  await sim.close();
  process.exitCode = 0;
}
