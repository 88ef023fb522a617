#!/usr/bin/env python3
"""Detached CMS/PKCS#7 SignedData with SM2-with-SM3 (GB/T 35275-2017): an
independent cross-check used by tests, written from RFC 5652 / GB/T 35275, not
from the Swift code, and without OpenSSL: OpenSSL 3.0 cannot sign SM2 CMS and
`cms -verify` checks SM2 with an EMPTY signer ID, not 1234567812345678.
SM2/SM3 are tools/vectors/gm.py (pure Python); the DER is hand-rolled here.

    cms_sm2.py sign   --key KEY.pem|HEX --cert CERT.pem --in CONTENT --out SIG.der
                      [--gbt] [--sig-oid sm2sm3|sm2-1|OID] [--no-attrs]
                      [--signing-time [YYMMDDHHMMSSZ]] [--id 1234567812345678]
    cms_sm2.py verify --in SIG.der [--content CONTENT] --CAfile CA.pem
                      [--certfile MORE.pem] [--gbt | --rfc] [--id 1234567812345678]

sign writes DER ContentInfo{signedData, [0] SignedData{1, {sm3}, {data} (no
eContent), [0] {cert}, {SignerInfo{1, IssuerAndSerialNumber, sm3, [0] {contentType,
[signingTime,] messageDigest}, SM2-with-SM3, OCTET STRING DER(r,s)}}}}, signed over
SM3(Z || signedAttrs re-tagged SET) (--no-attrs: over the content). verify accepts
either OID family (unless --gbt/--rfc) and checks the attributes, the signature and
SM2 certificate signatures up to --CAfile; NOT dates, key usage or revocation.
Exit status 0 verified, 1 not verified, 2 sign error.
"""
from __future__ import annotations

import argparse
import base64
import datetime
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "vectors"))
import gm  # noqa: E402  pure-Python SM2/SM3

OIDS = {
    "rfc": ("1.2.840.113549.1.7.2", "1.2.840.113549.1.7.1"),       # id-signedData, id-data
    "gbt": ("1.2.156.10197.6.1.4.2.2", "1.2.156.10197.6.1.4.2.1"),  # GB/T 35275 signedData, data
}
SM3 = "1.2.156.10197.1.401"
SIG_OIDS = {"sm2sm3": "1.2.156.10197.1.501", "sm2-1": "1.2.156.10197.1.301.1"}
EC_PUBLIC_KEY, SM2_CURVE = "1.2.840.10045.2.1", "1.2.156.10197.1.301"
CONTENT_TYPE, MESSAGE_DIGEST, SIGNING_TIME = ("1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4",
                                              "1.2.840.113549.1.9.5")


def tlv(tag: int, body: bytes) -> bytes:
    n, size = len(body), (len(body).bit_length() + 7) // 8
    return bytes([tag]) + (bytes([n]) if n < 0x80 else bytes([0x80 | size]) + n.to_bytes(size, "big")) + body


def seq(*parts: bytes) -> bytes:
    return tlv(0x30, b"".join(parts))


def set_of(*parts: bytes) -> bytes:          # DER: elements sorted by their encodings
    return tlv(0x31, b"".join(sorted(parts)))


def oid(dotted: str) -> bytes:
    a = [int(x) for x in dotted.split(".")]
    body = b""
    for v in [40 * a[0] + a[1]] + a[2:]:
        enc = bytes([v & 0x7F])
        while v := v >> 7:
            enc = bytes([0x80 | (v & 0x7F)]) + enc
        body += enc
    return tlv(0x06, body)


