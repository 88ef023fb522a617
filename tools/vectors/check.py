#!/usr/bin/env python3
"""Re-checks every file in vectors/ with the independent Python implementation
(gm.py, hse.py; no OpenSSL) and prints `N passed, M failed`.

A test passes when the implementation's verdict agrees with `result`
(valid -> accepted, invalid -> rejected, acceptable -> either). Every file is
also validated against its JSON Schema, its numberOfTests and tcIds checked,
and the blind prompt/expected pairs are run the same way.

signed_prescription_test.json is checked by rx.py (gm.py for the signatures,
the `cryptography` package for certificates and CRLs): an invalid test passes
only when the first failing check, its cause and every party's code are the
ones the test gives.

    python3 tools/vectors/check.py [--skip-slow]
"""

from __future__ import annotations

import base64
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gm  # noqa: E402
import hse  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
VEC = os.path.join(ROOT, "vectors")

FILES = [
    "sm3_test.json",
    "sm4_test.json",
    "sm2_verify_test.json",
    "ecdsa_p256_verify_test.json",
    "hse_sign_string_test.json",
    "hse_encryption_test.json",
    "hse_envelope_test.json",
    "signed_prescription_test.json",
]
BLIND = [
    ("blind/hse_sign_string_prompt.json", "blind/hse_sign_string_expected.json"),
    ("blind/hse_envelope_prompt.json", "blind/hse_envelope_expected.json"),
]

# --------------------------------------------------------------------------
# Verdicts: "valid" when the implementation accepts the test, else "invalid"
# --------------------------------------------------------------------------

SKIP_SLOW = False


def verdict_hash(g, t):
    return "valid" if gm.sm3(bytes.fromhex(t["msg"])) == bytes.fromhex(t["digest"]) else "invalid"


def verdict_block_cipher(g, t):
    key, iv = bytes.fromhex(t["key"]), bytes.fromhex(t["iv"])
    msg, ct = bytes.fromhex(t["msg"]), bytes.fromhex(t["ct"])
    mode, padding = g["mode"], g["padding"]
    n = t.get("iterations", 1)
    if n != 1:
        if SKIP_SLOW:
            return None
        c = gm.SM4(key)
        if mode != "ECB" or padding != "none" or len(msg) != 16:
            raise ValueError("iterations only defined for one ECB block")
        return "valid" if c.encrypt_block_iterated(msg, n) == ct else "invalid"
    # invalid tests in this file are ciphertexts whose decryption must FAIL (bad padding,
    # bad length); a decryption that succeeds with other output agrees with neither result.
    try:
        pt = gm.sm4_decrypt(key, ct, mode, iv, padding)
    except ValueError:
        return "invalid"
    if pt == msg and gm.sm4_encrypt(key, msg, mode, iv, padding) == ct:
        return "valid"
    return "decrypts to other data"


def verdict_sm2(g, t):
    point = bytes.fromhex(g["publicKey"])
    if base64.b64decode(g["publicKeyBase64"]) != point:
        raise ValueError("publicKeyBase64 differs from publicKey")
    pub = gm.SM2_CURVE.decode_point(point)
    try:
        r, s = gm.decode_signature(bytes.fromhex(t["sig"]), g["sigEncoding"])
    except ValueError:
        return "invalid"
    ok = gm.sm2_verify(pub, bytes.fromhex(t["msg"]), r, s, g["signerId"].encode("utf-8"))
    return "valid" if ok else "invalid"


def verdict_ecdsa(g, t):
    pub = gm.P256_CURVE.decode_point(bytes.fromhex(g["publicKey"]))
    try:
        r, s = gm.decode_signature(bytes.fromhex(t["sig"]), g["sigEncoding"])
    except ValueError:
        return "invalid"
    return "valid" if gm.ecdsa_verify(pub, bytes.fromhex(t["msg"]), r, s) else "invalid"


def verdict_sign_string(g, t):
    try:
        s = hse.sign_string(hse.parse_json(t["envelope"]), g["appSecret"])
    except ValueError:
        return "invalid"
    return "valid" if s == t["signString"] else "invalid"


def verdict_encryption(g, t):
    try:
        dk = hse.derive_key(t["appId"], t["appSecret"])
    except ValueError:
        return "invalid"
    if dk != t["derivedKey"]:
        return "invalid"
    if hse.encrypt_data(dk, t["data"].encode("utf-8"), "upper") != t["encData"]:
        return "invalid"
    try:
        back = hse.decrypt_data(dk, t["encData"], "upper")
    except ValueError:
        return "invalid"
    return "valid" if back == t["data"].encode("utf-8") else "invalid"


