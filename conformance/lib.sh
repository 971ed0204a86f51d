# Shared helpers for run-peer.sh and run-yimen.sh (sourced, not executed).

CONFORMANCE_DIR=${CONFORMANCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
VENV="$CONFORMANCE_DIR/.venv"
PY="$VENV/bin/python"

log() { printf '[conformance] %s\n' "$*" >&2; }

# Create conformance/.venv and install the pinned requirements (only when they changed). Runs started
# side by side (CI starts three) take turns: the first installs, the others then find it installed.
ensure_venv() {
    (
        flock 9
        install_venv
    ) 9>"$CONFORMANCE_DIR/.venv.lock"
}

install_venv() {
    local python=${PYTHON:-python3.11}
    command -v "$python" >/dev/null 2>&1 || python=python3
    local stamp="$VENV/.requirements.sha256"
    local want
    want=$(sha256sum "$CONFORMANCE_DIR/requirements.txt" | cut -d' ' -f1)
    if [ -x "$PY" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    log "installing the harness venv ($("$python" --version 2>&1))"
    "$python" -m venv "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check -r "$CONFORMANCE_DIR/requirements.txt"
    echo "$want" > "$stamp"
}

# Print a free TCP port on 127.0.0.1.
free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Wait until URL answers HTTP 200 (max $2 seconds, default 30); fail if process $3 died.
wait_for_url() {
    local url=$1 limit=${2:-30} pid=${3:-}
    local deadline=$((SECONDS + limit))
    while [ $SECONDS -lt $deadline ]; do
        if "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$url" 2>/dev/null; then
            return 0
        fi
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            log "server process $pid exited before $url was up"
            return 1
        fi
        sleep 0.3
    done
    log "timed out waiting for $url"
    return 1
}

# Stop a process we started (by pid), politely first.
stop_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 20); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
}
