/** The Grafana dashboard only queries metrics the services actually export. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Registry } from "prom-client";
import { createCounterMetrics, createRemoverMetrics, createStreamMetrics, createWatcherMetrics } from "../../../shared/observability/metrics.js";

interface Panel {
  title: string;
  type: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { expr: string }[];
}

const dashboard = JSON.parse(readFileSync(new URL("../../../infra/grafana/jobtally-dashboard.json", import.meta.url), "utf8")) as { panels: Panel[] };

function serviceRegistries(): Registry[] {
  // One registry per service, as each process has its own.
  const registries = [new Registry(), new Registry(), new Registry()] as const;
  createWatcherMetrics(registries[0]);
  createCounterMetrics(registries[1]);
  createRemoverMetrics(registries[2], () => 0);
  // Every service reads the streams' usage (shared/service-main.ts).
  for (const r of registries) createStreamMetrics(r);
  return [...registries];
}

async function exportedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const r of serviceRegistries()) for (const m of await r.getMetricsAsJSON()) names.add(m.name);
  return names;
}

/** Label names of each exported metric, over every service that exports it. */
function exportedLabels(): Map<string, Set<string>> {
  const labels = new Map<string, Set<string>>();
  for (const r of serviceRegistries()) {
    for (const m of r.getMetricsAsArray()) {
      const set = labels.get(m.name) ?? new Set<string>();
      for (const l of (m as unknown as { labelNames?: string[] }).labelNames ?? []) set.add(l);
      labels.set(m.name, set);
    }
  }
  return labels;
}

/** Labels Prometheus adds when it scrapes (ServiceMonitor target labels), or that histograms carry. */
const SCRAPE_LABELS = new Set(["pod", "instance", "job", "namespace", "service", "container", "endpoint", "le"]);

/** `[labels, metric]` for every `by (labels) (… metric …)` aggregation in a query. */
function groupings(expr: string): [string[], string][] {
  const out: [string[], string][] = [];
  for (const m of expr.matchAll(/by \(([^)]*)\) \((?:[a-z_]+\()*(jobtally_[a-z_]+)/g)) {
    out.push([(m[1] ?? "").split(",").map((l) => l.trim()).filter(Boolean), (m[2] ?? "").replace(/_(bucket|sum|count)$/, "")]);
  }
  return out;
}

/** Rows are headings: they hold no queries. */
const graphs = dashboard.panels.filter((p) => p.type !== "row");

test("every dashboard query names a metric jobtally exports", async () => {
  const names = await exportedNames();
  assert.ok(graphs.length >= 8);
  for (const panel of graphs) {
    assert.ok(panel.targets && panel.targets.length > 0, `${panel.title} has a query`);
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

test("every label a panel groups by is a label of the metric (or one Prometheus adds at scrape time)", () => {
  const labels = exportedLabels();
  let checked = 0;
  for (const panel of graphs) {
    for (const target of panel.targets ?? []) {
      for (const [by, metric] of groupings(target.expr)) {
        for (const label of by) {
          if (SCRAPE_LABELS.has(label)) continue;
          checked++;
          assert.ok(labels.get(metric)?.has(label), `${panel.title}: ${metric} has no label "${label}" (it has: ${[...(labels.get(metric) ?? [])].join(", ")})`);
        }
      }
    }
  }
  assert.ok(checked >= 10, `grouped labels checked: ${checked}`);
});

test("the grouping check can fail: a label the metric lacks is found", () => {
  assert.deepEqual(groupings("sum by (colour) (rate(jobtally_intents_total[1m]))"), [[["colour"], "jobtally_intents_total"]]);
  assert.equal(exportedLabels().get("jobtally_intents_total")?.has("colour"), false);
  assert.deepEqual(groupings("histogram_quantile(0.99, sum by (le) (rate(jobtally_job_sync_duration_seconds_bucket[5m])))"), [[["le"], "jobtally_job_sync_duration_seconds"]]);
});

/** Metric names queried by the panels under the row titled `row` (down to the next row). */
function metricsUnderRow(row: string): Set<string> {
  const heading = dashboard.panels.find((p) => p.type === "row" && p.title === row);
  assert.ok(heading, `a row "${row}"`);
  const next = Math.min(...dashboard.panels.filter((p) => p.type === "row" && p.gridPos.y > heading.gridPos.y).map((p) => p.gridPos.y), Infinity);
  const under = graphs.filter((p) => p.gridPos.y > heading.gridPos.y && p.gridPos.y < next);
  return new Set(under.flatMap((p) => (p.targets ?? []).flatMap((t) => t.expr.match(/jobtally_[a-z_]+/g) ?? [])).map((n) => n.replace(/_(bucket|sum|count)$/, "")));
}

test('the "Ownership and failover" row shows ownership, leases, fencing, rebalancing and stale views', () => {
  const shown = metricsUnderRow("Ownership and failover");
  for (const metric of [
    "jobtally_partitions_owned",
    "jobtally_counter_replicas_live",
    "jobtally_lease_acquisitions_total",
    "jobtally_lease_losses_total",
    "jobtally_intents_fenced_total",
    "jobtally_rebalance_duration_seconds",
    "jobtally_partitions_view_stale",
  ]) {
    assert.ok(shown.has(metric), `${metric} is on a panel of the row (shown: ${[...shown].join(", ")})`);
  }
  const rebalance = graphs.find((p) => p.targets?.some((t) => t.expr.includes("jobtally_rebalance_duration_seconds_bucket")));
  const quantiles = (rebalance?.targets ?? []).map((t) => /histogram_quantile\(([0-9.]+)/.exec(t.expr)?.[1]);
  assert.deepEqual(quantiles.sort(), ["0.5", "0.99"], "rebalance duration p50 and p99");
});

test('the "Streams" row shows each stream\'s usage of its limits, the near-limit checks, messages and bytes', () => {
  const shown = metricsUnderRow("Streams");
  for (const metric of ["jobtally_stream_usage_ratio", "jobtally_stream_near_limit_total", "jobtally_stream_messages", "jobtally_stream_bytes"]) {
    assert.ok(shown.has(metric), `${metric} is on a panel of the row (shown: ${[...shown].join(", ")})`);
  }
});

test("no two panels overlap, and none is wider than the 24-column grid", () => {
  for (const [i, a] of dashboard.panels.entries()) {
    assert.ok(a.gridPos.x >= 0 && a.gridPos.x + a.gridPos.w <= 24, `${a.title} fits the grid`);
    for (const b of dashboard.panels.slice(i + 1)) {
      const apart = a.gridPos.x + a.gridPos.w <= b.gridPos.x || b.gridPos.x + b.gridPos.w <= a.gridPos.x || a.gridPos.y + a.gridPos.h <= b.gridPos.y || b.gridPos.y + b.gridPos.h <= a.gridPos.y;
      assert.ok(apart, `${a.title} and ${b.title} overlap`);
    }
  }
  assert.equal(new Set(dashboard.panels.map((p) => (p as unknown as { id: number }).id)).size, dashboard.panels.length, "panel ids are unique");
});
