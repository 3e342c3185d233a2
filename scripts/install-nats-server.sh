#!/usr/bin/env bash
# Installs nats-server (Debian package) when it is not on the PATH; sudo when not root.
set -euo pipefail
if ! command -v nats-server >/dev/null 2>&1; then
  echo "installing nats-server (Debian package nats-server)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nats-server
fi
