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

# The web console's browser test (ConsoleBrowserTests) drives headless Chromium with Selenium (from PyPI, below): CI
# sets YIBAO_WITH_BROWSER=1 (so does a developer who wants that test to run here).
if [ "${YIBAO_WITH_BROWSER:-0}" = "1" ]; then
    for package in chromium chromium-driver; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then missing+=("$package"); fi
    done
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

# The OpenAPI document is checked by an independent validator in the test suite (openapi-spec-validator,
# from PyPI: Debian 12's package predates OpenAPI 3.1 support), and exercised by schemathesis in CI.
python_packages=()
python3 -c "import openapi_spec_validator" >/dev/null 2>&1 || python_packages+=("openapi-spec-validator>=0.7")
if [ "${YIBAO_WITH_SCHEMATHESIS:-0}" = "1" ] && ! python3 -c "import schemathesis" >/dev/null 2>&1; then python_packages+=("schemathesis>=4"); fi
if [ "${YIBAO_WITH_BROWSER:-0}" = "1" ] && ! python3 -c "import selenium" >/dev/null 2>&1; then python_packages+=("selenium>=4.8"); fi
if [ "${#python_packages[@]}" -gt 0 ]; then
    echo "==> installing from PyPI: ${python_packages[*]}"
    if ! python3 -m pip --version >/dev/null 2>&1; then
        if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
        else sudo apt-get install -y -qq --no-install-recommends python3-pip >/dev/null; fi
    fi
    # Debian 12 marks its Python as externally managed; these are test tools, installed for this user.
    python3 -m pip install --quiet --user "${python_packages[@]}" 2>/dev/null \
        || python3 -m pip install --quiet --user --break-system-packages "${python_packages[@]}" \
        || python3 -m pip install --quiet --break-system-packages "${python_packages[@]}"
fi
