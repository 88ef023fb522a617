#!/usr/bin/env python3
"""Signed e-prescriptions (`yibao-rx/1`): an independent Python implementation.

Builds the test vectors of vectors/signed_prescription_test.json and checks a
signed prescription the way the gateway's PrescriptionVerifier does, without
any Swift code and without the `yibao` binary:

- the signed bytes are this file's own canonical JSON writer;
- signatures are made and checked with gm.py (SM2-with-SM3, signer ID
  1234567812345678; ECDSA P-256 / SHA-256), value = base64 of raw r||s;
- certificates, CRLs, names and dates are read with the `cryptography`
  package; ECDSA certificate signatures are checked by `cryptography`, SM2
  certificate and CRL signatures with gm.py over the TBS bytes (ID
  1234567812345678), because `cryptography` has no SM2.

    python3 tools/vectors/rx.py generate      # writes vectors/signed_prescription_test.json (+ its schema)
    python3 tools/vectors/rx.py check DOC.json [--required doctor,pharmacist,platform]

`check` verifies a yibao-rx/1 file against the dev PKI of certs/ (both roots and
intermediates, both CRLs, certs/sm2/platform.cert.pem as the platform
certificate) and prints one line per party; exit status 1 if one fails.
`python3 tools/vectors/generate.py` also calls `build()` here, so regenerating
all vectors includes this file.

Generation cross-checks every signature of every vector with the `openssl` CLI
(`openssl dgst -sm3 -verify PUB -sigopt distid:1234567812345678` / `openssl
dgst -sha256 -verify`, on the DER form), and every signer's certificate at its
signing time with `openssl verify -attime` (P-256: whole chain, with and without
`-crl_check`; SM2: hop by hop with `-vfyopt distid:...`, and the SM2 CRL's
signature by hand with `openssl dgst -sm3` over its TBSCertList).
"""

from __future__ import annotations

import base64
import copy
import datetime
import decimal
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gm  # noqa: E402
import vecspec  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
VEC = os.path.join(ROOT, "vectors")
CERTS = os.path.join(ROOT, "certs")
SAMPLE = os.path.join(ROOT, "samples", "rx", "diabetes-followup.json")

FORMAT = "yibao-rx/1"
FILE_NAME = "signed_prescription_test.json"
SCHEMA_NAME = "signed_prescription_schema.json"
GROUP_TYPE = "SignedPrescriptionVerify"
SIGNER_ID = gm.SM2_DEFAULT_ID  # b"1234567812345678": every SM2 signature here, certificates and CRLs included
SM2_ALG = "SM2-with-SM3"
ECDSA_ALG = "ECDSA-P256-SHA256"
PARTIES = ("doctor", "pharmacist", "platform")
BEIJING = datetime.timezone(datetime.timedelta(hours=8))

# --------------------------------------------------------------------------
# Canonical JSON: compact, object keys sorted by code point, strings escaped
# only for '"', '\' and control characters, everything else raw UTF-8.
# --------------------------------------------------------------------------

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _write_string(s: str, out: list):
    out.append('"')
    for ch in s:
        esc = _SHORT_ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')


def _write(value, out: list):
    if isinstance(value, str):
        _write_string(value, out)
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value)):  # Python orders str by code point (= UTF-8 byte order)
            if i:
                out.append(",")
            _write_string(key, out)
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise ValueError("every value of a signed prescription is a JSON string, found %r" % (value,))


def canonical(value) -> bytes:
    out = []
    _write(value, out)
    return "".join(out).encode("utf-8")


# --------------------------------------------------------------------------
# The signed bytes (SignedPrescription.swift: doctorMessage, reviewMessage, platformMessage)
# --------------------------------------------------------------------------


def _str(obj, key) -> str:
    """A string member, or "" (what the Swift reader does with a missing or non-string member)."""
    v = obj.get(key) if isinstance(obj, dict) else None
    return v if isinstance(v, str) else ""


def _signature_value(sig) -> str:
    return _str(sig, "value") if isinstance(sig, dict) else ""


def review_fields(review: dict) -> dict:
    return {k: _str(review, k) for k in ("pharCode", "pharName", "pharChkTime", "result")}


def doctor_message(doc: dict) -> bytes:
    """The doctor signs the canonical prescription."""
    return canonical(doc["prescription"])


def review_message(doc: dict, review: dict) -> bytes:
    """The pharmacist signs {"doctorSignature": <doctor value>, "prescription": ..., "review": {4 fields}}."""
    return canonical({"doctorSignature": _signature_value(doc.get("doctorSignature")),
                      "prescription": doc["prescription"], "review": review_fields(review)})


def platform_message(doc: dict, hi_rxno: str, sign_time: str) -> bytes:
    """The platform signs {"doctorSignature", "hiRxno", "pharmacistSignature", "prescription", "review", "signTime"}."""
    review = doc.get("pharmacistReview") if isinstance(doc.get("pharmacistReview"), dict) else None
    return canonical({"doctorSignature": _signature_value(doc.get("doctorSignature")), "hiRxno": hi_rxno,
                      "pharmacistSignature": _signature_value(review.get("signature")) if review else "",
                      "prescription": doc["prescription"],
                      "review": review_fields(review) if review else {}, "signTime": sign_time})


def messages(doc: dict) -> dict:
    """The three signed texts of a complete document (for the `messages` member of valid tests)."""
    p = doc["platformSignature"]
    return {"doctor": doctor_message(doc).decode("utf-8"),
            "pharmacist": review_message(doc, doc["pharmacistReview"]).decode("utf-8"),
            "platform": platform_message(doc, p["hiRxno"], p["signTime"]).decode("utf-8")}


def parse_fsi(text):
    """`yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8) -> aware datetime, or None."""
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", text):
        return None
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError:
        return None


# --------------------------------------------------------------------------
# Certificates: keys from the SubjectPublicKeyInfo, signatures, chains, CRLs
# --------------------------------------------------------------------------

OID_EC_PUBLIC_KEY = bytes.fromhex("2a8648ce3d0201")
OID_CURVE_SM2 = bytes.fromhex("2a811ccf5501822d")        # 1.2.156.10197.1.301
OID_CURVE_P256 = bytes.fromhex("2a8648ce3d030107")       # 1.2.840.10045.3.1.7
SIG_SM2_SM3 = "1.2.156.10197.1.501"
SIG_ECDSA_SHA256 = "1.2.840.10045.4.3.2"


