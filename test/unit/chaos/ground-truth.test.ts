/**
 * The ground truth of the chaos checker, as tables: which outcomes a Pod's history allows its Job
 * to give it (S counted succeeded, F counted failed, N never counted), and whether a Job's final
 * counts are reachable from its Pods' allowed outcomes (against brute force).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { allowedOutcomes, countsReachable, type JobContext, type Outcome, type PodFacts, type RecordedOutcome } from "../../../services/chaos/checker/ground-truth.js";
import { observePod, observePodGone, type PodHistory } from "../../../services/chaos/checker/pod-history.js";
import { podState } from "../../../services/chaos/checker/objects.js";
import { createRng } from "../../../services/chaos/rng.js";
import { rawPod, type PodFixture } from "./fixtures.js";

type Step = Omit<PodFixture, "uid" | "rv"> & { at: number; gone?: true; relist?: true };

function history(steps: Step[]): PodHistory | null {
  let h: PodHistory | undefined;
  steps.forEach((s, i) => {
    const state = podState(rawPod({ uid: "p", rv: i + 1, ...s }));
    if (s.gone) {
      if (h) h = observePodGone(h, s.at, !s.relist);
    } else h = observePod(h, state, s.at, !s.relist);
  });
  return h ?? null;
}

const RUN = { at: 0, phase: "Running" };
const rec = (phase: RecordedOutcome["phase"], exitCode: number | null, extra: Partial<RecordedOutcome> = {}): RecordedOutcome => ({
  phase,
  exitCode,
  deletedBeforeFinish: false,
  failureCondition: null,
  recordedAtMs: 0,
  ...extra,
});

interface Case {
  name: string;
  // job setup
  ctx?: Partial<JobContext>;
  // pod setup
  steps: Step[];
  record?: RecordedOutcome | null;
  listed?: PodFacts["listed"];
  index?: number;
  // expectations
  want: Outcome[];
}

const cases: Case[] = [
  {
    name: "succeeded holding the finalizer: counted succeeded",
    steps: [RUN, { at: 1000, phase: "Succeeded" }, { at: 1200, phase: "Succeeded", finalizer: false }],
    record: rec("Succeeded", 0),
    want: ["S"],
  },
  {
    name: "failed holding the finalizer: counted failed",
    steps: [RUN, { at: 1000, phase: "Failed" }, { at: 1200, phase: "Failed", finalizer: false }],
    record: rec("Failed", 1),
    want: ["F"],
  },
  {
    name: "PodGC deletes it the moment it finishes: counted by its phase",
    steps: [RUN, { at: 1000, phase: "Succeeded" }, { at: 1001, phase: "Succeeded", deleting: true }, { at: 1200, phase: "Succeeded", deleting: true, finalizer: false }, { at: 1201, gone: true }],
    record: rec("Succeeded", 0),
    want: ["S"],
  },
  {
    name: "podFailurePolicy: a DisruptionTarget failure is ignored (never counted)",
    ctx: { hasPodFailurePolicy: true },
    steps: [RUN, { at: 1000, phase: "Failed" }, { at: 1200, phase: "Failed", finalizer: false }],
    record: rec("Failed", 137, { failureCondition: "DisruptionTarget" }),
    want: ["N"],
  },
  {
    name: "without a podFailurePolicy a DisruptionTarget failure counts",
    steps: [RUN, { at: 1000, phase: "Failed" }],
    record: rec("Failed", 137, { failureCondition: "DisruptionTarget" }),
    want: ["F"],
  },
  {
    name: "deleted by a user while running: counted failed (in-tree isPodFailed)",
    steps: [RUN, { at: 500, phase: "Running", deleting: true }, { at: 520, phase: "Failed", deleting: true }, { at: 700, phase: "Failed", deleting: true, finalizer: false }],
    record: rec("Failed", 137, { deletedBeforeFinish: true }),
    want: ["F"],
  },
  {
    name: "deleted while running, then its Succeeded status lands: either, as the controller saw it",
    steps: [RUN, { at: 500, phase: "Running", deleting: true }, { at: 501, phase: "Succeeded", deleting: true }],
    record: rec("Succeeded", 0),
    want: ["S", "F"],
  },
  {
    name: "podFailurePolicy: deleted while running, killed (exit 137, no rule): counted failed once Failed",
    ctx: { hasPodFailurePolicy: true },
    steps: [RUN, { at: 500, phase: "Running", deleting: true }, { at: 520, phase: "Failed", deleting: true }],
    record: rec("Failed", 137, { deletedBeforeFinish: true }),
    want: ["F"],
  },
  {
    name: "podFailurePolicy: deleted and never reached a terminal phase",
    ctx: { hasPodFailurePolicy: true },
    steps: [{ at: 0, phase: "Pending" }, { at: 500, phase: "Pending", deleting: true }, { at: 700, phase: "Pending", deleting: true, finalizer: false }, { at: 701, gone: true }],
    record: null,
    want: ["F", "N"],
  },
  {
    name: "released by its Job (excess, suspend): finalizer removed while running, then killed: never counted",
    steps: [RUN, { at: 500, finalizer: false }, { at: 510, finalizer: false, deleting: true }, { at: 520, phase: "Failed", finalizer: false, deleting: true }],
    record: rec("Failed", 137, { deletedBeforeFinish: true }),
    want: ["N"],
  },
  {
    name: "a failing Job listed it failed while it ran, removed its finalizer, then deleted it",
    ctx: { failureTargetAtMs: 400 },
    steps: [RUN, { at: 450, finalizer: false }, { at: 460, finalizer: false, deleting: true }],
    record: rec("Failed", 137, { deletedBeforeFinish: true }),
    listed: "failed",
    want: ["F"],
  },
  {
    name: "a failing Job released it without listing it: never counted",
    ctx: { failureTargetAtMs: 400 },
    steps: [RUN, { at: 450, finalizer: false }],
    listed: null,
    want: ["N"],
  },
  {
    name: "a failing Job, ledger with holes: either",
    ctx: { failureTargetAtMs: 400, ledgerComplete: false },
    steps: [RUN, { at: 450, finalizer: false }],
    want: ["F", "N"],
  },
  {
    name: "Indexed: succeeded just before its Job failed, index not recorded yet: either (the controller may have seen it active)",
    ctx: { indexed: true, failureTargetAtMs: 3000 },
    index: 2,
    steps: [{ ...RUN, index: 2 }, { at: 2500, phase: "Succeeded", index: 2 }],
    record: rec("Succeeded", 0),
    want: ["S", "F"],
  },
  {
    name: "Indexed: succeeded before its Job failed, index recorded before the failure: succeeded only",
    ctx: { indexed: true, failureTargetAtMs: 3000, indexDoneAtMs: new Map([[2, 2800]]) },
    index: 2,
    steps: [{ ...RUN, index: 2 }, { at: 2500, phase: "Succeeded", index: 2 }],
    record: rec("Succeeded", 0),
    want: ["S"],
  },
  {
    name: "NonIndexed: listed as succeeded before its Job failed: succeeded only",
    ctx: { failureTargetAtMs: 3000 },
    steps: [RUN, { at: 2500, phase: "Succeeded" }],
    record: rec("Succeeded", 0),
    listed: "succeeded",
    want: ["S"],
  },
  {
    name: "failed on its own while its Job released other Pods in the same batch, not listed: counted or not",
    ctx: { podReleaseTimesMs: [1500] },
    steps: [RUN, { at: 1000, phase: "Failed" }, { at: 1490, phase: "Failed", finalizer: false }],
    record: rec("Failed", 1),
    listed: null,
    want: ["F", "N"],
  },
  {
    name: "failed on its own near a release, but listed: counted failed",
    ctx: { podReleaseTimesMs: [1500] },
    steps: [RUN, { at: 1000, phase: "Failed" }, { at: 1490, phase: "Failed", finalizer: false }],
    record: rec("Failed", 1),
    listed: "failed",
    want: ["F"],
  },
  {
    name: "failed on its own, finalizer gone unlisted, no release anywhere near: must be counted (a lost count is caught)",
    ctx: { podReleaseTimesMs: [60_000] },
    steps: [RUN, { at: 1000, phase: "Failed" }, { at: 1490, phase: "Failed", finalizer: false }],
    record: rec("Failed", 1),
    listed: null,
    want: ["F"],
  },
  {
    name: "PodGC off: failed on its own, its finalizer removed, then someone deleted it (a release): counted or not",
    ctx: { podGc: false },
    steps: [RUN, { at: 1000, phase: "Failed" }, { at: 1490, phase: "Failed", finalizer: false }, { at: 1495, phase: "Failed", finalizer: false, deleting: true }],
    record: rec("Failed", 1),
    listed: null,
    want: ["F", "N"],
  },
  {
    name: "the user lowered parallelism just before its finalizer went: counted or not",
    ctx: { userReleaseTimesMs: [900] },
    steps: [RUN, { at: 1000, phase: "Succeeded" }, { at: 1400, phase: "Succeeded", finalizer: false }],
    record: rec("Succeeded", 0),
    listed: null,
    want: ["S", "N"],
  },
  {
    name: "first seen in a relist, already finished: anything its phase allows",
    steps: [{ at: 1000, phase: "Succeeded", finalizer: false, relist: true }],
    record: rec("Succeeded", 0),
    want: ["S", "F", "N"],
  },
  {
    name: "first seen in a relist, already finished, listed as succeeded: succeeded",
    steps: [{ at: 1000, phase: "Succeeded", finalizer: false, relist: true }],
    record: rec("Succeeded", 0),
    listed: "succeeded",
    want: ["S"],
  },
  {
    name: "finished with the finalizer before a gap: nothing the gap hid matters",
    steps: [RUN, { at: 1000, phase: "Failed" }, { at: 3000, phase: "Failed", finalizer: false, relist: true }],
    record: rec("Failed", 1),
    want: ["F"],
  },
  {
    name: "running before a gap, gone after it: the gap hid how it ended",
    steps: [RUN, { at: 3000, gone: true, relist: true }],
    record: rec("Succeeded", 0),
    want: ["S", "F", "N"],
  },
  {
    name: "never finished while holding the finalizer and never released (still running): never counted",
    steps: [RUN],
    want: ["N"],
  },
];

const CTX: JobContext = { indexed: false, hasPodFailurePolicy: false, failureTargetAtMs: null, podReleaseTimesMs: [], userReleaseTimesMs: [], podGc: true, ledgerComplete: true };

describe("chaos ground truth: the outcomes a Pod's history allows", () => {
  for (const c of cases) {
    test(c.name, () => {
      const facts: PodFacts = { uid: "p", name: "p", index: c.index ?? null, history: history(c.steps), record: c.record ?? null, listed: c.listed ?? null };
      const got = allowedOutcomes(facts, { ...CTX, ...c.ctx });
      assert.deepEqual([...got.outcomes].sort(), [...c.want].sort(), got.why);
    });
  }
});

/** Brute force: every choice of one allowed outcome per Pod. */
function reachableByEnumeration(allowed: ReadonlySet<Outcome>[], succeeded: number, failed: number): boolean {
  const go = (i: number, s: number, f: number): boolean => {
    if (i === allowed.length) return s === succeeded && f === failed;
    for (const o of allowed[i] as ReadonlySet<Outcome>) if (go(i + 1, s + (o === "S" ? 1 : 0), f + (o === "F" ? 1 : 0))) return true;
    return false;
  };
  return go(0, 0, 0);
}

describe("chaos ground truth: reachable counts", () => {
  const SETS: Outcome[][] = [["S"], ["F"], ["N"], ["S", "N"], ["F", "N"], ["S", "F"], ["S", "F", "N"]];
  test("the closed form agrees with brute force on 3,000 random Jobs", () => {
    const rng = createRng(20261129);
    for (let k = 0; k < 3000; k++) {
      const pods = Array.from({ length: rng.int(0, 7) }, () => new Set(rng.pick(SETS)));
      const s = rng.int(0, 8);
      const f = rng.int(0, 8);
      assert.equal(countsReachable(pods, s, f).feasible, reachableByEnumeration(pods, s, f), `pods ${JSON.stringify(pods.map((p) => [...p]))}, succeeded ${s}, failed ${f}`);
    }
  });

  test("one Pod counted twice is caught", () => {
    const pods = [new Set<Outcome>(["S"]), new Set<Outcome>(["S"]), new Set<Outcome>(["F"])];
    assert.equal(countsReachable(pods, 2, 1).feasible, true);
    assert.equal(countsReachable(pods, 3, 1).feasible, false);
    assert.equal(countsReachable(pods, 2, 2).feasible, false);
    assert.equal(countsReachable(pods, 2, 0).feasible, false);
  });
});
