#!/usr/bin/env bash
#
# certs/generate.sh: builds the dev PKI of yibao-gateway.
#
#   TEST-ONLY KEYS. Every private key this script writes is committed to a
#   public repository. Never use any of them for anything real.
#
# Usage:  bash certs/generate.sh        (works from any directory)
#
# Output (see certs/README.md for the full table):
#   certs/sm2/   SM2 keys, certificates signed SM2-with-SM3 using the
#                distinguishing ID 1234567812345678, plus a CRL
#   certs/p256/  the same tree in ECDSA P-256 with SHA-256
#
# Uses only the openssl CLI (3.0 or later) and coreutils. Everything is built
# in a temporary directory and checked there. Only when every check passes
# are certs/sm2 and certs/p256 deleted and replaced, so a failed run leaves
# the previous set as it was. Key material is random: each run makes new keys
# (and new signatures) but always the same names, serials, subjects, dates
# and extensions.
#
# OpenSSL 3.0 traps this script works around (details in certs/README.md):
#   1. SM2 with no ID set signs and verifies with an EMPTY ID. Every SM2 signing
#      step passes -sigopt distid:..., and every CSR check passes -vfyopt distid:...
#   2. `openssl verify` applies -vfyopt only to the certificate it is
#      checking, not to the CA certificates above it. So an SM2 chain has to be
#      checked one hop at a time (root -> intermediate, then intermediate ->
#      leaf with -partial_chain).
#   3. X509_CRL_verify (and so `openssl verify -crl_check` and
#      `openssl crl -CAfile`) passes no ID at all, and 3.0 has no
#      X509_CRL_set0_distinguishing_id. A CRL signed with the ID therefore
#      shows up as "CRL signature failure" (error 8). The script checks the SM2
#      CRL's signature itself (TBSCertList + SM3 + distid with `openssl dgst`)
#      and looks up the revoked serial in it.
#   4. Self-signed trust anchors: `verify` does not check their signature, and
#      -check_ss_sig fails on an SM2 root with error 7 even with -vfyopt. The
#      script checks every SM2 signature itself, roots included.
#   5. `x509 -req` in 3.0 has no -not_before/-not_after, so `openssl ca` is used
#      with -startdate/-enddate (root via -selfsign) and a throwaway config.

set -euo pipefail

# ---------------------------------------------------------------------------
# Fixed parameters (documented in certs/README.md; change both together)
# ---------------------------------------------------------------------------

CERTS_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
readonly CERTS_DIR

readonly DISTID="1234567812345678"

# Validity windows. openssl ca takes GeneralizedTime form here and writes
# UTCTime into the certificate, as RFC 5280 requires for years before 2050.
readonly CA_START="20250101000000Z"      CA_END="20450101000000Z"
readonly LEAF_START="20250601000000Z"    LEAF_END="20350601000000Z"
readonly EXPIRED_START="20200101000000Z" EXPIRED_END="20210101000000Z"
readonly CRL_LAST_UPDATE="20250601000000Z" CRL_NEXT_UPDATE="20450101000000Z"
readonly REVOCATION_DATE="250701000000Z"  # UTCTime, the form index.txt uses
readonly REVOCATION_REASON="keyCompromise"

# The instant every `openssl verify` runs at (-attime), so that the checks
# give the same answer whenever the script is run: 2030-01-01T00:00:00Z.
readonly VERIFY_AT=1893456000

# Leaves, in serial order. Serial = 0x3001 + index (+0x100 in the P-256 tree).
readonly LEAVES=(platform hospital pharmacy doctor-li doctor-wang pharmacist-zhao revoked expired keyenc-only)

# Leaf subjects. Naming rule: OU holds the organisation's code
# (fixmedins_code) and serialNumber holds the subject's own national code
# (H = medical institution, P = retail pharmacy, D = doctor, Y = pharmacist).
# ASCII only, with no RFC 2253 special characters, so the RFC 2253 form
# needs no escaping.
readonly HOSPITAL_O="/C=CN/ST=Tianjin/L=Tianjin/O=Tianjin First Central Hospital/OU=H12010100001"
readonly PHARMACY_O="/C=CN/ST=Tianjin/L=Tianjin/O=Tianjin Haihe Pharmacy/OU=P12010100001"

