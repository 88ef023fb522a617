#!/usr/bin/env bash
# Builds yibao in release mode, starts a gateway on a fresh data directory (SQLite, durable commits;
# or PostgreSQL with YIBAO_DATABASE_URL set), loads it with `yibao bench gateway --presign`, stops it.
#
#   bash scripts/bench-gateway.sh                                  # 16 connections, 10 s, FSI 1101
#   bash scripts/bench-gateway.sh --connections 1 --duration 5     # any `yibao bench gateway` option
#   bash scripts/bench-gateway.sh --transaction 6301               # HSE; also ec.query, mix (1101, 6301, ec.query in turn)
#   bash scripts/bench-gateway.sh --json > bench.json
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh >&2
echo "==> swift build -c release (the first release build takes several minutes)" >&2
swift build -c release --product yibao >&2
bin="$(swift build -c release --show-bin-path)/yibao"
data="$(mktemp -d /tmp/yibao-bench.XXXXXX)"
log="$data/serve.log"
started=$(date +%s%N)
"$bin" serve --port 0 --data-dir "$data/db" --log-level warning > "$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
# Cold start: from exec to the first answered GET /health (a fresh data directory: migrations and fixture included).
url=""
for _ in $(seq 1 2000); do
    [ -z "$url" ] && url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -1 || true)"
    if [ -n "$url" ] && curl -fsS -o /dev/null "$url/health" 2>/dev/null; then break; fi
    sleep 0.005
done
ready=$(date +%s%N)
[ -n "${url:-}" ] || { echo "error: the gateway did not start:" >&2; cat "$log" >&2; exit 1; }
echo "==> gateway $url (pid $pid, $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')); cold start $(( (ready - started) / 1000000 )) ms to the first /health answer" >&2
args=("$@")
if [ "${#args[@]}" -eq 0 ]; then args=(--connections 16 --duration 10); fi
"$bin" bench gateway --gateway "$url" --presign --gateway-pid "$pid" "${args[@]}"
