/**
 * The NATS subjects each service needs, in one place: what it publishes (its own records, and the
 * JetStream API requests its client makes) and what it subscribes to. The shipped NATS
 * configurations (infra/nats/values.yaml, infra/compose/nats-server.conf) give each service's user
 * exactly these, and test/unit/deploy checks they match; test/e2e/nats-security runs the pipeline on
 * a server configured from here and checks that a service is refused another's subjects.
 *
 * What each service does on NATS:
 * - every service ensures the three streams at start-up (`$JS.API.INFO`, `STREAM.INFO|CREATE|UPDATE`)
 *   and reads their replication after a reconnect; JetStream answers on `_INBOX.>`.
 * - watcher: publishes the view (`jobtally.view.>`), reads back a key's last record (`STREAM.MSG.GET`)
 *   and replays the view through ordered consumers (`CONSUMER.*` on JOBTALLY_VIEW).
 * - counter: replays and follows the view (ordered consumers), deletes settled tombstones
 *   (`STREAM.MSG.DELETE`), publishes intents (`jobtally.intent.>`) and dead letters, reads the intent
 *   stream's subjects (`STREAM.INFO`), holds partition leases in the KV bucket (`$KV.jobtally_ownership.>`
 *   writes, direct gets and a watch), takes part in the shared API budget (`jobtally.budget.>`) and hears
 *   creation failures (`jobtally.creation-failed.>`).
 * - finalizer-remover: consumes the intents through its durable consumers (`CONSUMER.*` on
 *   JOBTALLY_INTENTS, acks on `$JS.ACK.JOBTALLY_INTENTS.>`), reads (never writes) the lease bucket to
 *   fence intents and view records to verify them (`STREAM.MSG.GET`), dead-letters malformed intents, reports creation failures, and takes part in the
 *   shared budget.
 */
import { DLQ_STREAM, DLQ_SUBJECT_PREFIX, INTENT_STREAM, INTENT_SUBJECT_PREFIX, VIEW_STREAM, VIEW_SUBJECT_PREFIX } from "../constants.js";
import { CREATION_FAILURE_SUBJECT_PREFIX } from "../intents/creation-failure.js";
import { BUDGET_SUBJECT_PREFIX } from "../kube/budget/shared-budget.js";
import { OWNERSHIP_BUCKET } from "../ownership/bucket.js";

export type PipelineService = "watcher" | "counter" | "finalizer-remover";
export const PIPELINE_SERVICES: readonly PipelineService[] = ["watcher", "counter", "finalizer-remover"];

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

/** The NATS user of each service in the shipped configurations. */
export const NATS_USERS: Record<PipelineService, string> = {
  watcher: "jobtally-watcher",
  counter: "jobtally-counter",
  "finalizer-remover": "jobtally-finalizer-remover",
};

/** The intent kinds, each with its own durable consumer in the finalizer-remover. */
export const INTENT_KIND_NAMES = ["removeFinalizer", "createPod", "deletePod", "adoptPod"] as const;
/** Durable consumer names of the finalizer-remover (its options.ts builds the same; a unit test checks). */
export const REMOVER_DURABLES = INTENT_KIND_NAMES.map((k) => `finalizer-remover-${k}`);
/** The single consumer of earlier versions, which the remover deletes at start-up. */
export const LEGACY_REMOVER_DURABLE_NAME = "finalizer-remover";

const KV_STREAM = `KV_${OWNERSHIP_BUCKET}`;
const API = "$JS.API";

/** Ensuring the streams (every service does it at start-up) and reading their state. */
function streamAdmin(stream: string): string[] {
  return [`${API}.STREAM.INFO.${stream}`, `${API}.STREAM.CREATE.${stream}`, `${API}.STREAM.UPDATE.${stream}`];
}

/** Ephemeral ordered consumers on `stream` (their names are random): create, read, pull, delete. */
function orderedConsumers(stream: string): string[] {
  return [
    `${API}.CONSUMER.CREATE.${stream}`,
    `${API}.CONSUMER.CREATE.${stream}.>`,
    `${API}.CONSUMER.INFO.${stream}.*`,
    `${API}.CONSUMER.DELETE.${stream}.*`,
    `${API}.CONSUMER.MSG.NEXT.${stream}.*`,
  ];
}

