#!/usr/bin/env bash
# The side-by-side benchmark: yimen (embedded: in-process state + SQLite) against oidc-provider, both on
# loopback, driven by the same wrk with the same threads, connections and duration.
#
#   bench/run.sh                      # everything; writes bench/RESULTS.md
#
# Steps: builds target/release/yimen if it is missing (never rebuilds an existing one), installs wrk
# (apt) and the peer (npm ci) if missing, then for each server in turn — yimen, oidc-provider single
# process, oidc-provider under node:cluster with 2 workers — starts it with fresh state, seeds clients,
# a user and a user's access token, and runs every scenario: a correctness check, a warm-up run, the
# measured run. Only one server runs at a time. Raw results go to bench/out/ (not committed).
#
# Knobs (environment): BENCH_THREADS (2), BENCH_CONNECTIONS (32), BENCH_DURATION (15s),
# BENCH_WARMUP (5s), BENCH_TARGETS ("yimen peer peer-cluster"), BENCH_SCENARIOS ("discovery jwks
# client_credentials userinfo"), BENCH_OUT (bench/out), BENCH_RESULTS (bench/RESULTS.md: point it
# elsewhere for exploratory runs), BENCH_PERF=1 to add, after each
# measured yimen run, a separate profiled run under `perf record` (its numbers are not reported).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
OUT=${BENCH_OUT:-"$BENCH_DIR/out"}
RESULTS=${BENCH_RESULTS:-"$BENCH_DIR/RESULTS.md"}
BIN="$ROOT/target/release/yimen"
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
DURATION=${BENCH_DURATION:-15s}
WARMUP=${BENCH_WARMUP:-5s}
TARGETS=${BENCH_TARGETS:-"yimen peer peer-cluster"}
SCENARIOS=${BENCH_SCENARIOS:-"discovery jwks client_credentials userinfo"}
export BENCH_LUA_DIR="$BENCH_DIR/lua"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------------------------------
if [ ! -x "$BIN" ]; then
    log "building yimen (cargo build --release; ~10 minutes on 2 cores)"
    (cd "$ROOT" && cargo build --release)
fi
if ! command -v wrk >/dev/null 2>&1; then
    log "installing wrk (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if [ ! -d "$BENCH_DIR/node_modules/oidc-provider" ] \
   || [ "$BENCH_DIR/package-lock.json" -nt "$BENCH_DIR/node_modules/.package-lock.json" ]; then
    log "installing the peer (npm ci in bench/)"
    (cd "$BENCH_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
mkdir -p "$OUT"
PY=python3
if ! "$PY" -c 'import requests' 2>/dev/null; then
    if [ ! -x "$OUT/venv/bin/python" ]; then
        log "making a venv with requests for get_token.py (bench/out/venv)"
        python3 -m venv "$OUT/venv"
        "$OUT/venv/bin/pip" install --quiet --disable-pip-version-check requests==2.34.2
    fi
    PY="$OUT/venv/bin/python"
fi
for tool in curl node perl; do command -v "$tool" >/dev/null || { log "missing $tool"; exit 2; }; done

RUNS="$OUT/runs.jsonl"
printf '{"meta":{"head":"%s","started":"%s","source_changes":%s}}\n' "$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    "$(git -C "$ROOT" status --porcelain -- src Cargo.toml Cargo.lock migrations templates locales static 2>/dev/null | wc -l)" > "$RUNS"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

wait_for_url() {   # url, seconds, pid
    local deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || { log "server $3 exited before $1 answered"; return 1; }
        sleep 0.3
    done
    log "timed out waiting for $1"; return 1
}

stop_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}

SERVER_PID=""
DATA_DIR=""
cleanup() { stop_pid "$SERVER_PID"; SERVER_PID=""; [ -z "$DATA_DIR" ] || rm -rf "$DATA_DIR"; DATA_DIR=""; }
trap cleanup EXIT

