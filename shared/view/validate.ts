/** Parses view records off the wire; a record that does not parse is dead-lettered with the reason. */
import type { ContainerExitCode, JobView, PodConditionView, PodView, SyncMarker, ViewRecord } from "./records.js";
import { VIEW_RECORD_VERSION } from "./records.js";
import { isJsonObject, parseJsonObject } from "../wire/json-object.js";

export class MalformedRecordError extends Error {
  override readonly name = "MalformedRecordError";
}

const PHASES = new Set(["Pending", "Running", "Succeeded", "Failed", "Unknown"]);

function str(o: Record<string, unknown>, k: string): string {
  const v = o[k];
  if (typeof v !== "string" || v === "") throw new MalformedRecordError(`field "${k}" must be a non-empty string`);
  return v;
}
function strOrNull(o: Record<string, unknown>, k: string): string | null {
  const v = o[k];
  if (v === null || v === undefined) return null;
  if (typeof v !== "string") throw new MalformedRecordError(`field "${k}" must be a string or null`);
  return v;
}
function bool(o: Record<string, unknown>, k: string): boolean {
  const v = o[k];
  if (typeof v !== "boolean") throw new MalformedRecordError(`field "${k}" must be a boolean`);
  return v;
}

/** An optional list field: absent or null means none; otherwise every item must parse. */
function optionalList<T>(o: Record<string, unknown>, k: string, item: (x: unknown) => T | null, what: string): T[] | undefined {
  const v = o[k];
  if (v === null || v === undefined) return undefined;
  if (!Array.isArray(v)) throw new MalformedRecordError(`field "${k}" must be a list of ${what}`);
  return v.map((x) => {
    const parsed = item(x);
    if (parsed === null) throw new MalformedRecordError(`field "${k}" must be a list of ${what}`);
    return parsed;
  });
}

function exitCodeItem(x: unknown): ContainerExitCode | null {
  if (!isJsonObject(x) || typeof x.name !== "string" || typeof x.exitCode !== "number" || !Number.isInteger(x.exitCode)) return null;
  return { name: x.name, exitCode: x.exitCode };
}

function conditionItem(x: unknown): PodConditionView | null {
  if (!isJsonObject(x) || typeof x.type !== "string" || x.type === "" || typeof x.status !== "string") return null;
  return { type: x.type, status: x.status };
}

export function parseViewRecord(data: Uint8Array | string): ViewRecord {
  const raw = parseJsonObject(data, "record", (m) => new MalformedRecordError(m));
  if (raw.v !== VIEW_RECORD_VERSION) throw new MalformedRecordError(`unsupported record version ${String(raw.v)}`);
  switch (raw.kind) {
    case "pod": {
      const phase = str(raw, "phase");
      if (!PHASES.has(phase)) throw new MalformedRecordError(`unknown pod phase "${phase}"`);
      const idx = raw.completionIndex;
      if (idx !== null && idx !== undefined && (typeof idx !== "number" || !Number.isInteger(idx) || idx < 0)) {
        throw new MalformedRecordError(`field "completionIndex" must be a non-negative integer or null`);
      }
      const pod: PodView = {
        v: VIEW_RECORD_VERSION,
        kind: "pod",
        uid: str(raw, "uid"),
        name: str(raw, "name"),
        namespace: str(raw, "namespace"),
        jobUID: strOrNull(raw, "jobUID"),
        resourceVersion: str(raw, "resourceVersion"),
        phase: phase as PodView["phase"],
        hasFinalizer: bool(raw, "hasFinalizer"),
        deletionTimestamp: strOrNull(raw, "deletionTimestamp"),
        gone: bool(raw, "gone"),
        ready: bool(raw, "ready"),
        completionIndex: (idx as number | null | undefined) ?? null,
        creationTimestamp: strOrNull(raw, "creationTimestamp"),
        finishedAt: strOrNull(raw, "finishedAt"),
      };
      const exitCodes = optionalList(raw, "containerExitCodes", exitCodeItem, "{name, exitCode} with an integer exit code");
      if (exitCodes && exitCodes.length > 0) pod.containerExitCodes = exitCodes;
      const conditions = optionalList(raw, "conditions", conditionItem, "{type, status}");
      if (conditions && conditions.length > 0) pod.conditions = conditions;
      const restarts = raw.restartCount;
      if (restarts !== null && restarts !== undefined) {
        if (typeof restarts !== "number" || !Number.isInteger(restarts) || restarts < 0) throw new MalformedRecordError(`field "restartCount" must be a non-negative integer`);
        if (restarts > 0) pod.restartCount = restarts;
      }
      const departed = raw.departed;
      if (departed !== null && departed !== undefined) {
        if (typeof departed !== "object" || typeof (departed as { releaseFinalizer?: unknown }).releaseFinalizer !== "boolean") {
          throw new MalformedRecordError(`field "departed" must be {releaseFinalizer: boolean}`);
        }
        pod.departed = { releaseFinalizer: (departed as { releaseFinalizer: boolean }).releaseFinalizer };
      }
      const candidate = raw.adoptionCandidate;
      if (candidate !== null && candidate !== undefined && candidate !== false) {
        if (candidate !== true) throw new MalformedRecordError(`field "adoptionCandidate" must be true or absent`);
        pod.adoptionCandidate = true;
      }
      for (const key of ["indexFailureCount", "indexIgnoredFailureCount", "deletionGracePeriodSeconds"] as const) {
        const n = raw[key];
        if (n === null || n === undefined) continue;
        if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new MalformedRecordError(`field "${key}" must be a non-negative integer`);
        if (n > 0) pod[key] = n;
      }
      return pod;
    }
    case "job": {
      const gone = bool(raw, "gone");
      const job = raw.job;
      if (!gone && !isJsonObject(job)) throw new MalformedRecordError(`a live job record needs the "job" object`);
      const rec: JobView = {
        v: VIEW_RECORD_VERSION,
        kind: "job",
        uid: str(raw, "uid"),
        name: str(raw, "name"),
        namespace: str(raw, "namespace"),
        resourceVersion: str(raw, "resourceVersion"),
        gone,
        job: isJsonObject(job) ? (job as JobView["job"]) : null,
      };
      if (raw.orphansOutsideWatch === true) rec.orphansOutsideWatch = true;
      return rec;
    }
    case "sync": {
      const epoch = raw.epoch;
      const at = raw.syncedAtMs;
      if (typeof epoch !== "number" || typeof at !== "number") throw new MalformedRecordError("sync marker needs numeric epoch and syncedAtMs");
      const m: SyncMarker = {
        v: VIEW_RECORD_VERSION,
        kind: "sync",
        watcherId: str(raw, "watcherId"),
        epoch,
        listResourceVersion: str(raw, "listResourceVersion"),
        syncedAtMs: at,
      };
      if (typeof raw.session === "string" && raw.session !== "") m.session = raw.session;
      return m;
    }
    default:
      throw new MalformedRecordError(`unknown record kind "${String(raw.kind)}"`);
  }
}