def _tlv(data: bytes, i: int):
    tag = data[i]
    n = data[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(data[i:i + k], "big")
        i += k
    return tag, i, i + n


def _children(data: bytes, start: int, end: int):
    out, i = [], start
    while i < end:
        t = _tlv(data, i)
        out.append(t)
        i = t[2]
    return out


def public_key(cert):
    """(curve name "sm2" | "p256", affine point) from the certificate's SubjectPublicKeyInfo."""
    tbs = cert.tbs_certificate_bytes
    _, s, e = _tlv(tbs, 0)
    kids = _children(tbs, s, e)
    if kids[0][0] == 0xA0:  # [0] version
        kids = kids[1:]
    spki = kids[5]           # serial, signature, issuer, validity, subject, subjectPublicKeyInfo
    alg, bits = _children(tbs, spki[1], spki[2])
    alg_kids = _children(tbs, alg[1], alg[2])
    oid = tbs[alg_kids[0][1]:alg_kids[0][2]]
    param = tbs[alg_kids[1][1]:alg_kids[1][2]] if len(alg_kids) > 1 else b""
    if oid != OID_EC_PUBLIC_KEY:
        raise ValueError("not an EC public key")
    raw = tbs[bits[1]:bits[2]]
    if raw[:1] != b"\x00":
        raise ValueError("bad BIT STRING")
    if param == OID_CURVE_SM2:
        return "sm2", gm.SM2_CURVE.decode_point(raw[1:])
    if param == OID_CURVE_P256:
        return "p256", gm.P256_CURVE.decode_point(raw[1:])
    raise ValueError("unsupported curve")


def key_algorithm(cert) -> str:
    return SM2_ALG if public_key(cert)[0] == "sm2" else ECDSA_ALG


def verify_with_cert(cert, msg: bytes, r: int, s: int) -> bool:
    curve, pub = public_key(cert)
    if curve == "sm2":
        return gm.sm2_verify(pub, msg, r, s, SIGNER_ID)
    return gm.ecdsa_verify(pub, msg, r, s)


def verify_raw_signature(cert, msg: bytes, value_b64: str) -> bool:
    """A yibao-rx/1 signature value: base64 of exactly 64 bytes r||s."""
    try:
        sig = base64.b64decode(value_b64, validate=True)
        r, s = gm.raw_decode(sig)
    except (ValueError, TypeError):
        return False
    return verify_with_cert(cert, msg, r, s)


_SIG_CACHE = {}


def signed_by(cert, issuer) -> bool:
    """Is `cert` (a certificate or a CRL) signed by `issuer`'s key?"""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    is_crl = isinstance(cert, x509.CertificateRevocationList)
    key = (cert.public_bytes(serialization.Encoding.DER), issuer.public_bytes(serialization.Encoding.DER))
    if key in _SIG_CACHE:
        return _SIG_CACHE[key]
    oid = cert.signature_algorithm_oid.dotted_string
    ok = False
    try:
        if oid == SIG_SM2_SM3:
            curve, pub = public_key(issuer)
            r, s = gm.der_decode(cert.signature)
            tbs = cert.tbs_certlist_bytes if is_crl else cert.tbs_certificate_bytes
            ok = curve == "sm2" and gm.sm2_verify(pub, tbs, r, s, SIGNER_ID)
        elif oid == SIG_ECDSA_SHA256:
            if is_crl:
                ok = cert.is_signature_valid(issuer.public_key())
            else:
                cert.verify_directly_issued_by(issuer)  # raises unless the name matches and the signature verifies
                ok = True
    except Exception:  # noqa: BLE001 - any refusal of cryptography / gm means "not signed by"
        ok = False
    _SIG_CACHE[key] = ok
    return ok


def load_certificate(pem: str):
    from cryptography import x509
    return x509.load_pem_x509_certificate(pem.encode("utf-8"))


def subject_serial_number(cert):
    from cryptography.x509.oid import NameOID
    attrs = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return attrs[0].value if attrs else None


def serial_hex(cert) -> str:
    """Upper-case hex without leading zeros, as `openssl x509 -serial` prints it."""
    return "%X" % cert.serial_number


class Trust:
    """Trust anchors, untrusted intermediates, CRLs and the platform certificate (all PEM text)."""

    def __init__(self, roots, intermediates, crls, platform_certificate):
        from cryptography import x509
        self.pem = {"roots": list(roots), "intermediates": list(intermediates), "crls": list(crls),
                    "platformCertificate": platform_certificate}
        self.roots = [load_certificate(p) for p in roots]
        self.intermediates = [load_certificate(p) for p in intermediates]
        self.crls = [x509.load_pem_x509_crl(p.encode("utf-8")) for p in crls]
        self.platform = load_certificate(platform_certificate) if platform_certificate else None

    @classmethod
    def from_json(cls, obj):
        return cls(obj["roots"], obj["intermediates"], obj["crls"], obj.get("platformCertificate"))

    @classmethod
    def dev(cls, certs=CERTS):
        def read(rel):
            with open(os.path.join(certs, rel), encoding="utf-8") as f:
                return f.read()
        return cls([read("sm2/root.cert.pem"), read("p256/root.cert.pem")],
                   [read("sm2/intermediate.cert.pem"), read("p256/intermediate.cert.pem")],
                   [read("sm2/intermediate.crl.pem"), read("p256/intermediate.crl.pem")],
                   read("sm2/platform.cert.pem"))

    def to_json(self):
        return dict(self.pem)


def _is_ca(cert) -> bool:
    from cryptography import x509
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    if not bc.ca:
        return False
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        return ku.key_cert_sign
    except x509.ExtensionNotFound:
        return True


def _key_usage(cert):
    from cryptography import x509
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def chain_failures(trust: Trust, leaf, at: datetime.datetime) -> list:
    """The chain verifier's failure codes for `leaf` at `at` ([] = valid), in the order the
    gateway's CertificateChainVerifier reports them:

    1. the chain (OpenSSL X509_verify_cert semantics; stops at the first error): a path
       leaf -> intermediates -> a root, by issuer name; every issuer a CA; then from the top
       down, each certificate's signature by its issuer (the root's own is not checked) and
       its validity: notBefore <= at < notAfter (CERT_NOT_YET_VALID / CERT_EXPIRED);
    2. the leaf's keyUsage includes digitalSignature or nonRepudiation (CERT_KEY_USAGE);
    3. revocation, for every certificate below the root: among its issuer's CRLs that verify
       and are current (thisUpdate <= at <= nextUpdate) the newest decides; a listed serial is
       revoked from its revocation date, or whatever the date for key/CA/AA compromise.
    """
    from cryptography import x509
    chain = [leaf]
    cur = leaf
    for _ in range(8):
        root = next((r for r in trust.roots if r.subject == cur.issuer), None)
        if root is not None:
            chain.append(root)
            break
        nxt = next((c for c in trust.intermediates if c.subject == cur.issuer and c not in chain), None)
        if nxt is None:
            return ["CERT_UNTRUSTED_ISSUER"]
        chain.append(nxt)
        cur = nxt
    else:
        return ["CERT_CHAIN_INVALID"]
    if not all(_is_ca(c) for c in chain[1:]):
        return ["CERT_CHAIN_INVALID"]
    for i in range(len(chain) - 1, -1, -1):
        c = chain[i]
        if i + 1 < len(chain) and not signed_by(c, chain[i + 1]):
            return ["CERT_BAD_SIGNATURE"]
        if at < c.not_valid_before_utc:
            return ["CERT_NOT_YET_VALID"]
        if at >= c.not_valid_after_utc:  # OpenSSL: X509_cmp_time(notAfter, t) <= 0 -> expired
            return ["CERT_EXPIRED"]
    failures = []
    ku = _key_usage(leaf)
    if ku is not None and not (ku.digital_signature or ku.content_commitment):
        failures.append("CERT_KEY_USAGE")
    for i in range(len(chain) - 1):
        c, issuer = chain[i], chain[i + 1]
        candidates = [crl for crl in trust.crls if crl.issuer == issuer.subject]
        if not candidates:
            continue
        iku = _key_usage(issuer)
        if iku is not None and not iku.crl_sign:
            failures.append("CRL_BAD_SIGNATURE")
            continue
        signed = [crl for crl in candidates if signed_by(crl, issuer)]
        current = [crl for crl in signed if crl.last_update_utc <= at
                   and (crl.next_update_utc is None or at <= crl.next_update_utc)]
        if not current:
            failures.append("CRL_BAD_SIGNATURE" if not signed else "CRL_EXPIRED")
            continue
        crl = max(current, key=lambda x: x.last_update_utc)
        entry = crl.get_revoked_certificate_by_serial_number(c.serial_number)
        if entry is None:
            continue
        try:
            reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            reason = None
        compromise = reason in (x509.ReasonFlags.key_compromise, x509.ReasonFlags.ca_compromise,
                                x509.ReasonFlags.aa_compromise)
        if compromise or entry.revocation_date_utc <= at:
            failures.append("CERT_REVOKED")
    return failures


# --------------------------------------------------------------------------
# The verifier: one check per party, in the order doctor, pharmacist, platform
# --------------------------------------------------------------------------


def _ok(party, detail):
    return {"party": party, "passed": True, "code": "OK", "causes": [], "detail": detail}


def _fail(party, code, detail, causes=()):
    return {"party": party, "passed": False, "code": code, "causes": list(causes), "detail": detail}


def _check_signature(trust, sig, party, role, at, expected_serial, message):
    prefix = "RX_" + role.upper()
    try:
        cert = load_certificate(sig.get("certificate", ""))
    except Exception:  # noqa: BLE001
        return _fail(party, "RX_CERTIFICATE_UNREADABLE", "the %s's certificate is not a PEM X.509 certificate" % role)
    causes = chain_failures(trust, cert, at)
    if causes:
        return _fail(party, prefix + "_CERTIFICATE_INVALID", "the %s's certificate (serial %s) was not valid at %s"
                     % (role, serial_hex(cert), at.isoformat()), causes)
    serial = subject_serial_number(cert)
    if serial != expected_serial:
        return _fail(party, prefix + "_CERTIFICATE_MISMATCH", "the certificate belongs to %s, not to the %s %s"
                     % (serial, role, expected_serial))
    try:
        algorithm = key_algorithm(cert)
    except ValueError:
        algorithm = None
    if algorithm is None or algorithm != sig.get("algorithm"):
        return _fail(party, "RX_SIGNATURE_ALGORITHM_MISMATCH", "the certificate's key does not make %s signatures"
                     % sig.get("algorithm"))
    if not verify_raw_signature(cert, message, sig.get("value", "")):
        return _fail(party, prefix + "_SIGNATURE_INVALID", "the %s's signature does not verify" % role)
    return _ok(party, "%s signature by %s verifies; certificate valid at %s" % (algorithm, serial, at.isoformat()))


def _check_doctor(trust, doc):
    sig = doc.get("doctorSignature")
    if not isinstance(sig, dict):
        return _fail("doctor", "RX_DOCTOR_SIGNATURE_MISSING", "the prescription is not signed by the doctor")
    rx = doc["prescription"]
    at = parse_fsi(_str(rx, "prscTime"))
    if at is None:
        return _fail("doctor", "FIELD_INVALID", "prscTime must be yyyy-MM-dd HH:mm:ss")
    return _check_signature(trust, sig, "doctor", "doctor", at, _str(rx.get("mdtrtinfo"), "drCode"),
                            doctor_message(doc))


def _check_pharmacist(trust, doc):
    review = doc.get("pharmacistReview")
    if not isinstance(review, dict):
        return _fail("pharmacist", "RX_REVIEW_MISSING", "no pharmacist has reviewed the prescription")
    sig = review.get("signature")
    if not isinstance(sig, dict):
        return _fail("pharmacist", "RX_REVIEW_SIGNATURE_MISSING", "the review is not signed")
    at = parse_fsi(_str(review, "pharChkTime"))
    if at is None:
        return _fail("pharmacist", "FIELD_INVALID", "pharChkTime must be yyyy-MM-dd HH:mm:ss")
    prescribed = parse_fsi(_str(doc["prescription"], "prscTime"))
    if prescribed is not None and at < prescribed:
        return _fail("pharmacist", "RX_REVIEW_BEFORE_PRESCRIPTION", "the review is dated before the prescription")
    check = _check_signature(trust, sig, "pharmacist", "pharmacist", at, _str(review, "pharCode"),
                             review_message(doc, review))
    if check["passed"] and _str(review, "result") != "1":
        return _fail("pharmacist", "RX_REVIEW_REJECTED", "the pharmacist rejected the prescription (result %r)"
                     % _str(review, "result"))
    return check


def _check_platform(trust, doc):
    p = doc.get("platformSignature")
    if not isinstance(p, dict):
        return _fail("platform", "RX_PLATFORM_SIGNATURE_MISSING", "the platform has not countersigned")
    cert = trust.platform
    if cert is None:
        return _fail("platform", "RX_PLATFORM_CERTIFICATE_UNKNOWN", "no platform certificate to check with")
    if _str(p, "signCertSn").upper() != serial_hex(cert).upper():
        return _fail("platform", "RX_PLATFORM_CERTIFICATE_MISMATCH", "signCertSn %s is not the platform certificate's "
                     "serial %s" % (_str(p, "signCertSn"), serial_hex(cert)))
    if not verify_raw_signature(cert, platform_message(doc, _str(p, "hiRxno"), _str(p, "signTime")),
                                _str(p, "signDigest")):
        return _fail("platform", "RX_PLATFORM_SIGNATURE_INVALID", "the platform's countersignature does not verify")
    return _ok("platform", "countersigned at %s, hiRxno %s" % (_str(p, "signTime"), _str(p, "hiRxno")))


class DocumentError(ValueError):
    pass


REQUIRED_TOP = ["hospRxno", "rxTypeCode", "prscTime", "valiDays", "valiEndTime", "bizTypeCode"]
REQUIRED_VISIT = ["fixmedinsCode", "fixmedinsName", "mdtrtId", "psnNo", "patnName", "drCode", "prscDrName",
                  "prscDeptCode", "prscDeptName", "fstdiagFlag", "maindiagCode", "maindiagName"]
REQUIRED_DRUG = ["medListCodg", "drugGenname", "drugSpec", "drugCnt", "drugPric", "drugSumamt", "usedFrquName"]


def _string_leaves(value) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, dict):
        return all(_string_leaves(v) for v in value.values())
    if isinstance(value, list):
        return all(_string_leaves(v) for v in value)
    return False