# The server's processes: the pid itself and, for node:cluster, its workers.
server_pids() { echo "$SERVER_PID"; pgrep -P "$SERVER_PID" 2>/dev/null || true; }
# Sum of a /proc/<pid>/status field (kB) over the server's processes.
status_kb() {
    local total=0 pid v
    for pid in $(server_pids); do
        v=$(awk -v f="$1:" '$1 == f {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}
# CPU time (user+system, clock ticks) of the server's processes.
cpu_ticks() {
    local total=0 pid v
    for pid in $(server_pids); do
        v=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

# ---------------------------------------------------------------------------------------------------
# Servers: each start_* sets SERVER_PID, ISSUER, CC_ID/CC_SECRET and the get_token arguments.
# ---------------------------------------------------------------------------------------------------
start_yimen() {
    DATA_DIR=$(mktemp -d)
    local port; port=$(free_port)
    ISSUER="http://127.0.0.1:$port"
    REDIRECT_URI="http://127.0.0.1:4999/cb"
    export YIMEN_LISTEN="127.0.0.1:$port" YIMEN_ISSUER="$ISSUER" YIMEN_DATA_DIR="$DATA_DIR"
    local password; password="Bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
    "$BIN" client add --name bench-cc --redirect-uri "$REDIRECT_URI" --grant-type client_credentials --max-tokens-per-minute 1000000000 --json > "$OUT/yimen-cc.json" 2>> "$OUT/yimen-cli.log"
    "$BIN" client add --name bench-code --redirect-uri "$REDIRECT_URI" --max-tokens-per-minute 1000000000 --json > "$OUT/yimen-code.json" 2>> "$OUT/yimen-cli.log"
    printf '%s\n' "$password" | "$BIN" user add --name "Bench User" --id-number 11010519491231002X \
        --phone 13800138000 --password-stdin --json > "$OUT/yimen-user.json" 2>> "$OUT/yimen-cli.log"
    CC_ID=$(json_get "$OUT/yimen-cc.json" client_id); CC_SECRET=$(json_get "$OUT/yimen-cc.json" client_secret)
    CODE_ID=$(json_get "$OUT/yimen-code.json" client_id); CODE_SECRET=$(json_get "$OUT/yimen-code.json" client_secret)
    LOGIN_ARGS=(--field account=13800138000 --field "password=$password" --consent-button decision=allow)
    "$BIN" serve > "$OUT/yimen.log" 2>&1 &
    SERVER_PID=$!
    wait_for_url "$ISSUER/.well-known/openid-configuration" 60 "$SERVER_PID" || { tail -20 "$OUT/yimen.log" >&2; exit 2; }
    unset YIMEN_LISTEN YIMEN_ISSUER YIMEN_DATA_DIR
}

start_peer() {   # workers (0 = single process)
    local port; port=$(free_port)
    ISSUER="http://127.0.0.1:$port"
    (cd "$BENCH_DIR" && NODE_ENV=production PEER_PORT=$port PEER_WORKERS=$1 PEER_SEED="$OUT/peer-seed.json" \
        exec node peer/provider.js) > "$OUT/$TARGET.log" 2>&1 &
    SERVER_PID=$!
    wait_for_url "$ISSUER/.well-known/openid-configuration" 60 "$SERVER_PID" || { tail -20 "$OUT/$TARGET.log" >&2; exit 2; }
    if [ "$1" -ge 2 ]; then   # wait for every worker, not just the first one listening
        for _ in $(seq 1 100); do [ "$(pgrep -P "$SERVER_PID" | wc -l)" -ge "$1" ] && break; sleep 0.1; done
        sleep 1
    fi
    CC_ID=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["cc"]["client_id"])' "$OUT/peer-seed.json")
    CC_SECRET=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["cc"]["client_secret"])' "$OUT/peer-seed.json")
    CODE_ID=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["code"]["client_id"])' "$OUT/peer-seed.json")
    CODE_SECRET=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["code"]["client_secret"])' "$OUT/peer-seed.json")
    REDIRECT_URI=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["code"]["redirect_uri"])' "$OUT/peer-seed.json")
    LOGIN_ARGS=(--field login=bench-user --field password=any)
}

