import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { ForgottenPods } from "../../../services/counter/forgotten-pods.js";

describe("ForgottenPods (a scalable Bloom filter of Pod UIDs)", () => {
  it("never forgets a Pod it was told of: 100,000 UIDs, every one answers maybe", () => {
    const f = new ForgottenPods();
    const uids = Array.from({ length: 100_000 }, () => randomUUID());
    for (const u of uids) f.add(u);
    assert.equal(uids.filter((u) => !f.mightContain(u)).length, 0);
    assert.ok(f.bytes < 400_000, `${f.bytes} bytes for 100,000 Pods`);
  });

  it("says maybe for few Pods it never held (each a needless GET): under 2% of 100,000", () => {
    const f = new ForgottenPods();
    for (let i = 0; i < 100_000; i++) f.add(randomUUID());
    let maybe = 0;
    for (let i = 0; i < 100_000; i++) if (f.mightContain(randomUUID())) maybe++;
    assert.ok(maybe < 2_000, `${maybe} false maybes in 100,000`);
  });

  it("empty: nothing was forgotten", () => {
    assert.equal(new ForgottenPods().mightContain(randomUUID()), false);
  });
});
