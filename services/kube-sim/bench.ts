/**
 * Throughput of the simulator over HTTP through client-node, as jobtally's services use it:
 * Pod creation, paginated LIST (limit 500), watch delivery (replay of N modifications) and
 * strategic-merge PATCH. Figures are objects per second.
 */
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, Watch } from "@kubernetes/client-node";
import { shareKeepAliveAgent } from "../../shared/kube/full-client.js";
import { startApiSimulator } from "./index.js";
import { renderKubeconfig } from "./kubeconfig.js";

export interface BenchOptions {
  pods: number;
  /** Modifications for the watch and patch figures. @default min(pods, 20000) */
  modifications?: number;
  /** Concurrent requests. @default 64 */
  concurrency?: number;
  namespace?: string;
}

async function pool(n: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

const perSec = (count: number, ms: number): number => Math.round((count / Math.max(ms, 1)) * 1000);

export async function benchSimulator(opts: BenchOptions): Promise<Record<string, number>> {
  const concurrency = opts.concurrency ?? 64;
  const mods = opts.modifications ?? Math.min(opts.pods, 20_000);
  const ns = opts.namespace ?? "default";
  const sim = await startApiSimulator({ historyWindow: Math.max(100_000, opts.pods + 2 * mods + 10) });
  try {
    const kc = new KubeConfig();
    kc.loadFromString(renderKubeconfig(sim.url));
    shareKeepAliveAgent(kc, concurrency);
    const core = kc.makeApiClient(CoreV1Api);
    const name = (i: number): string => `bench-${String(i).padStart(6, "0")}`;

    let t = performance.now();
    await pool(opts.pods, concurrency, async (i) => {
      await core.createNamespacedPod({
        namespace: ns,
        body: { metadata: { name: name(i), labels: { "batch.kubernetes.io/controller-uid": `job-${i % 1000}` } }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } },
      });
    });
    const createMs = performance.now() - t;

    t = performance.now();
    let listed = 0;
    let cont: string | undefined;
    do {
      const page = await core.listNamespacedPod({ namespace: ns, limit: 500, _continue: cont });
      listed += page.items.length;
      cont = page.metadata?._continue;
    } while (cont);
    const listMs = performance.now() - t;

    const startRv = (await core.listNamespacedPod({ namespace: ns, limit: 1 })).metadata?.resourceVersion as string;
    t = performance.now();
    const smp = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
    await pool(mods, concurrency, async (i) => {
      await core.patchNamespacedPod({ name: name(i % opts.pods), namespace: ns, body: { metadata: { finalizers: ["batch.kubernetes.io/job-tracking"], labels: { round: "1" } } } }, smp);
    });
    const patchMs = performance.now() - t;

    t = performance.now();
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      let controller: AbortController | undefined;
      void new Watch(kc)
        .watch(
          `/api/v1/namespaces/${ns}/pods`,
          { resourceVersion: startRv },
          (type) => {
            if (type === "MODIFIED" && ++received === mods) {
              controller?.abort();
              resolve();
            }
          },
          (err) => (received < mods ? reject(err ?? new Error("watch ended early")) : resolve()),
        )
        .then((c) => (controller = c));
    });
    const watchMs = performance.now() - t;

    const result = {
      pods: opts.pods,
      createPodsPerSec: perSec(opts.pods, createMs),
      listPodsPerSec: perSec(listed, listMs),
      watchEventsPerSec: perSec(received, watchMs),
      strategicPatchesPerSec: perSec(mods, patchMs),
    };
    console.log(JSON.stringify({ bench: "kube-sim", ...result }));
    return result;
  } finally {
    await sim.close();
  }
}
