#!/usr/bin/env bash
# Runs the whole test suite: installs missing system packages, builds, tests.
# The store tests run on SQLite and, when a PostgreSQL server is at hand, on PostgreSQL too:
# $YIBAO_TEST_POSTGRES_URL if set, else the private server of scripts/start-postgres.sh when
# PostgreSQL is installed (CI installs it: YIBAO_WITH_POSTGRES=1 installs it here as well).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
if [ -z "${YIBAO_TEST_POSTGRES_URL:-}" ]; then
    if [ "${YIBAO_WITH_POSTGRES:-0}" = "1" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        echo "==> starting PostgreSQL for the store tests (scripts/start-postgres.sh)"
        YIBAO_TEST_POSTGRES_URL="$(bash scripts/start-postgres.sh)"
        export YIBAO_TEST_POSTGRES_URL
    else
        echo "==> PostgreSQL is not installed: the store tests run on SQLite only (YIBAO_WITH_POSTGRES=1 installs it)"
    fi
fi
echo "==> swift test (the first build of the package takes a few minutes)"
swift test "$@"
