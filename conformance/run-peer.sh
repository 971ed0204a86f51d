#!/usr/bin/env bash
# Validate the harness against oidc-provider, an OpenID Certified OP (Basic, Config, RP-Initiated Logout).
#
#   conformance/run-peer.sh [harness options, e.g. --fast]
#
# Installs the venv and the peer, starts the peer on a free loopback port, runs the harness with
# --plan all, stops the peer, and exits non-zero if any module FAILED (the peer is certified, so a
# FAILURE means the harness is wrong) or if a module's status differs from peer/expected.json.
set -euo pipefail

CONFORMANCE_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$CONFORMANCE_DIR/lib.sh"

ensure_venv
log "harness self-tests"
(cd "$CONFORMANCE_DIR" && "$PY" -m unittest discover -s tests -q) || { log "harness self-tests failed"; exit 1; }

PEER_DIR="$CONFORMANCE_DIR/peer"
if [ ! -d "$PEER_DIR/node_modules/oidc-provider" ] || [ "$PEER_DIR/package-lock.json" -nt "$PEER_DIR/node_modules/.package-lock.json" ]; then
    log "installing the peer (npm ci)"
    (cd "$PEER_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi

WORK=$(mktemp -d)
PEER_PID=""
cleanup() {
    stop_pid "$PEER_PID"
    cp "$WORK/peer.log" "$PEER_DIR/last-peer.log" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

PEER_PORT=$(free_port)
RP_PORT=$(free_port)
log "starting oidc-provider on 127.0.0.1:$PEER_PORT (log kept in peer/last-peer.log)"
(cd "$PEER_DIR" && PEER_PORT=$PEER_PORT RP_BASE="http://127.0.0.1:$RP_PORT" HARNESS_CONFIG="$WORK/config.json" \
    exec node provider.js) > "$WORK/peer.log" 2>&1 &
PEER_PID=$!
wait_for_url "http://127.0.0.1:$PEER_PORT/.well-known/openid-configuration" 30 "$PEER_PID" || {
    cat "$WORK/peer.log" >&2; exit 2; }

set +e
"$PY" "$CONFORMANCE_DIR/harness.py" --issuer "http://127.0.0.1:$PEER_PORT" --config "$WORK/config.json" \
    --plan all --json-out "$WORK/results.json" "$@"
HARNESS_RC=$?
set -e
if [ ! -f "$WORK/results.json" ]; then
    log "the harness produced no results (exit $HARNESS_RC)"
    exit 2
fi
# Keep the latest results next to the expectations for inspection (not committed, see .gitignore).
cp "$WORK/results.json" "$PEER_DIR/last-results.json" 2>/dev/null || true

PYTHONPATH="$CONFORMANCE_DIR" "$PY" -m oidfh.expect "$WORK/results.json" "$PEER_DIR/expected.json" \
    || { log "the harness disagrees with what oidc-provider is certified for (see above)"; exit 1; }
log "peer run agrees with peer/expected.json"
