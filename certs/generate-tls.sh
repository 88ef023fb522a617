#!/usr/bin/env bash
# Dev TLS certificates for `yibao serve --tls-certificate … --tls-key … [--tls-client-ca …]`:
# a P-256 CA, a server certificate for localhost / 127.0.0.1, and a client certificate of the demo
# hospital (H12010100001) for mutual TLS. TEST-ONLY: every key here is public (certs/README.md).
# Separate from generate.sh so that regenerating TLS leaves the SM2/P-256 signing PKI alone.
set -euo pipefail
cd "$(dirname "$0")"
out=tls
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
days=3650
openssl ecparam -name prime256v1 -genkey -noout -out "$work/ca.key.pem"
openssl req -x509 -new -key "$work/ca.key.pem" -sha256 -days "$days" -subj "/C=CN/O=yibao-gateway dev/CN=yibao dev TLS CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$work/ca.cert.pem"
leaf() { # name subject extendedKeyUsage subjectAltName
    openssl ecparam -name prime256v1 -genkey -noout -out "$work/$1.key.pem.ec"
    openssl pkcs8 -topk8 -nocrypt -in "$work/$1.key.pem.ec" -out "$work/$1.key.pem"
    openssl req -new -key "$work/$1.key.pem" -subj "$2" -out "$work/$1.csr"
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s\n' "$3" "${4:+subjectAltName=$4}" > "$work/$1.ext"
    openssl x509 -req -in "$work/$1.csr" -CA "$work/ca.cert.pem" -CAkey "$work/ca.key.pem" -CAcreateserial -sha256 -days "$days" \
        -extfile "$work/$1.ext" -out "$work/$1.cert.pem"
    openssl verify -CAfile "$work/ca.cert.pem" "$work/$1.cert.pem" >/dev/null
}
leaf server "/C=CN/O=yibao-gateway dev/CN=localhost" serverAuth "DNS:localhost,IP:127.0.0.1,IP:::1"
leaf client "/C=CN/O=Tianjin First Central Hospital/CN=H12010100001" clientAuth ""
mkdir -p "$out"
for name in ca server client; do
    cp "$work/$name.cert.pem" "$out/$name.cert.pem"
    [ "$name" = ca ] || cp "$work/$name.key.pem" "$out/$name.key.pem"
done
cp "$work/ca.key.pem" "$out/ca.key.pem"
echo "certs/tls: ca, server (localhost, 127.0.0.1), client (H12010100001) — valid $days days"
