#!/usr/bin/env bash
# Run the whole test suite. Sets up .venv with every lock file and, when possible, Debian's
# Chromium for the browser tests and nginx for the stack test (tests/test_stack.py, which also
# needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379). With TEST_DATABASE_URL set (CI sets it), the web
# app tests run a second time against that PostgreSQL database.
# Extra arguments go to pytest (e.g. scripts/test.sh -x -k upload).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh requirements.txt requirements-dev.txt requirements-train.txt

if [ ! -x /usr/bin/chromium ] && ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "==> Installing Chromium for the browser tests"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "==> No Chromium found (sudo apt-get install chromium): browser tests will be skipped" >&2
    fi
fi

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "==> Installing nginx for the stack test"
        # The test runs its own nginx on a free loopback port, whatever Debian starts as a service.
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null 2>&1 \
            || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
    else
        echo "==> No nginx found (sudo apt-get install nginx-light): the stack test will be skipped" >&2
    fi
fi

postgres_url="${TEST_DATABASE_URL:-}"
status=0
echo "==> Test suite on SQLite"
env -u TEST_DATABASE_URL .venv/bin/python -m pytest "$@" || status=$?

if [ -n "$postgres_url" ]; then
    echo "==> Web app tests again on PostgreSQL ($postgres_url)"
    TEST_DATABASE_URL="$postgres_url" .venv/bin/python -m pytest tests \
        --ignore=tests/vision --ignore=tests/training "$@" || status=$?
fi
# Any failure, including pytest's 5 ("no tests collected"), fails the run.
exit "$status"
