/** The simulator's Prometheus metrics, on a registry of its own (several simulators per process). */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export interface MetricSources {
  objectCounts(): Record<string, number>;
  watchCounts(): Record<string, number>;
}

export class SimMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: "kube_sim_requests_total", help: "API requests by verb, resource and response code", labelNames: ["verb", "resource", "code"], registers: [this.registry] });
  /** Requests received and not answered yet (watches excluded): a test can act while a write is in flight. */
  readonly inFlight = new Gauge({ name: "kube_sim_requests_in_flight", help: "API requests received and not answered yet, watches excluded", labelNames: ["verb", "resource"], registers: [this.registry] });
  readonly jobStatusBytes = new Histogram({
    name: "kube_sim_job_status_bytes",
    help: "JSON size of every Job status written through the status subresource",
    buckets: [256, 1024, 4096, 16384, 32768, 65536, 262144, 1048576],
    registers: [this.registry],
  });
  readonly jobStatusBytesMax = new Gauge({ name: "kube_sim_job_status_bytes_max", help: "largest Job status written, bytes", registers: [this.registry] });
  private maxStatus = 0;

  constructor(sources: MetricSources) {
    new Gauge({
      name: "kube_sim_objects",
      help: "stored objects by resource",
      labelNames: ["resource"],
      registers: [this.registry],
      collect() {
        for (const [resource, n] of Object.entries(sources.objectCounts())) this.set({ resource }, n);
      },
    });
    new Gauge({
      name: "kube_sim_watches",
      help: "open watch streams by resource",
      labelNames: ["resource"],
      registers: [this.registry],
      collect() {
        for (const [resource, n] of Object.entries(sources.watchCounts())) this.set({ resource }, n);
      },
    });
  }

  observeJobStatus(bytes: number): void {
    this.jobStatusBytes.observe(bytes);
    if (bytes > this.maxStatus) {
      this.maxStatus = bytes;
      this.jobStatusBytesMax.set(bytes);
    }
  }
}
