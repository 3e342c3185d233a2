/** Process plumbing every service shares: shutdown signals, waiting for the Kubernetes API. */
import type { Logger } from "./observability/logger.js";
import type { KubeClients } from "./kube/client.js";
import { apiErrorInfo } from "./kube/errors.js";
import { backoffDelayMs, sleep } from "./backoff.js";

/**
 * SIGTERM / SIGINT abort the returned controller so the service drains in-flight work; a second
 * signal exits at once.
 */
export function shutdownOnSignals(logger: Logger): AbortController {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal: sig }, "second signal: exiting without draining");
      process.exit(1);
    }
    logger.info({ signal: sig }, "shutting down: draining in-flight work");
    controller.abort();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return controller;
}

/** Waits until the API server answers (any authenticated request), logging what it waits for. */
export async function waitForKubeApi(kube: KubeClients, logger: Logger, signal: AbortSignal): Promise<void> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      await kube.core.getAPIResources();
      if (attempt > 1) logger.info({ server: kube.server }, "Kubernetes API reachable");
      return;
    } catch (err) {
      const info = apiErrorInfo(err);
      logger.warn({ server: kube.server, attempt, code: info.code, err: info.message }, `waiting for Kubernetes API at ${kube.server}`);
      await sleep(backoffDelayMs(attempt, { baseMs: 250, maxMs: 5000 }), signal);
    }
  }
}
