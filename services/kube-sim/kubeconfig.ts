/**
 * The kubeconfig that points clients (client-node, kubectl) at a running simulator. Plain http;
 * `insecure-skip-tls-verify` is set because client-node 1.4 refuses an http server without it.
 */
import { writeFile } from "node:fs/promises";

export const SIM_CONTEXT = "jobtally-sim";

export function renderKubeconfig(url: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: ${SIM_CONTEXT}`,
    "  cluster:",
    `    server: ${url}`,
    "    insecure-skip-tls-verify: true",
    "users:",
    `- name: ${SIM_CONTEXT}`,
    "  user: {}",
    "contexts:",
    `- name: ${SIM_CONTEXT}`,
    "  context:",
    `    cluster: ${SIM_CONTEXT}`,
    `    user: ${SIM_CONTEXT}`,
    "    namespace: default",
    `current-context: ${SIM_CONTEXT}`,
    "preferences: {}",
    "",
  ].join("\n");
}

export async function writeKubeconfig(path: string, url: string): Promise<void> {
  await writeFile(path, renderKubeconfig(url), { mode: 0o600 });
}