def validate_document(doc):
    """What reading the file refuses before any check (Prescription(json:), RxSignature(json:)):
    raises DocumentError."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("prescription"), dict):
        raise DocumentError("not a %s document" % FORMAT)
    rx = doc["prescription"]
    if not _string_leaves(rx):
        raise DocumentError("RX_FIELD_NOT_STRING: every prescription value is a JSON string")
    missing = [k for k in REQUIRED_TOP if not _str(rx, k)]
    visit = rx.get("mdtrtinfo")
    if not isinstance(visit, dict):
        missing.append("mdtrtinfo")
    else:
        missing += ["mdtrtinfo/" + k for k in REQUIRED_VISIT if not _str(visit, k)]
    drugs = rx.get("rxdrugdetail")
    if not isinstance(drugs, list) or not drugs or not all(isinstance(d, dict) for d in drugs):
        missing.append("rxdrugdetail")
    else:
        for i, d in enumerate(drugs):
            missing += ["rxdrugdetail/%d/%s" % (i, k) for k in REQUIRED_DRUG if not _str(d, k)]
            try:
                if not decimal.Decimal(_str(d, "drugCnt")) > 0:
                    raise decimal.InvalidOperation
            except decimal.InvalidOperation:
                raise DocumentError("drugCnt must be a positive number written as a string") from None
    if missing:
        raise DocumentError("missing prescription members: " + ", ".join(missing))
    prescribed, end = parse_fsi(rx["prscTime"]), parse_fsi(rx["valiEndTime"])
    if prescribed is None or end is None:
        raise DocumentError("prscTime / valiEndTime must be yyyy-MM-dd HH:mm:ss")
    if rx["bizTypeCode"] not in ("01", "02"):
        raise DocumentError("bizTypeCode is 01 (in person) or 02 (Internet hospital)")
    for key, least in (("maxReptCnt", 1), ("minInrvDays", 0)):
        if key in rx and (not re.fullmatch(r"[+-]?[0-9]+", rx[key]) or int(rx[key]) < least):
            raise DocumentError("%s must be a whole number >= %d written as a string" % (key, least))
    if not re.fullmatch(r"[+-]?[0-9]+", rx["valiDays"]) or int(rx["valiDays"]) <= 0:
        raise DocumentError("valiDays must be a positive whole number of days")
    if not prescribed <= end <= prescribed + datetime.timedelta(days=int(rx["valiDays"])):
        raise DocumentError("RX_VALIDITY_INVALID: valiEndTime must fall between prscTime and prscTime + valiDays")
    review = doc.get("pharmacistReview")
    sigs = [("doctorSignature", doc.get("doctorSignature"), "doctorSignature" in doc)]
    if isinstance(review, dict):
        sigs.append(("pharmacistReview/signature", review.get("signature"), "signature" in review))
    for where, sig, present in sigs:
        if not present:
            continue
        if not isinstance(sig, dict):
            raise DocumentError("%s must be a signature object" % where)
        if sig.get("algorithm") not in (SM2_ALG, ECDSA_ALG):
            raise DocumentError("%s/algorithm must be SM2-with-SM3 or ECDSA-P256-SHA256" % where)
        if not _str(sig, "certificate") or not _str(sig, "value"):
            raise DocumentError("%s needs certificate and value" % where)


def check(doc: dict, trust: Trust, required=PARTIES) -> list:
    """Every check of `doc`, as PrescriptionVerifier.verify returns them: each party when it is
    required or its signature (review) is present, in the order doctor, pharmacist, platform.
    A document the gateway cannot even read raises DocumentError."""
    validate_document(doc)
    checks = []
    if "doctor" in required or "doctorSignature" in doc:
        checks.append(_check_doctor(trust, doc))
    if "pharmacist" in required or isinstance(doc.get("pharmacistReview"), dict):
        checks.append(_check_pharmacist(trust, doc))
    if "platform" in required or isinstance(doc.get("platformSignature"), dict):
        checks.append(_check_platform(trust, doc))
    return checks


def first_failure(checks):
    return next((c for c in checks if not c["passed"]), None)


def expected_of(checks) -> dict:
    """The members result / failure / checks a test holds for these checks."""
    ff = first_failure(checks)
    out = {"result": "valid" if ff is None else "invalid"}
    if ff is not None:
        failure = {"party": ff["party"], "code": ff["code"]}
        if ff["code"].endswith("_CERTIFICATE_INVALID"):
            failure["cause"] = ff["causes"][0]
        out["failure"] = failure
    out["checks"] = {c["party"]: c["code"] for c in checks}
    return out


_TRUST_CACHE = {}


def verdict(g: dict, t: dict) -> str:
    """check.py's verdict: "valid" / "invalid" when this implementation agrees with the test's
    failure, checks and messages; otherwise a description of the disagreement."""
    key = json.dumps(g["trust"], sort_keys=True)
    if key not in _TRUST_CACHE:
        _TRUST_CACHE[key] = Trust.from_json(g["trust"])
    trust = _TRUST_CACHE[key]
    try:
        checks = check(t["document"], trust, g["required"])
    except DocumentError as e:
        return "unreadable document (%s)" % e
    got = expected_of(checks)
    if got["result"] == "valid" and "messages" in t and t["messages"] != messages(t["document"]):
        return "valid, but the signed bytes differ from `messages`"
    if got["result"] == "invalid" and t["result"] == "invalid":
        if got["failure"] != t.get("failure") or got["checks"] != t.get("checks"):
            return "invalid with failure %s, checks %s (expected %s, %s)" % (
                json.dumps(got["failure"]), json.dumps(got["checks"]), json.dumps(t.get("failure")),
                json.dumps(t.get("checks")))
    elif got["result"] == "valid" and got["checks"] != t.get("checks"):
        return "valid with checks %s (expected %s)" % (got["checks"], t.get("checks"))
    if got["result"] == "invalid" and t["result"] == "valid":
        return "invalid (%s: %s %s)" % (got["failure"]["party"], got["failure"]["code"],
                                        got["failure"].get("cause", ""))
    return got["result"]


# --------------------------------------------------------------------------
# Flags and the JSON Schema of the vector file
# --------------------------------------------------------------------------

FLAGS = {
    "Basic": vecspec.FLAGS["Basic"],
    "NonAscii": vecspec.FLAGS["NonAscii"],
    "AllSm2": ("BASIC", "Doctor, pharmacist and platform all sign with SM2-with-SM3 (signer ID 1234567812345678); certificates from certs/sm2."),
    "P256Signer": ("BASIC", "The doctor (and possibly the pharmacist) signs with ECDSA P-256 / SHA-256 and a certificate of certs/p256; the platform countersignature is SM2 as always. The trust store holds both trees."),
    "CanonicalEscaping": ("EDGE_CASE", "Prescription strings with '\"', '\\', a tab, U+001F, '/', '<', '>' and '&': canonical JSON escapes only '\"', '\\' and control characters (\\t; \\u001f in LOWER-case hex; some serializers, e.g. Jackson, write \\u001F); '/', '<', '>', '&' (Go's json.Marshal escapes the last three unless SetEscapeHTML(false)) and non-ASCII stay raw UTF-8."),
    "BeijingTime": ("EDGE_CASE", "prscTime / pharChkTime are Beijing time (UTC+8), and the certificate is judged at that instant: the leaves' notBefore 2025-06-01T00:00:00Z is 2025-06-01 08:00:00 in Beijing. Reading the times as UTC gives the opposite verdict."),
    "ModifiedPrescription": ("MODIFIED_INPUT", "The prescription was changed (drugCnt of the first drug line) after it was signed."),
    "StaleCountersignatures": ("MODIFIED_INPUT", "The doctor re-signed a changed prescription, but the pharmacist's review and the platform's countersignature still cover the old prescription and the old doctor signature."),
    "WrongCertificate": ("WRONG_PARAMETER", "The embedded certificate is not the signing key's: signed with doctor-li's key, doctor-wang's certificate embedded (drCode names doctor-wang). The signature does not verify with the certificate's key."),
    "CertificateMismatch": ("WRONG_PARAMETER", "A valid signature under a valid certificate, but the certificate's subject serialNumber is not the doctor (mdtrtinfo.drCode) or pharmacist (pharCode) the document names."),
    "ExpiredCertificate": ("EDGE_CASE", "The signer's certificate (certs/*/expired.cert.pem, valid 2020-01-01 to 2021-01-01) had expired when they signed: certificate invalid, cause CERT_EXPIRED."),
    "RevokedCertificate": ("EDGE_CASE", "The signer's certificate (certs/*/revoked.cert.pem) is listed in the intermediate's CRL (keyCompromise, 2025-07-01): certificate invalid, cause CERT_REVOKED."),
    "MissingReview": ("MISSING_STEP", "No pharmacistReview (and so no platform countersignature either)."),
    "MissingSignature": ("MISSING_STEP", "A party's signature is absent: no doctorSignature, or no platformSignature."),
    "ReviewRejected": ("BASIC", "The pharmacist's signed review has result \"0\" (rejected): the signature verifies, but the check fails with RX_REVIEW_REJECTED."),
    "ModifiedReview": ("MODIFIED_INPUT", "A review member (result \"0\" -> \"1\") was changed after the pharmacist signed."),
    "ReviewBeforePrescription": ("EDGE_CASE", "pharChkTime is earlier than prscTime."),
    "ModifiedCountersignature": ("MODIFIED_INPUT", "platformSignature.hiRxno was changed after the platform signed."),
    "PlatformCertificateMismatch": ("WRONG_PARAMETER", "signCertSn does not name the trusted platform certificate (3101 is the P-256 tree's platform serial; the trusted one is 3001)."),
    "DerSignatureValue": ("ENCODING", "A correct signature, but DER-encoded: yibao-rx/1 requires base64 of raw 64-byte r||s. OpenSSL verifies the DER form; only the encoding is wrong."),
    "EmptySignerIdSignature": ("WRONG_PARAMETER", "SM2 signature made with an EMPTY signer ID (what OpenSSL 3.0 does when no distid is set) instead of 1234567812345678. OpenSSL verifies it without -sigopt distid and refuses it with distid:1234567812345678."),
    "AlgorithmMismatch": ("WRONG_PARAMETER", "signature.algorithm says ECDSA-P256-SHA256 but the certificate holds an SM2 key (the signature itself is a correct SM2 one)."),
}

CODES = [
    "RX_DOCTOR_SIGNATURE_MISSING", "RX_DOCTOR_SIGNATURE_INVALID", "RX_DOCTOR_CERTIFICATE_INVALID",
    "RX_DOCTOR_CERTIFICATE_MISMATCH", "RX_REVIEW_MISSING", "RX_REVIEW_SIGNATURE_MISSING",
    "RX_REVIEW_BEFORE_PRESCRIPTION", "RX_PHARMACIST_SIGNATURE_INVALID", "RX_PHARMACIST_CERTIFICATE_INVALID",
    "RX_PHARMACIST_CERTIFICATE_MISMATCH", "RX_REVIEW_REJECTED", "RX_PLATFORM_SIGNATURE_MISSING",
    "RX_PLATFORM_CERTIFICATE_UNKNOWN", "RX_PLATFORM_CERTIFICATE_MISMATCH", "RX_PLATFORM_SIGNATURE_INVALID",
    "RX_SIGNATURE_ALGORITHM_MISMATCH", "RX_CERTIFICATE_UNREADABLE", "FIELD_INVALID",
]
CAUSES = ["CERT_EXPIRED", "CERT_NOT_YET_VALID", "CERT_UNTRUSTED_ISSUER", "CERT_BAD_SIGNATURE", "CERT_REVOKED",
          "CERT_KEY_USAGE", "CRL_UNAVAILABLE", "CRL_BAD_SIGNATURE", "CRL_EXPIRED", "CERT_CHAIN_INVALID"]


def schemas() -> dict:
    pem_cert = {"type": "string", "pattern": "^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n?$"}
    pem_crl = {"type": "string", "pattern": "^-----BEGIN X509 CRL-----\n[A-Za-z0-9+/=\n]+-----END X509 CRL-----\n?$"}
    b64 = {"type": "string", "pattern": "^[A-Za-z0-9+/]*={0,2}$"}
    fsi_time = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"}
    code = {"enum": ["OK"] + CODES}
    party = {"enum": list(PARTIES)}
    signature = {
        "type": "object", "additionalProperties": False, "required": ["algorithm", "certificate", "value"],
        "properties": {"algorithm": {"enum": [SM2_ALG, ECDSA_ALG]}, "certificate": pem_cert, "value": b64},
    }
    document = {
        "type": "object", "additionalProperties": False, "required": ["format", "prescription"],
        "properties": {
            "format": {"const": FORMAT},
            "prescription": {"$ref": "#/$defs/stringTree", "type": "object",
                             "required": ["hospRxno", "prscTime", "valiEndTime", "mdtrtinfo", "rxdrugdetail"]},
            "doctorSignature": signature,
            "pharmacistReview": {
                "type": "object", "additionalProperties": False,
                "required": ["pharCode", "pharName", "pharChkTime", "result"],
                "properties": {"pharCode": {"type": "string"}, "pharName": {"type": "string"},
                               "pharChkTime": fsi_time, "result": {"type": "string"}, "signature": signature},
            },
            "platformSignature": {
                "type": "object", "additionalProperties": False,
                "required": ["hiRxno", "signTime", "signDigest", "signCertSn", "signCertDn"],
                "properties": {"hiRxno": {"type": "string"}, "signTime": fsi_time, "signDigest": b64,
                               "signCertSn": {"type": "string", "pattern": "^[0-9A-Fa-f]+$"},
                               "signCertDn": {"type": "string"}},
            },
        },
    }
    test = {
        "type": "object", "additionalProperties": False,
        "required": ["tcId", "comment", "flags", "document", "result", "checks"],
        "properties": {
            "tcId": {"type": "integer", "minimum": 1},
            "comment": {"type": "string"},
            "flags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "document": document,
            "result": {"enum": ["valid", "invalid"]},
            "failure": {
                "type": "object", "additionalProperties": False, "required": ["party", "code"],
                "properties": {"party": party, "code": {"enum": CODES}, "cause": {"enum": CAUSES}},
                "if": {"properties": {"code": {"pattern": "_CERTIFICATE_INVALID$"}}},
                "then": {"required": ["cause"]},
                "else": {"not": {"required": ["cause"]}},
            },
            "checks": {"type": "object", "additionalProperties": False,
                       "properties": {p: code for p in PARTIES}},
            "messages": {"type": "object", "additionalProperties": False,
                         "required": list(PARTIES), "properties": {p: {"type": "string"} for p in PARTIES}},
        },
        "if": {"properties": {"result": {"const": "valid"}}},
        "then": {"not": {"required": ["failure"]}},
        "else": {"required": ["failure"], "not": {"required": ["messages"]}},
    }
    group = {
        "type": "object", "additionalProperties": False, "required": ["type", "trust", "required", "tests"],
        "properties": {
            "type": {"const": GROUP_TYPE},
            "trust": {
                "type": "object", "additionalProperties": False,
                "required": ["roots", "intermediates", "crls", "platformCertificate"],
                "properties": {"roots": {"type": "array", "minItems": 1, "items": pem_cert},
                               "intermediates": {"type": "array", "items": pem_cert},
                               "crls": {"type": "array", "items": pem_crl},
                               "platformCertificate": pem_cert},
            },
            "required": {"type": "array", "items": party, "uniqueItems": True},
            "tests": {"type": "array", "minItems": 1, "items": test},
        },
    }
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_NAME,
        "title": "Signed e-prescription (yibao-rx/1) verification test vectors",
        "type": "object",
        "additionalProperties": False,
        "required": ["algorithm", "schema", "generatorVersion", "numberOfTests", "header", "notes", "testGroups"],
        "properties": {
            "algorithm": {"const": FORMAT},
            "schema": {"const": SCHEMA_NAME},
            "generatorVersion": {"type": "string"},
            "numberOfTests": {"type": "integer", "minimum": 1},
            "header": {"type": "array", "items": {"type": "string"}},
            "notes": {"type": "object", "additionalProperties": {
                "type": "object", "additionalProperties": False, "required": ["bugType", "description"],
                "properties": {"bugType": {"enum": vecspec.BUG_TYPES}, "description": {"type": "string"}}}},
            "testGroups": {"type": "array", "minItems": 1, "items": group},
        },
        "$defs": {"stringTree": {"anyOf": [
            {"type": "string"},
            {"type": "array", "items": {"$ref": "#/$defs/stringTree"}},
            {"type": "object", "additionalProperties": {"$ref": "#/$defs/stringTree"}},
        ]}},
    }
    return {SCHEMA_NAME: doc}


# --------------------------------------------------------------------------
# Signing (the dev PKI of certs/: NAME.raw.json private scalars, NAME.cert.pem)
# --------------------------------------------------------------------------


class Signer:
    def __init__(self, tree: str, name: str):
        with open(os.path.join(CERTS, tree, name + ".raw.json"), encoding="utf-8") as f:
            raw = json.load(f)
        with open(os.path.join(CERTS, tree, raw["certificate"]), encoding="utf-8") as f:
            self.cert_pem = f.read()
        self.tree, self.name = tree, name
        self.d = int.from_bytes(base64.b64decode(raw["privateKey"]), "big")
        self.serial, self.subject = raw["serial"], raw["subject"]
        self.cert = load_certificate(self.cert_pem)
        curve, pub = public_key(self.cert)
        self.algorithm = SM2_ALG if curve == "sm2" else ECDSA_ALG
        derived = gm.sm2_public_key(self.d) if curve == "sm2" else gm.P256_CURVE.mul(self.d)
        c = gm.SM2_CURVE if curve == "sm2" else gm.P256_CURVE
        assert derived == pub and c.encode_point(pub) == base64.b64decode(raw["publicKey"]), (tree, name)
        assert serial_hex(self.cert) == self.serial, (tree, name)
        self.code = subject_serial_number(self.cert)
        from cryptography.x509.oid import NameOID
        self.cn = self.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value

    def sign_rs(self, msg: bytes, signer_id: bytes = SIGNER_ID):
        if self.algorithm == SM2_ALG:
            return gm.sm2_sign(self.d, msg, signer_id)  # deterministic k
        return gm.ecdsa_sign(self.d, msg)               # deterministic k

    def signature(self, msg: bytes, encoding="raw", signer_id: bytes = SIGNER_ID, algorithm=None) -> dict:
        r, s = self.sign_rs(msg, signer_id)
        value = gm.raw_encode(r, s) if encoding == "raw" else gm.der_encode(r, s)
        return {"algorithm": algorithm or self.algorithm, "certificate": self.cert_pem,
                "value": base64.b64encode(value).decode("ascii")}


def sign_doctor(doc, signer: Signer, **kw):
    doc["doctorSignature"] = signer.signature(doctor_message(doc), **kw)
    doc.pop("pharmacistReview", None)
    doc.pop("platformSignature", None)
    return doc


def add_review(doc, signer: Signer, when: str, result="1"):
    review = {"pharCode": signer.code, "pharName": signer.cn, "pharChkTime": when, "result": result}
    review["signature"] = signer.signature(review_message(doc, review))
    doc["pharmacistReview"] = review
    doc.pop("platformSignature", None)
    return doc


def countersign(doc, platform: Signer, hi_rxno: str, sign_time: str):
    digest = platform.signature(platform_message(doc, hi_rxno, sign_time))["value"]
    doc["platformSignature"] = {"hiRxno": hi_rxno, "signTime": sign_time, "signDigest": digest,
                                "signCertSn": platform.serial, "signCertDn": platform.subject}
    return doc


# --------------------------------------------------------------------------
# OpenSSL CLI cross-checks
# --------------------------------------------------------------------------


class OpenSSL:
    def __init__(self):
        v = subprocess.run(["openssl", "version"], capture_output=True, text=True, check=True).stdout.strip()
        if not v.startswith("OpenSSL 3."):
            raise SystemExit("need OpenSSL 3.x, found %s" % v)
        self.version = v
        self.dir = tempfile.mkdtemp(prefix="yibao-rx-vectors-")
        self.n = 0
        self.calls = 0
        self._files = {}
        self._sig_cache = {}
        self.log = []

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def file(self, data) -> str:
        if isinstance(data, str):
            data = data.encode("utf-8")
        if data not in self._files:
            self.n += 1
            p = os.path.join(self.dir, "f%d" % self.n)
            with open(p, "wb") as f:
                f.write(data)
            self._files[data] = p
        return self._files[data]

    def run(self, args):
        self.calls += 1
        p = subprocess.run(["openssl"] + args, capture_output=True, env=dict(os.environ, OPENSSL_CONF="/dev/null"))
        return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")

    def pubkey(self, cert_pem: str) -> str:
        key = ("pub", cert_pem)
        if key not in self._files:
            rc, out = self.run(["x509", "-in", self.file(cert_pem), "-noout", "-pubkey"])
            assert rc == 0 and "BEGIN PUBLIC KEY" in out, out
            self._files[key] = self.file(out[out.index("-----BEGIN PUBLIC KEY-----"):])
        return self._files[key]

    def verify_signature(self, cert_pem: str, msg: bytes, der: bytes, distid=True) -> bool:
        """`openssl dgst -sm3 -verify PUB -sigopt distid:1234567812345678` (SM2) or `-sha256` (P-256)."""
        cert = load_certificate(cert_pem)
        sm2 = public_key(cert)[0] == "sm2"
        key = (cert_pem, msg, der, distid)
        if key not in self._sig_cache:
            args = ["dgst", "-sm3" if sm2 else "-sha256", "-verify", self.pubkey(cert_pem)]
            if sm2 and distid:
                args += ["-sigopt", "distid:" + SIGNER_ID.decode()]
            rc, out = self.run(args + ["-signature", self.file(der), self.file(msg)])
            ok = rc == 0 and "Verified OK" in out
            if not ok and "Verification failure" not in out:
                raise AssertionError("unexpected openssl output: %s" % out)
            self._sig_cache[key] = ok
        return self._sig_cache[key]

    def verify_cert(self, args) -> str:
        """`openssl verify ...` -> "OK" or "error N"."""
        rc, out = self.run(["verify"] + args)
        if rc == 0 and ": OK" in out:
            return "OK"
        m = re.search(r"error (\d+) at (\d+) depth", out)
        assert m, out
        return "error %s" % m.group(1)


OPENSSL_ERRORS = {"CERT_NOT_YET_VALID": "error 9", "CERT_EXPIRED": "error 10", "CERT_REVOKED": "error 23"}


def _der_of(value_b64: str) -> bytes:
    """The DER form of a test signature value for OpenSSL (raw r||s converted; anything else as is)."""
    sig = base64.b64decode(value_b64)
    if len(sig) == 64:
        return gm.der_encode(*gm.raw_decode(sig))
    return sig


def cross_check_signatures(ossl: OpenSSL, trust: Trust, t: dict, stats: dict):
    """Every signature present in the document: gm.py's verdict over the canonical bytes must equal
    OpenSSL's over the same bytes (DER form); a DER value must verify in OpenSSL (encoding-only failure)."""
    doc = t["document"]
    items = []
    if isinstance(doc.get("doctorSignature"), dict):
        s = doc["doctorSignature"]
        items.append(("doctor", s["certificate"], doctor_message(doc), s["value"]))
    r = doc.get("pharmacistReview")
    if isinstance(r, dict) and isinstance(r.get("signature"), dict):
        items.append(("pharmacist", r["signature"]["certificate"], review_message(doc, r), r["signature"]["value"]))
    p = doc.get("platformSignature")
    if isinstance(p, dict):
        items.append(("platform", trust.pem["platformCertificate"],
                      platform_message(doc, p["hiRxno"], p["signTime"]), p["signDigest"]))
    for party, cert_pem, msg, value in items:
        cert = load_certificate(cert_pem)
        ours = verify_raw_signature(cert, msg, value)
        theirs = ossl.verify_signature(cert_pem, msg, _der_of(value))
        raw = len(base64.b64decode(value)) == 64
        alg = "SM2" if public_key(cert)[0] == "sm2" else "P-256"
        if raw:
            assert ours == theirs, "tcId %d %s: gm.py says %s, openssl says %s" % (t["tcId"], party, ours, theirs)
        else:
            assert not ours and theirs, "tcId %d %s: DER value: gm.py %s, openssl %s" % (t["tcId"], party, ours, theirs)
        k = "%s %s %s" % (party, alg, "verified" if theirs else "refused")
        stats[k] = stats.get(k, 0) + 1
        if t["result"] == "valid":
            assert ours and theirs
            if party == "doctor":
                stats.setdefault("_valid_doctor", []).append(t["tcId"])


