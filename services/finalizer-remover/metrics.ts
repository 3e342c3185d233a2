/** The finalizer-remover's Prometheus metrics (one registry per running instance). */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export function createRemoverMetrics(registry: Registry, queueDepth: () => number) {
  return {
    intents: new Counter({ name: "jobtally_intents_total", help: "Intents carried out, by kind and outcome", labelNames: ["kind", "outcome"], registers: [registry] }),
    apiRequests: new Counter({ name: "jobtally_api_requests_total", help: "Kubernetes API requests, by verb, resource and code", labelNames: ["verb", "resource", "code"], registers: [registry] }),
    apiDuration: new Histogram({
      name: "jobtally_api_request_duration_seconds",
      help: "Kubernetes API request latency, by verb and resource",
      labelNames: ["verb", "resource"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "jobtally_work_queue_depth",
      help: "API calls waiting for the budget plus those in flight",
      registers: [registry],
      collect() {
        this.set(queueDepth());
      },
    }),
    deadLetters: new Counter({ name: "jobtally_dead_letters_total", help: "Records sent to the dead-letter stream", labelNames: ["source"], registers: [registry] }),
    rejected: new Counter({
      name: "jobtally_intent_rejections_total",
      help: "Non-retryable API answers (webhook, 403, 422...) to intents, by kind and code",
      labelNames: ["kind", "code"],
      registers: [registry],
    }),
  };
}
export type RemoverMetrics = ReturnType<typeof createRemoverMetrics>;
