#!/usr/bin/env bash
# Run the OIDF conformance harness against yimen: Basic OP, Config OP, RP-Initiated Logout OP,
# Back-Channel Logout OP and the extra modules (--plan all).
#
#   conformance/run-yimen.sh [path/to/yimen] [harness options, e.g. --fast]
#
# Starts a built yimen (default: target/debug/yimen; this script never builds it) in a fresh
# temporary data dir on a free loopback port, registers the clients and a test user through the
# yimen CLI, writes the harness config, runs the harness with --plan all, stops yimen and exits
# with the harness status (1 if any module FAILED, 2 if yimen could not be set up).
#
# The harness listens on the relying party's port ($RP) for back-channel logout requests and to
# serve request objects; oidcc-server-rotate-keys runs `yimen keys rotate` against the running
# yimen's database (the harness config's rotate_keys_command).
#
# Embedded SQLite and in-process state by default; with YIMEN_TEST_POSTGRES_URL (an administrative
# connection: a database of its own is created and dropped with psql) and YIMEN_TEST_REDIS_URL (a key
# prefix of its own) yimen runs on PostgreSQL and Redis, as the Rust suite does.
set -euo pipefail

CONFORMANCE_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$CONFORMANCE_DIR")
# shellcheck source=lib.sh
source "$CONFORMANCE_DIR/lib.sh"

BIN="$ROOT/target/debug/yimen"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    BIN=$1
    shift
fi
if [ ! -x "$BIN" ]; then
    log "no yimen binary at $BIN (build it first, e.g. cargo build)"
    exit 2
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

ensure_venv

DATA_DIR=$(mktemp -d)
WORK=$(mktemp -d)
YIMEN_PID=""
DATABASE=""
cleanup() {
    stop_pid "$YIMEN_PID"
    rm -rf "$DATA_DIR" "$WORK"
    if [ -n "$DATABASE" ]; then
        psql "$POSTGRES_ADMIN_URL" -q -c "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" >/dev/null || true
    fi
}
trap cleanup EXIT

# yimen refuses unknown YIMEN_* settings: the test variables are read here and not passed on.
POSTGRES_ADMIN_URL=${YIMEN_TEST_POSTGRES_URL:-}
REDIS_URL=${YIMEN_TEST_REDIS_URL:-}
unset YIMEN_TEST_POSTGRES_URL YIMEN_TEST_REDIS_URL
BACKEND="SQLite + in-process state"
if [ -n "$POSTGRES_ADMIN_URL" ]; then
    command -v psql >/dev/null 2>&1 || { log "psql is needed for YIMEN_TEST_POSTGRES_URL"; exit 2; }
    DATABASE="yimen_conformance_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
    psql "$POSTGRES_ADMIN_URL" -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE $DATABASE" || exit 2
    export YIMEN_DATABASE_URL="${POSTGRES_ADMIN_URL%/*}/$DATABASE"
    BACKEND="PostgreSQL ($DATABASE)"
fi
if [ -n "$REDIS_URL" ]; then
    export YIMEN_REDIS_URL="$REDIS_URL"
    export YIMEN_REDIS_PREFIX="yimen-conformance:$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n'):"
    BACKEND="$BACKEND + Redis"
fi
RESULTS="$CONFORMANCE_DIR/last-results-yimen${DATABASE:+-postgres}.json"

PORT=$(free_port)
RP_PORT=$(free_port)
RP="http://127.0.0.1:$RP_PORT"          # redirect URIs are never served (the harness reads the redirects'
                                        # Location); the harness's receiver listens here for the OP's calls
export YIMEN_LISTEN="127.0.0.1:$PORT"
export YIMEN_ISSUER="http://127.0.0.1:$PORT"
export YIMEN_DATA_DIR="$DATA_DIR"
# Stopped when the run ends, with no load balancer to tell: no drain.
export YIMEN_HTTP__DRAIN_SECS=0
PASSWORD="Conformance-$("$PY" -c 'import secrets; print(secrets.token_hex(8))')"
PHONE=13800138000
ID_NUMBER=11010519491231002X            # passes the GB 11643 check digit