def cross_check_certificate(ossl: OpenSSL, cert_pem: str, at: datetime.datetime, cause, tc: int, who: str):
    """OpenSSL's view of the signer's certificate at its signing time; `cause` is this module's
    first chain failure (None when valid). Returns what was checked, one line each."""
    when = at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ["tcId %d %s, signed %s: %s" % (tc, who, when, line)
            for line in _openssl_certificate(ossl, cert_pem, at, cause, tc)]


def _openssl_certificate(ossl: OpenSSL, cert_pem: str, at: datetime.datetime, cause, tc: int):
    cert = load_certificate(cert_pem)
    tree = public_key(cert)[0]
    epoch = str(int(at.timestamp()))
    d = os.path.join(CERTS, tree)
    root, inter, crl = (os.path.join(d, n) for n in ("root.cert.pem", "intermediate.cert.pem", "intermediate.crl.pem"))
    leaf = ossl.file(cert_pem)
    name = "%s/%s" % (tree, _cert_name(cert))
    when = at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = []
    if tree == "p256":
        plain = ossl.verify_cert(["-attime", epoch, "-CAfile", root, "-untrusted", inter, leaf])
        want_plain = OPENSSL_ERRORS.get(cause, "OK") if cause != "CERT_REVOKED" else "OK"
        assert plain == want_plain, "tcId %d: openssl verify %s at %s: %s, expected %s" % (tc, name, when, plain, want_plain)
        lines.append("openssl verify -attime %s -CAfile root -untrusted intermediate %s: %s" % (epoch, name, plain))
        if cause != "CERT_NOT_YET_VALID":  # before the CRL's thisUpdate OpenSSL would report the CRL first
            withcrl = ossl.verify_cert(["-attime", epoch, "-CAfile", root, "-untrusted", inter, "-crl_check",
                                        "-CRLfile", crl, leaf])
            want = OPENSSL_ERRORS.get(cause, "OK")
            assert withcrl == want, "tcId %d: openssl verify -crl_check %s at %s: %s, expected %s" % (tc, name, when, withcrl, want)
            lines.append("openssl verify -attime %s ... -crl_check -CRLfile intermediate.crl.pem %s: %s"
                         % (epoch, name, withcrl))
    else:
        vfy = "distid:" + SIGNER_ID.decode()
        hop1 = ossl.verify_cert(["-attime", epoch, "-vfyopt", vfy, "-CAfile", root, inter])
        hop2 = ossl.verify_cert(["-attime", epoch, "-partial_chain", "-vfyopt", vfy, "-CAfile", inter, leaf])
        assert hop1 == "OK", "tcId %d: SM2 hop 1 at %s: %s" % (tc, when, hop1)
        want = OPENSSL_ERRORS.get(cause, "OK") if cause != "CERT_REVOKED" else "OK"
        assert hop2 == want, "tcId %d: SM2 hop 2 %s at %s: %s, expected %s" % (tc, name, when, hop2, want)
        lines.append("openssl verify -attime %s -vfyopt %s: root->intermediate %s, -partial_chain intermediate->%s %s"
                     % (epoch, vfy, hop1, name, hop2))
        listed = sm2_crl_lists(ossl, cert)
        assert listed == (cause == "CERT_REVOKED"), "tcId %d: SM2 CRL lists %s: %s" % (tc, name, listed)
        lines.append("SM2 CRL (signature verified by openssl dgst -sm3 -sigopt %s over TBSCertList) %s serial %s"
                     % (vfy, "lists" if listed else "does not list", serial_hex(cert)))
        # and the P-256 tree's certificate of the same name, at the same instant (one-shot chain + CRL)
        twin = os.path.join(CERTS, "p256", _cert_name(cert) + ".cert.pem")
        with open(twin, encoding="utf-8") as f:
            lines += ["P-256 twin: " + x for x in _openssl_certificate(ossl, f.read(), at, cause, tc)]
    return lines