leaf_subject() {
    case "$1" in
        platform)        echo "/C=CN/O=NHSA Platform Simulator/OU=National Medical Insurance Information Platform/CN=Yibao Platform Signing Certificate TEST" ;;
        hospital)        echo "$HOSPITAL_O/CN=Tianjin First Central Hospital/serialNumber=H12010100001" ;;
        pharmacy)        echo "$PHARMACY_O/CN=Tianjin Haihe Pharmacy/serialNumber=P12010100001" ;;
        doctor-li)       echo "$HOSPITAL_O/CN=Li Wei/serialNumber=D12010100001" ;;
        doctor-wang)     echo "$HOSPITAL_O/CN=Wang Fang/serialNumber=D12010100002" ;;
        pharmacist-zhao) echo "$HOSPITAL_O/CN=Zhao Min/serialNumber=Y12010100001" ;;
        revoked)         echo "$HOSPITAL_O/CN=Revoked Doctor TEST/serialNumber=D12010100099" ;;
        expired)         echo "$HOSPITAL_O/CN=Expired Doctor TEST/serialNumber=D12010100098" ;;
        keyenc-only)     echo "$HOSPITAL_O/CN=Key Encipherment Only TEST/serialNumber=D12010100097" ;;
        *) die "unknown leaf $1" ;;
    esac
}

# Extension section of the throwaway config used for a leaf.
leaf_extensions() {
    case "$1" in
        keyenc-only) echo "ext_leaf_keyenc" ;;
        *)           echo "ext_leaf_sign" ;;
    esac
}

# "START END" of a leaf.
leaf_window() {
    case "$1" in
        expired) echo "$EXPIRED_START $EXPIRED_END" ;;
        *)       echo "$LEAF_START $LEAF_END" ;;
    esac
}

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

log() { printf '==> %s\n' "$*"; }
die() { printf 'generate.sh: FAILED: %s\n' "$*" >&2; exit 1; }

# Run a command quietly; on failure show its output and stop.
run() {
    local out
    if ! out="$("$@" 2>&1)"; then
        printf '%s\n' "$out" >&2
        die "command failed: $*"
    fi
}

# Bytes on stdin -> lower-case hex on stdout (one line).
to_hex() { od -An -tx1 -v | tr -d ' \n'; }

# Hex string -> bytes on stdout.
from_hex() { printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }

# Escape a string for a JSON string literal (backslash and double quote; the
# subjects here are plain ASCII).
json_escape() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }

# Serial number (hex, upper case, as openssl prints it) of a certificate.
cert_serial() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }

# Subject in RFC 2253 form.
cert_subject() { openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | sed 's/^subject=//'; }

# ---------------------------------------------------------------------------
# Algorithm profiles
# ---------------------------------------------------------------------------

# use_alg sm2|p256: sets the globals the steps below read.
use_alg() {
    ALG="$1"
    case "$ALG" in
        sm2)
            ALG_LABEL="SM2"
            KEYGEN=(-algorithm SM2)
            MD="sm3"
            SIGN_OPTS=(-sigopt "distid:$DISTID")
            VFY_OPTS=(-vfyopt "distid:$DISTID")
            SERIAL_OFFSET=0
            # DER of the curve OID 1.2.156.10197.1.301 (SM2), for the raw-key check
            CURVE_OID_DER="06082a811ccf5501822d"
            ;;
        p256)
            ALG_LABEL="P-256"
            KEYGEN=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve)
            MD="sha256"
            SIGN_OPTS=()
            VFY_OPTS=()
            SERIAL_OFFSET=$((0x100))
            # DER of the curve OID 1.2.840.10045.3.1.7 (prime256v1)
            CURVE_OID_DER="06082a8648ce3d030107"
            ;;
        *) die "unknown algorithm $ALG" ;;
    esac
    OUT="$STAGE/$ALG"
    DB="$WORK/$ALG-db"
    mkdir -p "$OUT" "$DB"
}

