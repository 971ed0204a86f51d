#!/usr/bin/env bash
# Runs the whole test suite: unit tests and the integration tests that spawn the real server.
#
#   scripts/test.sh                 # embedded SQLite and in-process state
#   YIMEN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
#   YIMEN_TEST_REDIS_URL=redis://127.0.0.1:6379 scripts/test.sh     # PostgreSQL and Redis
#
# Extra arguments go to `cargo test` (e.g. a test name filter) and skip the browser tests. The browser
# tests install Chromium (Debian's package) when it is missing; YIMEN_BROWSER_TESTS=skip skips them,
# saying so.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is not installed: install Rust with rustup (https://rustup.rs) first" >&2
    exit 1
fi

backend="SQLite + in-process state"
if [ -n "${YIMEN_TEST_POSTGRES_URL:-}" ] || [ -n "${YIMEN_TEST_REDIS_URL:-}" ]; then
    backend="PostgreSQL (${YIMEN_TEST_POSTGRES_URL:-unset}) + Redis (${YIMEN_TEST_REDIS_URL:-unset})"
fi
echo "== yimen tests on $backend"
cargo test --locked "$@"

# The pages in headless Chromium, against the binary the tests just built (same backend settings).
if [ $# -eq 0 ]; then
    echo "== browser tests on $backend"
    scripts/browser-test.sh target/debug/yimen
fi
