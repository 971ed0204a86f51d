#!/usr/bin/env bash
# Browser tests: yimen's pages in headless Chromium, with openid-client as the relying party.
#
#   scripts/browser-test.sh [path/to/yimen]          # default: target/debug/yimen (never built here)
#   YIMEN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
#   YIMEN_TEST_REDIS_URL=redis://127.0.0.1:6379 scripts/browser-test.sh   # PostgreSQL + Redis
#
# Installs what is missing on a Debian machine: Chromium (apt), a CJK font (apt, for readable
# screenshots), psql when PostgreSQL is asked for, the npm packages (`npm ci` in tests/browser when
# node_modules is missing or older than package-lock.json), and the Python packages of the Python example
# and the legacy CAS system (a venv in target/python). Then runs the scenarios with node's test
# runner, two files at a time (each file has its own Chromium), and exits non-zero if any fails.
#
# Chromium is required: if it is missing and cannot be installed the script fails, unless
# YIMEN_BROWSER_TESTS=skip is set, in which case it says so and exits 0.
# CHROMIUM_PATH overrides /usr/bin/chromium. Screenshots go to tests/artefacts/ (git-ignored); failure-*.png
# from an earlier run are removed first.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BROWSER_DIR=tests/browser

say() { printf '== browser tests: %s\n' "$*"; }
fail() { printf '\n!! browser tests FAILED: %s\n\n' "$*" >&2; exit 1; }

BIN=${1:-target/debug/yimen}
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
[ -x "$BIN" ] || fail "no executable yimen at $BIN (build it first, e.g. cargo build; this script never builds)"
export YIMEN_BIN="$BIN"

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
APT_UPDATED=""
apt_install() {   # packages…; returns non-zero if apt cannot install them
    command -v apt-get >/dev/null 2>&1 || return 1
    if [ -z "$APT_UPDATED" ]; then
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || return 1
        APT_UPDATED=1
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

# Chromium: required.
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
export CHROMIUM_PATH="$CHROMIUM"
if [ ! -x "$CHROMIUM" ]; then
    if [ "$CHROMIUM" = /usr/bin/chromium ]; then
        say "no Chromium at $CHROMIUM; installing the Debian package (and fonts for Latin and Chinese text)"
        apt_install chromium fonts-liberation fonts-noto-cjk || apt_install chromium || true
    else
        say "no Chromium at CHROMIUM_PATH=$CHROMIUM (only /usr/bin/chromium is installed automatically)"
    fi
    if [ ! -x "$CHROMIUM" ]; then
        if [ "${YIMEN_BROWSER_TESTS:-}" = skip ]; then
            printf '\n** browser tests SKIPPED: Chromium is not at %s and could not be installed, and YIMEN_BROWSER_TESTS=skip is set.\n** Nothing was tested in a browser.\n\n' "$CHROMIUM" >&2
            exit 0
        fi
        fail "Chromium is not at $CHROMIUM and could not be installed (CI requires the browser tests; set YIMEN_BROWSER_TESTS=skip only where no browser can be had)"
    fi
fi

# A CJK font so that screenshots show Chinese text (layout is checked either way).
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ]; then
    say "no Chinese font; installing fonts-noto-cjk"
    apt_install fonts-noto-cjk || say "could not install fonts-noto-cjk: screenshots will show boxes for Chinese text"
fi

# Node 20 or later (the test runner and openid-client need it).
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    say "no node/npm; installing the Debian packages"
    apt_install nodejs npm || true
fi
command -v node >/dev/null 2>&1 || fail "node is not installed (Node 20 or later is needed)"
[ "$(node_major)" -ge 20 ] || fail "node $(node --version) is too old: Node 20 or later is needed"

# psql, to create and drop a database per test, when PostgreSQL is asked for.
if [ -n "${YIMEN_TEST_POSTGRES_URL:-}" ] && ! command -v psql >/dev/null 2>&1; then
    say "no psql; installing postgresql-client"
    apt_install postgresql-client || fail "psql is needed for YIMEN_TEST_POSTGRES_URL and could not be installed"
fi

# npm packages, exactly as locked: the scenarios' own, and those of the Node example they run.
for dir in "$BROWSER_DIR" examples/node-openid-client; do
    LOCK="$dir/package-lock.json"
    STAMP="$dir/node_modules/.yimen-lock.sha256"
    LOCK_SUM=$(sha256sum "$LOCK" | cut -d' ' -f1)
    if [ ! -d "$dir/node_modules" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$LOCK_SUM" ]; then
        say "installing npm packages in $dir (npm ci)"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in $dir failed"
        printf '%s\n' "$LOCK_SUM" > "$STAMP"
    fi
done

# Python packages, as pinned: the Authlib example's, and python-cas for the legacy CAS system. A venv of
# their own in target/python, made again when a requirements file changes.
PY_VENV=target/python
PY_REQUIREMENTS=(examples/python-authlib/requirements.txt "$BROWSER_DIR/requirements.txt")
PY_SUM=$(cat "${PY_REQUIREMENTS[@]}" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$PY_VENV/.yimen-requirements.sha256" 2>/dev/null)" != "$PY_SUM" ]; then
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        say "no python3 with venv; installing the Debian packages"
        apt_install python3 python3-venv || true
    fi
    say "installing Python packages into $PY_VENV (pip)"
    rm -rf "$PY_VENV"
    python3 -m venv "$PY_VENV" || fail "python3 -m venv $PY_VENV failed (Python 3.9 or later with venv is needed)"
    args=()
    for file in "${PY_REQUIREMENTS[@]}"; do args+=(-r "$file"); done
    "$PY_VENV/bin/pip" install -q --disable-pip-version-check "${args[@]}" || fail "pip install into $PY_VENV failed"
    printf '%s\n' "$PY_SUM" > "$PY_VENV/.yimen-requirements.sha256"
fi
export YIMEN_PYTHON="$ROOT/$PY_VENV/bin/python"

mkdir -p tests/artefacts
rm -f tests/artefacts/failure-*.png   # failure screenshots are this run's only
backend="SQLite + in-process state"
if [ -n "${YIMEN_TEST_POSTGRES_URL:-}" ] || [ -n "${YIMEN_TEST_REDIS_URL:-}" ]; then
    backend="PostgreSQL (${YIMEN_TEST_POSTGRES_URL:-unset}) + Redis (${YIMEN_TEST_REDIS_URL:-unset})"
fi
chromium_version=$("$CHROMIUM" --version 2>/dev/null | head -n 1 || true)
say "yimen $BIN on $backend; ${chromium_version:-$CHROMIUM}; node $(node --version)"

# Two files at a time: each file runs in a node process with one Chromium, each scenario in it with its own
# yimen and a fresh browser context; more than two at once overloads the 2-core machine CI runs on. The
# files are listed by the shell rather than passing the directory, which newer Node versions treat as a glob.
shopt -s nullglob
files=("$BROWSER_DIR"/*.test.js)
[ ${#files[@]} -gt 0 ] || fail "no scenarios (*.test.js) in $BROWSER_DIR"
status=0
node --test --test-concurrency=2 "${files[@]}" || status=$?
if [ "$status" -ne 0 ]; then
    fail "node --test exited $status (failure screenshots, if any, are in tests/artefacts/)"
fi
say "all scenarios passed (screenshots in tests/artefacts/)"