# Serial numbers: root 0x1000, intermediate 0x2000, leaves 0x3001..0x3009
# (each +0x100 in the P-256 tree).
root_serial()         { printf '%04X' $((0x1000 + SERIAL_OFFSET)); }
intermediate_serial() { printf '%04X' $((0x2000 + SERIAL_OFFSET)); }
leaf_serial() {
    local i
    for i in "${!LEAVES[@]}"; do
        if [[ "${LEAVES[$i]}" == "$1" ]]; then
            printf '%04X' $((0x3001 + i + SERIAL_OFFSET))
            return
        fi
    done
    die "unknown leaf $1"
}

# ---------------------------------------------------------------------------
# Throwaway OpenSSL configuration (one `openssl ca` database per issuer)
# ---------------------------------------------------------------------------

# write_ca_db DIR: creates an empty CA database and its config in DIR.
write_ca_db() {
    local dir="$1"
    mkdir -p "$dir/issued"
    : > "$dir/index.txt"
    echo "01" > "$dir/crlnumber"
    cat > "$dir/openssl.cnf" <<EOF
# Throwaway config written by certs/generate.sh.
[ req ]
distinguished_name = req_dn
string_mask        = utf8only
utf8               = yes

[ req_dn ]

[ ca ]
default_ca = ca_default

[ ca_default ]
database        = $dir/index.txt
new_certs_dir   = $dir/issued
serial          = $dir/serial
crlnumber       = $dir/crlnumber
default_md      = sha256
policy          = policy_keep_all
unique_subject  = no
email_in_dn     = no
preserve        = yes
copy_extensions = none

# Keep every attribute the requests carry, in their order.
[ policy_keep_all ]
countryName            = optional
stateOrProvinceName    = optional
localityName           = optional
organizationName       = optional
organizationalUnitName = optional
commonName             = supplied
serialNumber           = optional

[ ext_root ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ ext_intermediate ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ ext_leaf_sign ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ ext_leaf_keyenc ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, keyEncipherment
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ ext_crl ]
authorityKeyIdentifier = keyid:always
EOF
}

# ---------------------------------------------------------------------------
# Generation steps
# ---------------------------------------------------------------------------

# new_key_and_csr NAME SUBJECT: writes $OUT/NAME.key.pem (PKCS#8) and a CSR in $DB.
# (The [req] section lives in the root's throwaway config, written first.)
new_key_and_csr() {
    local name="$1" subject="$2"
    run openssl genpkey "${KEYGEN[@]}" -out "$OUT/$name.key.pem"
    run openssl req -config "$DB/root/openssl.cnf" -new -utf8 \
        -key "$OUT/$name.key.pem" -subj "$subject" \
        -"$MD" ${SIGN_OPTS[@]+"${SIGN_OPTS[@]}"} \
        -out "$DB/$name.csr.pem"
}

# ca_sign DB_DIR ISSUER_CERT(or "self") ISSUER_KEY NAME SERIAL START END EXTSECTION
# Issues $OUT/NAME.cert.pem from $DB/NAME.csr.pem with exact dates and serial.
ca_sign() {
    local db="$1" issuer_cert="$2" issuer_key="$3" name="$4" serial="$5"
    local start="$6" end="$7" ext="$8"
    local issuer_args
    if [[ "$issuer_cert" == "self" ]]; then
        issuer_args=(-selfsign)
    else
        issuer_args=(-cert "$issuer_cert")
    fi
    echo "$serial" > "$db/serial"
    run openssl ca -config "$db/openssl.cnf" -batch -notext -preserveDN \
        "${issuer_args[@]}" -keyfile "$issuer_key" \
        -md "$MD" ${SIGN_OPTS[@]+"${SIGN_OPTS[@]}"} ${VFY_OPTS[@]+"${VFY_OPTS[@]}"} \
        -startdate "$start" -enddate "$end" -extensions "$ext" \
        -in "$DB/$name.csr.pem" -out "$OUT/$name.cert.pem"
}

