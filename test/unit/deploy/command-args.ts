/** Checks that a container/compose command is a real `jobtally` sub-command whose flags parse. */
import { loadOptions, type OptionSchema } from "../../../shared/config/options.js";
import { watcherOptionSchema } from "../../../services/watcher/options.js";
import { counterOptionSchema } from "../../../services/counter/options.js";
import { finalizerRemoverOptionSchema } from "../../../services/finalizer-remover/options.js";
import { kubeletSimSchema } from "../../../services/kubelet-sim/options.js";
import { simOptions } from "../../../services/kube-sim/main.js";
import { demoOptionSchema } from "../../../services/demo/options.js";

export const COMMAND_SCHEMAS: Record<string, OptionSchema> = {
  watcher: watcherOptionSchema,
  counter: counterOptionSchema,
  "finalizer-remover": finalizerRemoverOptionSchema,
  "kubelet-sim": kubeletSimSchema,
  sim: simOptions,
  demo: demoOptionSchema,
};

/** Throws with the reason when `argv` (sub-command first) would not start. */
export function checkJobtallyCommand(argv: string[], env: Record<string, string>): void {
  const [command, ...flags] = argv;
  const schema = command === undefined ? undefined : COMMAND_SCHEMAS[command];
  if (!schema) throw new Error(`"${command}" is not a jobtally sub-command (known: ${Object.keys(COMMAND_SCHEMAS).join(", ")})`);
  loadOptions(schema, flags, env);
}

/** The environment variables `command` reads (its option schema's `env` names). */
export function envNamesOf(command: string): Set<string> {
  const schema = COMMAND_SCHEMAS[command];
  if (!schema) throw new Error(`"${command}" is not a jobtally sub-command`);
  return new Set(Object.values(schema).flatMap((spec) => (spec.env ? [spec.env] : [])));
}
