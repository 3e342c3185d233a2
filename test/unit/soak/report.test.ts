/** The soak's verdict and table (services/bench/soak/report.ts). */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { renderSampleTable, renderVerdict, soakPassed, type SoakChecks } from "../../../services/bench/soak/report.js";
import type { FlatnessVerdict } from "../../../services/bench/soak/flatness.js";
import type { SampleRow } from "../../../services/bench/soak/samples.js";

const MiB = 2 ** 20;
const flat = (ok: boolean | null): FlatnessVerdict => ({ flat: ok, samples: 12, firstHalfMedianBytes: 100 * MiB, secondHalfMedianBytes: (ok ? 101 : 130) * MiB, growthBytes: (ok ? 1 : 30) * MiB, growthRatio: ok ? 0.01 : 0.3, allowedBytes: 16 * MiB, slopeBytesPerMinute: 0 });

function checks(over: Partial<SoakChecks> = {}): SoakChecks {
  return { memory: { watcher: flat(true), counter: flat(true) }, countsExact: true, countMismatches: [], jobsChecked: 10, finalizersLeft: 0, drained: true, trackedAfterDrain: { jobs: 0, pods: 0 }, ...over };
}

describe("soakPassed", () => {
  const cases: { name: string; checks: SoakChecks; want: boolean }[] = [
    { name: "everything right", checks: checks(), want: true },
    { name: "a service's memory growing", checks: checks({ memory: { watcher: flat(true), counter: flat(false) } }), want: false },
    { name: "a service not judged (too short a run) is no pass", checks: checks({ memory: { watcher: flat(null) } }), want: false },
    { name: "a count wrong", checks: checks({ countsExact: false, countMismatches: ["soak-1: succeeded 4/5 failed 0/0"] }), want: false },
    { name: "a finalizer left", checks: checks({ finalizersLeft: 1 }), want: false },
    { name: "Jobs unfinished at the drain timeout", checks: checks({ drained: false }), want: false },
    { name: "the counter still tracking a deleted Job's Pods", checks: checks({ trackedAfterDrain: { jobs: 0, pods: 3 } }), want: false },
  ];
  for (const c of cases) test(c.name, () => assert.equal(soakPassed(c.checks), c.want));
});

describe("rendering", () => {
  test("the verdict names each service, the lag, the queues and the counts", () => {
    const text = renderVerdict({
      checks: checks({ memory: { watcher: flat(true), counter: flat(false) } }),
      summary: { lagMs: { p50: 1270, p99: 1800, max: 1860 }, lagPods: 4251, steadyPodsPerSec: 100.2, maxIntentsQueued: 277, maxRemoverQueueDepth: 104, maxViewMessages: 680, steady: { maxIntentsQueued: 73, maxRemoverQueueDepth: 104 } },
      warmupMs: 60_000,
      tolerance: 0.1,
      toleranceBytes: 16 * MiB,
    });
    assert.match(text, /watcher\s+flat/);
    assert.match(text, /counter\s+GROWING/);
    assert.match(text, /p50 1\.27 s, p99 1\.80 s/);
    assert.match(text, /73 intents in the stream/);
    assert.match(text, /Counts: exact for 10 Jobs/);
    assert.match(text, /FAIL$/);
  });

  test("the table has a column per service and a row per sample", () => {
    const row: SampleRow = {
      atMs: 10_000,
      phase: "steady",
      counted: 1000,
      jobsFinished: 3,
      services: { watcher: { rssBytes: 98 * MiB, heapUsedBytes: 0, cpuSeconds: 0 } },
      intentsQueued: 12,
      removerQueueDepth: 3,
      viewMessages: 600,
      podsTracked: 500,
      jobsTracked: 100,
      loadAverage1m: 1.5,
      podsPerSec: 100,
      lag: { p50: 1000, p99: 2000, max: 2500, pods: 10 },
    };
    const lines = renderSampleTable([row], ["watcher", "counter"]).split("\n");
    assert.equal(lines.length, 3, "header, rule, one row");
    assert.match(lines[0]!, /watcher MiB\s+counter MiB/);
    assert.match(lines[2]!, /steady\s+100\.0\s+98\.0\s+-\s+12\s+3\s+1\.00\s+2\.00\s+600\s+500/);
  });
});
