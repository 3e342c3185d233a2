/** Fault injection in the API simulator from tests (its admin endpoint; simulator only), and its metrics. */
import assert from "node:assert/strict";
import type { FaultSettings } from "../../services/kube-sim/faults.js";
import { parsePrometheus, sumOf } from "../../services/bench/measure.js";

/** Replaces the simulator's fault settings (fields left out take their defaults: no fault). */
export async function setSimulatorFaults(simulatorUrl: string, faults: Partial<FaultSettings>): Promise<void> {
  const res = await fetch(new URL("/admin/faults", simulatorUrl), { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(faults) });
  assert.equal(res.status, 200, `PUT /admin/faults: ${res.status} ${await res.text()}`);
}

export async function clearSimulatorFaults(simulatorUrl: string): Promise<void> {
  await setSimulatorFaults(simulatorUrl, { latencyMs: 0, jitterMs: 0, errors: [], malformed: [], qps: 0, burst: 0, watchCutSeconds: 0, compactEverySeconds: 0 });
}

/** The sum of a simulator metric's samples matching `where` (0 when absent). */
export async function simulatorGauge(simulatorUrl: string, name: string, where: Record<string, string> = {}): Promise<number> {
  const res = await fetch(new URL("/metrics", simulatorUrl));
  return sumOf(parsePrometheus(await res.text()), name, where);
}
