#!/usr/bin/env bash
# Password logins at the machine's limit: yimen's release build (embedded mode) with the production
# argon2id parameters, driven by bench/login/load.py (browser-style logins from WORKERS processes, and a
# UserInfo probe alongside), measured against the argon2 limit on the same machine in the same run
# (`yimen password benchmark`: one password check on one core, the same crate and parameters).
#
#   bench/login/run.sh            # writes bench/login/RESULTS.md
#
# Reports logins/s, the server's CPU per login (from /proc, user + system) against one argon2 check, the
# UserInfo p50/p99 during the load, and the server's RSS idle, after the load and at its peak.
# Knobs: LOGIN_SECONDS (30), LOGIN_WORKERS (4), LOGIN_RESULTS (bench/login/RESULTS.md), LOGIN_PERF=FILE to
# record the server with `perf record -g` during the load.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN="$ROOT/target/release/yimen"
SECONDS_OF_LOAD=${LOGIN_SECONDS:-30}
WORKERS=${LOGIN_WORKERS:-4}
RESULTS=${LOGIN_RESULTS:-"$HERE/RESULTS.md"}
log() { printf '[login bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[ -x "$BIN" ] || { log "building yimen (cargo build --release)"; (cd "$ROOT" && cargo build --release --locked); }
PY=python3
if ! "$PY" -c 'import requests' 2>/dev/null; then
    mkdir -p "$ROOT/bench/out"
    [ -x "$ROOT/bench/out/venv/bin/python" ] || {
        python3 -m venv "$ROOT/bench/out/venv"
        "$ROOT/bench/out/venv/bin/pip" install --quiet --disable-pip-version-check requests==2.34.2
    }
    PY="$ROOT/bench/out/venv/bin/python"
fi

data=$(mktemp -d)
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
base="http://127.0.0.1:$port"
export YIMEN_DATA_DIR="$data" YIMEN_LISTEN="127.0.0.1:$port" YIMEN_ISSUER="$base" YIMEN_HTTP__DRAIN_SECS=0 RUST_LOG=warn
unset YIMEN_DATABASE_URL YIMEN_REDIS_URL
server=""
cleanup() { [ -z "$server" ] || kill "$server" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

# One account per worker: an account takes one password attempt at a time, so workers sharing one would
# be throttled, as an attacker would.
password="lantern-quilt-harbour-9" accounts=""
for i in $(seq "$WORKERS"); do
    phone=$((13900000000 + i))
    id_number=$("$PY" -c '
import sys
body = "11010519900101%03d" % int(sys.argv[1])
weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
print(body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11])' "$i")
    printf '%s\n' "$password" | "$BIN" user add --name "市民$i" --id-number "$id_number" --phone "$phone" --password-stdin >/dev/null
    accounts="$accounts${accounts:+,}$phone"
done
account=${accounts%%,*}
# The default token budget (1,200 a minute per client) is below what this machine can log in.
client=$("$BIN" client add --name 压测系统 --redirect-uri http://127.0.0.1:9/cb --scope "openid profile" \
    --max-tokens-per-minute 1000000 --json)
client_id=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["client_id"])' <<<"$client")
secret=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])' <<<"$client")
argon=$(taskset -c 0 "$BIN" password benchmark --count 30 2>/dev/null || "$BIN" password benchmark --count 30)
log "$argon"

# The server gets CPU 0 and a hashing pool of one, the load generator the other cores, so that the server's
# CPU per login and the argon2 limit are those of one core, untouched by the load generator.
cores=$(nproc) server_cores=$cores pin_server="" pin_load=""
if [ "$cores" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    server_cores=1 pin_server="taskset -c 0" pin_load="taskset -c 1-$((cores - 1))"
    export YIMEN_PASSWORD__MAX_CONCURRENT_HASHES=1
fi
$pin_server "$BIN" serve & server=$!
for _ in $(seq 100); do curl -fsS -o /dev/null "$base/readyz" 2>/dev/null && break; sleep 0.2; done
rss() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$server/status"; }
cpu() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }
idle_rss=$(rss VmRSS)

# One login first, for the probe's access token.
token=$(cd "$HERE" && "$PY" load.py --token "$base" "$client_id" "$secret" "$account" "$password")

# LOGIN_PERF=FILE: record the server with `perf record` during the load (its figures then include perf).
if [ -n "${LOGIN_PERF:-}" ]; then perf record -F 499 -g -p "$server" -o "$LOGIN_PERF" 2>/dev/null & perf_pid=$!; fi
cpu_before=$(cpu)
result=$(cd "$HERE" && $pin_load "$PY" load.py "$base" "$client_id" "$secret" "$accounts" "$password" "$token" "$SECONDS_OF_LOAD" "$WORKERS")
cpu_after=$(cpu)
if [ -n "${LOGIN_PERF:-}" ]; then kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; fi
after_rss=$(rss VmRSS) peak_rss=$(rss VmHWM)
log "$result"

ticks=$(getconf CLK_TCK)
"$PY" - "$result" "$argon" "$cpu_before" "$cpu_after" "$ticks" "$idle_rss" "$after_rss" "$peak_rss" "$RESULTS" \
    "$(git -C "$ROOT" rev-parse --short HEAD)" "$server_cores" "$WORKERS" "$cores" <<'PYEOF'
import json, re, sys, datetime
result, argon, cpu0, cpu1, ticks, idle, after, peak, out, head, cores, workers, machine = sys.argv[1:14]
r = json.loads(result)
check_ms = float(re.search(r"([0-9.]+) ms per password check", argon).group(1))
cpu_ms = (int(cpu1) - int(cpu0)) / int(ticks) * 1000 / max(r["logins"], 1)
limit = int(cores) * 1000 / check_ms
mib = lambda kb: f"{int(kb) / 1024:.0f} MiB"
with open(out, "w") as f:
    f.write(f"""# Password logins at the machine's limit

Run by `bench/login/run.sh` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC at commit {head}, release build,
embedded mode (SQLite + in-process state), production argon2id parameters. Machine: {machine} cores; the
server runs on {cores} of them (`taskset`, hashing pool of {cores}), the load generator on the rest ({workers}
processes of browser-style logins for {r['seconds']} s: authorize, login page, password, consent, code, token
with an RS256 ID token, one account per process), with a UserInfo request every 50 ms alongside.

| measure | value |
| --- | --- |
| one password check (`yimen password benchmark`, one core) | {argon.split(': ', 1)[1].split(' (')[0]} |
| argon2 limit of the server's {cores} core(s) | {limit:.0f} logins/s |
| logins completed | {r['logins']} ({r['failed']} failed) |
| logins/s | {r['logins_per_s']} ({r['logins_per_s'] / limit * 100:.0f}% of the argon2 limit) |
| server CPU per login | {cpu_ms:.1f} ms ({cpu_ms / check_ms:.2f}× one password check) |
| UserInfo during the load | p50 {r['userinfo_p50_ms']} ms, p99 {r['userinfo_p99_ms']} ms ({r['userinfo_samples']} samples) |
| server RSS idle / after the load / peak | {mib(idle)} / {mib(after)} / {mib(peak)} |

The aims (issue 13): server CPU per login within 10% of one password check (1.10×), UserInfo p99 under
10 ms while logins saturate the hashing pool, RSS under 64 MiB after the login load.
""")
print(open(out).read())
PYEOF
