#!/usr/bin/env bash
# Everything a fresh Debian/Ubuntu machine with Node >= 20.19 needs for jobtally's demo and tests:
# nats-server when it is missing, and the locked Node packages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-nats-server.sh
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("jobtally needs Node >= 20.19, found "+process.version); process.exit(1) }'
npm ci --no-audit --no-fund