log "registering clients and the test user in $DATA_DIR"
add_client() {   # name, redirect path, output file, token endpoint auth method, extra `client add` options
    local name=$1 path=$2 file=$3 method=$4
    shift 4
    "$BIN" client add --name "$name" --redirect-uri "$RP$path" --auth-method "$method" \
        --post-logout-redirect-uri "$RP/post_logout_redirect" --json "$@" > "$WORK/$file.json"
}
add_client oidf-client /cb client client_secret_basic
add_client oidf-client2 /cb2 client2 client_secret_basic
add_client oidf-client-secret-post /cb3 client_secret_post client_secret_post
# extra plan: two redirect URIs, the second with a query (what the suite's AddQueryToRedirectUri registers)
add_client oidf-redirect-client /cb4 redirect_client client_secret_basic --redirect-uri "$RP/cb4q?bar=foo"
# backchannel plan: the suite's static-client registration for OIDCCBackChannelRpInitiatedLogout
add_client oidf-backchannel-client /cb5 backchannel_client client_secret_basic \
    --backchannel-logout-uri "$RP/backchannel_logout" --backchannel-logout-session-required
printf '%s\n' "$PASSWORD" | "$BIN" user add --name "OIDF Conformance" --id-number "$ID_NUMBER" \
    --phone "$PHONE" --password-stdin --json > "$WORK/user.json"

# The harness config: the three clients, the login form's fields and yimen's consent button.
ROTATE_COMMAND="$(printf '%q' "$BIN") keys rotate"   # runs with this script's YIMEN_* environment
"$PY" - "$WORK" "$YIMEN_ISSUER" "$RP" "$PHONE" "$PASSWORD" "$ROTATE_COMMAND" <<'PYCONF' || exit 2
import json
import sys

work, issuer, rp, phone, password, rotate_command = sys.argv[1:]


def client(name, *paths, **extra):
    with open(f"{work}/{name}.json", encoding="utf-8") as handle:
        text = handle.read()
    try:
        data = json.loads(text)
        client_id = data["client_id"]
    except (ValueError, KeyError, TypeError):
        sys.exit(f"'yimen client add --json' ({name}) did not print JSON with a client_id: {text[:300]!r}")
    block = {"client_id": client_id, "client_secret": data.get("client_secret"), "redirect_uri": f"{rp}{paths[0]}"}
    if len(paths) > 1:
        block["redirect_uris"] = [f"{rp}{path}" for path in paths]
    block.update(extra)
    return block


config = {
    "issuer": issuer,
    "client": client("client", "/cb"),
    "client2": client("client2", "/cb2"),
    "client_secret_post": client("client_secret_post", "/cb3"),
    "redirect_client": client("redirect_client", "/cb4", "/cb4q?bar=foo"),
    "backchannel_client": client("backchannel_client", "/cb5", backchannel_logout_uri=f"{rp}/backchannel_logout",
                                 backchannel_logout_session_required=True),
    "post_logout_redirect_uri": f"{rp}/post_logout_redirect",
    "receiver_base_url": rp,
    "rotate_keys_command": rotate_command,
    "user": {"fields": {"account": phone, "password": password}},
    "consent": {"button_name": "decision", "button_value": "allow"},
}
with open(f"{work}/config.json", "w", encoding="utf-8") as handle:
    json.dump(config, handle, indent=2)
PYCONF

log "starting yimen on $YIMEN_LISTEN ($BACKEND)"
"$BIN" serve > "$WORK/yimen.log" 2>&1 &
YIMEN_PID=$!
wait_for_url "$YIMEN_ISSUER/.well-known/openid-configuration" 60 "$YIMEN_PID" || {
    cat "$WORK/yimen.log" >&2; exit 2; }

set +e
"$PY" "$CONFORMANCE_DIR/harness.py" --issuer "$YIMEN_ISSUER" --config "$WORK/config.json" --plan all \
    --json-out "$RESULTS" "$@"
RC=$?
set -e
if [ $RC -ne 0 ]; then
    log "yimen log (last 40 lines):"
    tail -n 40 "$WORK/yimen.log" >&2 || true
fi
exit $RC
