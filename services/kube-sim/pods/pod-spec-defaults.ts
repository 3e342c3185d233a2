/** Pod spec defaulting as kube-apiserver applies it to Pods and to Job Pod templates. */
import { isPlainObject } from "../object.js";

function defaultContainer(c: Record<string, unknown>): void {
  c.terminationMessagePath ??= "/dev/termination-log";
  c.terminationMessagePolicy ??= "File";
  if (c.imagePullPolicy === undefined) {
    const image = typeof c.image === "string" ? c.image : "";
    const tag = /:([^/:@]+)$/.exec(image)?.[1];
    c.imagePullPolicy = image.includes("@") || (tag !== undefined && tag !== "latest") ? "IfNotPresent" : "Always";
  }
  c.resources ??= {};
}

export function defaultPodSpec(spec: Record<string, unknown>): void {
  spec.restartPolicy ??= "Always";
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= "ClusterFirst";
  spec.securityContext ??= {};
  spec.schedulerName ??= "default-scheduler";
  for (const list of ["containers", "initContainers"]) {
    const cs = spec[list];
    if (Array.isArray(cs)) for (const c of cs) if (isPlainObject(c)) defaultContainer(c);
  }
}
