/**
 * Label and field selectors as kube-apiserver parses them (the subset list/watch callers use):
 * labels `=`, `==`, `!=`, `in`, `notin`, `key`, `!key`; fields `=`, `==`, `!=`.
 */
import { badRequest } from "./errors.js";
import type { KubeObject } from "./object.js";

export type LabelRequirement =
  | { op: "eq" | "neq"; key: string; value: string }
  | { op: "in" | "notin"; key: string; values: string[] }
  | { op: "exists" | "notexists"; key: string };

export type LabelSelector = LabelRequirement[];

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((p) => p.trim()).filter((p) => p !== "");
}

const KEY_RE = /^([a-zA-Z0-9.-]+\/)?[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$/;

function checkKey(key: string, raw: string): string {
  if (!KEY_RE.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${raw}"`);
  return key;
}

export function parseLabelSelector(raw: string | null | undefined): LabelSelector {
  if (!raw) return [];
  const reqs: LabelSelector = [];
  for (const part of splitTopLevel(raw)) {
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part))) {
      const values = (m[3] as string).split(",").map((v) => v.trim()).filter((v) => v !== "");
      reqs.push({ op: m[2] as "in" | "notin", key: checkKey(m[1] as string, raw), values });
    } else if ((m = /^([^=!\s]+)\s*(==|!=|=)\s*(\S*)$/.exec(part))) {
      reqs.push({ op: m[2] === "!=" ? "neq" : "eq", key: checkKey(m[1] as string, raw), value: m[3] as string });
    } else if ((m = /^!\s*(\S+)$/.exec(part))) {
      reqs.push({ op: "notexists", key: checkKey(m[1] as string, raw) });
    } else if (/^\S+$/.test(part)) {
      reqs.push({ op: "exists", key: checkKey(part, raw) });
    } else {
      throw badRequest(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }
  return reqs;
}

export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const r of sel) {
    const v = labels?.[r.key];
    switch (r.op) {
      case "eq":
        if (v !== r.value) return false;
        break;
      case "neq":
        if (v === r.value) return false;
        break;
      case "in":
        if (v === undefined || !r.values.includes(v)) return false;
        break;
      case "notin":
        if (v !== undefined && r.values.includes(v)) return false;
        break;
      case "exists":
        if (v === undefined) return false;
        break;
      case "notexists":
        if (v !== undefined) return false;
        break;
    }
  }
  return true;
}

/** An equality requirement on a label, usable with the store's label index. */
export function indexableRequirement(sel: LabelSelector, key: string): string | undefined {
  for (const r of sel) if (r.op === "eq" && r.key === key) return r.value;
  return undefined;
}

export interface FieldRequirement {
  field: string;
  op: "eq" | "neq";
  value: string;
}
export type FieldSelector = FieldRequirement[];

/** Fields each resource supports in field selectors (plus metadata.name / metadata.namespace). */
const SUPPORTED_FIELDS: Record<string, string[]> = {
  pods: ["status.phase", "spec.nodeName", "spec.schedulerName", "spec.restartPolicy", "status.podIP", "spec.serviceAccountName", "status.nominatedNodeName"],
  "jobs.batch": ["status.successful"],
  events: ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"],
  namespaces: ["status.phase"],
};

export function parseFieldSelector(raw: string | null | undefined, resource: string): FieldSelector {
  if (!raw) return [];
  const out: FieldSelector = [];
  for (const part of splitTopLevel(raw)) {
    const m = /^([^=!\s]+)\s*(==|!=|=)\s*(.*)$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${raw}'; can't understand '${part}'`);
    const field = m[1] as string;
    if (field !== "metadata.name" && field !== "metadata.namespace" && !(SUPPORTED_FIELDS[resource] ?? []).includes(field)) {
      throw badRequest(`"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    }
    out.push({ field, op: m[2] === "!=" ? "neq" : "eq", value: (m[3] as string).trim() });
  }
  return out;
}

function fieldValue(obj: KubeObject, field: string): string {
  if (field === "status.successful") {
    const s = (obj.status as { succeeded?: number } | undefined)?.succeeded;
    return String(s ?? 0);
  }
  let cur: unknown = obj;
  for (const p of field.split(".")) {
    if (cur === null || typeof cur !== "object") return "";
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur === undefined || cur === null ? "" : String(cur);
}

export function matchesFields(sel: FieldSelector, obj: KubeObject): boolean {
  for (const r of sel) {
    const v = fieldValue(obj, r.field);
    if (r.op === "eq" ? v !== r.value : v === r.value) return false;
  }
  return true;
}

/** The value of an equality requirement on `field`, usable to narrow a scan. */
export function fieldEquality(sel: FieldSelector, field: string): string | undefined {
  for (const r of sel) if (r.op === "eq" && r.field === field) return r.value;
  return undefined;
}
