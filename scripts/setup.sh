#!/usr/bin/env bash
# Everything a fresh Debian/Ubuntu machine with Node >= 20.19 needs for jobtally's demo and tests:
# nats-server (Debian package) when it is missing, and the locked Node packages.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nats-server >/dev/null 2>&1; then
  echo "installing nats-server (Debian package nats-server)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nats-server
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("jobtally needs Node >= 20.19, found "+process.version); process.exit(1) }'
npm ci --no-audit --no-fund
