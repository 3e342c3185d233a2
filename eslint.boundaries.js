// The boundaries of the layout (see docs/architecture.md): services meet only through JetStream
// and HTTP, never through imports; the project's shared/ imports no service. A small local rule,
// since it has to resolve each relative import to the folder it lands in.
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
/** Tools that start the services as processes may read their option schemas, nothing else. */
const TOOLS = new Set(["bench", "demo"]);

/** "shared", "services/<name>", or null (bin, scripts, test, ...). */
function areaOf(absPath) {
  const rel = relative(root, absPath).split(/[\\/]/);
  if (rel[0] === "shared") return { area: "shared" };
  if (rel[0] === "services" && rel.length > 2) return { area: "service", name: rel[1], file: rel.slice(2).join("/") };
  return null;
}

function violation(from, to) {
  if (!from || !to) return null;
  if (from.area === "shared" && to.area === "service") return "shared/ imports no service";
  if (from.area === "service" && to.area === "service" && from.name !== to.name) {
    if (TOOLS.has(from.name) && to.file === "options.ts") return null;
    return `services meet through JetStream and HTTP, not imports (${from.name} → ${to.name})`;
  }
  return null;
}

export const boundariesRule = {
  meta: { type: "problem", docs: { description: "keeps services and shared/ apart" }, schema: [], messages: { crossed: "{{why}}: {{spec}}" } },
  create(context) {
    const from = areaOf(context.filename);
    if (!from) return {};
    const check = (node) => {
      const spec = node.source?.value;
      if (typeof spec !== "string" || !spec.startsWith(".")) return;
      const target = resolve(dirname(context.filename), spec.replace(/\.js$/, ".ts"));
      const why = violation(from, areaOf(target));
      if (why) context.report({ node, messageId: "crossed", data: { why, spec } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};
