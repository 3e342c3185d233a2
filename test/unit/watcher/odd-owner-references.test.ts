/**
 * Pods with odd or several ownerReferences (issue 11, bad input): only a controller reference of
 * kind Job in the batch group makes a Pod a Job's; anything else is not routed to a Job.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { V1OwnerReference } from "@kubernetes/client-node";
import { controllerJobUID } from "../../../shared/view/project.js";

const job = (uid: string, over: Partial<V1OwnerReference> = {}): V1OwnerReference => ({ apiVersion: "batch/v1", kind: "Job", name: `j-${uid}`, uid, controller: true, ...over });

const cases: { name: string; refs: V1OwnerReference[] | undefined; want: string | null }[] = [
  { name: "no ownerReferences", refs: undefined, want: null },
  { name: "a Job reference that is not the controller", refs: [job("a", { controller: false })], want: null },
  { name: "a Job reference without the controller field", refs: [job("a", { controller: undefined })], want: null },
  { name: "a controller of another kind (ReplicaSet)", refs: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "rs", controller: true }], want: null },
  { name: "a 'Job' of another API group", refs: [job("a", { apiVersion: "example.com/v1" })], want: null },
  { name: "several owners, one controller Job", refs: [{ apiVersion: "v1", kind: "ConfigMap", name: "cm", uid: "cm" }, job("b", { controller: false }), job("c")], want: "c" },
];
for (const c of cases) {
  test(`controllerJobUID: ${c.name}`, () => {
    assert.equal(controllerJobUID({ metadata: { name: "p", ownerReferences: c.refs } }), c.want);
  });
}
