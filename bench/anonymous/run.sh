#!/usr/bin/env bash
# Anonymous sign-in requests and memory: what 100,000 authorization requests from browsers nobody signed
# in to leave behind in the server (RSS) and in Redis, per request, and what is left after they expire.
# yimen in embedded mode (process memory), yimen on PostgreSQL + Redis, and oidc-provider (the peer, its
# default in-memory adapter) side by side in one run. Writes bench/anonymous/RESULTS.md.
#
#   bench/anonymous/run.sh
#
# Knobs: BENCH_ANON_REQUESTS (100000), BENCH_ANON_CONCURRENCY (32), BENCH_ANON_IDLE_SECS (30: yimen's
# http.anonymous_session_idle_secs for the run, so that expiry can be watched), BENCH_ANON_TARGETS
# ("yimen yimen-redis peer"), YIMEN_BENCH_POSTGRES_URL / YIMEN_BENCH_REDIS_URL (the local servers).
# Builds target/release/yimen only when it is missing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH_DIR=$(dirname "$HERE")
ROOT=$(dirname "$BENCH_DIR")
BIN="$ROOT/target/release/yimen"
REQUESTS=${BENCH_ANON_REQUESTS:-100000}
CONCURRENCY=${BENCH_ANON_CONCURRENCY:-32}
IDLE=${BENCH_ANON_IDLE_SECS:-30}
TARGETS=${BENCH_ANON_TARGETS:-"yimen yimen-redis peer"}
POSTGRES_URL=${YIMEN_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${YIMEN_BENCH_REDIS_URL:-redis://127.0.0.1:6379}
OUT=$(mktemp -d)
RESULTS="$HERE/RESULTS.md"
REDIRECT_URI="http://127.0.0.1:4999/cb"

log() { printf '[anonymous %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
[ -x "$BIN" ] || (cd "$ROOT" && log "building yimen (release)" && cargo build --release --locked)
if [[ " $TARGETS " == *" peer "* ]] && [ ! -d "$BENCH_DIR/node_modules/oidc-provider" ]; then
    (cd "$BENCH_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
rss_kb() { awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status"; }
redis_bytes() { redis-cli -u "$REDIS_URL" info memory | awk -F: '$1 == "used_memory" {print $2}' | tr -d '\r'; }
json_get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
in_process() { curl -fsS "$ISSUER/metrics" 2>/dev/null | awk '$1 == "yimen_ephemeral_entries_in_process" {print $2}'; }
wait_for() { for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done; return 1; }

SERVER=""; DATABASE=""; PREFIX=""
cleanup() {
    [ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null || true
    [ -z "$DATABASE" ] || psql "$POSTGRES_URL" -q -c "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$OUT"
}
trap cleanup EXIT

start_yimen() {   # with_redis (0/1)
    local port data; port=$(free_port); data="$OUT/data-$1"; mkdir -p "$data"
    ISSUER="http://127.0.0.1:$port"; AUTHORIZE="$ISSUER/authorize"
    export YIMEN_LISTEN="127.0.0.1:$port" YIMEN_ISSUER="$ISSUER" YIMEN_DATA_DIR="$data" RUST_LOG=warn \
        YIMEN_HTTP__ANONYMOUS_SESSION_IDLE_SECS="$IDLE" YIMEN_HTTP__MAX_ANONYMOUS_REQUESTS=100000000
    if [ "$1" = 1 ]; then
        DATABASE="yimen_bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
        psql "$POSTGRES_URL" -q -c "CREATE DATABASE $DATABASE" >/dev/null
        PREFIX="yimen-bench:$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n'):"
        export YIMEN_DATABASE_URL="${POSTGRES_URL%/*}/$DATABASE" YIMEN_REDIS_URL="$REDIS_URL" YIMEN_REDIS_PREFIX="$PREFIX"
    fi
    "$BIN" client add --name bench --redirect-uri "$REDIRECT_URI" --json > "$OUT/client.json" 2>/dev/null
    CLIENT_ID=$(json_get "$OUT/client.json" client_id)
    "$BIN" serve > "$OUT/yimen.log" 2>&1 & SERVER=$!
    wait_for "$ISSUER/.well-known/openid-configuration" || { tail "$OUT/yimen.log" >&2; exit 2; }
    unset YIMEN_LISTEN YIMEN_ISSUER YIMEN_DATA_DIR YIMEN_DATABASE_URL YIMEN_REDIS_URL YIMEN_REDIS_PREFIX \
        YIMEN_HTTP__ANONYMOUS_SESSION_IDLE_SECS YIMEN_HTTP__MAX_ANONYMOUS_REQUESTS
}

start_peer() {
    local port; port=$(free_port)
    ISSUER="http://127.0.0.1:$port"
    (cd "$BENCH_DIR" && NODE_ENV=production PEER_PORT=$port PEER_WORKERS=0 PEER_SEED="$OUT/peer.json" exec node peer/provider.js) \
        > "$OUT/peer.log" 2>&1 & SERVER=$!
    wait_for "$ISSUER/.well-known/openid-configuration" || { tail "$OUT/peer.log" >&2; exit 2; }
    AUTHORIZE=$(curl -fsS "$ISSUER/.well-known/openid-configuration" | python3 -c 'import json,sys; print(json.load(sys.stdin)["authorization_endpoint"])')
    CLIENT_ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["code"]["client_id"])' "$OUT/peer.json")
}

flood() {   # requests
    python3 "$HERE/flood.py" --authorize "$AUTHORIZE" --client-id "$CLIENT_ID" --redirect-uri "$REDIRECT_URI" \
        --requests "$1" --concurrency "$CONCURRENCY"
}

ROWS=()
for target in $TARGETS; do
    case "$target" in
        yimen) start_yimen 0 ;;
        yimen-redis) start_yimen 1 ;;
        peer) start_peer ;;
        *) log "unknown target $target"; exit 2 ;;
    esac
    log "$target: warm-up"
    flood 2000 > /dev/null
    sleep 2
    rss_before=$(rss_kb "$SERVER"); redis_before=$( [ "$target" = yimen-redis ] && redis_bytes || echo 0)
    log "$target: $REQUESTS anonymous authorization requests"
    result=$(flood "$REQUESTS")
    sleep 1
    rss_after=$(rss_kb "$SERVER"); redis_after=$( [ "$target" = yimen-redis ] && redis_bytes || echo 0)
    case "$target" in
        yimen-redis) keys_after=$(redis-cli -u "$REDIS_URL" --scan --pattern "${PREFIX}session:*" | wc -l) ;;
        yimen) keys_after=$(in_process) ;;
        *) keys_after="" ;;
    esac
    log "$target: $result; waiting $((IDLE + 40)) s for the anonymous sessions to expire (and housekeeping to run)"
    sleep $((IDLE + 40))
    flood 100 > /dev/null   # expiry in process memory is lazy: a little traffic lets it run
    sleep 2
    rss_expired=$(rss_kb "$SERVER"); redis_expired=$( [ "$target" = yimen-redis ] && redis_bytes || echo 0)
    case "$target" in
        yimen-redis) keys_expired=$(redis-cli -u "$REDIS_URL" --scan --pattern "${PREFIX}session:*" | wc -l) ;;
        yimen) keys_expired=$(in_process) ;;
        *) keys_expired="" ;;
    esac
    ROWS+=("$target|$result|$rss_before|$rss_after|$rss_expired|$redis_before|$redis_after|$redis_expired|$keys_after|$keys_expired")
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
    if [ -n "$DATABASE" ]; then psql "$POSTGRES_URL" -q -c "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" >/dev/null; DATABASE=""; fi
