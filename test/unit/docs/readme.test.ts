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
  assert.match(ci, /bash scripts\/setup\.sh/);
  assert.match(ci, /npm test/);
});
