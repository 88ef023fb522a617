#!/usr/bin/env bash
# The main job, set-up included: checks every test vector, signs, seals and opens sample
# platform messages with the dev PKI in certs/ (the openssl CLI and an independent Python
# implementation confirm them), then starts the reference gateway on its embedded SQLite
# default and walks the e-voucher story through it, refusals included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh

echo "==> building yibao (the first build takes a few minutes)"
swift build --product yibao
yibao=".build/debug/yibao"
work=$(mktemp -d)
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
raw() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

step "1. Every language-neutral test vector in vectors/"
"$yibao" vectors check vectors

step "2. A fresh SM2 key pair in the platform's raw base64 forms"
"$yibao" keygen --alg sm2

step "3. Doctor Li signs a prescription line with SM3-with-SM2; the openssl CLI verifies it"
printf '{"hospRxno":"RX20261123001","medListCodg":"AADG0000","drugCnt":"1"}' > "$work/rx.json"
"$yibao" sign --private-key-file certs/sm2/doctor-li.key.pem --encoding der --output binary "$work/rx.json" > "$work/rx.sig"
openssl x509 -in certs/sm2/doctor-li.cert.pem -pubkey -noout > "$work/doctor-li.pub.pem"
openssl dgst -sm3 -verify "$work/doctor-li.pub.pem" -sigopt distid:1234567812345678 -signature "$work/rx.sig" "$work/rx.json"
"$yibao" verify --certificate certs/sm2/doctor-li.cert.pem --signature-file "$work/rx.sig" "$work/rx.json"

app=(--app-id 1G7Q8ABCDEF0123456 --app-secret Yibao-Demo-Secret-2026)
step "4. The hospital seals a 6201 fee upload (uldFeeInfo) as an HSE envelope"
"$yibao" envelope seal "${app[@]}" --private-key "$(raw certs/sm2/hospital.raw.json privateKey)" samples/uldFeeInfo.json | tee "$work/envelope.json"

step "5. The platform opens it: decrypts encData and verifies signData"
"$yibao" envelope open "${app[@]}" --peer-public-key "$(raw certs/sm2/hospital.raw.json publicKey)" "$work/envelope.json"

step "6. A receiver configured for DER signatures refuses it and says why"
if "$yibao" envelope open "${app[@]}" --signature-encoding der \
        --peer-public-key "$(raw certs/sm2/hospital.raw.json publicKey)" "$work/envelope.json"; then
    echo "unexpected: the envelope opened under the wrong profile" >&2
    exit 1
fi

step "7. An envelope sealed by an independent implementation (tools/vectors/hse.py, Python) opens with yibao"
python3 tools/vectors/hse.py seal "${app[@]}" --private-key "$(raw certs/sm2/pharmacy.raw.json privateKey)" samples/uldFeeInfo.json > "$work/python-envelope.json"
"$yibao" envelope open "${app[@]}" --peer-public-key "$(raw certs/sm2/pharmacy.raw.json publicKey)" "$work/python-envelope.json" > "$work/python-data.json"
sed -n '1,6p' "$work/python-data.json"; echo "  … (opened and verified)"

step "8. The reference gateway starts on a fresh SQLite database and loads the demo fixture"
"$yibao" serve --port 0 --data-dir "$work/data" > "$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.log" 2>/dev/null && break; sleep 0.2; done
cat "$work/serve.log"
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1)
[ -n "$url" ] || { echo "the gateway did not start" >&2; exit 1; }

step "9. The patient shows the e-voucher QR code; the hospital scans it (ec.query) for registration"
"$yibao" voucher issue --gateway "$url" | tee "$work/voucher.txt"
token=$(awk '/ecToken/ {print $2}' "$work/voucher.txt")

step "10. 1101 person info with the ecToken: signed, sent, the platform's signed answer verified"
"$yibao" call 1101 --gateway "$url" --data "{\"data\":{\"mdtrt_cert_type\":\"01\",\"mdtrt_cert_no\":\"$token\"}}"

expect_refusal() {
    if "$@" 2> "$work/refusal.txt"; then echo "unexpected: accepted" >&2; exit 1; fi
    cat "$work/refusal.txt"
}
step "11. The same token again: refused, naming the rule and the field (ID-2)"
expect_refusal "$yibao" call 1101 --gateway "$url" --data "{\"data\":{\"mdtrt_cert_type\":\"01\",\"mdtrt_cert_no\":\"$token\"}}"

step "12. A hospital without an Internet+ agreement asks: refused (AG-1)"
expect_refusal "$yibao" call 1101 --gateway "$url" --institution H12010100002 \
    --data '{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"120101198001011234"}}'

step "13. An independent Python client written from PROTOCOL.md (tools/testing/platform_client.py) runs the same story"
python3 tools/testing/platform_client.py --gateway "$url" demo

step "14. The same client alters a request after signing it: refused with the string the gateway verified"
if python3 tools/testing/platform_client.py --gateway "$url" fsi 1101 --tamper \
        '{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"120101198001011234"}}' > "$work/tampered.json"; then
    echo "unexpected: a tampered request was accepted" >&2; exit 1
fi
python3 -c "import json,sys; p=json.load(open(sys.argv[1])); print(p['code'], p['rule'], p['pointer']); print('  ' + p['detail']); [print('  diagnosis:', d) for d in p.get('diagnosis', [])]" "$work/tampered.json"

step "15. The gateway stops; its hash-chained trace of every step is checked offline"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
"$yibao" trace verify --data-dir "$work/data"

printf '\n\033[1mdemo complete.\033[0m Run a gateway of your own: %s serve   (then: %s voucher issue)\n' "$yibao" "$yibao"
