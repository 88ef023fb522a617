#!/usr/bin/env python3
"""Checks every envelope test that carries `signString` (vectors/hse_envelope_test.json) with the
OpenSSL 3 command-line tool alone: the test's signData, converted from raw r||s to DER, must verify
over the exact bytes of signString with the group's sender key and the signer ID of its profile
(1234567812345678, or appSecret) — except a WrongKey test, whose signature must fail.

    python3 tools/vectors/openssl_signstrings.py [FILE] [-v]

Both OpenSSL front ends are run on each test and must agree:

    openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -digest sm3 \\
        -pkeyopt distid:1234567812345678 -in msg -sigfile sig.der
    openssl dgst -sm3 -verify pub.pem -sigopt distid:1234567812345678 -signature sig.der msg

Uses only the standard library and the openssl CLI (no gm.py, no hse.py). Prints one line per test
with -v, and `N signStrings checked, M failed`; exits 1 on a failure.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_FILE = os.path.normpath(os.path.join(HERE, "..", "..", "vectors", "hse_envelope_test.json"))
DEFAULT_ID = "1234567812345678"


def der_int(x: bytes) -> bytes:
    x = x.lstrip(b"\x00") or b"\x00"
    if x[0] & 0x80:
        x = b"\x00" + x
    return b"\x02" + bytes([len(x)]) + x


def raw_to_der(sig: bytes) -> bytes:
    if len(sig) != 64:
        raise ValueError("raw signature of %d bytes" % len(sig))
    body = der_int(sig[:32]) + der_int(sig[32:])
    return b"\x30" + bytes([len(body)]) + body


def sm2_pem(point: bytes) -> bytes:
    """SubjectPublicKeyInfo: id-ecPublicKey with the SM2 curve (1.2.156.10197.1.301), point 04||X||Y."""
    if len(point) != 65 or point[0] != 4:
        raise ValueError("sender key is not an uncompressed point")
    alg = bytes.fromhex("3013" "06072a8648ce3d0201" "06082a811ccf5501822d")
    spki = b"\x30\x59" + alg + b"\x03\x42\x00" + point
    return b"-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(spki) + b"-----END PUBLIC KEY-----\n"


def id_options(signer_id: bytes, flag: str) -> list:
    if re.fullmatch(rb"[A-Za-z0-9@._-]+", signer_id):
        return [flag, "distid:" + signer_id.decode()]
    return [flag, "hexdistid:" + signer_id.hex()]


def main(argv) -> int:
    verbose = "-v" in argv
    args = [a for a in argv if a != "-v"]
    path = args[0] if args else DEFAULT_FILE
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    version = subprocess.run(["openssl", "version"], capture_output=True, text=True, check=True).stdout.strip()
    checked, failed = 0, []
    with tempfile.TemporaryDirectory(prefix="yibao-signstrings-") as tmp:
        pub, msg, sig = (os.path.join(tmp, n) for n in ("pub.pem", "msg", "sig.der"))
        for g in doc["testGroups"]:
            if g.get("type") != "HseEnvelope":
                continue
            profile = g["profile"]
            signer_id = DEFAULT_ID.encode() if profile["signerID"] == "default" else g["appSecret"].encode("utf-8")
            with open(pub, "wb") as f:
                f.write(sm2_pem(base64.b64decode(g["senderPublicKey"])))
            for t in g["tests"]:
                if "signString" not in t:
                    continue
                env = json.loads(t["envelope"])
                raw = base64.b64decode(env["signData"])
                der = raw if profile["signatureEncoding"] == "der" else raw_to_der(raw)
                with open(msg, "wb") as f:
                    f.write(t["signString"].encode("utf-8"))
                with open(sig, "wb") as f:
                    f.write(der)
                p1 = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest", "sm3"]
                                    + id_options(signer_id, "-pkeyopt") + ["-in", msg, "-sigfile", sig],
                                    capture_output=True, text=True)
                p2 = subprocess.run(["openssl", "dgst", "-sm3", "-verify", pub] + id_options(signer_id, "-sigopt")
                                    + ["-signature", sig, msg], capture_output=True, text=True)
                ok1 = p1.returncode == 0 and "Signature Verified Successfully" in p1.stdout
                ok2 = p2.returncode == 0 and "Verified OK" in p2.stdout
                want = "WrongKey" not in t["flags"]
                checked += 1
                line = "tcId %d %-7s %s: pkeyutl %s, dgst %s (expected %s)" % (
                    t["tcId"], t["result"], ",".join(t["flags"]), "verified" if ok1 else "FAILED",
                    "verified" if ok2 else "FAILED", "verified" if want else "failure")
                if ok1 != want or ok2 != want:
                    failed.append(line)
                if verbose:
                    print(line)
    for line in failed:
        print("MISMATCH:", line)
    print("%d signStrings checked, %d failed (%s)" % (checked, len(failed), version))
    return 1 if failed or not checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
