/** JobState's quiescence: when a Pod event is the last one coming, the counter syncs at once. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { JobState } from "../../../services/counter/job-state.js";
import { pod } from "./fixtures.js";

describe("JobState.quiescent", () => {
  it("follows Pods through their life and the counter's own expectations", () => {
    const s = new JobState("job-uid", 0);
    let rv = 1;
    const apply = (p: ReturnType<typeof pod>) => s.applyPodRecord({ ...p, resourceVersion: String(++rv) }, "p", rv);
    assert.equal(s.quiescent(), true, "an empty Job");
    s.creationsInFlight.set("pod-a", { index: null, atMs: 0 });
    assert.equal(s.quiescent(), false, "a creation outstanding");
    apply(pod("a", { phase: "Pending" }));
    assert.equal(s.creationsInFlight.size, 0);
    assert.equal(s.quiescent(), false, "a Pod not finished");
    apply(pod("b", { phase: "Running" }));
    apply(pod("a", { phase: "Succeeded" }));
    assert.equal(s.quiescent(), false, "b still runs");
    apply(pod("b", { phase: "Running", deleting: true }));
    assert.equal(s.quiescent(), true, "a finished, b being deleted: nothing more is coming");
    s.removalsInFlight.set("a", 0);
    assert.equal(s.quiescent(), false, "a removal outstanding");
    apply(pod("a", { phase: "Succeeded", finalizer: false }));
    assert.equal(s.quiescent(), true, "the removal landed");
    apply(pod("b", { gone: true }));
    apply(pod("b", { gone: true }));
    assert.equal(s.unfinishedPods, 0, "never below zero, a repeat changes nothing");
  });
});
