#!/usr/bin/env bash
# Makes the Secrets the secured NATS (infra/nats/values.yaml) and jobtally (infra/base) need, with
# one random password per service, the same on both sides:
#   namespace nats:            jobtally-nats-users (keys watcher, counter, finalizer-remover)
#   namespace jobtally-system: jobtally-<service>-nats (key password), one per service, and nats-ca
#                              (key ca.crt, copied from the Secret nats-server-tls once it exists).
# Run it before `helm install` (the TLS Secrets come from cert-manager, infra/nats/certificates.yaml,
# or from you), then again with --ca-only after the certificates are issued. Never prints a password.
set -euo pipefail
NATS_NS=${NATS_NAMESPACE:-nats}
APP_NS=${JOBTALLY_NAMESPACE:-jobtally-system}
if [[ "${1:-}" != "--ca-only" ]]; then
  kubectl get namespace "$NATS_NS" >/dev/null 2>&1 || kubectl create namespace "$NATS_NS"
  kubectl get namespace "$APP_NS" >/dev/null 2>&1 || kubectl create namespace "$APP_NS"
  args=()
  for svc in watcher counter finalizer-remover; do
    pw=$(openssl rand -hex 24)
    args+=("--from-literal=$svc=$pw")
    kubectl -n "$APP_NS" create secret generic "jobtally-$svc-nats" --from-literal=password="$pw" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  done
  kubectl -n "$NATS_NS" create secret generic jobtally-nats-users "${args[@]}" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  echo "NATS passwords stored in $NATS_NS/jobtally-nats-users and $APP_NS/jobtally-<service>-nats"
fi
if kubectl -n "$NATS_NS" get secret nats-server-tls >/dev/null 2>&1; then
  kubectl -n "$NATS_NS" get secret nats-server-tls -o jsonpath='{.data.ca\.crt}' | base64 -d >"${TMPDIR:-/tmp}/nats-ca.crt"
  kubectl -n "$APP_NS" create secret generic nats-ca --from-file=ca.crt="${TMPDIR:-/tmp}/nats-ca.crt" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  rm -f "${TMPDIR:-/tmp}/nats-ca.crt"
  echo "CA copied to $APP_NS/nats-ca"
else
  echo "no Secret $NATS_NS/nats-server-tls yet: run again with --ca-only once the certificates exist"
fi
