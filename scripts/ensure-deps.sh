#!/usr/bin/env bash
# Installs the Debian packages yibao-gateway needs (and its tests' cross-checks), only when one is missing.
# Sourced or run by scripts/demo.sh, scripts/test.sh and .ci/run.
set -euo pipefail

packages=(libssl-dev openssl pkg-config libcurl4-openssl-dev libsqlite3-dev zlib1g-dev python3 curl)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
# The tests cross-check with Python's `cryptography` (tools/testing/make_crl.py) and validate the
# vector files against their JSON Schemas with `jsonschema`; any install of either will do.
if ! python3 -c "import cryptography" >/dev/null 2>&1; then
    missing+=(python3-cryptography)
fi
if ! python3 -c "import jsonschema" >/dev/null 2>&1; then
    missing+=(python3-jsonschema)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    echo "==> installing missing system packages: ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "error: these packages are missing and I am not root and have no sudo: ${missing[*]}" >&2
        echo "       install them with: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "error: swift is not on PATH; install Swift 6 (https://swift.org/install) first" >&2
    exit 1
fi
