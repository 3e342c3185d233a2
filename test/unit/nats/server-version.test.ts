import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseServerVersion, replicatedStreamsWarning } from "../../../shared/nats/server-version.js";

describe("the nats-server version and replicated streams", () => {
  const cases: { name: string; version: string | undefined; replicas: number; warns: boolean }[] = [
    { name: "2.9.10 (Debian's package) with R3 streams: warned", version: "2.9.10", replicas: 3, warns: true },
    { name: "2.9.10 with R1 streams (a single server): nothing to diverge", version: "2.9.10", replicas: 1, warns: false },
    { name: "2.10.0 with R3: fine", version: "2.10.0", replicas: 3, warns: false },
    { name: "2.11.4 with R3: fine", version: "2.11.4", replicas: 3, warns: false },
    { name: "3.0.0: fine", version: "3.0.0", replicas: 3, warns: false },
    { name: "an unreadable version: not guessed at", version: "dev", replicas: 3, warns: false },
    { name: "no version known: not guessed at", version: undefined, replicas: 3, warns: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const w = replicatedStreamsWarning(c.version, c.replicas);
      assert.equal(w !== null, c.warns, String(w));
      if (w) assert.match(w, /2\.10 or later/);
    });
  }
  it("parses a leading v and a suffix", () => {
    assert.deepEqual(parseServerVersion("v2.10.22-beta.1"), [2, 10, 22]);
  });
});
