/**
 * apimachinery's `ValidateOwnerReferences`, applied to every object on create and update as a
 * real API server does: each reference names apiVersion, kind, name and uid, and at most one is
 * the controller. (An owner that does not exist is accepted: the garbage collector deals with it.)
 */
import type { FieldError } from "./errors.js";
import type { KubeObject } from "./object.js";

interface Ref {
  apiVersion?: unknown;
  kind?: unknown;
  name?: unknown;
  uid?: unknown;
  controller?: unknown;
}

export function validateOwnerReferences(obj: KubeObject): FieldError[] {
  const refs = obj.metadata.ownerReferences as Ref[] | undefined;
  if (refs === undefined || refs === null) return [];
  if (!Array.isArray(refs)) return [{ type: "FieldValueInvalid", field: "metadata.ownerReferences", value: refs, detail: "must be a list" }];
  const errs: FieldError[] = [];
  const controllers: string[] = [];
  refs.forEach((ref, i) => {
    const at = `metadata.ownerReferences[${i}]`;
    if (ref === null || typeof ref !== "object") {
      errs.push({ type: "FieldValueInvalid", field: at, value: ref, detail: "must be an object" });
      return;
    }
    const apiVersion = typeof ref.apiVersion === "string" ? ref.apiVersion : "";
    if (apiVersion === "" || !/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion)) errs.push({ type: "FieldValueInvalid", field: `${at}.apiVersion`, value: ref.apiVersion, detail: "version must not be empty" });
    if (typeof ref.kind !== "string" || ref.kind === "") errs.push({ type: "FieldValueInvalid", field: `${at}.kind`, value: ref.kind ?? "", detail: "kind must not be empty" });
    if (typeof ref.name !== "string" || ref.name === "") errs.push({ type: "FieldValueInvalid", field: `${at}.name`, value: ref.name ?? "", detail: "name must not be empty" });
    if (typeof ref.uid !== "string" || ref.uid === "") errs.push({ type: "FieldValueInvalid", field: `${at}.uid`, value: ref.uid ?? "", detail: "uid must not be empty" });
    if (ref.controller === true) controllers.push(`${String(ref.kind)}/${String(ref.name)}`);
  });
  if (controllers.length > 1) {
    errs.push({ type: "FieldValueInvalid", field: "metadata.ownerReferences", value: "[...]", detail: `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(" and ")}` });
  }
  return errs;
}