/** Named durable consumers: create or update (the filter is the subject's tail), read, pull, ack. */
function durableConsumers(stream: string, durables: string[]): string[] {
  return [
    ...durables.flatMap((d) => [
      `${API}.CONSUMER.CREATE.${stream}.${d}`,
      `${API}.CONSUMER.CREATE.${stream}.${d}.>`,
      `${API}.CONSUMER.DURABLE.CREATE.${stream}.${d}`,
      `${API}.CONSUMER.INFO.${stream}.${d}`,
      `${API}.CONSUMER.MSG.NEXT.${stream}.${d}`,
    ]),
    `$JS.ACK.${stream}.>`,
  ];
}

/** The lease bucket, read only: open it, direct gets, a watch (an ordered push consumer with flow control). */
function bucketReader(): string[] {
  return [...streamAdmin(KV_STREAM), `${API}.DIRECT.GET.${KV_STREAM}`, `${API}.DIRECT.GET.${KV_STREAM}.>`, `${API}.STREAM.MSG.GET.${KV_STREAM}`, ...orderedConsumers(KV_STREAM), `$JS.FC.${KV_STREAM}.>`];
}

const COMMON_PUBLISH = [`${API}.INFO`, ...[VIEW_STREAM, INTENT_STREAM, DLQ_STREAM].flatMap(streamAdmin)];
const INBOX = "_INBOX.>";

const PERMISSIONS: Record<PipelineService, NatsPermissions> = {
  watcher: {
    publish: [...COMMON_PUBLISH, `${VIEW_SUBJECT_PREFIX}.>`, `${API}.STREAM.MSG.GET.${VIEW_STREAM}`, ...orderedConsumers(VIEW_STREAM)],
    subscribe: [INBOX],
  },
  counter: {
    publish: [
      ...COMMON_PUBLISH,
      `${INTENT_SUBJECT_PREFIX}.>`,
      `${DLQ_SUBJECT_PREFIX}.>`,
      `${BUDGET_SUBJECT_PREFIX}.>`,
      `${API}.STREAM.MSG.GET.${VIEW_STREAM}`,
      `${API}.STREAM.MSG.DELETE.${VIEW_STREAM}`,
      ...orderedConsumers(VIEW_STREAM),
      ...bucketReader(),
      `$KV.${OWNERSHIP_BUCKET}.>`,
    ],
    subscribe: [INBOX, `${BUDGET_SUBJECT_PREFIX}.>`, `${CREATION_FAILURE_SUBJECT_PREFIX}.>`],
  },
  "finalizer-remover": {
    publish: [
      ...COMMON_PUBLISH,
      `${DLQ_SUBJECT_PREFIX}.>`,
      `${BUDGET_SUBJECT_PREFIX}.>`,
      `${CREATION_FAILURE_SUBJECT_PREFIX}.>`,
      ...durableConsumers(INTENT_STREAM, REMOVER_DURABLES),
      `${API}.CONSUMER.DELETE.${INTENT_STREAM}.${LEGACY_REMOVER_DURABLE_NAME}`,
      // Reads (never writes) view records: intents are verified against them (verify.ts).
      `${API}.STREAM.MSG.GET.${VIEW_STREAM}`,
      ...bucketReader(),
    ],
    subscribe: [INBOX, `${BUDGET_SUBJECT_PREFIX}.>`],
  },
};

/** The subjects `service` may publish to and subscribe to. */
export function servicePermissions(service: PipelineService): NatsPermissions {
  const p = PERMISSIONS[service];
  return { publish: [...p.publish], subscribe: [...p.subscribe] };
}

/**
 * The `authorization` block of a nats-server config with one user per service (tests and the
 * compose file's config use it; the Helm values carry the same users). Passwords are referenced
 * as `$VAR` when `passwordRef` returns one, so the config file holds no secret.
 */
export function natsAuthorizationConfig(password: (service: PipelineService) => string): string {
  const q = (s: string): string => JSON.stringify(s);
  const users = PIPELINE_SERVICES.map((svc) => {
    const p = PERMISSIONS[svc];
    const pw = password(svc);
    return [
      `    {`,
      `      user: ${q(NATS_USERS[svc])}`,
      `      password: ${pw.startsWith("$") ? pw : q(pw)}`,
      `      permissions: {`,
      `        publish: { allow: [${p.publish.map(q).join(", ")}] }`,
      `        subscribe: { allow: [${p.subscribe.map(q).join(", ")}] }`,
      `      }`,
      `    }`,
    ].join("\n");
  });
  return `authorization {\n  users = [\n${users.join("\n")}\n  ]\n}\n`;
}