done

python3 - "$RESULTS" "$REQUESTS" "$CONCURRENCY" "$IDLE" "$(git -C "$ROOT" rev-parse --short HEAD)" "${ROWS[@]}" <<'PY'
import json, sys, datetime, platform, os
out, requests, concurrency, idle, head, *rows = sys.argv[1:]
requests = int(requests)
lines = [
    "# Anonymous authorization requests and memory",
    "",
    f"{datetime.date.today()} · commit {head} · {os.cpu_count()} cores · {requests:,} requests, {concurrency} at a time,",
    f"no cookies kept, each with its own state, nonce and PKCE challenge (`bench/anonymous/run.sh`). yimen: release",
    f"build, `http.anonymous_session_idle_secs = {idle}` for the run (default 600) and the anonymous cap lifted; the",
    "peer: oidc-provider with its default in-memory adapter (an LRU of 1,000 entries, so it forgets sign-ins",
    "in progress under load instead of growing).",
    "",
    "| server | answers | RSS growth per request | RSS after expiry (vs before) | Redis growth per request | Redis after expiry (vs before) | entries held after / after expiry |",
    "|---|---|---:|---:|---:|---:|---:|",
]
for row in rows:
    target, result, rss0, rss1, rss2, r0, r1, r2, k1, k2 = row.split("|")
    result = json.loads(result)
    rss0, rss1, rss2, r0, r1, r2 = (int(x or 0) for x in (rss0, rss1, rss2, r0, r1, r2))
    per = (rss1 - rss0) * 1024 / requests
    redis = f"{(r1 - r0) / requests:.0f} B" if target == "yimen-redis" else "—"
    redis_left = f"{(r2 - r0) / 1024:+.0f} KiB" if target == "yimen-redis" else "—"
    keys = f"{k1.strip()} / {k2.strip()}" if target.startswith("yimen") else "—"
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(result["statuses"].items()))
    lines.append(f"| {target} | {statuses} ({result['seconds']} s) | {per:.0f} B | {(rss2 - rss0) / 1024:+.1f} MiB | {redis} | {redis_left} | {keys} |")
lines += ["", "RSS is the process's resident memory (`VmRSS`): the allocator keeps freed pages, so RSS after expiry",
          "shows what stays reserved, not what is live. What is live: for yimen in process memory, the entries of its",
          "ephemeral store (`yimen_ephemeral_entries_in_process` in /metrics, all kinds); with Redis, `used_memory`",
          "and the number of session keys."]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
