#!/usr/bin/env bash
# Runs the whole test suite: installs missing system packages, builds, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
echo "==> swift test (the first build of the package takes a few minutes)"
swift test "$@"