def oid_str(body: bytes) -> str:
    out, v = [], 0
    for b in body:
        v = (v << 7) | (b & 0x7F)
        if not b & 0x80:
            out.append(v)
            v = 0
    first = min(out[0] // 40, 2)
    return ".".join(str(x) for x in [first, out[0] - 40 * first] + out[1:])


def read(data: bytes, i: int = 0):  # DER reader: single-byte tags, definite lengths
    """One element at i: (tag, body, whole encoding, next index)."""
    tag, n, j = data[i], data[i + 1], i + 2
    if n & 0x80:
        k = n & 0x7F
        n, j = int.from_bytes(data[j:j + k], "big"), j + k
    if j + n > len(data):
        raise ValueError("truncated DER")
    return tag, data[j:j + n], data[i:j + n], j + n


def kids(body: bytes) -> list:
    out, i = [], 0
    while i < len(body):
        t, b, whole, i = read(body, i)
        out.append((t, b, whole))
    return out


def alg_oid(whole: bytes) -> str:
    return oid_str(kids(read(whole)[1])[0][1])


def pem_blocks(text: str, label: str) -> list:
    pat = r"-----BEGIN %s-----(.*?)-----END %s-----" % (label, label)
    return [base64.b64decode(b) for b in re.findall(pat, text, re.S)]


def load_private(arg: str) -> int:
    text = open(arg).read() if os.path.exists(arg) else arg
    if "-----BEGIN" not in text:
        return int(text.strip(), 16)
    for label in ("PRIVATE KEY", "EC PRIVATE KEY", "SM2 PRIVATE KEY"):
        for der in pem_blocks(text, label):
            k = kids(read(der)[1])
            if label == "PRIVATE KEY":             # PKCS#8: version, alg, OCTET STRING{ECPrivateKey}
                k = kids(read(k[2][1])[1])
            return int.from_bytes(k[1][1], "big")  # ECPrivateKey: version, OCTET STRING d
    raise ValueError("no SM2 private key in " + arg)


class Cert:
    def __init__(self, der: bytes):
        self.der = der
        tbs, self.sig_alg, sig = kids(read(der)[1])
        self.tbs = tbs[2]
        f = kids(tbs[1])
        if f[0][0] == 0xA0:
            f = f[1:]
        self.serial, self.issuer, self.subject = f[0][2], f[2][2], f[4][2]
        alg, bits = kids(f[5][1])
        params = kids(alg[1])
        if oid_str(params[0][1]) != EC_PUBLIC_KEY or oid_str(params[1][1]) != SM2_CURVE:
            raise ValueError("certificate key is not SM2")
        self.pub = gm.SM2_CURVE.decode_point(bits[1][1:])
        self.sig = sig[1][1:]                      # BIT STRING: drop unused-bits byte

    def signed_by(self, issuer: "Cert", signer_id: bytes) -> bool:
        if self.issuer != issuer.subject or alg_oid(self.sig_alg[2]) != SIG_OIDS["sm2sm3"]:
            return False
        try:
            return gm.sm2_verify(issuer.pub, self.tbs, *gm.der_decode(self.sig), signer_id)
        except ValueError:
            return False


def load_certs(path: str) -> list:
    return [Cert(d) for d in pem_blocks(open(path).read(), "CERTIFICATE")] if path else []


def sign(a) -> bytes:
    d, cert = load_private(a.key), load_certs(a.cert)[0]
    if gm.sm2_public_key(d) != cert.pub:
        raise ValueError("the key does not match the certificate")
    content = open(a.infile, "rb").read()
    signed_data_oid, data_oid = OIDS["gbt" if a.gbt else "rfc"]
    sm3_alg = seq(oid(SM3))                        # parameters absent
    sig_alg = seq(oid(SIG_OIDS.get(a.sig_oid, a.sig_oid)))
    attrs, message = b"", content
    if not a.no_attrs:
        items = [seq(oid(CONTENT_TYPE), set_of(oid(data_oid))),
                 seq(oid(MESSAGE_DIGEST), set_of(tlv(0x04, gm.sm3(content))))]
        if a.signing_time is not None:
            when = a.signing_time or datetime.datetime.now(datetime.timezone.utc).strftime("%y%m%d%H%M%SZ")
            items.append(seq(oid(SIGNING_TIME), set_of(tlv(0x17, when.encode()))))
        message = set_of(*items)                   # signed over as a SET (tag 0x31)
        attrs = b"\xa0" + message[1:]              # carried as [0] IMPLICIT
    r, s = gm.sm2_sign(d, message, a.id.encode())  # deterministic nonce (gm.sm2_deterministic_k)
    signer_info = seq(tlv(0x02, b"\x01"), seq(cert.issuer, cert.serial), sm3_alg, attrs, sig_alg,
                      tlv(0x04, gm.der_encode(r, s)))
    signed_data = seq(tlv(0x02, b"\x01"), set_of(sm3_alg), seq(oid(data_oid)),
                      tlv(0xA0, cert.der), set_of(signer_info))
    return seq(oid(signed_data_oid), tlv(0xA0, signed_data))


def verify(a) -> list:
    """Returns a list of problems (empty = verified)."""
    blob = open(a.infile, "rb").read()
    families = [f for f in OIDS if getattr(a, f)] or list(OIDS)
    ci = kids(read(blob)[1])
    fam = [f for f in families if OIDS[f][0] == oid_str(ci[0][1])]
    if not fam or ci[1][0] != 0xA0:
        return ["ContentInfo contentType %s is not signedData (%s)" % (oid_str(ci[0][1]), "/".join(families))]
    sd = kids(read(ci[1][1])[1])
    econtent = kids(sd[2][1])
    e_type = oid_str(econtent[0][1])
    if e_type != OIDS[fam[0]][1]:
        return ["eContentType %s is not data of the %s family" % (e_type, fam[0])]
    if len(econtent) > 1:
        content = read(econtent[1][1])[1]          # [0] EXPLICIT OCTET STRING: attached
    elif a.content:
        content = open(a.content, "rb").read()
    else:
        return ["detached signature: --content is required"]
    rest = sd[3:]
    embedded = [Cert(c[2]) for c in kids(rest[0][1])] if rest[0][0] == 0xA0 else []
    trusted = load_certs(a.CAfile)
    pool = embedded + load_certs(a.certfile) + trusted
    signer_infos = kids(rest[-1][1]) if rest[-1][0] == 0x31 else []
    problems = [check_signer(kids(si[1]), content, e_type, pool, trusted, a.id) for si in signer_infos]
    return [p for p in problems if p] if signer_infos else ["no SignerInfo"]


def check_signer(f: list, content: bytes, e_type: str, pool: list, trusted: list, sid: str):
    """One SignerInfo's fields: None if it verifies, else the first problem."""
    if f[1][0] != 0x30:
        return "sid is not IssuerAndSerialNumber"
    issuer, serial = kids(f[1][1])
    signer = next((c for c in pool if c.issuer == issuer[2] and c.serial == serial[2]), None)
    if signer is None:
        return "signer certificate not found"
    if alg_oid(f[2][2]) != SM3:
        return "digestAlgorithm %s is not SM3" % alg_oid(f[2][2])
    has_attrs = f[3][0] == 0xA0
    sig_alg, sig = f[4 if has_attrs else 3], f[5 if has_attrs else 4]
    if alg_oid(sig_alg[2]) not in SIG_OIDS.values():
        return "signatureAlgorithm %s is not SM2-with-SM3" % alg_oid(sig_alg[2])
    message = content
    if has_attrs:
        attrs = {oid_str(kids(x[1])[0][1]): kids(kids(x[1])[1][1])[0][1] for x in kids(f[3][1])}
        if attrs.get(MESSAGE_DIGEST) != gm.sm3(content):
            return "messageDigest attribute missing or not SM3(content)"
        if attrs.get(CONTENT_TYPE) != oid(e_type)[2:]:
            return "contentType attribute missing or not the eContentType"
        message = b"\x31" + f[3][2][1:]            # [0] IMPLICIT -> SET OF, same bytes
    try:
        if not gm.sm2_verify(signer.pub, message, *gm.der_decode(sig[1]), sid.encode()):
            return "SM2 signature does not verify (ID %r)" % sid
    except ValueError as e:
        return "bad signature encoding: %s" % e
    cert = signer
    for _ in range(8):
        if any(cert.der == t.der for t in trusted):
            return None
        cert = next((c for c in pool if c is not cert and cert.signed_by(c, sid.encode())), None)
        if cert is None:
            break
    return "no path of SM2 signatures from the signer to --CAfile"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s, v = sub.add_parser("sign"), sub.add_parser("verify")
    for x in (s, v):
        x.add_argument("--in", dest="infile", required=True, help="content (sign) / CMS DER (verify)")
        x.add_argument("--gbt", action="store_true", help="GB/T 35275 content-type OIDs (verify: only those)")
        x.add_argument("--id", default=gm.SM2_DEFAULT_ID.decode(), help="SM2 signer ID (default %(default)s)")
    for name in ("--key", "--cert", "--out"):
        s.add_argument(name, required=True)
    s.add_argument("--sig-oid", default="sm2sm3", help="sm2sm3 (1.2.156.10197.1.501), sm2-1 (.301.1) or OID")
    s.add_argument("--no-attrs", action="store_true", help="no signed attributes")
    s.add_argument("--signing-time", nargs="?", const="", help="add signingTime (default: now, UTCTime)")
    v.add_argument("--rfc", action="store_true", help="accept only the RFC 5652 OIDs")
    v.add_argument("--content", help="the detached content")
    v.add_argument("--CAfile", required=True, help="trusted SM2 certificate(s), PEM")
    v.add_argument("--certfile", help="more (untrusted) certificates, PEM")
    a = p.parse_args(argv)
    try:
        if a.cmd == "sign":
            blob = sign(a)
            with open(a.out, "wb") as fh:
                fh.write(blob)
            return 0
        problems = verify(a)
    except (ValueError, IndexError, OSError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 2 if a.cmd == "sign" else 1
    print("\n".join("FAIL: " + m for m in problems) or "Verification successful")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
