/** Conformance: optimistic concurrency and validation of Job status writes (what the counter relies on). */
import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { PatchStrategy, setHeaderOptions, type V1Job, type V1JobStatus } from "@kubernetes/client-node";
import { acquireKubeEnv, type KubeEnv } from "../support/kube-env.js";
import { capabilitiesOf, createInertJob, lacks } from "./capabilities.js";
import { expectApiError, jobManifest, rawRequest, uniqueName } from "./helpers.js";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const strategicPatch = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);

describe("conformance: Job status writes", () => {
  let env: KubeEnv;
  before(async () => {
    env = await acquireKubeEnv({ namespacePrefix: "conf-status" });
  });
  after(async () => {
    await env?.release();
  });

  // Inert, and as stored once no Job controller is about to write it: a status write with its
  // resourceVersion races nobody, wherever the built-in controller runs the suite's Jobs.
  const newJob = (prefix: string, spec: Partial<NonNullable<V1Job["spec"]>> = { completions: 3, parallelism: 3 }): Promise<V1Job> =>
    createInertJob(env, jobManifest(uniqueName(prefix), spec));
  /** False (the test skipped, saying why) where the server does not enforce the 1.32+ status rules. */
  const strictRules = async (t: TestContext): Promise<boolean> => {
    const strict = await capabilitiesOf(env).strictJobStatus();
    if (!strict.present) t.skip(lacks(strict));
    return strict.present;
  };
  const putStatus = (job: V1Job, status: V1JobStatus): Promise<V1Job> =>
    env.batch.replaceNamespacedJobStatus({ name: job.metadata!.name!, namespace: env.namespace, body: { ...job, status } });

  test("status PUT with a stale resourceVersion → 409 Conflict", async () => {
    const job = await newJob("stale");
    await putStatus(job, { active: 1 });
    await expectApiError(putStatus(job, { active: 2 }), { code: 409, reason: "Conflict", message: /modified/ });
  });

  test("status PUT without a resourceVersion is an unconditional update → 200", async () => {
    const job = await newJob("norv");
    await putStatus(job, { active: 1 });
    const updated = await putStatus({ ...job, metadata: { ...job.metadata, resourceVersion: undefined } }, { active: 2 });
    assert.equal(updated.status?.active, 2);
  });

  test("merge patch carrying a stale metadata.resourceVersion → 409 Conflict", async () => {
    const job = await newJob("patchrv");
    await putStatus(job, { active: 1 });
    await expectApiError(
      env.batch.patchNamespacedJobStatus({ name: job.metadata!.name!, namespace: env.namespace, body: { metadata: { resourceVersion: job.metadata!.resourceVersion }, status: { active: 2 } } }, mergePatch),
      { code: 409, reason: "Conflict" },
    );
  });

  test("negative counters → 422", async () => {
    const job = await newJob("neg");
    await expectApiError(putStatus(job, { succeeded: -1 }), { code: 422, reason: "Invalid" });
    await expectApiError(putStatus(job, { failed: -1 }), { code: 422, reason: "Invalid" });
  });

  test("the same UID in both uncounted lists → 422 Duplicate value", async () => {
    const job = await newJob("dup");
    await expectApiError(putStatus(job, { uncountedTerminatedPods: { succeeded: ["uid-a"], failed: ["uid-a"] } }), { code: 422, reason: "Invalid", message: /Duplicate value/ });
  });

  test("an empty UID in an uncounted list → 422", async () => {
    const job = await newJob("empty");
    await expectApiError(putStatus(job, { uncountedTerminatedPods: { succeeded: [""] } }), { code: 422, reason: "Invalid" });
  });

  // The rules above hold on every server (1.26 enforces them); the 1.32+ rules below skip, saying
  // why, where the server does not enforce them.

  test("decreasing succeeded → 422 (1.32+ rule)", async (t) => {
    if (!(await strictRules(t))) return;
    const job = await newJob("dec");
    const updated = await putStatus(job, { succeeded: 2 });
    await expectApiError(putStatus(updated, { succeeded: 1 }), { code: 422, reason: "Invalid" });
  });

  const finished = (startTime: Date, extra: V1JobStatus): V1JobStatus => ({
    startTime,
    completionTime: new Date(startTime.getTime() + 2000),
    succeeded: 3,
    conditions: [
      { type: "SuccessCriteriaMet", status: "True", reason: "CompletionsReached", message: "", lastTransitionTime: startTime, lastProbeTime: startTime },
      { type: "Complete", status: "True", reason: "CompletionsReached", message: "", lastTransitionTime: startTime, lastProbeTime: startTime },
    ],
    ...extra,
  });
  const startTime = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);

  test("Complete with active Pods → 422 (1.32+ rule)", async (t) => {
    if (!(await strictRules(t))) return;
    const job = await newJob("cact");
    await expectApiError(putStatus(job, finished(startTime, { active: 1 })), { code: 422, reason: "Invalid" });
  });

  test("Complete with a non-empty uncounted list → 422 (1.32+ rule)", async (t) => {
    if (!(await strictRules(t))) return;
    const job = await newJob("cunc");
    await expectApiError(putStatus(job, finished(startTime, { uncountedTerminatedPods: { failed: ["uid-z"] } })), { code: 422, reason: "Invalid" });
  });

  test("completionTime without Complete → 422 (1.32+ rule)", async (t) => {
    if (!(await strictRules(t))) return;
    const job = await newJob("ctime");
    await expectApiError(putStatus(job, { startTime, completionTime: new Date(startTime.getTime() + 1000), succeeded: 1 }), { code: 422, reason: "Invalid" });
  });

  test("completionTime changed once set → 422 (1.32+ rule)", async (t) => {
    if (!(await strictRules(t))) return;
    const job = await newJob("cmut");
    const done = await putStatus(job, finished(startTime, {}));
    await expectApiError(putStatus(done, finished(startTime, { completionTime: new Date(startTime.getTime() + 5000) })), { code: 422, reason: "Invalid" });
  });

  test("failedIndexes on a Job without backoffLimitPerIndex → 422 (1.32+ rule)", async (t) => {
    if (!(await strictRules(t))) return;
    const job = await newJob("fidx");
    await expectApiError(putStatus(job, { failedIndexes: "0" }), { code: 422, reason: "Invalid" });
  });

  test("a finished status that breaks no rule is accepted (the 422s above are each for their one reason)", async () => {
    const job = await newJob("cok");
    const updated = await putStatus(job, finished(startTime, {}));
    assert.ok(updated.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True"));
  });

  test("empty uncounted lists come back as {}", async () => {
    const job = await newJob("emptylists");
    const res = await rawRequest(env, "PUT", `/apis/batch/v1/namespaces/${env.namespace}/jobs/${job.metadata!.name}/status`, {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: job.metadata!.name, namespace: env.namespace, resourceVersion: job.metadata!.resourceVersion },
      spec: job.spec,
      status: { uncountedTerminatedPods: { succeeded: [], failed: [] } },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.status.uncountedTerminatedPods, {});
  });

  test("conditions are strategic-merged by type", async () => {
    const job = await newJob("conds");
    const name = job.metadata!.name!;
    const at = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const cond = (type: string, status: string, reason: string) => ({ type, status, reason, message: "", lastProbeTime: at, lastTransitionTime: at });
    await env.batch.patchNamespacedJobStatus({ name, namespace: env.namespace, body: { status: { conditions: [cond("Suspended", "False", "First")] } } }, strategicPatch);
    await env.batch.patchNamespacedJobStatus({ name, namespace: env.namespace, body: { status: { conditions: [cond("JobtallyProbe", "True", "Second")] } } }, strategicPatch);
    const merged = await env.batch.patchNamespacedJobStatus({ name, namespace: env.namespace, body: { status: { conditions: [cond("Suspended", "False", "Updated")] } } }, strategicPatch);
    const got = (merged.status?.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason}`).sort();
    assert.deepEqual(got, ["JobtallyProbe=True/Second", "Suspended=False/Updated"]);
  });
});
