/** The per-object event budget (client-go's EventSourceObjectSpamFilter: 25, then one per 5 min). */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventSpamFilter } from "../../../shared/kube/event-spam-filter.js";

describe("EventSpamFilter", () => {
  it("lets 25 events of one object through at once, then one per 5 minutes", () => {
    const f = new EventSpamFilter();
    const sent = Array.from({ length: 40 }, () => f.allow("job-a", 0)).filter(Boolean).length;
    assert.equal(sent, 25);
    assert.equal(f.allow("job-a", 299_000), false, "not before 5 minutes");
    assert.equal(f.allow("job-a", 300_000), true);
    assert.equal(f.allow("job-a", 300_001), false);
    assert.equal(f.allow("job-b", 300_001), true, "another object has its own budget");
  });

  it("forgets the least recently used objects past its cap", () => {
    const f = new EventSpamFilter({ burst: 1, refillMs: 1_000_000, maxObjects: 2 });
    assert.equal(f.allow("a", 0), true);
    assert.equal(f.allow("b", 0), true);
    assert.equal(f.allow("a", 1), false, "a is spent, and now the most recent");
    assert.equal(f.allow("c", 2), true, "b is forgotten to make room");
    assert.equal(f.allow("a", 3), false, "a was kept");
    assert.equal(f.allow("b", 4), true, "b starts afresh");
  });
});
