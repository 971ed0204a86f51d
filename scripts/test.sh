#!/usr/bin/env bash
# Runs the whole test suite, building it once:
#
#   1. the Rust suite (unit tests, and integration tests that spawn the real server) on embedded SQLite and
#      in-process state;
#   2. with YIMEN_TEST_POSTGRES_URL and/or YIMEN_TEST_REDIS_URL set, the Rust suite again on PostgreSQL and
#      Redis, with the tests that need Redis itself (a Redis cut off, two instances sharing it, a Sentinel
#      failover on redis-server processes of the test's own), which the SQLite run lists as ignored;
#   3. the browser scenarios, once, on SQLite, against the binary step 1 built (page behaviour does not
#      depend on the backend, which steps 1 and 2 cover).
#
#   scripts/test.sh                 # SQLite, then the browser scenarios
#   YIMEN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
#   YIMEN_TEST_REDIS_URL=redis://127.0.0.1:6379 scripts/test.sh     # SQLite, PostgreSQL + Redis, browsers
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

# The integration tests wait on their servers (and PostgreSQL) more than they compute, so more run at once
# than there are cores. A RUST_TEST_THREADS from the caller wins.
echo "== yimen tests on SQLite + in-process state"
env -u YIMEN_TEST_POSTGRES_URL -u YIMEN_TEST_REDIS_URL RUST_TEST_THREADS="${RUST_TEST_THREADS:-4}" \
    cargo test --locked "$@"

if [ -n "${YIMEN_TEST_POSTGRES_URL:-}" ] || [ -n "${YIMEN_TEST_REDIS_URL:-}" ]; then
    echo "== yimen tests on PostgreSQL (${YIMEN_TEST_POSTGRES_URL:-unset}) + Redis (${YIMEN_TEST_REDIS_URL:-unset})"
    # The Redis fault tests (tests/it/faults.rs) are ignored on SQLite and run here, with Redis.
    include_ignored=()
    if [ -n "${YIMEN_TEST_REDIS_URL:-}" ]; then
        # tests/it/sentinel.rs starts a master, a replica and a sentinel of its own.
        if ! command -v redis-server >/dev/null 2>&1; then
            echo "installing redis-server for the Sentinel failover test"
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
        fi
        case " $* " in *" -- "*) include_ignored=(--include-ignored) ;; *) include_ignored=(-- --include-ignored) ;; esac
    fi
    RUST_TEST_THREADS="${RUST_TEST_THREADS:-6}" cargo test --locked "$@" "${include_ignored[@]}"
fi

# The pages in headless Chromium, against the binary the tests just built.
if [ $# -eq 0 ]; then
    echo "== browser tests on SQLite + in-process state"
    env -u YIMEN_TEST_POSTGRES_URL -u YIMEN_TEST_REDIS_URL scripts/browser-test.sh target/debug/yimen
fi
