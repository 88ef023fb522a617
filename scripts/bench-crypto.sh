#!/usr/bin/env bash
# Compares `yibao bench crypto` with `openssl speed sm2 ecdsap256` on this machine:
# builds yibao in release mode, alternates the two ROUNDS times (default 5, SECONDS
# per figure, default 2) so both see the same machine noise, and prints the medians
# and yibao's share of OpenSSL's own rate. SM2 runs on yibao's own curve code (CSM2), so
# its share is well above 100 % (verify with a registered key, which has its comb, most);
# P-256 runs on OpenSSL's, so its share should be close to 100 %.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
seconds=${SECONDS_PER_FIGURE:-2}
bash scripts/ensure-deps.sh
swift build -c release --product yibao >/dev/null
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq "$rounds"); do
    echo "round $round/$rounds …" >&2
    .build/release/yibao bench crypto --seconds "$seconds" | awk '
        /\(OpenSSL\)/ { next }                                             # the same operations through OpenSSL: openssl speed measures those
        /SM2 verify, registered key/ { print "yibao", "SM2", "verify-registered", $5; next }
        /SM2|P-256/ && $3 ~ /^[0-9]+$/ { print "yibao", $1, $2, $3 }' >> "$results"
    openssl speed -seconds "$seconds" sm2 ecdsap256 2>/dev/null | awk '/^ 256 bits/ {print "openssl", ($3 ~ /SM2/ ? "SM2" : "P-256"), $7, $8}' >> "$results"
done
python3 - "$results" <<'PY'
import collections, statistics, sys
ours, theirs = collections.defaultdict(list), collections.defaultdict(list)
for line in open(sys.argv[1]):
    who, curve, *values = line.split()
    if who == "yibao":
        ours[(curve, values[0])].append(float(values[1]))
    else:
        theirs[(curve, "sign")].append(float(values[0]))
        theirs[(curve, "verify")].append(float(values[1]))
print(f"{'':22} {'yibao ops/s':>12} {'openssl ops/s':>14} {'share':>7}   (medians of {len(ours[('SM2', 'sign')])} alternating runs)")
for key in [("SM2", "sign"), ("SM2", "verify"), ("SM2", "verify-registered"), ("P-256", "sign"), ("P-256", "verify")]:
    y, o = statistics.median(ours[key]), statistics.median(theirs[(key[0], key[1].split("-")[0])])
    print(f"{key[0] + ' ' + key[1]:22} {y:12.0f} {o:14.0f} {100 * y / o:6.1f}%")
PY
