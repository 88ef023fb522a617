#!/usr/bin/env bash
# The main job, set-up included: builds yibao, checks every test vector, then runs the
# e-prescription story against a live local gateway (`yibao demo`), verifies its signed
# prescription offline (and with the openssl CLI), and walks the e-voucher story through a
# `yibao serve` gateway on its embedded SQLite default, refusals and trace included, and
# finally grades a gateway and a callback endpoint with the conformance tester.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh

echo "==> building yibao (the first build takes a few minutes)"
swift build --product yibao
yibao=".build/debug/yibao"
work=$(mktemp -d)
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

# Bold headings on a terminal only, and never with NO_COLOR set.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m'; plain=$'\033[0m'; else bold=""; plain=""; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
expect_failure() {
    if "$@" > "$work/refusal.txt" 2>&1; then echo "unexpected: accepted" >&2; exit 1; fi
    cat "$work/refusal.txt"
}

step "A. Every language-neutral test vector in vectors/"
"$yibao" vectors check vectors

step "B. The e-prescription story against a live local gateway (yibao demo)"
"$yibao" demo --out "$work/rx"
rx=$(grep -l '"drugSpec": "0.5 g' "$work"/rx/*.json | head -1)

step "C. yibao rx verify on the prescription the pharmacy downloaded"
"$yibao" rx verify "$rx"

step "D. The same file with one byte changed (a drug specification 0.5 g → 0.6 g)"
sed 's/"drugSpec": "0.5 g/"drugSpec": "0.6 g/' "$rx" > "$work/changed.json"
expect_failure "$yibao" rx verify "$work/changed.json"

step "E. The openssl CLI checks Dr Li's SM2 signature on its own (canonical bytes by Python, signature to DER)"
python3 - "$rx" "$work" <<'PY'
import base64, json, sys
doc = json.load(open(sys.argv[1]))
canonical = json.dumps(doc["prescription"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
raw = base64.b64decode(doc["doctorSignature"]["value"])
def der_int(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80: b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b
body = der_int(raw[:32]) + der_int(raw[32:])
open(sys.argv[2] + "/rx.bin", "wb").write(canonical)
open(sys.argv[2] + "/rx.sig", "wb").write(b"\x30" + bytes([len(body)]) + body)
open(sys.argv[2] + "/doctor.cert.pem", "w").write(doc["doctorSignature"]["certificate"])
print("canonical prescription: %d bytes" % len(canonical))
PY
openssl x509 -in "$work/doctor.cert.pem" -pubkey -noout > "$work/doctor.pub.pem"
openssl dgst -sm3 -verify "$work/doctor.pub.pem" -sigopt distid:1234567812345678 -signature "$work/rx.sig" "$work/rx.bin"

step "F. yibao serve: the reference gateway on a fresh SQLite database, the demo fixture loaded"
"$yibao" serve --port 0 --data-dir "$work/data" > "$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
cat "$work/serve.log"
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1)
[ -n "$url" ] || { echo "the gateway did not start" >&2; exit 1; }

step "G. The patient shows the e-voucher QR code; the hospital scans it (ec.query); 1101 with the ecToken"
"$yibao" voucher issue --gateway "$url" | tee "$work/voucher.txt"
token=$(awk '/ecToken/ {print $2}' "$work/voucher.txt")
"$yibao" call 1101 --gateway "$url" --data "{\"data\":{\"mdtrt_cert_type\":\"01\",\"mdtrt_cert_no\":\"$token\"}}"

step "H. The same token again (ID-2), and a hospital without an Internet+ agreement (AG-1): refused, naming rule and field"
expect_failure "$yibao" call 1101 --gateway "$url" --data "{\"data\":{\"mdtrt_cert_type\":\"01\",\"mdtrt_cert_no\":\"$token\"}}"
expect_failure "$yibao" call 1101 --gateway "$url" --institution H12010100002 \
    --data '{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"120101198001011234"}}'

step "I. An independent Python client written from PROTOCOL.md runs the voucher story; a request it alters after signing is refused"
python3 tools/testing/platform_client.py --gateway "$url" demo
if python3 tools/testing/platform_client.py --gateway "$url" fsi 1101 --tamper \
        '{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"120101198001011234"}}' > "$work/tampered.json"; then
    echo "unexpected: a tampered request was accepted" >&2; exit 1
fi
python3 -c "import json,sys; p=json.load(open(sys.argv[1])); print(p['code'], p['rule'], p['pointer'] + ':', p['detail'])" "$work/tampered.json"

step "I2. What an operator sees: the request log (one line per request, no bodies), readiness and metrics"
grep " request" "$work/serve.log" | tail -n 6
curl -s "$url/ready"; echo
curl -s "$url/metrics" | grep '^yibao_requests_total' | head -n 6

step "J. The gateway stops; its hash-chained trace of every step is checked offline"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
"$yibao" trace verify --data-dir "$work/data"

step "K. The conformance tester grades a platform: the gateway suite against a fresh yibao serve --test-clock"
"$yibao" serve --test-clock --port 0 --data-dir "$work/conformance-data" > "$work/serve2.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/serve2.log" 2>/dev/null && break; sleep 0.2; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve2.log" | head -1)
[ -n "$url" ] || { echo "the gateway did not start" >&2; exit 1; }
"$yibao" conformance run --target "$url" --suite gateway --report-dir "$work/conformance-report"
ls -l "$work/conformance-report"

step "L. Passive mode: what the gateway saw of H12010100001's traffic, every check and refusal"
echo "(the suite sent deliberate mistakes, so a transaction whose latest attempt was one of them shows ✗ and the exit status is 1)"
"$yibao" conformance report --institution H12010100001 --gateway "$url" > "$work/passive.txt" || true
head -30 "$work/passive.txt"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

step "M. A hospital's callback endpoint: the strict sample receiver passes callback-receiver, a sloppy one fails it"
"$yibao" conformance sample-receiver --kind callback --port 0 > "$work/receiver.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/receiver.log" 2>/dev/null && break; sleep 0.2; done
receiver=$(grep -o 'http://127.0.0.1:[0-9]*/callback' "$work/receiver.log" | head -1)
"$yibao" conformance run --target "$receiver" --suite callback-receiver --report-dir "$work/callback-report" --no-colour | tail -3
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
"$yibao" conformance sample-receiver --kind callback --port 0 --sloppy > "$work/sloppy.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/sloppy.log" 2>/dev/null && break; sleep 0.2; done
receiver=$(grep -o 'http://127.0.0.1:[0-9]*/callback' "$work/sloppy.log" | head -1)
if "$yibao" conformance run --target "$receiver" --suite callback-receiver --report-dir "$work/sloppy-report" --no-colour > "$work/sloppy.txt"; then
    echo "unexpected: the sloppy receiver passed" >&2; exit 1
fi
grep -E "FAIL|cases in|conformance:" "$work/sloppy.txt" | grep -v "^    "
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

printf '\n%sdemo complete.%s Run a gateway of your own: %s serve   (then: %s voucher issue, %s demo --gateway http://127.0.0.1:8080)\n' "$bold" "$plain" "$yibao" "$yibao" "$yibao"