def _cert_name(cert) -> str:
    serial = cert.serial_number & 0xFF
    names = {1: "platform", 2: "hospital", 3: "pharmacy", 4: "doctor-li", 5: "doctor-wang", 6: "pharmacist-zhao",
             7: "revoked", 8: "expired", 9: "keyenc-only"}
    return names[serial]


_CRL_CACHE = {}


def sm2_crl_lists(ossl: OpenSSL, cert) -> bool:
    """OpenSSL 3.0 cannot check an SM2 CRL's signature itself (no distinguishing ID for CRLs):
    check it with `openssl dgst -sm3 -verify INT.pub -sigopt distid:...` over the TBSCertList,
    then read the listed serials from `openssl crl -text`."""
    from cryptography import x509
    path = os.path.join(CERTS, "sm2", "intermediate.crl.pem")
    if path not in _CRL_CACHE:
        with open(path, "rb") as f:
            crl = x509.load_pem_x509_crl(f.read())
        with open(os.path.join(CERTS, "sm2", "intermediate.cert.pem"), encoding="utf-8") as f:
            inter = f.read()
        ok = ossl.verify_signature(inter, crl.tbs_certlist_bytes, crl.signature)
        assert ok, "openssl does not verify the SM2 CRL signature"
        rc, out = ossl.run(["crl", "-in", path, "-noout", "-text"])
        assert rc == 0, out
        _CRL_CACHE[path] = set(re.findall(r"Serial Number: ([0-9A-F]+)", out))
    return serial_hex(cert) in _CRL_CACHE[path]


