/** The README's configuration reference is generated from the option schemas: fail when it drifts. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { README_PATH, readmeWithReference } from "../../../scripts/config-reference.js";

test("README's configuration reference matches the option schemas (run `npm run docs` to refresh)", () => {
  const readme = readFileSync(README_PATH, "utf8");
  assert.equal(readme, readmeWithReference(readme));
});

test("README names the two commands that .ci/run and a user run", () => {
  const readme = readFileSync(README_PATH, "utf8");
  const ci = readFileSync(new URL("../../../.ci/run", import.meta.url), "utf8");
  assert.match(readme, /bash scripts\/setup\.sh && npx jobtally demo/);
  assert.match(readme, /bash scripts\/setup\.sh && npm test/);
  const setup = readFileSync(new URL("../../../scripts/setup.sh", import.meta.url), "utf8");
  // CI does what setup.sh does, step for step, then the README's test command.
  for (const step of ["bash scripts/install-nats-server.sh", "npm ci"]) {
    assert.ok(setup.includes(step), `setup.sh runs ${step}`);
    assert.ok(ci.includes(step), `.ci/run runs ${step}`);
  }
  assert.match(ci, /^npm test$/m);
});
