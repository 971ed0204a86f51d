#!/usr/bin/env bash
# The catalog-scale benchmark: the connection-rate report and the dashboard over 100,000 service items,
# 5,000 business systems and 10,000,000 login events, on SQLite and on PostgreSQL, against the issue's
# budget of one second.
#
#   bench/catalog/run.sh              # writes bench/catalog/RESULTS.md
#
# For each backend: a fresh data directory (and, for PostgreSQL, a fresh database), `yimen migrate`,
# generate.py (timed), an administrator with an API token and a client that requires two factors, then
# the release server on a free port and measure.py. Builds target/release/yimen only if it is missing.
# Knobs: BENCH_CATALOG_ARGS (extra generate.py arguments, e.g. "--events 100000" for a quick try),
# BENCH_CATALOG_RUNS (7), BENCH_CATALOG_BACKENDS ("sqlite postgres"), BENCH_POSTGRES_URL
# (postgres://postgres@127.0.0.1:5432/postgres, the server to create the database on),
# BENCH_CATALOG_RESULTS (bench/catalog/RESULTS.md), BENCH_CATALOG_BIN (target/release/yimen).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${BENCH_CATALOG_BIN:-"$ROOT/target/release/yimen"}
RUNS=${BENCH_CATALOG_RUNS:-7}
BACKENDS=${BENCH_CATALOG_BACKENDS:-"sqlite postgres"}
PG_ADMIN_URL=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
RESULTS=${BENCH_CATALOG_RESULTS:-"$HERE/RESULTS.md"}
GEN_ARGS=${BENCH_CATALOG_ARGS:-}
OUT=$(mktemp -d /tmp/yimen-catalog-bench.XXXXXX)
PHONE=13800138000
PASSWORD=bench-Admin-passw0rd-x

log() { printf '[catalog bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ ! -x "$BIN" ]; then
    log "building yimen (cargo build --release)"
    (cd "$ROOT" && cargo build --release --locked)
fi
if [[ " $BACKENDS " == *" postgres "* ]] && ! command -v psql >/dev/null 2>&1; then
    log "installing postgresql-client for psql"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true; }
trap cleanup EXIT

for backend in $BACKENDS; do
    data="$OUT/$backend"
    mkdir -p "$data"
    db_args=()
    if [ "$backend" = postgres ]; then
        db_name="yimen_catalog_bench_$$"
        db_url="${PG_ADMIN_URL%/*}/$db_name"
        psql -q -X "$PG_ADMIN_URL" -c "CREATE DATABASE $db_name" >/dev/null
        db_args=(--database-url "$db_url")
    fi
    yimen() { RUST_LOG=warn "$BIN" --data-dir "$data" "${db_args[@]}" "$@" 2>>"$data/cli.log"; }
    log "$backend: migrating and generating the data set"
    yimen migrate >/dev/null
    if [ "$backend" = postgres ]; then
        # shellcheck disable=SC2086
        python3 "$HERE/generate.py" --postgres "$db_url" $GEN_ARGS > "$data/generated.json"
    else
        # shellcheck disable=SC2086
        python3 "$HERE/generate.py" --sqlite "$data/yimen.db" $GEN_ARGS > "$data/generated.json"
    fi
    log "$backend: $(cat "$data/generated.json")"
    echo "$PASSWORD" | yimen user add --name 基准管理员 --id-number 11010519491231002X --phone "$PHONE" --password-stdin >/dev/null
    yimen role grant --account "$PHONE" --role platform_admin >/dev/null
    token=$(yimen role token --account "$PHONE" --name "catalog bench" | tail -n 1)
    client_id=$(yimen client add --name 基准管理登录 --redirect-uri http://127.0.0.1:9/cb --require-mfa --json \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')
    expect=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["active_items"])' "$data/generated.json")

    port=$(free_port)
    RUST_LOG=warn "$BIN" --data-dir "$data" "${db_args[@]}" --listen "127.0.0.1:$port" --issuer "http://127.0.0.1:$port" \
        serve > "$data/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
        sleep 0.2
    done
    log "$backend: measuring ($RUNS runs each after a warm-up)"
    python3 "$HERE/measure.py" --bin "$BIN" --issuer "http://127.0.0.1:$port" --data-dir "$data" "${db_args[@]}" \
        --phone "$PHONE" --password "$PASSWORD" --client-id "$client_id" --api-token "$token" \
        --expect-items "$expect" --runs "$RUNS" > "$data/measured.json"
    grep VmHWM "/proc/$server_pid/status" | awk '{print $2}' > "$data/server-hwm-kb"
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
    if [ "$backend" = postgres ]; then
        psql -q -X "$PG_ADMIN_URL" -c "DROP DATABASE $db_name" >/dev/null
    fi
done

python3 "$HERE/report.py" "$OUT" $BACKENDS > "$RESULTS"
log "wrote $RESULTS (raw material in $OUT)"
cat "$RESULTS"