# --------------------------------------------------------------------------
# The vectors
# --------------------------------------------------------------------------

HI_RXNO = "1201012026112300000001"
OTHER_HI_RXNO = "1201012026112300000002"
MDTRT_ID = "12010120261123000001"


def _fsi(dt: datetime.datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def base_prescription():
    with open(SAMPLE, encoding="utf-8") as f:
        rx = json.load(f)
    rx["mdtrtinfo"]["mdtrtId"] = MDTRT_ID
    return rx


def retimed(rx, prsc_time: str):
    """The same prescription written at another instant (visit and diagnosis times move with it)."""
    rx = copy.deepcopy(rx)
    t = parse_fsi(prsc_time)
    rx["prscTime"] = prsc_time
    rx["valiEndTime"] = _fsi(t + datetime.timedelta(days=int(rx["valiDays"])))
    rx["mdtrtinfo"]["mdtrtTime"] = _fsi(t - datetime.timedelta(minutes=25))
    rx["mdtrtinfo"]["mdtrtId"] = "120101" + t.strftime("%Y%m%d") + "000001"
    for d in rx["diseinfo"]:
        d["diagTime"] = _fsi(t - datetime.timedelta(minutes=10))
    return rx


def for_doctor(rx, signer: Signer):
    """The prescription written by `signer` (drCode, prescriber's name, diagnosing doctor)."""
    rx = copy.deepcopy(rx)
    rx["mdtrtinfo"]["drCode"] = signer.code
    rx["mdtrtinfo"]["prscDrName"] = signer.cn
    for d in rx["diseinfo"]:
        d["diagDrNo"], d["diagDrName"] = signer.code, signer.cn
    return rx


def build(ossl: OpenSSL | None = None, verbose=True) -> dict:
    """The vector document. Every test's expected result is written down by hand below, then
    (1) this module's check() must reproduce it exactly, (2) OpenSSL must agree on every signature
    and on every signer's certificate at its signing time."""
    own = ossl is None
    if own:
        ossl = OpenSSL()
    try:
        return _build(ossl, verbose)
    finally:
        if own:
            ossl.close()


def _build(ossl: OpenSSL, verbose: bool) -> dict:
    S = {n: Signer("sm2", n) for n in ("doctor-li", "doctor-wang", "pharmacist-zhao", "expired", "revoked", "platform")}
    P = {n: Signer("p256", n) for n in ("doctor-li", "pharmacist-zhao", "expired", "revoked")}
    platform = S["platform"]
    trust = Trust.dev()
    rx0 = base_prescription()
    T_RX, T_REVIEW, T_SIGN = rx0["prscTime"], "2026-11-23 10:20:00", "2026-11-23 10:30:00"
    assert T_RX == "2026-11-23 10:05:00"

    def full(rx, doctor, pharmacist=S["pharmacist-zhao"], review_time=T_REVIEW, **doctor_kw):
        doc = {"format": FORMAT, "prescription": copy.deepcopy(rx)}
        sign_doctor(doc, doctor, **doctor_kw)
        add_review(doc, pharmacist, review_time)
        countersign(doc, platform, HI_RXNO, T_SIGN)
        return doc

    tests = []

    def add(comment, flags, doc, failure=None, checks=None):
        for fl in flags:
            assert fl in FLAGS, fl
        ch = {p: "OK" for p in PARTIES}
        ch.update(checks or {})
        t = {"tcId": len(tests) + 1, "comment": comment, "flags": list(flags), "document": doc,
             "result": "invalid" if failure else "valid"}
        if failure:
            t["failure"] = dict(zip(("party", "code", "cause"), failure))
            ch[failure[0]] = failure[1]
        t["checks"] = ch
        if not failure:
            t["messages"] = messages(doc)
        tests.append(t)

    # ---- valid
    add("SM2 throughout: doctor-li, pharmacist-zhao, platform countersignature", ["Basic", "AllSm2"],
        full(rx0, S["doctor-li"]))
    add("P-256 doctor (certs/p256/doctor-li), SM2 pharmacist, SM2 platform", ["P256Signer"],
        full(rx0, P["doctor-li"]))
    add("P-256 doctor and P-256 pharmacist, SM2 platform", ["P256Signer"],
        full(rx0, P["doctor-li"], pharmacist=P["pharmacist-zhao"]))
    rx_cn = copy.deepcopy(rx0)
    rx_cn["mdtrtinfo"]["patnName"] = "张三"
    rx_cn["mdtrtinfo"]["maindiagName"] = "2型糖尿病"
    rx_cn["mdtrtinfo"]["diseCondDscr"] = "病情稳定，\"复诊\"\t续方 <1/2> & C:\\rx \u001f 😀"
    rx_cn["rxdrugdetail"][0]["drugGenname"] = "盐酸二甲双胍片"
    rx_cn["rxdrugdetail"][0]["usedFrquName"] = "一日两次"
    add("Chinese text, an emoji, quotes, a backslash, a tab, '/', '<', '>', '&' and U+001F in the prescription",
        ["NonAscii", "CanonicalEscaping", "AllSm2"], full(rx_cn, S["doctor-li"]))
    rx_edge = retimed(rx0, "2025-06-01 08:00:00")
    add("prscTime 2025-06-01 08:00:00 Beijing = 2025-06-01T00:00:00Z, exactly the certificate's notBefore",
        ["BeijingTime", "AllSm2"], full(rx_edge, S["doctor-li"], review_time="2025-06-01 08:15:00"))

    # ---- invalid: doctor
    rx_early = retimed(rx0, "2025-06-01 07:59:59")
    add("prscTime 2025-06-01 07:59:59 Beijing = 2025-05-31T23:59:59Z: one second before the doctor's "
        "certificate is valid (as UTC it would be valid)", ["BeijingTime", "AllSm2"],
        full(rx_early, S["doctor-li"], review_time="2025-06-01 08:14:59"),
        ("doctor", "RX_DOCTOR_CERTIFICATE_INVALID", "CERT_NOT_YET_VALID"))
    doc = full(rx0, S["doctor-li"])
    doc["prescription"]["rxdrugdetail"][0]["drugCnt"] = "3"
    add("drugCnt 2 -> 3 after all three signatures", ["ModifiedPrescription"], doc,
        ("doctor", "RX_DOCTOR_SIGNATURE_INVALID"),
        {"pharmacist": "RX_PHARMACIST_SIGNATURE_INVALID", "platform": "RX_PLATFORM_SIGNATURE_INVALID"})
    doc = full(rx0, S["doctor-li"])
    doc["prescription"]["rxdrugdetail"][0]["drugCnt"] = "3"
    doc["doctorSignature"] = S["doctor-li"].signature(doctor_message(doc))
    add("drugCnt 2 -> 3, then the doctor re-signed; review and countersignature left as they were",
        ["ModifiedPrescription", "StaleCountersignatures"], doc,
        ("pharmacist", "RX_PHARMACIST_SIGNATURE_INVALID"), {"platform": "RX_PLATFORM_SIGNATURE_INVALID"})
    doc = {"format": FORMAT, "prescription": for_doctor(rx0, S["doctor-wang"])}
    doc["doctorSignature"] = S["doctor-li"].signature(doctor_message(doc))
    doc["doctorSignature"]["certificate"] = S["doctor-wang"].cert_pem
    add_review(doc, S["pharmacist-zhao"], T_REVIEW)
    countersign(doc, platform, HI_RXNO, T_SIGN)
    add("drCode D12010100002 (doctor-wang) with doctor-wang's certificate, but signed with doctor-li's key",
        ["WrongCertificate"], doc, ("doctor", "RX_DOCTOR_SIGNATURE_INVALID"))
    add("doctor-wang's own valid signature and certificate, but drCode names D12010100001 (doctor-li)",
        ["CertificateMismatch"], full(rx0, S["doctor-wang"]), ("doctor", "RX_DOCTOR_CERTIFICATE_MISMATCH"))
    add("SM2 doctor D12010100098 whose certificate expired on 2021-01-01 signs in 2026",
        ["ExpiredCertificate", "AllSm2"], full(for_doctor(rx0, S["expired"]), S["expired"]),
        ("doctor", "RX_DOCTOR_CERTIFICATE_INVALID", "CERT_EXPIRED"))
    add("P-256 doctor D12010100098 whose certificate expired on 2021-01-01 signs in 2026",
        ["ExpiredCertificate", "P256Signer"], full(for_doctor(rx0, P["expired"]), P["expired"]),
        ("doctor", "RX_DOCTOR_CERTIFICATE_INVALID", "CERT_EXPIRED"))
    add("SM2 doctor D12010100099 whose certificate is revoked (keyCompromise) in the SM2 intermediate's CRL",
        ["RevokedCertificate", "AllSm2"], full(for_doctor(rx0, S["revoked"]), S["revoked"]),
        ("doctor", "RX_DOCTOR_CERTIFICATE_INVALID", "CERT_REVOKED"))
    add("P-256 doctor D12010100099 whose certificate is revoked (keyCompromise) in the P-256 intermediate's CRL",
        ["RevokedCertificate", "P256Signer"], full(for_doctor(rx0, P["revoked"]), P["revoked"]),
        ("doctor", "RX_DOCTOR_CERTIFICATE_INVALID", "CERT_REVOKED"))
    add("doctor signature DER-encoded (a correct signature; raw r||s required)", ["DerSignatureValue"],
        full(rx0, S["doctor-li"], encoding="der"), ("doctor", "RX_DOCTOR_SIGNATURE_INVALID"))
    add("SM2 doctor signature made with an EMPTY signer ID (OpenSSL 3.0 without distid)",
        ["EmptySignerIdSignature"], full(rx0, S["doctor-li"], signer_id=b""), ("doctor", "RX_DOCTOR_SIGNATURE_INVALID"))
    add("doctor signature labelled ECDSA-P256-SHA256 under an SM2 certificate", ["AlgorithmMismatch"],
        full(rx0, S["doctor-li"], algorithm=ECDSA_ALG), ("doctor", "RX_SIGNATURE_ALGORITHM_MISMATCH"))
    add("no doctorSignature (nor review, nor countersignature)", ["MissingSignature", "MissingReview"],
        {"format": FORMAT, "prescription": copy.deepcopy(rx0)}, ("doctor", "RX_DOCTOR_SIGNATURE_MISSING"),
        {"pharmacist": "RX_REVIEW_MISSING", "platform": "RX_PLATFORM_SIGNATURE_MISSING"})

    # ---- invalid: pharmacist
    doc = sign_doctor({"format": FORMAT, "prescription": copy.deepcopy(rx0)}, S["doctor-li"])
    add("signed by the doctor only: no pharmacist review, no platform countersignature", ["MissingReview"], doc,
        ("pharmacist", "RX_REVIEW_MISSING"), {"platform": "RX_PLATFORM_SIGNATURE_MISSING"})
    doc = sign_doctor({"format": FORMAT, "prescription": copy.deepcopy(rx0)}, S["doctor-li"])
    add_review(doc, S["pharmacist-zhao"], T_REVIEW, result="0")
    add("the pharmacist's signed review rejects the prescription (result \"0\"); not countersigned",
        ["ReviewRejected"], doc, ("pharmacist", "RX_REVIEW_REJECTED"), {"platform": "RX_PLATFORM_SIGNATURE_MISSING"})
    doc = sign_doctor({"format": FORMAT, "prescription": copy.deepcopy(rx0)}, S["doctor-li"])
    add_review(doc, S["pharmacist-zhao"], T_REVIEW, result="0")
    doc["pharmacistReview"]["result"] = "1"
    countersign(doc, platform, HI_RXNO, T_SIGN)
    add("review result changed from \"0\" to \"1\" after the pharmacist signed, then countersigned",
        ["ModifiedReview"], doc, ("pharmacist", "RX_PHARMACIST_SIGNATURE_INVALID"))
    add("pharChkTime 10:00:00 is before prscTime 10:05:00", ["ReviewBeforePrescription"],
        full(rx0, S["doctor-li"], review_time="2026-11-23 10:00:00"), ("pharmacist", "RX_REVIEW_BEFORE_PRESCRIPTION"))
    add("the review is signed by doctor-li (D12010100001) under pharCode Y12010100001",
        ["CertificateMismatch"], _review_by(rx0, S, platform, T_REVIEW, T_SIGN),
        ("pharmacist", "RX_PHARMACIST_CERTIFICATE_MISMATCH"))

    # ---- invalid: platform
    doc = full(rx0, S["doctor-li"])
    doc["platformSignature"]["hiRxno"] = OTHER_HI_RXNO
    add("platform countersignature made over hiRxno ...0001, document says ...0002", ["ModifiedCountersignature"],
        doc, ("platform", "RX_PLATFORM_SIGNATURE_INVALID"))
    doc = full(rx0, S["doctor-li"])
    doc.pop("platformSignature")
    add("doctor and pharmacist signed, no platform countersignature", ["MissingSignature"], doc,
        ("platform", "RX_PLATFORM_SIGNATURE_MISSING"))
    doc = full(rx0, S["doctor-li"])
    doc["platformSignature"]["signCertSn"] = "3101"
    add("signCertSn 3101 names another certificate than the trusted platform certificate (3001)",
        ["PlatformCertificateMismatch"], doc, ("platform", "RX_PLATFORM_CERTIFICATE_MISMATCH"))

    # ---- sanity of the writer, then the cross-checks
    for t in tests:  # the canonical writer agrees with json.dumps' compact, sorted, non-ASCII-raw form
        alt = json.dumps(t["document"]["prescription"], ensure_ascii=False, sort_keys=True,
                         separators=(",", ":")).encode("utf-8")
        assert doctor_message(t["document"]) == alt, "canonical writer differs from json.dumps (tcId %d)" % t["tcId"]

    group = {"type": GROUP_TYPE, "trust": trust.to_json(), "required": list(PARTIES), "tests": tests}
    stats, cert_lines, seen = {}, [], set()
    for t in tests:
        got = expected_of(check(t["document"], trust, PARTIES))
        want = {k: t[k] for k in ("result", "failure", "checks") if k in t}
        assert got == want, "tcId %d (%s): check() says %s, expected %s" % (t["tcId"], t["comment"], got, want)
        assert verdict(group, t) == t["result"]
        cross_check_signatures(ossl, trust, t, stats)
        doc = t["document"]
        signers = []
        if isinstance(doc.get("doctorSignature"), dict):
            signers.append(("doctor", doc["doctorSignature"]["certificate"], parse_fsi(doc["prescription"]["prscTime"])))
        r = doc.get("pharmacistReview")
        if isinstance(r, dict) and isinstance(r.get("signature"), dict):
            signers.append(("pharmacist", r["signature"]["certificate"], parse_fsi(r["pharChkTime"])))
        for who, pem, at in signers:
            causes = chain_failures(trust, load_certificate(pem), at)
            key = (pem, at)
            if key in seen:
                continue
            seen.add(key)
            cert_lines += cross_check_certificate(ossl, pem, at, causes[0] if causes else None, t["tcId"], who)
    # the empty-ID signature: OpenSSL verifies it with its default (empty) ID
    for t in tests:
        if "EmptySignerIdSignature" in t["flags"]:
            s = t["document"]["doctorSignature"]
            assert ossl.verify_signature(s["certificate"], doctor_message(t["document"]), _der_of(s["value"]),
                                         distid=False), "the empty-ID signature does not verify without distid"
            stats["doctor SM2 empty-ID signature verified by openssl without -sigopt distid"] = 1

    notes_used = sorted({f for t in tests for f in t["flags"]})
    doc = {
        "algorithm": FORMAT,
        "schema": SCHEMA_NAME,
        "generatorVersion": vecspec.GENERATOR_VERSION,
        "numberOfTests": len(tests),
        "header": [
            "Signed e-prescriptions (yibao-rx/1, Sources/YibaoCore/Prescriptions): verify the doctor's signature, the "
            "pharmacist's signed review and the platform's countersignature, and each signer's certificate at the "
            "instant they signed (prscTime / pharChkTime, Beijing time UTC+8), revocation included.",
            "Signed bytes: canonical JSON (compact, keys sorted by code point, minimal escaping, raw UTF-8) of the "
            "prescription (doctor); of {doctorSignature: <doctor value>, prescription, review: {pharCode, pharName, "
            "pharChkTime, result}} (pharmacist); of {doctorSignature, hiRxno, pharmacistSignature, prescription, "
            "review, signTime} (platform). The documents' prescriptions are NOT in canonical key order: sort them.",
            "Signature values: base64 of raw 64-byte r||s; SM2-with-SM3 with signer ID 1234567812345678, or "
            "ECDSA-P256-SHA256. The platform signs with the group's platformCertificate, named by signCertSn.",
            "result valid: every check in `required` passes. invalid: `failure` is the first failing check in the "
            "order doctor, pharmacist, platform (cause: the chain verifier's first code, for *_CERTIFICATE_INVALID); "
            "`checks` is every party's code. Valid tests carry the three signed texts in `messages`.",
            "Generated by tools/vectors/rx.py (independent Python: gm.py + cryptography). Every signature was "
            "checked with `openssl dgst -sm3 -sigopt distid:1234567812345678` / `openssl dgst -sha256` on its DER "
            "form, every signer's certificate with `openssl verify -attime` at its signing time (see README).",
        ],
        "notes": {f: {"bugType": FLAGS[f][0], "description": FLAGS[f][1]} for f in notes_used},
        "testGroups": [group],
    }
    if verbose:
        print("rx: %d tests; openssl (%s), %d invocations:" % (len(tests), ossl.version, ossl.calls))
        print("  doctor signatures of the valid tests %s: verified by openssl on their DER form"
              % stats.get("_valid_doctor"))
        for k in sorted(x for x in stats if not x.startswith("_")):
            print("  %-58s %d" % (k, stats[k]))
        for line in cert_lines:
            print("  " + line)
    return doc


def _review_by(rx, S, platform, t_review, t_sign):
    """A review under pharCode Y12010100001 signed with doctor-li's key and certificate."""
    doc = sign_doctor({"format": FORMAT, "prescription": copy.deepcopy(rx)}, S["doctor-li"])
    zhao, li = S["pharmacist-zhao"], S["doctor-li"]
    review = {"pharCode": zhao.code, "pharName": zhao.cn, "pharChkTime": t_review, "result": "1"}
    review["signature"] = li.signature(review_message(doc, review))
    doc["pharmacistReview"] = review
    return countersign(doc, platform, HI_RXNO, t_sign)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def dump(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def write_files(doc):
    import jsonschema
    schema = schemas()[SCHEMA_NAME]
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(doc)
    for rel, obj in ((os.path.join("schemas", SCHEMA_NAME), schema), (FILE_NAME, doc)):
        with open(os.path.join(VEC, rel), "w", encoding="utf-8", newline="\n") as f:
            f.write(dump(obj))


def main(argv):
    if argv[:1] == ["generate"]:
        doc = build()
        write_files(doc)
        print("wrote vectors/%s (%d tests) and vectors/schemas/%s" % (FILE_NAME, doc["numberOfTests"], SCHEMA_NAME))
        return 0
    if argv[:1] == ["check"] and len(argv) >= 2:
        required = PARTIES
        if "--required" in argv:
            required = tuple(p for p in argv[argv.index("--required") + 1].split(",") if p)
        with open(argv[1], encoding="utf-8") as f:
            doc = json.load(f)
        checks = check(doc, Trust.dev(), required)
        for c in checks:
            print("%s %s: %s%s - %s" % ("ok  " if c["passed"] else "FAIL", c["party"], c["code"],
                                        " (%s)" % ", ".join(c["causes"]) if c["causes"] else "", c["detail"]))
        return 1 if first_failure(checks) else 0
    print("usage: rx.py generate | rx.py check DOC.json [--required doctor,pharmacist,platform]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