def verdict_envelope(g, t):
    profile = hse.Profile.from_json(g["profile"])
    # `dialect` (a profile's `hse` section) admits the variants real vendor code sends; absent = strict
    dialect = hse.Dialect.from_json(g["dialect"]) if "dialect" in g else None
    pub = hse.public_key_from_b64(g["senderPublicKey"])
    try:
        data = hse.open_envelope(t["envelope"], g["appId"], g["appSecret"], pub, g["now"], profile, dialect=dialect)
    except hse.OpenError:
        return "invalid"
    if data != t["data"]:
        return "invalid"
    # signString, when given, is the string the sender signed: for an envelope that opens it must be
    # the canonical string or one the dialect lists, over the decrypted data
    if "signString" in t:
        env = hse.parse_json(t["envelope"])
        env["data"] = hse.parse_json(data)
        accepted = [hse.sign_string(env, g["appSecret"])]
        accepted += [hse.sign_string(env, g["appSecret"], v) for v in (dialect.acceptedSignStrings if dialect else ())]
        if t["signString"] not in accepted:
            return "signString is not a string the receiver accepts"
    return "valid"


def verdict_signed_prescription(g, t):
    import rx  # needs the `cryptography` package (x509 parsing); imported only for this file
    return rx.verdict(g, t)


VERDICTS = {
    "HashTest": verdict_hash,
    "BlockCipherTest": verdict_block_cipher,
    "Sm2Verify": verdict_sm2,
    "EcdsaVerify": verdict_ecdsa,
    "HseSignString": verdict_sign_string,
    "HseEncryption": verdict_encryption,
    "HseEnvelope": verdict_envelope,
    "SignedPrescriptionVerify": verdict_signed_prescription,
}


def agrees(result: str, verdict: str) -> bool:
    return result == "acceptable" or result == verdict


# --------------------------------------------------------------------------
# File-level checks
# --------------------------------------------------------------------------


def load(rel):
    with open(os.path.join(VEC, rel), encoding="utf-8") as f:
        return json.load(f)


def validate_schema(doc):
    import jsonschema
    with open(os.path.join(VEC, "schemas", doc["schema"]), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(doc)


def structural(doc, name):
    """numberOfTests, unique tcIds from 1, flags defined in notes."""
    problems = []
    tests = [t for g in doc["testGroups"] for t in g["tests"]]
    if doc["numberOfTests"] != len(tests):
        problems.append("%s: numberOfTests %d != %d tests" % (name, doc["numberOfTests"], len(tests)))
    ids = [t["tcId"] for t in tests]
    if sorted(ids) != list(range(1, len(ids) + 1)):
        problems.append("%s: tcIds are not 1..N, unique" % name)
    notes = doc.get("notes")
    if notes is not None:
        for t in tests:
            for fl in t["flags"]:
                if fl not in notes:
                    problems.append("%s tcId %d: flag %s not in notes" % (name, t["tcId"], fl))
    return problems


def check_file(rel, report):
    doc = load(rel)
    validate_schema(doc)
    for p in structural(doc, rel):
        report["failed"].append(p)
    for g in doc["testGroups"]:
        fn = VERDICTS[g["type"]]
        for t in g["tests"]:
            v = fn(g, t)
            if v is None:
                report["skipped"] += 1
            elif agrees(t["result"], v):
                report["passed"] += 1
            else:
                report["failed"].append("%s tcId %d (%s): expected %s, implementation says %s"
                                        % (rel, t["tcId"], t["comment"], t["result"], v))


def check_blind(prompt_rel, expected_rel, report):
    prompt, expected = load(prompt_rel), load(expected_rel)
    validate_schema(prompt)
    validate_schema(expected)
    for p in structural(prompt, prompt_rel):
        report["failed"].append(p)
    if expected["source"] != os.path.basename(prompt_rel):
        report["failed"].append("%s: source is %s" % (expected_rel, expected["source"]))
    want = {r["tcId"]: r["result"] for r in expected["results"]}
    if expected["numberOfTests"] != len(want) or len(want) != prompt["numberOfTests"]:
        report["failed"].append("%s: numberOfTests mismatch" % expected_rel)
    # A blind run: compute {tcId: verdict} from the prompt alone, then compare.
    answers = {}
    for g in prompt["testGroups"]:
        fn = VERDICTS[g["type"]]
        for t in g["tests"]:
            answers[t["tcId"]] = fn(g, t)
    for tc, res in sorted(want.items()):
        if tc not in answers:
            report["failed"].append("%s: tcId %d missing from the prompt" % (prompt_rel, tc))
        elif agrees(res, answers[tc]):
            report["passed"] += 1
        else:
            report["failed"].append("%s tcId %d: expected %s, implementation says %s"
                                    % (prompt_rel, tc, res, answers[tc]))


def run(skip_slow=False, quiet=False):
    global SKIP_SLOW
    SKIP_SLOW = skip_slow
    report = {"passed": 0, "failed": [], "skipped": 0}
    for rel in FILES:
        check_file(rel, report)
    for p, e in BLIND:
        check_blind(p, e, report)
    if not quiet:
        for f in report["failed"]:
            print("FAIL:", f)
    return report


def main():
    skip = "--skip-slow" in sys.argv[1:]
    report = run(skip_slow=skip)
    line = "%d passed, %d failed" % (report["passed"], len(report["failed"]))
    if report["skipped"]:
        line += ", %d skipped" % report["skipped"]
    print(line)
    return 1 if report["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