make_root() {
    log "$ALG_LABEL: root CA (serial $(root_serial))"
    write_ca_db "$DB/root"
    new_key_and_csr root "/C=CN/O=Yibao Gateway Simulator/OU=TEST ONLY - NOT FOR PRODUCTION/CN=Yibao Gateway TEST $ALG_LABEL Root CA"
    ca_sign "$DB/root" self "$OUT/root.key.pem" root "$(root_serial)" "$CA_START" "$CA_END" ext_root
}

make_intermediate() {
    log "$ALG_LABEL: intermediate CA (serial $(intermediate_serial))"
    new_key_and_csr intermediate "/C=CN/O=Yibao Gateway Simulator/OU=TEST ONLY - NOT FOR PRODUCTION/CN=Yibao Gateway TEST $ALG_LABEL Intermediate CA"
    ca_sign "$DB/root" "$OUT/root.cert.pem" "$OUT/root.key.pem" intermediate \
        "$(intermediate_serial)" "$CA_START" "$CA_END" ext_intermediate
    write_ca_db "$DB/intermediate"
}

make_leaves() {
    local name window
    for name in "${LEAVES[@]}"; do
        log "$ALG_LABEL: leaf $name (serial $(leaf_serial "$name"))"
        new_key_and_csr "$name" "$(leaf_subject "$name")"
        read -r -a window <<< "$(leaf_window "$name")"
        ca_sign "$DB/intermediate" "$OUT/intermediate.cert.pem" "$OUT/intermediate.key.pem" "$name" \
            "$(leaf_serial "$name")" "${window[0]}" "${window[1]}" "$(leaf_extensions "$name")"
        # chain = leaf + intermediate (not the root: that is the trust anchor)
        cat "$OUT/$name.cert.pem" "$OUT/intermediate.cert.pem" > "$OUT/$name.chain.pem"
    done
}

# Marks `revoked` as revoked in the intermediate's database with a fixed date
# and reason (`openssl ca -revoke` would stamp the current time).
revoke_leaf() {
    local serial db="$DB/intermediate"
    serial="$(leaf_serial revoked)"
    log "$ALG_LABEL: revoke serial $serial ($REVOCATION_REASON, $REVOCATION_DATE)"
    awk -F'\t' -v OFS='\t' -v s="$serial" -v r="$REVOCATION_DATE,$REVOCATION_REASON" \
        '$4 == s { $1 = "R"; $3 = r; n++ } { print } END { if (n != 1) exit 1 }' \
        "$db/index.txt" > "$db/index.txt.new" || die "serial $serial not in the intermediate's database"
    mv "$db/index.txt.new" "$db/index.txt"
}

make_crl() {
    log "$ALG_LABEL: CRL from the intermediate"
    run openssl ca -config "$DB/intermediate/openssl.cnf" -batch -gencrl \
        -cert "$OUT/intermediate.cert.pem" -keyfile "$OUT/intermediate.key.pem" \
        -md "$MD" ${SIGN_OPTS[@]+"${SIGN_OPTS[@]}"} -crlexts ext_crl \
        -crl_lastupdate "$CRL_LAST_UPDATE" -crl_nextupdate "$CRL_NEXT_UPDATE" \
        -out "$OUT/intermediate.crl.pem"
}