json_get() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# ---------------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------------
scenario_setup() {   # sets URL and SCRIPT, exports what the Lua script needs, checks one real answer
    local body
    case $1 in
        discovery)
            URL="$ISSUER/.well-known/openid-configuration"; SCRIPT=get.lua
            body=$(curl -fsS "$URL")
            "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["issuer"]==sys.argv[2], d' "$body" "$ISSUER" ;;
        jwks)
            URL=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["jwks_uri"])' "$(curl -fsS "$ISSUER/.well-known/openid-configuration")")
            SCRIPT=get.lua
            body=$(curl -fsS "$URL")
            "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["keys"] and all("kid" in k for k in d["keys"]), d' "$body" ;;
        client_credentials)
            URL="$ISSUER/token"; SCRIPT=client_credentials.lua
            BENCH_BASIC=$(printf '%s:%s' "$CC_ID" "$CC_SECRET" | base64 -w0); export BENCH_BASIC
            body=$(curl -fsS -u "$CC_ID:$CC_SECRET" -d grant_type=client_credentials "$URL")
            "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["access_token"] and d["token_type"].lower()=="bearer", d' "$body" ;;
        userinfo)
            # A fresh user token from a real login, obtained right before this scenario (oidc-provider's
            # memory adapter keeps 1000 entries, so the client_credentials run would have evicted an
            # older one).
            BENCH_TOKEN=""
            for _ in 1 2 3; do
                BENCH_TOKEN=$("$PY" "$BENCH_DIR/get_token.py" --issuer "$ISSUER" --client-id "$CODE_ID" \
                    --client-secret "$CODE_SECRET" --redirect-uri "$REDIRECT_URI" --scope "openid profile phone" \
                    "${LOGIN_ARGS[@]}" 2>> "$OUT/$TARGET-get_token.log") && break
                BENCH_TOKEN=""
            done
            if [ -z "$BENCH_TOKEN" ]; then
                log "$TARGET: no user access token after 3 logins (see bench/out/$TARGET-get_token.log)"
                if [ "$TARGET" = peer-cluster ]; then SKIP="no user access token could be obtained (login failed)"; return 0; fi
                exit 2
            fi
            export BENCH_TOKEN
            URL=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["userinfo_endpoint"])' "$(curl -fsS "$ISSUER/.well-known/openid-configuration")")
            SCRIPT=userinfo.lua
            if [ "$TARGET" = peer-cluster ]; then
                # Each worker has its own memory adapter: the token is known to the worker that issued it
                # only, so a new connection may well get 401. Measured anyway; report.py shows the
                # non-2xx share and does not count the row.
                body=$(curl -sS -w ' HTTP %{http_code}' -H "Authorization: Bearer $BENCH_TOKEN" "$URL")
            else
                body=$(curl -fsS -H "Authorization: Bearer $BENCH_TOKEN" "$URL")
                "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["sub"] and d.get("name"), d' "$body"
            fi ;;
    esac
    printf '%s\n' "$body" > "$OUT/$TARGET-$1.sample.json"
}

run_wrk() {   # duration, output file; wrk's own user+system CPU seconds go to <output file>.cpu
    local TIMEFORMAT='%3U %3S'
    { time wrk -t"$THREADS" -c"$CONNECTIONS" -d"$1" --latency -s "$BENCH_LUA_DIR/$SCRIPT" "$URL" > "$2" 2>&1 ; } 2> "$2.cpu"
}

# Wait (up to 2 minutes) until the machine is quiet: at least 1.8 of its cores idle over 2 seconds.
# Anything else busy on the machine (a compiler, a test suite) would be measured with the server.
wait_quiet() {
    local hz; hz=$(getconf CLK_TCK)
    for _ in $(seq 1 60); do
        local s0 s1 idle
        s0=$(head -1 /proc/stat); sleep 2; s1=$(head -1 /proc/stat)
        idle=$(printf '%s\n%s\n' "$s0" "$s1" | awk -v hz="$hz" 'NR==1 {i=$5+$6} NR==2 {printf "%.2f", ($5+$6-i)/hz/2}')
        if awk -v i="$idle" 'BEGIN {exit !(i >= 1.8)}'; then return 0; fi
        log "machine busy (only $idle cores idle); waiting for it to calm down"
    done
    log "the machine stayed busy; measuring anyway (see the 'other' column in RESULTS.md)"
}

