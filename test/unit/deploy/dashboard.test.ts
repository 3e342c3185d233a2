/** The Grafana dashboard only queries metrics the services actually export. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Registry } from "prom-client";
import { createCounterMetrics, createRemoverMetrics, createWatcherMetrics } from "../../../shared/observability/metrics.js";

interface Panel {
  title: string;
  targets: { expr: string }[];
}

const dashboard = JSON.parse(readFileSync(new URL("../../../infra/grafana/jobtally-dashboard.json", import.meta.url), "utf8")) as { panels: Panel[] };

async function exportedNames(): Promise<Set<string>> {
  // One registry per service, as each process has its own.
  const registries = [new Registry(), new Registry(), new Registry()] as const;
  createWatcherMetrics(registries[0]);
  createCounterMetrics(registries[1]);
  createRemoverMetrics(registries[2], () => 0);
  const names = new Set<string>();
  for (const r of registries) for (const m of await r.getMetricsAsJSON()) names.add(m.name);
  return names;
}

test("every dashboard query names a metric jobtally exports", async () => {
  const names = await exportedNames();
  assert.ok(dashboard.panels.length >= 8);
  for (const panel of dashboard.panels) {
    for (const target of panel.targets) {
      const used = target.expr.match(/jobtally_[a-z_]+/g) ?? [];
      assert.ok(used.length > 0, `${panel.title}: no jobtally metric in ${target.expr}`);
      for (const name of used) {
        const base = name.replace(/_(bucket|sum|count)$/, "");
        assert.ok(names.has(base), `${panel.title}: ${name} is not exported (known: ${[...names].filter((n) => n.startsWith("jobtally_")).join(", ")})`);
      }
    }
  }
});
