/**
 * The Kubernetes API a test runs against: the cluster of `$KUBECONFIG` when it is set, otherwise
 * a fresh `jobtally sim` child process. Either way the test gets its own namespace, deleted by
 * `release()`, so the same test runs unchanged against the simulator and a real cluster.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { BatchV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { loadKubeConfig } from "../../shared/kube/full-client.js";
import { spawnJobtally, waitFor, type ChildHandle } from "./processes.js";

export interface KubeEnv {
  kubeconfigPath: string;
  namespace: string;
  /** True when the API is a `jobtally sim` this harness started (admin endpoints available). */
  isSimulator: boolean;
  /** Base URL of the simulator (for `/admin/...`), null on a real cluster. */
  simulatorUrl: string | null;
  core: CoreV1Api;
  batch: BatchV1Api;
  kubeConfig: KubeConfig;
  /** Deletes the namespace (without waiting for it to go) and stops the simulator child. */
  release(): Promise<void>;
}

export interface AcquireKubeEnvOptions {
  /** Namespace prefix; the namespace is `<prefix>-<random>`. Default "jt". */
  namespacePrefix?: string;
}

const SIM_READY_TIMEOUT_MS = 20_000;

/** The reason to pass to `t.skip()` in tests that need the simulator's admin endpoints. */
export const SIMULATOR_ONLY = "needs the jobtally simulator's admin endpoints (KUBECONFIG points at a real cluster)";

export async function acquireKubeEnv(opts: AcquireKubeEnvOptions = {}): Promise<KubeEnv> {
  const fromEnv = process.env.KUBECONFIG;
  let sim: ChildHandle | null = null;
  let tmpDir: string | null = null;
  let kubeconfigPath: string;
  if (fromEnv) {
    kubeconfigPath = fromEnv;
  } else {
    tmpDir = mkdtempSync(join(tmpdir(), "jobtally-kube-env-"));
    kubeconfigPath = join(tmpDir, "kubeconfig");
    sim = spawnJobtally(["sim", "--port", "0", "--kubeconfig-out", kubeconfigPath], { name: "kube-sim", env: { LOG_LEVEL: "warn" } });
  }
  const cleanupSim = async (): Promise<void> => {
    if (sim) await sim.kill("SIGTERM");
    if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  };

  try {
    if (sim) {
      const child = sim;
      await waitFor(
        async () => {
          if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
            throw new Error(`jobtally sim exited early (code ${child.proc.exitCode}):\n${child.logs()}`);
          }
          return existsSync(kubeconfigPath) && readFileSync(kubeconfigPath, "utf8").includes("server");
        },
        { timeoutMs: SIM_READY_TIMEOUT_MS, what: `jobtally sim to write ${kubeconfigPath}` },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nsimulator output:\n${child.logs()}`);
      });
    }
    // Through the services' own loader, so tests see what jobtally sees (plain HTTP allowed).
    const kubeConfig = loadKubeConfig(kubeconfigPath);
    const server = kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new Error(`kubeconfig ${kubeconfigPath} has no current cluster`);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const batch = kubeConfig.makeApiClient(BatchV1Api);

    if (sim) {
      await waitFor(
        async () => {
          const res = await fetch(new URL("/version", server));
          return res.ok;
        },
        { timeoutMs: SIM_READY_TIMEOUT_MS, what: `GET ${server}/version to answer 200` },
      );
    }

    const namespace = `${opts.namespacePrefix ?? "jt"}-${randomBytes(4).toString("hex")}`;
    await core.createNamespace({ body: { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } } });

    let released = false;
    return {
      kubeconfigPath,
      namespace,
      isSimulator: sim !== null,
      simulatorUrl: sim ? server.replace(/\/$/, "") : null,
      core,
      batch,
      kubeConfig,
      async release() {
        if (released) return;
        released = true;
        try {
          await core.deleteNamespace({ name: namespace });
        } catch {
          // best effort: a simulator is about to go anyway, and a real cluster reaps it later
        }
        await cleanupSim();
      },
    };
  } catch (err) {
    await cleanupSim();
    throw err;
  }
}
