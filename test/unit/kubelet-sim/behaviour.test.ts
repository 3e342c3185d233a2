import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  ANNOTATION_DURATION_MS,
  ANNOTATION_DURATION_MS_BY_INDEX,
  ANNOTATION_EXIT_CODE,
  ANNOTATION_EXIT_CODE_BY_INDEX,
  ANNOTATION_FAIL_PROBABILITY,
  podBehaviour,
  RANDOM_FAILURE_EXIT_CODE,
  type BehaviourDefaults,
} from "../../../services/kubelet-sim/logic/behaviour.js";
import { uniformFor } from "../../../shared/random.js";

const defaults: BehaviourDefaults = { startDelayMs: 50, durationMs: 1000, durationJitterMs: 0, failProbability: 0, seed: 7 };
const pod = (name: string, annotations: Record<string, string> = {}, namespace = "ns") => ({ namespace, name, annotations });

describe("podBehaviour", () => {
  const cases: { name: string; pod: ReturnType<typeof pod>; d?: Partial<BehaviourDefaults>; want: { durationMs?: number; exitCode?: number; problems?: number } }[] = [
    { name: "no annotations, no failures: defaults and exit 0", pod: pod("a"), want: { durationMs: 1000, exitCode: 0, problems: 0 } },
    { name: "duration annotation overrides the flag", pod: pod("a", { [ANNOTATION_DURATION_MS]: "25" }), want: { durationMs: 25, problems: 0 } },
    { name: "exit-code annotation overrides a certain failure", pod: pod("a", { [ANNOTATION_EXIT_CODE]: "0" }), d: { failProbability: 1 }, want: { exitCode: 0 } },
    { name: "exit-code annotation sets a failing code", pod: pod("a", { [ANNOTATION_EXIT_CODE]: "42" }), want: { exitCode: 42 } },
    { name: "fail-probability annotation 1 fails a Pod whose default is 0", pod: pod("a", { [ANNOTATION_FAIL_PROBABILITY]: "1" }), want: { exitCode: RANDOM_FAILURE_EXIT_CODE } },
    { name: "fail-probability annotation 0 saves a Pod whose default is 1", pod: pod("a", { [ANNOTATION_FAIL_PROBABILITY]: "0" }), d: { failProbability: 1 }, want: { exitCode: 0 } },
    { name: "default fail probability 1 fails every Pod", pod: pod("b"), d: { failProbability: 1 }, want: { exitCode: RANDOM_FAILURE_EXIT_CODE } },
    { name: "an unparsable duration falls back to the default and is reported", pod: pod("a", { [ANNOTATION_DURATION_MS]: "soon" }), want: { durationMs: 1000, problems: 1 } },
    { name: "an exit code above 255 is ignored and reported", pod: pod("a", { [ANNOTATION_EXIT_CODE]: "300" }), want: { exitCode: 0, problems: 1 } },
    {
      name: "exit-code-by-index: a Pod of a listed index exits with its code, before exit-code",
      pod: pod("a", { [ANNOTATION_EXIT_CODE_BY_INDEX]: "1=3,2=42", [ANNOTATION_EXIT_CODE]: "0", "batch.kubernetes.io/job-completion-index": "2" }),
      want: { exitCode: 42, problems: 0 },
    },
    {
      name: "exit-code-by-index: a Pod of an index not listed keeps the other annotations' outcome",
      pod: pod("a", { [ANNOTATION_EXIT_CODE_BY_INDEX]: "1=3", "batch.kubernetes.io/job-completion-index": "0" }),
      want: { exitCode: 0, problems: 0 },
    },
    {
      name: "duration-ms-by-index: a Pod of a listed index runs that long, before duration-ms",
      pod: pod("a", { [ANNOTATION_DURATION_MS_BY_INDEX]: "0=50", [ANNOTATION_DURATION_MS]: "9000", "batch.kubernetes.io/job-completion-index": "0" }),
      want: { durationMs: 50, problems: 0 },
    },
    {
      name: "exit-code-by-index: an unparsable list is ignored and reported",
      pod: pod("a", { [ANNOTATION_EXIT_CODE_BY_INDEX]: "one=3", "batch.kubernetes.io/job-completion-index": "1" }),
      want: { exitCode: 0, problems: 1 },
    },
    { name: "a probability above 1 is ignored and reported", pod: pod("a", { [ANNOTATION_FAIL_PROBABILITY]: "1.5" }), want: { exitCode: 0, problems: 1 } },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = podBehaviour(c.pod, { ...defaults, ...c.d });
      if (c.want.durationMs !== undefined) assert.equal(got.durationMs, c.want.durationMs);
      if (c.want.exitCode !== undefined) assert.equal(got.exitCode, c.want.exitCode);
      if (c.want.problems !== undefined) assert.equal(got.problems.length, c.want.problems, got.problems.join("; "));
      assert.equal(got.startDelayMs, 50);
    });
  }

  test("outcomes are a function of seed and namespace/name only (same answer on every call)", () => {
    const d = { ...defaults, failProbability: 0.5, durationJitterMs: 500 };
    for (let i = 0; i < 200; i++) {
      const a = podBehaviour(pod(`p-${i}`), d);
      const b = podBehaviour(pod(`p-${i}`, {}), { ...d });
      assert.deepEqual(a, b);
    }
  });

  test("a different seed gives a different set of failures", () => {
    const names = Array.from({ length: 200 }, (_, i) => `p-${i}`);
    const failed = (seed: number) => names.filter((n) => podBehaviour(pod(n), { ...defaults, failProbability: 0.5, seed }).exitCode !== 0).join(",");
    assert.notEqual(failed(1), failed(2));
    assert.equal(failed(1), failed(1));
  });

  test("the fail probability is honoured in aggregate", () => {
    const n = 4000;
    let failures = 0;
    for (let i = 0; i < n; i++) if (podBehaviour(pod(`job-x-${i}`), { ...defaults, failProbability: 0.25 }).exitCode !== 0) failures++;
    assert.ok(failures > n * 0.2 && failures < n * 0.3, `failures ${failures} of ${n}`);
  });

  test("jitter stays within [duration, duration + jitter)", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const { durationMs } = podBehaviour(pod(`p-${i}`), { ...defaults, durationJitterMs: 100 });
      assert.ok(durationMs >= 1000 && durationMs < 1100, String(durationMs));
      seen.add(durationMs);
    }
    assert.ok(seen.size > 50, "jitter should spread durations");
  });

  test("the namespace is part of the key", () => {
    const names = Array.from({ length: 100 }, (_, i) => `p-${i}`);
    const outcomes = (ns: string) => names.map((n) => podBehaviour(pod(n, {}, ns), { ...defaults, failProbability: 0.5 }).exitCode).join("");
    assert.notEqual(outcomes("a"), outcomes("b"));
  });

  test("uniformFor stays in [0, 1)", () => {
    for (let i = 0; i < 1000; i++) {
      const u = uniformFor(i, `k${i}`);
      assert.ok(u >= 0 && u < 1);
    }
  });
});
