#!/usr/bin/env bash
# The main job, set-up included: checks every test vector, then signs, seals and opens
# sample platform messages with the dev PKI in certs/ — and lets the openssl CLI
# confirm yibao's signature independently.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh

echo "==> building yibao (the first build takes a few minutes)"
swift build --product yibao
yibao=".build/debug/yibao"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

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

printf '\n\033[1mdemo complete.\033[0m Try: %s --help\n' "$yibao"