# write_raw_json NAME: $OUT/NAME.raw.json with the raw 32-byte scalar and the
# 65-byte uncompressed point, both base64, as the HSE envelope uses them.
write_raw_json() {
    local name="$1"
    local key="$OUT/$name.key.pem" text priv pub priv_der pub_der derived
    text="$(openssl pkey -in "$key" -text -noout)"

    # Scalar from the text dump; openssl prints a leading 00 when the top bit is
    # set and drops leading zero bytes, so normalise to exactly 64 hex digits.
    priv="$(printf '%s\n' "$text" | awk '/^priv:/ {f = 1; next} /^[^ ]/ {f = 0} f' | tr -d ' :\n')"
    while [[ ${#priv} -gt 64 && "${priv:0:2}" == "00" ]]; do priv="${priv:2}"; done
    [[ ${#priv} -le 64 && ${#priv} -gt 0 ]] || die "$ALG/$name: private scalar has ${#priv} hex digits"
    while [[ ${#priv} -lt 64 ]]; do priv="0$priv"; done

    # Point from the text dump: must be 04 || X || Y, 65 bytes.
    pub="$(printf '%s\n' "$text" | awk '/^pub:/ {f = 1; next} /^[^ ]/ {f = 0} f' | tr -d ' :\n')"
    [[ ${#pub} -eq 130 && "${pub:0:2}" == "04" ]] || die "$ALG/$name: public point is not 65 bytes 04||X||Y"

    # Cross-check both against the DER encodings: the scalar is the OCTET STRING
    # after version 1 in ECPrivateKey (RFC 5915, always full length), the point
    # is the last 65 bytes of SubjectPublicKeyInfo.
    priv_der="$(openssl pkey -in "$key" -outform DER | to_hex | grep -o '0201010420[0-9a-f]\{64\}' | head -n 1 | cut -c11-)"
    pub_der="$(openssl pkey -in "$key" -pubout -outform DER | tail -c 65 | to_hex)"
    [[ "$priv" == "$priv_der" ]] || die "$ALG/$name: scalar from text and DER differ"
    [[ "$pub" == "$pub_der" ]] || die "$ALG/$name: point from text and DER differ"

    # Round trip: a bare ECPrivateKey with only this scalar must give the same point.
    from_hex "30310201010420${priv}a00a${CURVE_OID_DER}" > "$DB/$name.sec1.der"
    derived="$(openssl pkey -inform DER -in "$DB/$name.sec1.der" -pubout -outform DER | tail -c 65 | to_hex)"
    [[ "$derived" == "$pub" ]] || die "$ALG/$name: scalar does not give the public point"

    local priv_b64 pub_b64 n_priv n_pub
    priv_b64="$(from_hex "$priv" | openssl base64 -A)"
    pub_b64="$(from_hex "$pub" | openssl base64 -A)"
    n_priv="$(printf '%s' "$priv_b64" | openssl base64 -d -A | wc -c | tr -d ' ')"
    n_pub="$(printf '%s' "$pub_b64" | openssl base64 -d -A | wc -c | tr -d ' ')"
    [[ "$n_priv" == 32 && "$n_pub" == 65 ]] || die "$ALG/$name: raw key lengths $n_priv/$n_pub, want 32/65"

    cat > "$OUT/$name.raw.json" <<EOF
{
  "privateKey": "$priv_b64",
  "publicKey": "$pub_b64",
  "certificate": "$name.cert.pem",
  "serial": "$(cert_serial "$OUT/$name.cert.pem")",
  "subject": "$(json_escape "$(cert_subject "$OUT/$name.cert.pem")")"
}
EOF
}

generate_tree() {
    use_alg "$1"
    make_root
    make_intermediate
    make_leaves
    revoke_leaf
    make_crl
    local name
    for name in "${LEAVES[@]}"; do write_raw_json "$name"; done
}

# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------

# expect_ok DESCRIPTION COMMAND...: the command must succeed.
expect_ok() {
    local desc="$1" out; shift
    if ! out="$("$@" 2>&1)"; then
        printf '%s\n' "$out" >&2
        die "$desc (expected success): $*"
    fi
    printf '    ok    %s\n' "$desc"
}

# expect_fail DESCRIPTION REGEX COMMAND...: the command must fail and print REGEX.
expect_fail() {
    local desc="$1" regex="$2" out; shift 2
    if out="$("$@" 2>&1)"; then
        die "$desc (expected failure, got success): $*"
    fi
    if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
        printf '%s\n' "$out" >&2
        die "$desc (failed, but not with /$regex/): $*"
    fi
    printf '    ok    %s (fails: %s)\n' "$desc" "$(printf '%s\n' "$out" | grep -Eo -- "$regex" | head -n 1)"
}

# check_fields FILE SERIAL START END: exact serial and validity window.
check_fields() {
    local f="$1" serial="$2" start="$3" end="$4" got want
    [[ "$(cert_serial "$f")" == "$serial" ]] || die "$f: serial $(cert_serial "$f"), want $serial"
    got="$(openssl x509 -in "$f" -noout -startdate -enddate -dateopt iso_8601 | tr '\n' ' ')"
    want="notBefore=${start:0:4}-${start:4:2}-${start:6:2} ${start:8:2}:${start:10:2}:${start:12:2}Z notAfter=${end:0:4}-${end:4:2}-${end:6:2} ${end:8:2}:${end:10:2}:${end:12:2}Z "
    [[ "$got" == "$want" ]] || die "$f: validity '$got', want '$want'"
}

# check_ext FILE TEXT: the decoded extensions must contain TEXT.
check_ext() {
    openssl x509 -in "$1" -noout -ext basicConstraints,keyUsage,subjectKeyIdentifier,authorityKeyIdentifier \
        | grep -Fq -- "$2" || die "$1: extensions lack '$2'"
}

check_structure() {
    log "$ALG: serials, windows, extensions"
    check_fields "$OUT/root.cert.pem" "$(root_serial)" "$CA_START" "$CA_END"
    check_fields "$OUT/intermediate.cert.pem" "$(intermediate_serial)" "$CA_START" "$CA_END"
    check_ext "$OUT/root.cert.pem" "CA:TRUE"
    check_ext "$OUT/intermediate.cert.pem" "CA:TRUE, pathlen:0"
    local f
    for f in root intermediate; do
        check_ext "$OUT/$f.cert.pem" "Certificate Sign, CRL Sign"
        check_ext "$OUT/$f.cert.pem" "X509v3 Subject Key Identifier"
        check_ext "$OUT/$f.cert.pem" "X509v3 Authority Key Identifier"
    done
    local name window
    for name in "${LEAVES[@]}"; do
        f="$OUT/$name.cert.pem"
        read -r -a window <<< "$(leaf_window "$name")"
        check_fields "$f" "$(leaf_serial "$name")" "${window[0]}" "${window[1]}"
        check_ext "$f" "CA:FALSE"
        if [[ "$name" == keyenc-only ]]; then
            check_ext "$f" "Key Encipherment"
            ! openssl x509 -in "$f" -noout -ext keyUsage | grep -q "Digital Signature" \
                || die "$f: keyenc-only must not allow digitalSignature"
        else
            check_ext "$f" "Digital Signature, Non Repudiation"
        fi
        cmp -s "$OUT/$name.chain.pem" <(cat "$f" "$OUT/intermediate.cert.pem") \
            || die "$name.chain.pem is not leaf + intermediate"
    done
    printf '    ok    %s\n' "all serials, validity windows and extensions as documented"
}

# check_sm2_signature DESCRIPTION FILE(cert|crl, PEM) ISSUER_CERT
# Verifies the outer signature by hand: TBS bytes, SM3, distid. It must pass
# with the ID and fail without it (that proves the ID was used when signing).
check_sm2_signature() {
    local desc="$1" file="$2" issuer="$3" kind der parts tbs sig
    kind=x509; grep -q "BEGIN X509 CRL" "$file" && kind=crl
    der="$DB/sigcheck.der"
    openssl "$kind" -in "$file" -outform DER -out "$der"
    # Top-level children: "offset hl len" of TBS (first) and signature BIT STRING (last).
    parts="$(openssl asn1parse -inform DER -in "$der" \
        | sed -n 's/^ *\([0-9]*\):d=1 *hl= *\([0-9]*\) *l= *\([0-9]*\) .*/\1 \2 \3/p')"
    read -r -a tbs <<< "$(printf '%s\n' "$parts" | head -n 1)"
    read -r -a sig <<< "$(printf '%s\n' "$parts" | tail -n 1)"
    tail -c +$((tbs[0] + 1)) "$der" | head -c $((tbs[1] + tbs[2])) > "$DB/sigcheck.tbs"
    # BIT STRING content = one "unused bits" byte (00), then the DER ECDSA-Sig-Value.
    tail -c +$((sig[0] + sig[1] + 2)) "$der" | head -c $((sig[2] - 1)) > "$DB/sigcheck.sig"
    openssl x509 -in "$issuer" -noout -pubkey > "$DB/sigcheck.pub"
    expect_ok "$desc: SM2/SM3 signature with distid $DISTID" \
        openssl dgst -sm3 -verify "$DB/sigcheck.pub" -sigopt "distid:$DISTID" \
        -signature "$DB/sigcheck.sig" "$DB/sigcheck.tbs"
    if openssl dgst -sm3 -verify "$DB/sigcheck.pub" \
        -signature "$DB/sigcheck.sig" "$DB/sigcheck.tbs" > /dev/null 2>&1; then
        die "$desc: signature also verifies with the EMPTY ID; it was not signed with distid $DISTID"
    fi
}

# crl_lists_serial CRL SERIAL: the CRL's revoked list holds SERIAL.
crl_lists_serial() {
    openssl crl -in "$1" -noout -text | grep -Eq "Serial Number: $2\$"
}

check_crl_contents() {
    local crl="$OUT/intermediate.crl.pem" name
    [[ "$(openssl crl -in "$crl" -noout -issuer -nameopt RFC2253)" == "issuer=$(cert_subject "$OUT/intermediate.cert.pem")" ]] \
        || die "CRL issuer is not the intermediate"
    for name in "${LEAVES[@]}"; do
        if [[ "$name" == revoked ]]; then
            crl_lists_serial "$crl" "$(leaf_serial "$name")" || die "CRL does not list revoked ($(leaf_serial "$name"))"
        else
            ! crl_lists_serial "$crl" "$(leaf_serial "$name")" || die "CRL lists $name"
        fi
    done
    openssl crl -in "$crl" -noout -text | grep -q "Key Compromise" || die "CRL entry lacks reason keyCompromise"
    printf '    ok    %s\n' "CRL: issuer = intermediate, lists only $(leaf_serial revoked) (revoked, keyCompromise)"
}

verify_sm2() {
    use_alg sm2
    check_structure
    local V=(openssl verify -attime "$VERIFY_AT" -vfyopt "distid:$DISTID")
    local name

    log "sm2: every signature by hand (TBS + SM3 + distid)"
    check_sm2_signature "root (self-signed)" "$OUT/root.cert.pem" "$OUT/root.cert.pem"
    check_sm2_signature "intermediate" "$OUT/intermediate.cert.pem" "$OUT/root.cert.pem"
    for name in "${LEAVES[@]}"; do
        check_sm2_signature "$name" "$OUT/$name.cert.pem" "$OUT/intermediate.cert.pem"
    done
    check_sm2_signature "CRL" "$OUT/intermediate.crl.pem" "$OUT/intermediate.cert.pem"

    log "sm2: openssl verify hop by hop at 2030-01-01T00:00:00Z"
    expect_ok "root -> intermediate" "${V[@]}" -CAfile "$OUT/root.cert.pem" "$OUT/intermediate.cert.pem"
    for name in "${LEAVES[@]}"; do
        case "$name" in
            expired)
                expect_fail "intermediate -> expired" "certificate has expired" \
                    "${V[@]}" -partial_chain -CAfile "$OUT/intermediate.cert.pem" "$OUT/$name.cert.pem" ;;
            *)
                expect_ok "intermediate -> $name" \
                    "${V[@]}" -partial_chain -CAfile "$OUT/intermediate.cert.pem" "$OUT/$name.cert.pem" ;;
        esac
    done

    log "sm2: revocation"
    check_crl_contents
    # openssl verify -crl_check must reject `revoked`. On OpenSSL 3.0 it does so
    # with "CRL signature failure" (trap 3: no distid for CRLs); where that is
    # fixed it says "certificate revoked". The signature check above and the
    # serial lookup are what prove the CRL right.
    expect_fail "intermediate -> revoked with -crl_check" "certificate revoked|CRL signature failure" \
        "${V[@]}" -partial_chain -crl_check -CRLfile "$OUT/intermediate.crl.pem" \
        -CAfile "$OUT/intermediate.cert.pem" "$OUT/revoked.cert.pem"
}

verify_p256() {
    use_alg p256
    check_structure
    local V=(openssl verify -attime "$VERIFY_AT" -CAfile "$OUT/root.cert.pem")
    local CRL=(-crl_check -CRLfile "$OUT/intermediate.crl.pem")
    local name

    log "p256: openssl verify, whole chain, at 2030-01-01T00:00:00Z"
    expect_ok "root (self-signature, -check_ss_sig)" "${V[@]}" -check_ss_sig "$OUT/root.cert.pem"
    expect_ok "root -> intermediate" "${V[@]}" "$OUT/intermediate.cert.pem"
    for name in "${LEAVES[@]}"; do
        case "$name" in
            expired)
                expect_fail "root -> intermediate -> expired" "certificate has expired" \
                    "${V[@]}" -untrusted "$OUT/$name.chain.pem" "${CRL[@]}" "$OUT/$name.cert.pem" ;;
            revoked)
                expect_ok "root -> intermediate -> revoked (no CRL)" \
                    "${V[@]}" -untrusted "$OUT/$name.chain.pem" "$OUT/$name.cert.pem"
                expect_fail "root -> intermediate -> revoked with -crl_check" "certificate revoked" \
                    "${V[@]}" -untrusted "$OUT/$name.chain.pem" "${CRL[@]}" "$OUT/$name.cert.pem" ;;
            *)
                expect_ok "root -> intermediate -> $name with -crl_check" \
                    "${V[@]}" -untrusted "$OUT/$name.chain.pem" "${CRL[@]}" "$OUT/$name.cert.pem" ;;
        esac
    done
    expect_ok "CRL signature (openssl crl -CAfile)" \
        openssl crl -in "$OUT/intermediate.crl.pem" -noout -CAfile "$OUT/intermediate.cert.pem"
    check_crl_contents
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

main() {
    command -v openssl > /dev/null || die "openssl not found"
    case "$(openssl version)" in
        "OpenSSL 3."*) ;;
        *) die "needs OpenSSL 3.x, found: $(openssl version)" ;;
    esac
    log "$(openssl version)"

    WORK="$(mktemp -d "${TMPDIR:-/tmp}/yibao-pki.XXXXXX")"
    trap 'rm -rf "$WORK"' EXIT
    STAGE="$WORK/stage"
    mkdir -p "$STAGE"
    # Keep the system openssl.cnf out of it: every command gets an explicit config
    # or needs none.
    export OPENSSL_CONF=/dev/null

    generate_tree sm2
    generate_tree p256
    verify_sm2
    verify_p256

    log "installing into $CERTS_DIR/{sm2,p256}"
    rm -rf "$CERTS_DIR/sm2" "$CERTS_DIR/p256"
    cp -R "$STAGE/sm2" "$STAGE/p256" "$CERTS_DIR/"
    chmod 644 "$CERTS_DIR"/sm2/* "$CERTS_DIR"/p256/*
    log "done: $(find "$CERTS_DIR/sm2" "$CERTS_DIR/p256" -type f | wc -l | tr -d ' ') files"
}

main "$@"
