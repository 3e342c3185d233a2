/** Pure: how the demo's Pods are split into Jobs, and the Job manifests. */
import type { V1Job } from "@kubernetes/client-node";
import { DEFAULT_MANAGED_BY } from "../../shared/constants.js";

export interface DemoJobPlan {
  name: string;
  completions: number;
  parallelism: number;
  indexed: boolean;
}

export function planDemoJobs(totalPods: number, jobs: number, parallelism: number): DemoJobPlan[] {
  const n = Math.min(jobs, totalPods);
  const base = Math.floor(totalPods / n);
  const out: DemoJobPlan[] = [];
  for (let i = 0; i < n; i++) {
    const completions = base + (i < totalPods - base * n ? 1 : 0);
    out.push({ name: `demo-${i + 1}-${i % 2 === 1 ? "indexed" : "nonindexed"}`, completions, parallelism: Math.min(parallelism, completions), indexed: i % 2 === 1 });
  }
  return out;
}

/**
 * The Job manifest. On the simulator the kubelet simulator decides outcomes (seeded); on a real
 * cluster the container fails with the same probability by itself.
 */
export function demoJobManifest(plan: DemoJobPlan, namespace: string, failProbability: number, podDurationMs: number): V1Job {
  const failPercent = Math.round(failProbability * 100);
  const sleepSeconds = (podDurationMs / 1000).toFixed(3);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: plan.name, namespace, labels: { "app.kubernetes.io/part-of": "jobtally-demo" } },
    spec: {
      completions: plan.completions,
      parallelism: plan.parallelism,
      completionMode: plan.indexed ? "Indexed" : "NonIndexed",
      backoffLimit: 2_147_483_647,
      managedBy: DEFAULT_MANAGED_BY,
      template: {
        spec: {
          restartPolicy: "Never",
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: "work",
              image: "busybox:1.36",
              command: ["sh", "-c", `sleep ${sleepSeconds}; if [ $((RANDOM % 100)) -lt ${failPercent} ]; then exit 1; fi`],
              resources: { requests: { cpu: "10m", memory: "16Mi" } },
            },
          ],
        },
      },
    },
  };
}
