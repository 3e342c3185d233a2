/**
 * The invariants the chaos checker holds every observed Job state to, as a table: a sequence of
 * states (watch events unless marked as read by a relist) and the violations they must raise.
 * Each broken case is a bug the campaign must catch; each clean one a legitimate history it must
 * not flag.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Checker } from "../../../services/chaos/checker/checker.js";
import { MANAGED_BY, rawJob, type JobFixture } from "./fixtures.js";

interface Case {
  name: string;
  // job setup: the states in the order they are seen; `relist` marks one read by a relist after a gap
  states: (JobFixture & { relist?: boolean })[];
  // expectations: one substring per violation, in order ([] = clean)
  want: string[];
}

const cases: Case[] = [
  {
    name: "a Job counting normally: listed, then counted one for one, then Complete",
    states: [
      { rv: 1 },
      { rv: 2, uncounted: { succeeded: ["a", "b"], failed: ["c"] } },
      { rv: 3, succeeded: 2, failed: 1, uncounted: { succeeded: ["d"] } },
      { rv: 4, succeeded: 3, failed: 1, conditions: [["SuccessCriteriaMet"], ["Complete", "CompletionsReached"]] },
    ],
    want: [],
  },
  {
    name: "succeeded decreases",
    states: [{ rv: 1, succeeded: 2 }, { rv: 2, succeeded: 1 }],
    want: ["succeeded decreased: 2 → 1"],
  },
  {
    name: "failed decreases",
    states: [{ rv: 1, failed: 3 }, { rv: 2, failed: 2 }],
    want: ["failed decreased: 3 → 2"],
  },
  {
    name: "a UID in both uncounted lists (kubernetes#125410)",
    states: [{ rv: 1, uncounted: { succeeded: ["a"], failed: ["a"] } }],
    want: ["UID in both uncounted lists: a"],
  },
  {
    name: "a status over 20 kB",
    states: [{ rv: 1, padding: 21_000 }],
    want: ["bytes (limit 20480)"],
  },
  {
    name: "a counter grows without a UID leaving its list (a count from nowhere)",
    states: [{ rv: 1, uncounted: { succeeded: ["a"] } }, { rv: 2, succeeded: 2 }],
    want: ["succeeded grew by 2 while 1 UIDs left the succeeded list"],
  },
  {
    name: "a UID leaves the failed list without being counted (a lost count)",
    states: [{ rv: 1, uncounted: { failed: ["a", "b"] } }, { rv: 2, failed: 1 }],
    want: ["failed grew by 1 while 2 UIDs left the failed list"],
  },
  {
    name: "a counted UID listed again (a double count)",
    states: [{ rv: 1, uncounted: { succeeded: ["a"] } }, { rv: 2, succeeded: 1 }, { rv: 3, succeeded: 1, uncounted: { succeeded: ["a"] } }],
    want: ["UID a listed as succeeded again after it was counted"],
  },
  {
    name: "a UID counted succeeded then listed as failed",
    states: [{ rv: 1, uncounted: { succeeded: ["a"] } }, { rv: 2, succeeded: 1 }, { rv: 3, succeeded: 1, uncounted: { failed: ["a"] } }],
    want: ["UID a listed as failed again after it was counted"],
  },
  {
    name: "counts change after the Job finished",
    states: [{ rv: 1, succeeded: 3, conditions: [["Complete"]] }, { rv: 2, succeeded: 3, failed: 1, conditions: [["Complete"]] }],
    want: ["counts changed after the Job finished (Complete)", "failed grew by 1 while 0 UIDs left"],
  },
  {
    name: "both Complete and Failed",
    states: [{ rv: 1, conditions: [["Complete"], ["Failed"]] }],
    want: ["both Complete and Failed conditions"],
  },
  {
    name: "finished with UIDs still uncounted",
    states: [{ rv: 1, uncounted: { failed: ["x"] }, conditions: [["Failed", "BackoffLimitExceeded"]] }],
    want: ["finished (Failed) with UIDs still uncounted"],
  },
  {
    name: "Indexed: succeeded disagrees with completedIndexes",
    states: [{ rv: 1, indexed: true, succeeded: 3, completedIndexes: "0-1" }],
    want: ['Indexed: succeeded 3 but 2 completed indexes ("0-1")'],
  },
  {
    name: "Indexed: succeeded follows completedIndexes, no UIDs listed",
    states: [{ rv: 1, indexed: true }, { rv: 2, indexed: true, succeeded: 2, completedIndexes: "0,2" }],
    want: [],
  },
  {
    name: "a Job another controller manages is written",
    states: [{ rv: 1, managedBy: "other.example.com/x", noStatus: true }, { rv: 5, managedBy: "other.example.com/x", noStatus: true }],
    want: ["a Job managed by other.example.com/x was written (resourceVersion 1 → 5)"],
  },
  {
    name: "a Job another controller manages gets a status",
    states: [{ rv: 1, managedBy: "other.example.com/x", succeeded: 1 }],
    want: ["a Job managed by other.example.com/x has a status"],
  },
  {
    name: "across a relist the ledger cannot be followed: no ledger violation, but a decrease still is one",
    states: [{ rv: 1, uncounted: { succeeded: ["a"] } }, { rv: 9, succeeded: 5, relist: true }, { rv: 10, succeeded: 4 }],
    want: ["succeeded decreased: 5 → 4"],
  },
  {
    name: "an older or repeated state (a relist re-reading it) changes nothing",
    states: [{ rv: 3, succeeded: 2 }, { rv: 2, succeeded: 1, relist: true }, { rv: 3, succeeded: 2, relist: true }],
    want: [],
  },
  {
    name: "a Job being deleted: the ledger is not checked (its Pods are released uncounted)",
    states: [{ rv: 1, uncounted: { failed: ["a"] } }, { rv: 2, deleting: true }],
    want: [],
  },
];

describe("chaos checker: invariants of every observed Job state", () => {
  for (const c of cases) {
    test(c.name, () => {
      const checker = new Checker(MANAGED_BY);
      for (const [i, s] of c.states.entries()) {
        if (s.relist) checker.onJobsListed([rawJob(s)], i * 100);
        else checker.onJob(rawJob(s), i * 100, true);
      }
      assert.equal(checker.violations.length, c.want.length, `want ${JSON.stringify(c.want)}\ngot  ${JSON.stringify(checker.violations)}`);
      c.want.forEach((w, i) => assert.ok(checker.violations[i]?.includes(w), `violation ${i}: want "${w}"\ngot  "${checker.violations[i]}"`));
    });
  }

  test("a Pod name created twice (a creation redelivered after its Pod was gone)", () => {
    const checker = new Checker(MANAGED_BY);
    checker.onPod({ metadata: { uid: "u1", name: "job-0-abc", resourceVersion: "1" }, status: { phase: "Running" } }, 0, true);
    checker.onPod({ metadata: { uid: "u2", name: "job-0-abc", resourceVersion: "2" }, status: { phase: "Pending" } }, 1, true);
    assert.deepEqual(checker.violations, ["Pod job-0-abc created twice (UIDs u1 and u2)"]);
  });
});
