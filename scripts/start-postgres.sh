#!/usr/bin/env bash
# Starts a private PostgreSQL server for yibao (development and CI) and prints its URL.
#
#   bash scripts/start-postgres.sh            # start (installing PostgreSQL from Debian if missing)
#   bash scripts/start-postgres.sh stop       # stop it
#   export YIBAO_DATABASE_URL=$(bash scripts/start-postgres.sh)
#
# The cluster is yibao's own (it leaves any system PostgreSQL alone): data in $YIBAO_PG_DATA
# (default /tmp/yibao-pg), port $YIBAO_PG_PORT (default 54329), loopback only, role and database
# `yibao` with password `yibao`. A dev database: never put real data in it.
set -euo pipefail

data="${YIBAO_PG_DATA:-/tmp/yibao-pg}"
port="${YIBAO_PG_PORT:-54329}"
url="postgres://yibao:yibao@127.0.0.1:${port}/yibao"

as_root=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then as_root=(sudo); fi

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "==> installing PostgreSQL from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${as_root[@]}" apt-get update -qq >&2
    "${as_root[@]}" apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
fi

# PostgreSQL refuses to run as root: root runs it as the `postgres` user the package created.
run=()
if [ "$(id -u)" -eq 0 ]; then run=(runuser -u postgres --); fi

if [ "${1:-start}" = "stop" ]; then
    "${run[@]}" "$bindir/pg_ctl" -D "$data" -m fast stop >&2 || true
    exit 0
fi

if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$data"
    printf 'yibao\n' > /tmp/yibao-pg-password
    [ "$(id -u)" -eq 0 ] && chown postgres: /tmp/yibao-pg-password
    "${run[@]}" "$bindir/initdb" -D "$data" -U yibao --pwfile=/tmp/yibao-pg-password -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >&2
    rm -f /tmp/yibao-pg-password
fi

if ! "${run[@]}" "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    "${run[@]}" "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $data -c max_connections=200 -c fsync=on" start >&2
fi
if ! PGPASSWORD=yibao "$bindir/psql" -h 127.0.0.1 -p "$port" -U yibao -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'yibao'" | grep -q 1; then
    PGPASSWORD=yibao "$bindir/createdb" -h 127.0.0.1 -p "$port" -U yibao yibao >&2
fi
echo "$url"