run_scenario() {
    local scenario=$1 ticks0 ticks1 stat0 stat1 hz
    SKIP=""
    scenario_setup "$scenario"
    if [ -n "$SKIP" ]; then
        printf '{"target":"%s","scenario":"%s","skipped":"%s"}\n' "$TARGET" "$scenario" "$SKIP" >> "$RUNS"
        return 0
    fi
    wait_quiet
    log "$TARGET $scenario: warm-up $WARMUP"
    run_wrk "$WARMUP" "$OUT/$TARGET-$scenario.warmup.txt"
    hz=$(getconf CLK_TCK)
    local attempt machine wrk_cpu server_cpu other wrkjson t0 t1
    for attempt in 1 2 3; do
        [ "$attempt" = 1 ] || wait_quiet
        ticks0=$(cpu_ticks); stat0=$(head -1 /proc/stat); t0=$(date +%s.%N)
        log "$TARGET $scenario: measuring $DURATION (-t$THREADS -c$CONNECTIONS)"
        run_wrk "$DURATION" "$OUT/$TARGET-$scenario.txt"
        ticks1=$(cpu_ticks); stat1=$(head -1 /proc/stat); t1=$(date +%s.%N)
        # The whole machine over the run, from /proc/stat's cpu line: idle (idle+iowait), process time
        # (user+nice+system), interrupt time (irq+softirq: loopback TCP) and steal, in seconds.
        machine=$(printf '%s\n%s\n' "$stat0" "$stat1" | awk -v hz="$hz" \
            'NR==1 {i=$5+$6; p=$2+$3+$4; q=$7+$8; st=$9}
             NR==2 {printf "\"machine_idle_s\":%.2f,\"machine_process_s\":%.2f,\"machine_irq_s\":%.2f,\"machine_steal_s\":%.2f", ($5+$6-i)/hz, ($2+$3+$4-p)/hz, ($7+$8-q)/hz, ($9-st)/hz}')
        wrk_cpu=$(awk '{printf "%.2f", $1 + $2}' "$OUT/$TARGET-$scenario.txt.cpu")
        server_cpu=$(awk -v a="$ticks0" -v b="$ticks1" -v hz="$hz" 'BEGIN{printf "%.2f", (b-a)/hz}')
        wrkjson=$(sed -n 's/^WRKJSON //p' "$OUT/$TARGET-$scenario.txt")
        [ -n "$wrkjson" ] || { log "wrk printed no result:"; cat "$OUT/$TARGET-$scenario.txt" >&2; exit 2; }
        # CPU that neither the server nor wrk used (per-process times include the softirq work done in
        # their context, so irq time counts on the machine side too), in cores.
        other=$(printf '%s\n%s\n' "$stat0" "$stat1" | awk -v hz="$hz" -v s="$server_cpu" -v w="$wrk_cpu" -v d="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" \
            'NR==1 {b=$2+$3+$4+$7+$8} NR==2 {printf "%.2f", (($2+$3+$4+$7+$8-b)/hz - s - w)/d}')
        if awk -v o="$other" 'BEGIN {exit !(o <= 0.25)}'; then break; fi
        log "$TARGET $scenario: other processes used $other cores during the run (attempt $attempt of 3)"
    done
    printf '{"target":"%s","scenario":"%s","wrk":%s,%s,"wrk_cpu_s":%s,"server_cpu_s":%s,"attempts":%s,"hwm_kb":%s,"rss_kb":%s,"processes":%s}\n' \
        "$TARGET" "$scenario" "$wrkjson" "$machine" "$wrk_cpu" "$server_cpu" "$attempt" \
        "$(status_kb VmHWM)" "$(status_kb VmRSS)" "$(server_pids | wc -l)" >> "$RUNS"
    grep -E 'Requests/sec|Non-2xx|Socket errors' "$OUT/$TARGET-$scenario.txt" | sed "s/^/[bench]   /" >&2 || true
    if [ "${BENCH_PERF:-0}" = 1 ] && [ "$TARGET" = yimen ]; then
        log "$TARGET $scenario: profiled run (perf record, not reported)"
        perf record -F 499 --call-graph dwarf,16384 -p "$SERVER_PID" -o "$OUT/perf-$scenario.data" -- sleep 10 >/dev/null 2>&1 &
        local perf_pid=$!
        run_wrk 10s "$OUT/$TARGET-$scenario.perf-wrk.txt"
        wait "$perf_pid" || true
        {
            echo "# yimen $scenario: CPU samples by thread"
            perf report -i "$OUT/perf-$scenario.data" --no-children --sort comm --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$'
            echo "# inclusive (children) time by symbol, top 120"
            perf report -i "$OUT/perf-$scenario.data" --children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -120
        } > "$OUT/perf-$scenario.txt" || true
        rm -f "$OUT/perf-$scenario.data"
    fi
}

for TARGET in $TARGETS; do
    case $TARGET in
        yimen) start_yimen ;;
        peer) start_peer 0 ;;
        peer-cluster) start_peer 2 ;;
        *) log "unknown target $TARGET"; exit 2 ;;
    esac
    sleep 1
    printf '{"target":"%s","idle_rss_kb":%s,"processes":%s}\n' "$TARGET" "$(status_kb VmRSS)" "$(server_pids | wc -l)" >> "$RUNS"
    log "$TARGET up at $ISSUER (pid $SERVER_PID, idle RSS $(status_kb VmRSS) kB)"
    for scenario in $SCENARIOS; do
        run_scenario "$scenario"
    done
    cleanup
done

log "writing $RESULTS"
"$PY" "$BENCH_DIR/report.py" --runs "$RUNS" --out "$RESULTS" \
    --threads "$THREADS" --connections "$CONNECTIONS" --duration "$DURATION" --warmup "$WARMUP" --bin "$BIN"
log "done: $RESULTS"
