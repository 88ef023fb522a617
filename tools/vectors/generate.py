#!/usr/bin/env python3
"""Writes every file in vectors/ (and vectors/schemas/, vectors/blind/, vectors/README.md).

    python3 tools/vectors/generate.py

Deterministic: fixed keys below, deterministic nonces (gm.sm2_deterministic_k,
gm.ecdsa_deterministic_k), fixed clocks; rerunning reproduces byte-identical files.

Every vector is computed with the independent Python implementation (gm.py,
hse.py) AND cross-checked here with the OpenSSL 3 command-line tool: SM3 digests
with `openssl dgst -sm3`, SM4 with `openssl enc -sm4-ecb/-sm4-cbc`, SM2 with
`openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:<ID>` (DER
signatures), ECDSA with `openssl dgst -sha256 -verify` and `cryptography`.
Each file is validated against its JSON Schema, and finally re-checked by
check.py's verdict functions.

vectors/signed_prescription_test.json (signed e-prescriptions, yibao-rx/1) and
its schema come from rx.py, which builds and cross-checks them itself (its own
`openssl dgst` / `openssl verify -attime` calls); `python3 tools/vectors/rx.py
generate` writes that file alone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check  # noqa: E402
import gm  # noqa: E402
import hse  # noqa: E402
import rx  # noqa: E402
import vecspec  # noqa: E402
from hse import Num  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
VEC = os.path.join(ROOT, "vectors")

# --------------------------------------------------------------------------
# Fixed keys and identities (test keys only; never use them for anything real)
# --------------------------------------------------------------------------

SM2_HOSPITAL_D = 0x6aa94930f68eea532d7d3edd1e7752dd64d3016fdfaae89d4ad46abd70c473f1
SM2_PLATFORM_D = 0x4aa163ba69f7c8ea399c7ed4f2d71e9444de52b184d2da6c0863e2d054a7c4a3
SM2_OTHER_D = 0x11310a913e4fa7cb5e2d6448664d453faa56c9291532a90aa6b77ade67b90212
P256_A_D = 0x8034b27fc90a01e431ec60696b0f48871c06fe96d0368ff6ccb8fdb0aebead8d
P256_B_D = 0x392749934c9ecdfb836aa5d1eabed6aa1ec6256e1271df9301c011fbe0c9f106

# GB/T 32918.5-2017 / GM/T 0003.5-2012 Annex A (values as carried by OpenSSL's
# test/sm2_internal_test.c; recomputed and verified below).
ANNEX_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
ANNEX_K = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
ANNEX_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
ANNEX_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA
ANNEX_PUB_X = 0x09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020
ANNEX_PUB_Y = 0xCCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13
ANNEX_Z = "b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3"
ANNEX_E = "f0b43e94ba45accaace692ed534382eb17e6ab5a19ce7b31f4486fdfc0d28640"
ANNEX_MSG = b"message digest"
ALICE_ID = "ALICE123@YAHOO.COM"

APP_ID = "4AD0D7882EF0DDAFEB59AFEFADD278DE"
APP_SECRET = "C6EA7C775E96177D301637AF29AC24B7"
OTHER_APP_SECRET = "7F2B9A64D1E0C8355A6E0B1F93D4C27E"
NOW_MS = 1731650400000  # the receiver's clock in the envelope vectors
TS = NOW_MS - 2345      # a fresh request timestamp

DEFAULT_ID = "1234567812345678"

# --------------------------------------------------------------------------
# OpenSSL CLI cross-checks
# --------------------------------------------------------------------------


class OpenSSL:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="yibao-vectors-")
        self.count = 0
        self.calls = 0
        self._pem = {}
        v = subprocess.run(["openssl", "version"], capture_output=True, text=True, check=True).stdout.strip()
        if not v.startswith("OpenSSL 3."):
            raise SystemExit("need OpenSSL 3.x, found %s" % v)
        self.version = v

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def _file(self, data: bytes) -> str:
        self.count += 1
        p = os.path.join(self.dir, "f%d" % self.count)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def _run(self, args, data=None):
        self.calls += 1
        return subprocess.run(["openssl"] + args, input=data, capture_output=True)

    def sm3(self, msg: bytes) -> bytes:
        p = self._run(["dgst", "-sm3", "-binary"], msg)
        assert p.returncode == 0, p.stderr
        return p.stdout

    def sm4(self, mode: str, key: bytes, iv: bytes, data: bytes, padding: str, decrypt=False):
        args = ["enc", "-sm4-" + mode.lower(), "-K", key.hex()]
        if mode == "CBC":
            args += ["-iv", iv.hex()]
        if padding == "none":
            args.append("-nopad")
        if decrypt:
            args.append("-d")
        p = self._run(args + ["-in", self._file(data)])
        return p.stdout if p.returncode == 0 else None

    def _sm2_pem(self, point: bytes) -> str:
        if point not in self._pem:
            alg = bytes.fromhex("3013" "06072a8648ce3d0201" "06082a811ccf5501822d")  # ecPublicKey, SM2 curve
            bits = b"\x03\x42\x00" + point
            spki = b"\x30\x59" + alg + bits
            pem = "-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(spki).decode() + "-----END PUBLIC KEY-----\n"
            self._pem[point] = self._file(pem.encode())
        return self._pem[point]

    def sm2_verify(self, point: bytes, msg: bytes, der_sig: bytes, signer_id) -> bool:
        """signer_id: bytes, or None for OpenSSL's default (an EMPTY ID)."""
        args = ["pkeyutl", "-verify", "-pubin", "-inkey", self._sm2_pem(point), "-rawin", "-digest", "sm3",
                "-in", self._file(msg), "-sigfile", self._file(der_sig)]
        if signer_id is not None:
            if re.fullmatch(rb"[A-Za-z0-9@._-]+", signer_id):
                args += ["-pkeyopt", "distid:" + signer_id.decode()]
            else:
                args += ["-pkeyopt", "hexdistid:" + signer_id.hex()]
        p = self._run(args)
        ok = p.returncode == 0 and b"Signature Verified Successfully" in p.stdout
        if not ok and p.returncode == 0:
            raise AssertionError("unexpected openssl output %r" % p.stdout)
        return ok

    def p256_pem(self, point: bytes) -> str:
        if point not in self._pem:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import ec
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
            pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            self._pem[point] = self._file(pem)
        return self._pem[point]

    def ecdsa_verify(self, point: bytes, msg: bytes, der_sig: bytes) -> bool:
        p = self._run(["dgst", "-sha256", "-verify", self.p256_pem(point), "-signature", self._file(der_sig),
                       self._file(msg)])
        ok = p.returncode == 0 and b"Verified OK" in p.stdout
        if not ok and p.returncode == 0:
            raise AssertionError("unexpected openssl output %r" % p.stdout)
        return ok


def cryptography_ecdsa_verify(point: bytes, msg: bytes, der_sig: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    try:
        key.verify(der_sig, msg, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError):
        return False


# --------------------------------------------------------------------------
# Vector file builder
# --------------------------------------------------------------------------


class VectorFile:
    def __init__(self, name, algorithm, schema, header):
        self.name, self.algorithm, self.schema, self.header = name, algorithm, schema, header
        self.groups = []
        self.next_id = 1

    def group(self, type_name, **params):
        g = {"type": type_name}
        g.update(params)
        g["tests"] = []
        self.groups.append(g)
        return g

    def add(self, g, comment, flags, result, **fields):
        assert result in ("valid", "invalid", "acceptable"), result
        for fl in flags:
            assert fl in vecspec.FLAGS, "undefined flag %s" % fl
        assert len(set(flags)) == len(flags)
        t = {"tcId": self.next_id, "comment": comment, "flags": list(flags)}
        t.update(fields)
        t["result"] = result
        g["tests"].append(t)
        self.next_id += 1
        return t

    def tests(self):
        return [t for g in self.groups for t in g["tests"]]

    def document(self):
        used = sorted({f for t in self.tests() for f in t["flags"]})
        notes = {f: {"bugType": vecspec.FLAGS[f][0], "description": vecspec.FLAGS[f][1]} for f in used}
        return {
            "algorithm": self.algorithm,
            "schema": self.schema,
            "generatorVersion": vecspec.GENERATOR_VERSION,
            "numberOfTests": len(self.tests()),
            "header": self.header,
            "notes": notes,
            "testGroups": self.groups,
        }


def dump(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def write(rel, obj):
    path = os.path.join(VEC, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(dump(obj))


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def flip_bit(b: bytes, bit: int) -> bytes:
    a = bytearray(b)
    a[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(a)


# --------------------------------------------------------------------------
# 1. SM3
# --------------------------------------------------------------------------


def gen_sm3(ossl):
    f = VectorFile("sm3_test.json", "SM3", "hash_test_schema.json", [
        "SM3 (GB/T 32905-2016) digests.",
        "valid: SM3(msg) equals digest; invalid: it does not (a correct implementation computes a different value).",
        "Every digest was compared with `openssl dgst -sm3` at generation time.",
    ])
    g = f.group("HashTest")

    def valid(comment, flags, msg, expect=None):
        d = gm.sm3(msg)
        assert d == ossl.sm3(msg), comment
        if expect:
            assert d.hex() == expect, comment
        f.add(g, comment, flags, "valid", msg=msg.hex(), digest=d.hex())

    def invalid(comment, flags, msg, digest):
        assert digest != ossl.sm3(msg)
        f.add(g, comment, flags, "invalid", msg=msg.hex(), digest=digest.hex())

    valid('GB/T 32905-2016 example 1: "abc"', ["KnownAnswer"], b"abc",
          "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
    valid('GB/T 32905-2016 example 2: "abcd" x 16 (64 bytes)', ["KnownAnswer"], b"abcd" * 16,
          "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")
    valid("empty message", ["EmptyMessage"], b"")
    valid('one byte "a"', ["Basic"], b"a")
    for n in (55, 56, 63, 64, 65, 119, 120):
        valid("%d bytes (0x00, 0x01, ...): padding boundary" % n, ["PaddingBoundary"], bytes(i % 256 for i in range(n)))
    valid("all 256 byte values", ["Basic"], bytes(range(256)))
    valid("1000 bytes", ["LongMessage"], bytes((i * 7 + 3) % 256 for i in range(1000)))
    valid("4096 bytes of 'a'", ["LongMessage"], b"a" * 4096)
    valid("UTF-8 Chinese text", ["NonAscii"], "国家医疗保障局 医保移动支付".encode("utf-8"))
    valid("UTF-8 mixed: accents, emoji, full-width", ["NonAscii"], "Zürich ¥12.00 😀 ＡＢＣ".encode("utf-8"))
    valid("an HSE string to sign", ["Basic"],
          ("appId=%s&data={\"medfeeSumamt\":\"12.00\"}&encType=SM4&signType=SM2&timestamp=1700000000000"
           "&version=2.0.1&key=%s" % (APP_ID, APP_SECRET)).encode())

    abc = gm.sm3(b"abc")
    invalid('"abc" with the first bit of the digest flipped', ["BitFlip"], b"abc", flip_bit(abc, 0))
    invalid('"abc" with the last bit of the digest flipped', ["BitFlip"], b"abc", flip_bit(abc, 255))
    invalid("empty message, digest with a bit flipped in the middle", ["BitFlip"], b"", flip_bit(gm.sm3(b""), 128))
    invalid('"abc", digest truncated to 31 bytes', ["TruncatedDigest"], b"abc", abc[:31])
    invalid('"abc", digest truncated to 16 bytes', ["TruncatedDigest"], b"abc", abc[:16])
    invalid('"abc", digest with an extra zero byte', ["TruncatedDigest"], b"abc", abc + b"\x00")
    invalid('"abc", empty digest', ["TruncatedDigest"], b"abc", b"")
    invalid('"abc" with the SHA-256 digest', ["WrongAlgorithm"], b"abc", hashlib.sha256(b"abc").digest())
    return f


# --------------------------------------------------------------------------
# 2. SM4
# --------------------------------------------------------------------------


def gen_sm4(ossl):
    f = VectorFile("sm4_test.json", "SM4", "block_cipher_test_schema.json", [
        "SM4 (GB/T 32907-2016) in ECB and CBC, without padding and with PKCS#7.",
        "valid: encrypting msg gives ct and decrypting ct gives msg. invalid: decrypting ct must fail "
        "(bad padding / bad length).",
        "iterations (optional, default 1): encrypt the single block that many times with the same key.",
        "Every ciphertext was compared with `openssl enc -sm4-ecb/-sm4-cbc -K -iv [-nopad]`; every invalid "
        "ciphertext was checked to make `openssl enc -d` fail.",
    ])
    KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
    K2 = bytes.fromhex("8f3a1c5e7b9d2f4061e3c5a7b9d1f302")
    IV = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
    IV2 = bytes.fromhex("f0e1d2c3b4a5968778695a4b3c2d1e0f")

    groups = {}
    for mode in ("ECB", "CBC"):
        for padding in ("none", "pkcs7"):
            groups[mode, padding] = f.group("BlockCipherTest", mode=mode, padding=padding)

    def valid(mode, padding, comment, flags, key, iv, msg, iterations=1, expect=None):
        g = groups[mode, padding]
        if iterations == 1:
            ct = gm.sm4_encrypt(key, msg, mode, iv, padding)
            assert ossl.sm4(mode, key, iv, msg, padding) == ct, comment
            assert ossl.sm4(mode, key, iv, ct, padding, decrypt=True) == msg, comment
            assert gm.sm4_decrypt(key, ct, mode, iv, padding) == msg
        else:
            assert mode == "ECB" and padding == "none" and len(msg) == 16
            ct = gm.SM4(key).encrypt_block_iterated(msg, iterations)
            # OpenSSL cross-check: CBC with IV 0 over msg || 0^(16*(N-1)) chains
            # c_i = E(c_(i-1)), so its last block is E^N(msg).
            chained = ossl.sm4("CBC", key, bytes(16), msg + bytes(16 * (iterations - 1)), "none")
            assert chained[-16:] == ct, comment
        if expect:
            assert ct.hex() == expect, comment
        fields = {"key": key.hex(), "iv": iv.hex(), "msg": msg.hex(), "ct": ct.hex()}
        if iterations != 1:
            fields["iterations"] = iterations
        f.add(g, comment, flags, "valid", **fields)

    def invalid(mode, padding, comment, flags, key, iv, msg, ct):
        g = groups[mode, padding]
        assert ossl.sm4(mode, key, iv, ct, padding, decrypt=True) is None, comment
        try:
            gm.sm4_decrypt(key, ct, mode, iv, padding)
            raise AssertionError("decryption should fail: " + comment)
        except gm.PaddingError:
            pass
        f.add(g, comment, flags, "invalid", key=key.hex(), iv=iv.hex(), msg=msg.hex(), ct=ct.hex())

    # ECB, no padding
    valid("ECB", "none", "GB/T 32907-2016 example 1 (key = plaintext = 0123456789abcdeffedcba9876543210)",
          ["KnownAnswer"], KEY, b"", KEY, expect="681edf34d206965e86b3e94f536e4246")
    valid("ECB", "none", "GB/T 32907-2016 example 2: 1,000,000 encryptions of the block", ["MillionRounds"],
          KEY, b"", KEY, iterations=1000000, expect="595298c7c6fd271f0402f804c33d3f66")
    valid("ECB", "none", "4 blocks, two of them equal (ECB gives equal ciphertext blocks)", ["MultiBlock"],
          K2, b"", bytes(range(32)) + bytes(range(16)) + bytes(16))
    valid("ECB", "none", "all-zero key and block", ["Basic"], bytes(16), b"", bytes(16))
    invalid("ECB", "none", "ciphertext of 15 bytes", ["BadLength"], K2, b"", b"",
            gm.sm4_encrypt(K2, bytes(16), "ECB", b"", "none")[:15])
    invalid("ECB", "none", "ciphertext of 17 bytes", ["BadLength"], K2, b"", b"",
            gm.sm4_encrypt(K2, bytes(16), "ECB", b"", "none") + b"\x00")

    # ECB, PKCS#7
    for n, flags in ((0, ["EmptyMessage", "Pkcs7FullBlock"]), (1, ["Pkcs7"]), (15, ["Pkcs7"]),
                     (16, ["Pkcs7FullBlock"]), (17, ["Pkcs7"]), (33, ["Pkcs7", "MultiBlock"])):
        valid("ECB", "pkcs7", "%d-byte message" % n, flags, K2, b"", bytes((i * 11 + 5) % 256 for i in range(n)))
    valid("ECB", "pkcs7", "GB/T key, UTF-8 business JSON", ["NonAscii"], KEY, b"",
          '{"diseName":"急性上呼吸道感染","medfeeSumamt":12.00}'.encode())

    def bad_padding(mode, padding, key, iv, comment, data, pad):
        block = data + pad
        assert len(block) % 16 == 0
        ct = gm.sm4_encrypt(key, block, mode, iv, "none")
        invalid(mode, padding, comment, ["BadPadding"], key, iv, data, ct)

    bad_padding("ECB", "pkcs7", K2, b"", "last byte 0x00", b"hello, world!!!", b"\x00")
    bad_padding("ECB", "pkcs7", K2, b"", "last byte 0x11 (> 16), whole block 0x11", b"", b"\x11" * 16)
    bad_padding("ECB", "pkcs7", K2, b"", "pad bytes differ: ... 04 04 03 04", b"0123456789ab"[:12], b"\x04\x04\x03\x04")
    bad_padding("ECB", "pkcs7", K2, b"", "pad 0x10 but only the last byte is 0x10", b"A" * 15, b"\x10")
    bad_padding("ECB", "pkcs7", K2, b"", "second block valid data, last byte 0x20", b"B" * 31, b"\x20")
    good = gm.sm4_encrypt(K2, b"0123456789", "ECB", b"", "pkcs7")
    invalid("ECB", "pkcs7", "ciphertext of 15 bytes (last byte dropped)", ["BadLength"], K2, b"", b"0123456789", good[:15])
    invalid("ECB", "pkcs7", "ciphertext of 17 bytes (a byte appended)", ["BadLength"], K2, b"", b"0123456789", good + b"\x00")
    invalid("ECB", "pkcs7", "empty ciphertext (PKCS#7 always produces at least one block)", ["BadLength"], K2, b"", b"", b"")

    # CBC, no padding
    valid("CBC", "none", "GB/T key and block, IV 000102..0f", ["Basic"], KEY, IV, KEY)
    valid("CBC", "none", "3 equal plaintext blocks (CBC chains them)", ["MultiBlock"], K2, IV2, b"\x5a" * 48)
    invalid("CBC", "none", "ciphertext of 31 bytes", ["BadLength"], K2, IV2, b"",
            gm.sm4_encrypt(K2, bytes(32), "CBC", IV2, "none")[:31])

    # CBC, PKCS#7
    for n, flags in ((0, ["EmptyMessage", "Pkcs7FullBlock"]), (1, ["Pkcs7"]), (15, ["Pkcs7"]),
                     (16, ["Pkcs7FullBlock"]), (17, ["Pkcs7"]), (50, ["Pkcs7", "MultiBlock"])):
        valid("CBC", "pkcs7", "%d-byte message" % n, flags, K2, IV, bytes((i * 13 + 1) % 256 for i in range(n)))
    bad_padding("CBC", "pkcs7", K2, IV, "last byte 0x00", b"x" * 15, b"\x00")
    bad_padding("CBC", "pkcs7", K2, IV, "pad bytes differ: ... 03 02 03", b"y" * 13, b"\x03\x02\x03")
    bad_padding("CBC", "pkcs7", K2, IV2, "two blocks, last byte 0x11", b"z" * 31, b"\x11")
    good = gm.sm4_encrypt(K2, b"0123456789abcdef!", "CBC", IV, "pkcs7")
    invalid("CBC", "pkcs7", "ciphertext of 33 bytes", ["BadLength"], K2, IV, b"0123456789abcdef!", good + b"\x00")
    invalid("CBC", "pkcs7", "ciphertext of 31 bytes", ["BadLength"], K2, IV, b"0123456789abcdef!", good[:31])
    return f


# --------------------------------------------------------------------------
# 3. SM2 verification
# --------------------------------------------------------------------------

ENCODING_ONLY = {"DerWhereRawExpected", "RawWhereDerExpected"}


def raw_to_der_for_openssl(sig: bytes) -> bytes:
    """Map a raw test signature of any length to DER for the OpenSSL cross-check."""
    r = int.from_bytes(sig[:32], "big")
    s = int.from_bytes(sig[32:], "big") if len(sig) > 32 else 0
    return gm.der_encode(r, s)


def der_with_leading_zero(r: int, s: int) -> bytes:
    body_r = r.to_bytes(r.bit_length() // 8 + 1, "big")
    body_r = b"\x00" + body_r
    ir = b"\x02" + bytes([len(body_r)]) + body_r
    is_ = gm.der_int(s)
    body = ir + is_
    return b"\x30" + bytes([len(body)]) + body


def der_long_form(r: int, s: int) -> bytes:
    body = gm.der_int(r) + gm.der_int(s)
    return b"\x30\x81" + bytes([len(body)]) + body


def der_negative_r(r: int, s: int) -> bytes:
    assert r >> 255 == 1
    ir = b"\x02\x20" + r.to_bytes(32, "big")
    body = ir + gm.der_int(s)
    return b"\x30" + bytes([len(body)]) + body


class Sm2Group:
    def __init__(self, f, ossl, d, signer_id: str, enc: str, point=None):
        self.f, self.ossl, self.enc = f, ossl, enc
        self.pub = gm.sm2_public_key(d) if point is None else point
        self.point = gm.SM2_CURVE.encode_point(self.pub)
        self.id = signer_id.encode("utf-8")
        self.g = f.group("Sm2Verify", publicKey=self.point.hex(), publicKeyBase64=b64(self.point),
                         signerId=signer_id, sigEncoding=enc)

    def enc_sig(self, r, s):
        return gm.raw_encode(r, s) if self.enc == "raw" else gm.der_encode(r, s)

    def add(self, comment, flags, msg: bytes, sig: bytes, result, openssl_ok=None):
        if self.enc == "raw":
            der = sig if "DerWhereRawExpected" in flags else raw_to_der_for_openssl(sig)
        else:
            der = raw_to_der_for_openssl(sig) if "RawWhereDerExpected" in flags else sig
        if openssl_ok is None:
            openssl_ok = result == "valid" or bool(ENCODING_ONLY & set(flags))
        got = self.ossl.sm2_verify(self.point, msg, der, self.id)
        assert got == openssl_ok, "openssl disagrees: %s (openssl %s)" % (comment, got)
        t = self.f.add(self.g, comment, flags, result, msg=msg.hex(), sig=sig.hex())
        assert check.agrees(result, check.verdict_sm2(self.g, t)), comment
        return t


# A real national-platform HSE answer, published with its key in a public issue (luckykellan/dart_sm#10).
# Its tokens and appSecret were made public there by their owner; the answer's timestamp is
# 1716195185 (2024-05-20), so its session tokens have long expired. Kept verbatim: it is the known answer.
REAL_PLATFORM_PUBLIC_XY = ("d74188eeb242f52e58da294017c4fb9dc7c8edab0224241d236e037196f77946"
                           "ce2e4490c46957093c7a59209b58fa40f9076ccc6fef7d5c27ba499b3ab3ec2d")
REAL_PLATFORM_SIGNDATA = "DWPoNRCn4d8LsNVwj8JQkdHI9eTz5g0IrYIiqxEh8Pn/oxdo9Gsh/drX07FBlx0mwEw5pDdq7Px5pkyryXgRrQ=="
REAL_PLATFORM_APP_SECRET = "D91CEB11EE62219CD91CEB11EE62219C"
REAL_PLATFORM_SIGNED = (
    'appId=19E179E5DC29C05E65B90CDE57A1C7E5&code=0&data={"accessToken":"!TgbtrMd3RFP_mk8P-qJG985Mjn_9suebPrBPfdyQZM08tqXOqaoq17e6mXqw2w9TKuj-'
    'sSvmGpGIih7jzH3FZPXmXDRkwN3SvwxpabD-Bi8TrYy6y_682iI0qtyKUh5PnK0Qw-ZEG3vQjgh0s9SA6zs5F0iWcocpg0NwNiRLKnNvg4geZHg9dMaymZUd8r8he7F51URXrHE'
    'ORjkbUdwopusw==","certDateFlag":"1","certifyType":"0","isNeedFace":"0","isTrustDev":"1","pwdFlag":"0","refreshToken":"59b50736b38c4331ab8ef3'
    '414ea09d2e","secureToken":"aZIFOGqGe/SMPL3bhmvM/C6KbCaxi/pyE/juCpYsRJcgdkF6IMCiCjY7U+SBKMiQCo3Ti7xWwYRZloTE44djUGt+WvBTCcRmi4HoJ1Tb2xuiNFvTN'
    'o5nGx1BPBMFpN7JzUzRKBkXORWtUgxCqwjyuzq58SA4o09QvjHrWYp+qM1VWgMkKc53nzALYMI0bS42dvwflEuJbXm5UdANFs/rsc2LrmHqYHH+X46pCcyvC3nea9PPTMxOBT87CScZO'
    'mj6eC7Gkjwkeg2a2LSlV2IknWJEYCXeQnNsDsdD2jMbWl9npjDoGgwZlZmsR6OGijqVI3uA9uQBpuIRwbe0MfkJTA=="}&encType=SM4&message=成功&signType=SM2&'
    'timestamp=1716195185&type=success&key=D91CEB11EE62219CD91CEB11EE62219C')


def gen_sm2(ossl):
    f = VectorFile("sm2_verify_test.json", "SM2", "sm2_verify_schema.json", [
        "SM3-with-SM2 signature verification (GB/T 32918.2), recommended curve sm2p256v1.",
        "Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA) with the group's signerId (UTF-8 bytes); "
        "e = SM3(Z || msg).",
        "sigEncoding raw: exactly 64 bytes r||s (32-byte big-endian each); der: strict DER "
        "SEQUENCE { INTEGER r, INTEGER s }.",
        "Every test was checked with `openssl pkeyutl -verify -pubin -rawin -digest sm3 -pkeyopt distid:<signerId>` "
        "(hexdistid for non-ASCII IDs) on the DER form: valid ones verify, invalid ones fail, except flags "
        "DerWhereRawExpected / RawWhereDerExpected where only the encoding is wrong and OpenSSL verifies the "
        "signature itself.",
    ])
    n = gm.SM2_CURVE.n
    sign = gm.sm2_sign
    hosp_pub = gm.sm2_public_key(SM2_HOSPITAL_D)
    msgs = [
        ("empty message", ["EmptyMessage"], b""),
        ('"abc"', ["Basic"], b"abc"),
        ('"message digest"', ["Basic"], ANNEX_MSG),
        ("UTF-8 Chinese", ["NonAscii"], "医保移动支付 处方流转 ¥12.00".encode()),
        ("1000-byte message", ["LongMessage"], bytes((i * 31 + 7) % 256 for i in range(1000))),
        ("an HSE string to sign", ["Basic"],
         ('appId=%s&data={"payOrdId":"ORD6101002023111500012345"}&encType=SM4&signType=SM2&timestamp=%d'
          '&version=2.0.1&key=%s' % (APP_ID, TS, APP_SECRET)).encode()),
    ]

    # -- raw group, default ID, hospital key
    G = Sm2Group(f, ossl, SM2_HOSPITAL_D, DEFAULT_ID, "raw")
    did = gm.SM2_DEFAULT_ID
    for c, fl, m in msgs:
        r, s = sign(SM2_HOSPITAL_D, m, did)
        G.add(c, fl, m, G.enc_sig(r, s), "valid")
    m = b"abc"
    r, s = sign(SM2_HOSPITAL_D, m, did)
    G.add('signature of "abc", message "abd"', ["ModifiedMessage"], b"abd", G.enc_sig(r, s), "invalid")
    G.add('signature of "abc", message "abc " (trailing space)', ["ModifiedMessage"], b"abc ", G.enc_sig(r, s), "invalid")
    r2, s2 = sign(SM2_HOSPITAL_D, m, APP_SECRET.encode())
    G.add("signed with ID = appSecret instead of 1234567812345678", ["WrongSignerId"], m, G.enc_sig(r2, s2), "invalid")
    r2, s2 = sign(SM2_HOSPITAL_D, m, ALICE_ID.encode())
    G.add("signed with ID ALICE123@YAHOO.COM", ["WrongSignerId"], m, G.enc_sig(r2, s2), "invalid")
    r2, s2 = sign(SM2_HOSPITAL_D, m, b"")
    assert ossl.sm2_verify(G.point, m, gm.der_encode(r2, s2), None), "OpenSSL default ID is not empty?"
    G.add("signed with an EMPTY ID (OpenSSL 3.0 default when no distid is set)", ["EmptySignerId"], m,
          G.enc_sig(r2, s2), "invalid")
    G.add("r = 0", ["ZeroR"], m, gm.raw_encode(0, s), "invalid")
    G.add("s = 0", ["ZeroS"], m, gm.raw_encode(r, 0), "invalid")
    G.add("r = s = 0", ["ZeroR", "ZeroS"], m, bytes(64), "invalid")
    G.add("r = n", ["RangeCheck"], m, gm.raw_encode(n, s), "invalid")
    G.add("s = n", ["RangeCheck"], m, gm.raw_encode(r, n), "invalid")
    G.add("r = n + 1", ["RangeCheck"], m, gm.raw_encode(n + 1, s), "invalid")
    G.add("r = 2^256 - 1", ["RangeCheck"], m, gm.raw_encode(2 ** 256 - 1, s), "invalid")
    G.add("s = 2^256 - 1", ["RangeCheck"], m, gm.raw_encode(r, 2 ** 256 - 1), "invalid")
    G.add("s = n - r, so t = (r + s) mod n = 0", ["ZeroT"], m, gm.raw_encode(r, n - r), "invalid")
    good = G.enc_sig(r, s)
    G.add("63 bytes: last byte of s dropped", ["Truncated"], m, good[:63], "invalid")
    G.add("32 bytes: r only", ["Truncated"], m, good[:32], "invalid")
    G.add("65 bytes: a zero byte appended", ["WrongLength"], m, good + b"\x00", "invalid")
    G.add("empty signature", ["WrongLength"], m, b"", "invalid")
    G.add("correct signature in DER", ["DerWhereRawExpected"], m, gm.der_encode(r, s), "invalid")
    G.add("r and s swapped", ["ModifiedSignature"], m, gm.raw_encode(s, r), "invalid")
    G.add("last bit of s flipped", ["ModifiedSignature"], m, flip_bit(good, 511), "invalid")
    G.add("first bit of r flipped", ["ModifiedSignature"], m, flip_bit(good, 0), "invalid")
    r3, s3 = sign(SM2_OTHER_D, m, did)
    G.add("signed by another private key", ["WrongKey"], m, gm.raw_encode(r3, s3), "invalid")

    # -- DER group, default ID, hospital key
    G = Sm2Group(f, ossl, SM2_HOSPITAL_D, DEFAULT_ID, "der")
    for c, fl, mm in msgs[:4]:
        r_, s_ = sign(SM2_HOSPITAL_D, mm, did)
        G.add(c, fl, mm, gm.der_encode(r_, s_), "valid")
    m = b"abc"
    r, s = sign(SM2_HOSPITAL_D, m, did)
    good = gm.der_encode(r, s)
    G.add('signature of "abc", message "abd"', ["ModifiedMessage"], b"abd", good, "invalid")
    G.add("r with an extra leading zero byte", ["BerEncoding"], m, der_with_leading_zero(r, s), "invalid")
    G.add("SEQUENCE length in long form (0x81 ..)", ["BerEncoding"], m, der_long_form(r, s), "invalid")
    G.add("a zero byte after the SEQUENCE", ["TrailingData"], m, good + b"\x00", "invalid")
    G.add("last byte dropped", ["Truncated"], m, good[:-1], "invalid")
    G.add("empty signature", ["Truncated"], m, b"", "invalid")
    G.add("correct signature as raw r||s", ["RawWhereDerExpected"], m, gm.raw_encode(r, s), "invalid")
    G.add("r = 0", ["ZeroR"], m, gm.der_encode(0, s), "invalid")
    G.add("s = 0", ["ZeroS"], m, gm.der_encode(r, 0), "invalid")
    G.add("r + n (a verifier reducing r mod n without a range check accepts it)", ["RangeCheck"], m,
          gm.der_encode(r + n, s), "invalid")
    G.add("s + n", ["RangeCheck"], m, gm.der_encode(r, s + n), "invalid")
    # a message whose r has its top bit set, for the negative-INTEGER case
    i = 0
    while True:
        mneg = b"negative r %d" % i
        rn, sn = sign(SM2_HOSPITAL_D, mneg, did)
        if rn >> 255:
            break
        i += 1
    G.add("valid signature whose r needs the leading 0x00", ["Basic"], mneg, gm.der_encode(rn, sn), "valid")
    G.add("same r encoded without the leading 0x00 (negative INTEGER)", ["NegativeInteger"], mneg,
          der_negative_r(rn, sn), "invalid")
    r2, s2 = sign(SM2_HOSPITAL_D, m, b"")
    G.add("signed with an EMPTY ID (OpenSSL 3.0 default)", ["EmptySignerId"], m, gm.der_encode(r2, s2), "invalid")
    r2, s2 = sign(SM2_HOSPITAL_D, m, APP_SECRET.encode())
    G.add("signed with ID = appSecret", ["WrongSignerId"], m, gm.der_encode(r2, s2), "invalid")

    # -- raw group, ID = appSecret (profile setting signerID = appSecret)
    G = Sm2Group(f, ossl, SM2_HOSPITAL_D, APP_SECRET, "raw")
    for c, fl, mm in (msgs[1], msgs[5]):
        r_, s_ = sign(SM2_HOSPITAL_D, mm, APP_SECRET.encode())
        G.add(c + ", ID = appSecret", fl, mm, gm.raw_encode(r_, s_), "valid")
    r_, s_ = sign(SM2_HOSPITAL_D, msgs[5][2], did)
    G.add("signed with the default ID 1234567812345678", ["WrongSignerId"], msgs[5][2], gm.raw_encode(r_, s_), "invalid")

    # -- raw group, non-ASCII ID
    nid = "医保密钥:2024/α"
    G = Sm2Group(f, ossl, SM2_HOSPITAL_D, nid, "raw")
    r_, s_ = sign(SM2_HOSPITAL_D, b"abc", nid.encode())
    G.add('"abc", ID with non-ASCII and punctuation', ["NonAsciiSignerId"], b"abc", gm.raw_encode(r_, s_), "valid")
    r_, s_ = sign(SM2_HOSPITAL_D, b"abc", nid.encode("utf-16-be"))
    G.add('"abc", signed with the ID as UTF-16 instead of UTF-8', ["NonAsciiSignerId", "WrongSignerId"], b"abc",
          gm.raw_encode(r_, s_), "invalid")

    # -- Annex A example (recommended curve)
    annex_pub = gm.sm2_public_key(ANNEX_D)
    assert annex_pub == (ANNEX_PUB_X, ANNEX_PUB_Y)
    assert gm.sm2_z(did, annex_pub).hex() == ANNEX_Z
    assert "%064x" % gm.sm2_e(did, annex_pub, ANNEX_MSG) == ANNEX_E
    assert sign(ANNEX_D, ANNEX_MSG, did, k=ANNEX_K) == (ANNEX_R, ANNEX_S)
    annex_point = gm.SM2_CURVE.encode_point(annex_pub)
    alice_ok = ossl.sm2_verify(annex_point, ANNEX_MSG, gm.der_encode(ANNEX_R, ANNEX_S), ALICE_ID.encode())
    assert not alice_ok, "the published r, s now verify with ID ALICE123@YAHOO.COM?"
    G = Sm2Group(f, ossl, ANNEX_D, DEFAULT_ID, "raw")
    G.add("GB/T 32918.5 / GM/T 0003.5 Annex A: published r, s for ID 1234567812345678", ["PublishedExample"],
          ANNEX_MSG, gm.raw_encode(ANNEX_R, ANNEX_S), "valid")
    G.add("Annex A signature, message \"message digesT\"", ["PublishedExample", "ModifiedMessage"],
          b"message digesT", gm.raw_encode(ANNEX_R, ANNEX_S), "invalid")
    G = Sm2Group(f, ossl, ANNEX_D, DEFAULT_ID, "der")
    G.add("GB/T 32918.5 / GM/T 0003.5 Annex A: published r, s, DER-encoded", ["PublishedExample"],
          ANNEX_MSG, gm.der_encode(ANNEX_R, ANNEX_S), "valid")
    G = Sm2Group(f, ossl, ANNEX_D, ALICE_ID, "raw")
    G.add("Annex A published r, s checked with ID ALICE123@YAHOO.COM: they belong to ID 1234567812345678",
          ["PublishedExample", "WrongSignerId"], ANNEX_MSG, gm.raw_encode(ANNEX_R, ANNEX_S), "invalid")
    ra, sa = sign(ANNEX_D, ANNEX_MSG, ALICE_ID.encode(), k=ANNEX_K)
    G.add("Annex A d and k, ID ALICE123@YAHOO.COM, recomputed (r = %064x)" % ra, ["FixedNonce"],
          ANNEX_MSG, gm.raw_encode(ra, sa), "valid")
    f.annex = {"alice_r": ra, "alice_s": sa}

    # -- the real platform's answer (public issue luckykellan/dart_sm#10): a known answer from production
    real_point = b"\x04" + bytes.fromhex(REAL_PLATFORM_PUBLIC_XY)
    real_pub = gm.SM2_CURVE.decode_point(real_point)
    real_sig = base64.b64decode(REAL_PLATFORM_SIGNDATA)
    real_msg = REAL_PLATFORM_SIGNED.encode("utf-8")
    without_key = real_msg[:real_msg.rindex(b"&key=")]
    G = Sm2Group(f, ossl, None, DEFAULT_ID, "raw", point=real_pub)
    G.add("real platform answer: signData over the answer's string, default ID", ["RealPlatformAnswer"], real_msg, real_sig, "valid")
    G.add("real platform answer, the string without &key=<appSecret>", ["RealPlatformAnswer", "ModifiedMessage"], without_key, real_sig, "invalid")
    G = Sm2Group(f, ossl, None, REAL_PLATFORM_APP_SECRET, "raw", point=real_pub)
    G.add("real platform answer checked with the appSecret as signer ID", ["RealPlatformAnswer", "WrongSignerId"], real_msg, real_sig, "invalid")
    G = Sm2Group(f, ossl, None, "", "raw", point=real_pub)
    G.add("real platform answer checked with an EMPTY signer ID", ["RealPlatformAnswer", "EmptySignerId"], real_msg, real_sig, "invalid")
    return f


# --------------------------------------------------------------------------
# 4. ECDSA P-256
# --------------------------------------------------------------------------


class EcdsaGroup:
    def __init__(self, f, ossl, d, enc):
        self.f, self.ossl, self.enc = f, ossl, enc
        self.pub = gm.P256_CURVE.mul(d)
        self.point = gm.P256_CURVE.encode_point(self.pub)
        from cryptography.hazmat.primitives.asymmetric import ec
        ck = ec.derive_private_key(d, ec.SECP256R1())
        assert ck.public_key().public_numbers().x == self.pub[0]
        self.g = f.group("EcdsaVerify", curve="secp256r1", sha="SHA-256", publicKey=self.point.hex(), sigEncoding=enc)

    def enc_sig(self, r, s):
        return gm.raw_encode(r, s) if self.enc == "raw" else gm.der_encode(r, s)

    def add(self, comment, flags, msg, sig, result):
        if self.enc == "raw":
            der = sig if "DerWhereRawExpected" in flags else raw_to_der_for_openssl(sig)
        else:
            der = raw_to_der_for_openssl(sig) if "RawWhereDerExpected" in flags else sig
        expect = result == "valid" or bool(ENCODING_ONLY & set(flags))
        assert self.ossl.ecdsa_verify(self.point, msg, der) == expect, "openssl: " + comment
        assert cryptography_ecdsa_verify(self.point, msg, der) == expect, "cryptography: " + comment
        t = self.f.add(self.g, comment, flags, result, msg=msg.hex(), sig=sig.hex())
        assert check.agrees(result, check.verdict_ecdsa(self.g, t)), comment


def gen_ecdsa(ossl):
    f = VectorFile("ecdsa_p256_verify_test.json", "ECDSA", "ecdsa_verify_schema.json", [
        "ECDSA over secp256r1 (P-256) with SHA-256: signature verification.",
        "sigEncoding der: strict DER SEQUENCE { INTEGER r, INTEGER s }; raw: exactly 64 bytes r||s.",
        "Every test was checked with the `cryptography` package and `openssl dgst -sha256 -verify` on the DER form.",
    ])
    n = gm.P256_CURVE.n
    msgs = [("empty message", ["EmptyMessage"], b""), ('"abc"', ["Basic"], b"abc"),
            ("UTF-8 Chinese", ["NonAscii"], "电子处方 签名".encode()),
            ("1000-byte message", ["LongMessage"], bytes((i * 17 + 9) % 256 for i in range(1000)))]
    G = EcdsaGroup(f, ossl, P256_A_D, "der")
    for c, fl, m in msgs:
        r, s = gm.ecdsa_sign(P256_A_D, m)
        G.add(c, fl, m, gm.der_encode(r, s), "valid")
    m = b"prescription RX20231115001"
    r, s = gm.ecdsa_sign(P256_A_D, m)
    good = gm.der_encode(r, s)
    G.add("a prescription id", ["Basic"], m, good, "valid")
    G.add("(r, n - s)", ["SignatureMalleability"], m, gm.der_encode(r, n - s), "valid")
    G.add("message with one character changed", ["ModifiedMessage"], b"prescription RX20231115002", good, "invalid")
    G.add("r = 0", ["ZeroR"], m, gm.der_encode(0, s), "invalid")
    G.add("s = 0", ["ZeroS"], m, gm.der_encode(r, 0), "invalid")
    G.add("r = n", ["RangeCheck"], m, gm.der_encode(n, s), "invalid")
    G.add("s = n", ["RangeCheck"], m, gm.der_encode(r, n), "invalid")
    G.add("r + n", ["RangeCheck"], m, gm.der_encode(r + n, s), "invalid")
    G.add("last byte dropped", ["Truncated"], m, good[:-1], "invalid")
    G.add("r with an extra leading zero byte", ["BerEncoding"], m, der_with_leading_zero(r, s), "invalid")
    G.add("a zero byte after the SEQUENCE", ["TrailingData"], m, good + b"\x00", "invalid")
    G.add("correct signature as raw r||s", ["RawWhereDerExpected"], m, gm.raw_encode(r, s), "invalid")
    G.add("last bit of s flipped", ["ModifiedSignature"], m, gm.der_encode(r, s ^ 1), "invalid")
    rb, sb = gm.ecdsa_sign(P256_B_D, m)
    G.add("signed by another private key", ["WrongKey"], m, gm.der_encode(rb, sb), "invalid")

    G = EcdsaGroup(f, ossl, P256_A_D, "raw")
    for c, fl, mm in msgs[:3]:
        r_, s_ = gm.ecdsa_sign(P256_A_D, mm)
        G.add(c, fl, mm, gm.raw_encode(r_, s_), "valid")
    good = gm.raw_encode(r, s)
    G.add("a prescription id", ["Basic"], m, good, "valid")
    G.add("message with one character changed", ["ModifiedMessage"], b"prescription RX20231115002", good, "invalid")
    G.add("r = 0", ["ZeroR"], m, gm.raw_encode(0, s), "invalid")
    G.add("s = 0", ["ZeroS"], m, gm.raw_encode(r, 0), "invalid")
    G.add("r = n", ["RangeCheck"], m, gm.raw_encode(n, s), "invalid")
    G.add("63 bytes: last byte of s dropped", ["Truncated"], m, good[:63], "invalid")
    G.add("65 bytes", ["WrongLength"], m, good + b"\x00", "invalid")
    G.add("correct signature in DER", ["DerWhereRawExpected"], m, gm.der_encode(r, s), "invalid")

    G = EcdsaGroup(f, ossl, P256_B_D, "der")
    G.add("signed by this group's key", ["Basic"], m, gm.der_encode(rb, sb), "valid")
    G.add("signed by the key of the first group", ["WrongKey"], m, gm.der_encode(r, s), "invalid")
    return f


# --------------------------------------------------------------------------
# 5. HSE string to sign
# --------------------------------------------------------------------------


def buggy_sign_string(envelope: dict, secret: str, bugs=frozenset()) -> str:
    """The string a buggy SDK builds; with bugs empty it equals hse.sign_string."""
    excluded = set() if "SignDataIncluded" in bugs else {"signData", "encData"}
    if "ExtraIncluded" not in bugs:
        excluded.add("extra")

    def esc(s):
        out = hse.escape_string(s)
        if "AsciiEscaped" in bugs:
            units = lambda c: c.encode("utf-16-be")
            out = "".join(c if ord(c) < 0x80 else "".join("\\u%02x%02x" % (u[i], u[i + 1]) for i in range(0, len(u), 2))
                          for c in out for u in [units(c)])
        if "SlashEscaped" in bugs:
            out = out.replace("/", "\\/")
        if "UpperCaseUnicodeEscape" in bugs:
            out = re.sub(r"\\u00([0-9a-f]{2})", lambda mm: "\\u00" + mm.group(1).upper(), out)
        return out

    def sort_key(k):
        return k.encode("utf-16-be") if "Utf16KeyOrder" in bugs else k

    def prune(v, depth):
        if "ExcludedRecursively" in bugs and isinstance(v, dict) and depth > 0:
            v = {k: x for k, x in v.items() if k not in ("signData", "encData", "extra")}
        if "EmptyValuesKept" in bugs:
            if isinstance(v, dict):
                return {k: prune(x, depth + 1) for k, x in v.items()}
            if isinstance(v, list):
                return [prune(x, depth + 1) for x in v]
            return v
        if v is None or (isinstance(v, str) and not isinstance(v, Num) and v == ""):
            return hse._REMOVED
        if isinstance(v, list):
            kept = [x for x in (prune(e, depth + 1) for e in v) if x is not hse._REMOVED]
            if not kept and not ("NotBottomUp" in bugs and v):
                return hse._REMOVED
            return kept
        if isinstance(v, dict):
            out = {k: x for k, x in ((k, prune(e, depth + 1)) for k, e in v.items()) if x is not hse._REMOVED}
            if not out and "EmptyObjectDropped" in bugs:
                return hse._REMOVED
            return out
        return v

    def num(v):
        if "NumberReformatted" in bugs:
            x = float(v)
            return str(int(x)) if x == int(x) and "e" not in v.lower() and "." not in v else repr(x)
        return str(v)

    sep = (", ", ": ") if "JsonWithSpaces" in bugs else (",", ":")

    def nested(v):
        if isinstance(v, dict):
            items = list(v.items()) if "NestedKeysUnsorted" in bugs else sorted(v.items(), key=lambda kv: sort_key(kv[0]))
            return "{" + sep[0].join(esc(k) + sep[1] + nested(x) for k, x in items) + "}"
        if isinstance(v, list):
            return "[" + sep[0].join(nested(x) for x in v) + "]"
        if v is None:
            return "null"
        if v is True or v is False:
            w = "true" if v else "false"
            return w if "BooleansNotStringified" in bugs else '"%s"' % w
        if isinstance(v, Num):
            return num(v) if "NumbersNotStringified" in bugs else esc(num(v))
        return esc(v)

    members = {k: v for k, v in envelope.items() if k not in excluded}
    pruned = prune(members, 0)
    items = list(pruned.items()) if "UnsortedKeys" in bugs else sorted(pruned.items(), key=lambda kv: sort_key(kv[0]))
    pairs = []
    for k, v in items:
        if v is None:
            val = "null"
        elif v is True or v is False:
            val = "true" if v else "false"
        elif isinstance(v, (dict, list)):
            val = nested(v)
        elif isinstance(v, Num):
            val = num(v)
        else:
            val = '"%s"' % v if "TopLevelStringQuoted" in bugs else v
        pairs.append(k + "=" + val)
    if "CaseInsensitiveSort" in bugs:
        pairs.sort(key=java_case_insensitive_key)
    if "KeyMissing" not in bugs:
        pairs.append("key=" + secret)
    return "&".join(pairs)


def java_case_insensitive_key(pair: str):
    """Sort key of Java's String.CASE_INSENSITIVE_ORDER over the official util's "k=v&" texts:
    UTF-16 code units compared one by one after Character.toUpperCase then Character.toLowerCase
    (simple, one-to-one mappings), a shorter prefix first."""
    def fold(u):
        if 0xD800 <= u <= 0xDFFF:
            return u
        c = chr(u)
        up = c.upper()
        c = up if len(up) == 1 else c
        low = c.lower()
        c = low if len(low) == 1 else c
        return ord(c)
    b = (pair + "&").encode("utf-16-be")
    return tuple(fold(int.from_bytes(b[i:i + 2], "big")) for i in range(0, len(b), 2))


DATA_6201 = ('{"orgCodg":"H61010300001","medOrgOrd":"MZ20231115000123","psnNo":"61000006000000000012345678",'
             '"insutype":"310","mdtrtId":"610000G0000000012345","medType":"11","medfeeSumamt":12.00,'
             '"acctUsedFlag":"1","chrgBchno":"CB2023111500001","payAuthNo":"AUTH61010020231115093000123456",'
             '"rxCircFlag":"0","diseinfoList":[{"diseType":"1","diseCodg":"J06.900","diseName":"急性上呼吸道感染",'
             '"diseSrtNo":1}],"feedetailList":[{"feedetlSn":"FD0001","mdtrtId":"610000G0000000012345",'
             '"medListCodg":"XJ01CRA010A001010101445","medinsListCodg":"YP0001","pric":6.00,"cnt":2,'
             '"detItemFeeSumamt":12.00,"rxno":"RX20231115001","rxCircFlag":"0","feeOcurTime":"2023-11-15 09:30:00",'
             '"bilgDrCodg":"D610103000012","bilgDeptCodg":"A03","hospApprFlag":"","memo":null,"tcmdrugUsedWay":[]},'
             '{"feedetlSn":"FD0002","mdtrtId":"610000G0000000012345","medListCodg":"001102000010000-110200001",'
             '"medinsListCodg":"ZL0001","pric":0.00,"cnt":1,"detItemFeeSumamt":0.00,"rxno":"RX20231115001",'
             '"rxCircFlag":"0","feeOcurTime":"2023-11-15 09:31:00","bilgDrCodg":"D610103000012",'
             '"bilgDeptCodg":"A03"}]}')

DATA_6301 = '{"payOrdId":"ORD6101002023111500012345","orgCodg":"H61010300001","payToken":"PT20231115093000123456","idNo":"","idType":"01"}'

DATA_6203 = ('{"payOrdId":"ORD6101002023111500012345","appRefdSn":"RF2023111500001","appRefdTime":"20231115103000",'
             '"totlRefdAmt":12.00,"psnAcctRefdAmt":0.00,"fundRefdAmt":8.40,"cashRefdAmt":3.60,"refdType":"ALL",'
             '"payAuthNo":"AUTH61010020231115093000123456","expContent":""}')

DATA_CALLBACK = ('{"ordStas":"6","callType":"SETL","payOrdId":"ORD6101002023111500012345","medOrgOrd":"MZ20231115000123",'
                 '"traceTime":"2023-11-15 09:35:12","feeSumamt":12.00,"ownpayAmt":3.60,"psnAcctPay":0.00,"fundPay":8.40,'
                 '"setlType":"1","revsToken":"","extData":{"setlinfo":{"setlId":"610000S0000000067890",'
                 '"medfeeSumamt":12.00,"fulamtOwnpayAmt":0.00,"hifpPay":8.40,"psnCashPay":3.60,"acctPay":0.00,'
                 '"balc":1234.56},"setldetail":[{"fundPayType":"310100","fundPayamt":8.40,"setlProcInfo":null},'
                 '{"fundPayType":"310200","fundPayamt":0,"setlProcInfo":""}]}}')

DATA_RX = ('{"hospRxno":"RX20231115001","rxTypeCode":"1","prscTime":"2023-11-15 09:20:00","valiDays":3,'
           '"bizTypeCode":"01","mdtrtinfo":{"psnName":"张三","certno":"610103199001011234","prscDeptName":"呼吸内科",'
           '"prscDrName":"李医生","maindiagName":"急性上呼吸道感染（J06.900）"},"rxdrugdetail":[{"medListCodg":'
           '"XJ01CRA010A001010101445","drugGenname":"阿莫西林胶囊","drugSpec":"0.25g×24粒/盒","drugCnt":2,'
           '"drugPric":6.00,"drugSumamt":12.00,"usedFrqu":"tid","sinDoscnt":0.5,"medcWayDscr":"口服"}]}')

DATA_6201_RESPONSE = '{"payOrdId":"ORD6101002023111500012345","payToken":"PT20231115093000123456","extData":{}}'


def gen_sign_string():
    f = VectorFile("hse_sign_string_test.json", "HSE-SIGN-STRING", "hse_sign_string_schema.json", [
        "HSE envelope: the string to sign, docs/ENVELOPE.md section 2 (profile nhsa-2.0).",
        "envelope is the JSON text of the envelope with the PLAINTEXT business object as data (a string, so "
        "number literals such as 12.00 survive); appSecret is the group's.",
        "valid: a correct implementation produces exactly signString. invalid: signString is what a buggy SDK "
        "produces; a correct implementation must NOT produce it.",
    ])
    ts = "1700000000000"

    def env_text(members_text: str) -> str:
        return "{" + members_text + "}"

    def base(data_text, extra=""):
        return env_text('"appId":"%s","encType":"SM4","signType":"SM2","timestamp":"%s","version":"2.0.1"%s,"data":%s'
                        % (APP_ID, ts, extra, data_text))

    prefix = "appId=%s&" % APP_ID
    suffix = "&encType=SM4&signType=SM2&timestamp=%s&version=2.0.1&key=%s" % (ts, APP_SECRET)

    def add_valid(g, comment, flags, envelope, expect=None):
        env = hse.parse_json(envelope)
        s = hse.sign_string(env, g["appSecret"])
        assert buggy_sign_string(env, g["appSecret"]) == s, comment
        if expect is not None:
            assert s == expect, "%s:\n got %s\nwant %s" % (comment, s, expect)
        t = f.add(g, comment, flags, "valid", envelope=envelope, signString=s)
        assert check.verdict_sign_string(g, t) == "valid"
        return s

    def add_invalid(g, comment, flags, envelope, bugs=None, wrong=None):
        env = hse.parse_json(envelope)
        wrong = buggy_sign_string(env, g["appSecret"], frozenset(bugs or flags)) if wrong is None else wrong
        assert wrong != hse.sign_string(env, g["appSecret"]), comment
        t = f.add(g, comment, flags, "invalid", envelope=envelope, signString=wrong)
        assert check.verdict_sign_string(g, t) == "invalid"

    # ---- group: the doc example
    g = f.group("HseSignString", appSecret="S")
    doc_env = '{"appId":"A","timestamp":"1700000000000","data":{"b":[{"y":1,"x":""}],"a":12.00,"c":true,"d":null}}'
    add_valid(g, "docs/ENVELOPE.md section 2 example", ["DocExample"], doc_env,
              'appId=A&data={"a":"12.00","b":[{"y":"1"}],"c":"true"}&timestamp=1700000000000&key=S')
    add_invalid(g, "doc example, numbers and booleans not stringified", ["NumbersNotStringified", "BooleansNotStringified"], doc_env,
                wrong='appId=A&data={"a":12.00,"b":[{"y":1}],"c":true}&timestamp=1700000000000&key=S')
    add_invalid(g, "doc example, empty values kept", ["EmptyValuesKept"], doc_env,
                wrong='appId=A&data={"a":"12.00","b":[{"x":"","y":"1"}],"c":"true","d":null}&timestamp=1700000000000&key=S')

    # ---- group: realistic appSecret
    g = f.group("HseSignString", appSecret=APP_SECRET)
    add_valid(g, "plain request (6301 query_order_info)", ["Basic", "EmptyValues"], base(DATA_6301),
              prefix + 'data={"idType":"01","orgCodg":"H61010300001","payOrdId":"ORD6101002023111500012345",'
              '"payToken":"PT20231115093000123456"}' + suffix)
    nest = '{"z":{"y":{"x":{"w":"deep","v":"1"},"b":"2"},"a":"3"},"m":"4","b":{"d":"5","c":"6"}}'
    add_valid(g, "nested objects, keys sorted at every depth", ["Nesting"], base(nest),
              prefix + 'data={"b":{"c":"6","d":"5"},"m":"4","z":{"a":"3","y":{"b":"2","x":{"v":"1","w":"deep"}}}}' + suffix)
    aoo = '{"feedetailList":[{"feedetlSn":"2","pric":6.00,"cnt":2},{"feedetlSn":"1","pric":0.50,"cnt":10}],"chrgBchno":"CB1"}'
    add_valid(g, "array of objects: order kept, keys sorted, numbers as strings", ["ArrayOfObjects", "NumberLiteral"],
              base(aoo), prefix + 'data={"chrgBchno":"CB1","feedetailList":[{"cnt":"2","feedetlSn":"2","pric":"6.00"},'
              '{"cnt":"10","feedetlSn":"1","pric":"0.50"}]}' + suffix)
    scal = '{"codes":[3,"a",true,[2,[1.50]],{"k":null},false,-0]}'
    add_valid(g, "array of scalars and nested arrays", ["ArrayOfScalars", "NumberLiteral", "Boolean"], base(scal),
              prefix + 'data={"codes":["3","a","true",["2",["1.50"]],{},"false","-0"]}' + suffix)
    add_valid(g, "a top-level member that is an array", ["TopLevelArray"],
              env_text('"appId":"%s","ids":["b",2,"a"],"timestamp":"%s","data":{"k":"v"}' % (APP_ID, ts)),
              prefix + 'data={"k":"v"}&ids=["b","2","a"]&timestamp=%s&key=%s' % (ts, APP_SECRET))
    nums = '{"a":12.00,"b":1e3,"c":1E+2,"d":-0,"e":0.10,"f":100,"g":-1.5e-3,"h":"12.00","i":12345678901234567890}'
    add_valid(g, "number literals keep their text, nested and at top level", ["NumberLiteral"],
              env_text('"appId":"%s","amount":12.50,"rate":1e-2,"timestamp":"%s","data":%s' % (APP_ID, ts, nums)),
              'amount=12.50&appId=%s&data={"a":"12.00","b":"1e3","c":"1E+2","d":"-0","e":"0.10","f":"100",'
              '"g":"-1.5e-3","h":"12.00","i":"12345678901234567890"}&rate=1e-2&timestamp=%s&key=%s' % (APP_ID, ts, APP_SECRET))
    add_valid(g, "timestamp as a JSON number", ["NumericTimestamp"],
              env_text('"appId":"%s","encType":"SM4","signType":"SM2","timestamp":%s,"version":"2.0.1","data":{"k":"v"}'
                       % (APP_ID, ts)),
              prefix + 'data={"k":"v"}' + suffix)
    add_valid(g, "booleans at top level and nested", ["Boolean"],
              env_text('"appId":"%s","success":true,"retry":false,"timestamp":"%s","data":{"acctUsedFlag":true,'
                       '"list":[false,true]}' % (APP_ID, ts)),
              prefix + 'data={"acctUsedFlag":"true","list":["false","true"]}&retry=false&success=true&timestamp=%s&key=%s'
              % (ts, APP_SECRET))
    empt = ('{"a":"","b":null,"c":[],"d":[null,"",[]],"e":[[],[[]]],"f":["x",null,""],"g":"0","h":0,"i":false,'
            '"j":" ","k":{"l":null,"m":""}}')
    add_valid(g, "null, \"\" and [] removed recursively and bottom-up; 0, \"0\", false, \" \" kept",
              ["EmptyValues", "FalsyValuesKept", "EmptyObjectKept"],
              env_text('"appId":"%s","transType":"","memo":null,"list":[],"timestamp":"%s","data":%s' % (APP_ID, ts, empt)),
              prefix + 'data={"f":["x"],"g":"0","h":"0","i":"false","j":" ","k":{}}&timestamp=%s&key=%s' % (ts, APP_SECRET))
    add_valid(g, "empty objects kept, also ones emptied by the removal, at top level too", ["EmptyObjectKept"],
              env_text('"appId":"%s","ext":{},"timestamp":"%s","data":{"a":{},"b":{"c":null},"d":[{}],"e":[{"x":""}]}'
                       % (APP_ID, ts)),
              prefix + 'data={"a":{},"b":{},"d":[{}],"e":[{}]}&ext={}&timestamp=%s&key=%s' % (ts, APP_SECRET))
    add_valid(g, "data is an empty object", ["EmptyObjectKept"], base("{}"), prefix + "data={}" + suffix)
    add_valid(g, "data is null: no data pair", ["NullData", "EmptyValues"], base("null"), prefix[:-1] + suffix)
    add_valid(g, "non-ASCII keys and values written as raw UTF-8; \\u escapes in the input decoded", ["NonAscii"],
              base('{"诊断":"急性上呼吸道感染","name":"\\u5f20\\u4e09","drug":"阿莫西林 0.25g×24粒","emoji":"😀",'
                   '"é":"café"}'),
              prefix + 'data={"drug":"阿莫西林 0.25g×24粒","emoji":"😀","name":"张三","é":"café","诊断":"急性上呼吸道感染"}'
              + suffix)
    add_valid(g, "characters that need escaping inside data; raw at top level", ["EscapedCharacters"],
              env_text('"appId":"%s","memo":"a\\"b\\\\c/d\\ne\\tf&g=h","timestamp":"%s","data":{"s":"q\\"u\\\\o/t'
                       '\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f end"}' % (APP_ID, ts)),
              prefix + 'data={"s":"q\\"u\\\\o/t\\b\\f\\n\\r\\t\\u0001\\u001f\x7f end"}&memo=a"b\\c/d\ne\tf&g=h'
              '&timestamp=%s&key=%s' % (ts, APP_SECRET))
    add_valid(g, "top-level signData and encData left out; nested signData kept", ["SignDataIgnored"],
              env_text('"appId":"%s","encData":"0A1B2C","signData":"c2ln","timestamp":"%s","data":{"signData":"inner",'
                       '"encData":"x"}' % (APP_ID, ts)),
              prefix + 'data={"encData":"x","signData":"inner"}&timestamp=%s&key=%s' % (ts, APP_SECRET))
    add_valid(g, "top-level extra left out; nested extra kept", ["ExtraIgnored"],
              env_text('"appId":"%s","extra":{"traceId":"T1"},"timestamp":"%s","data":{"extra":{"k":1}}' % (APP_ID, ts)),
              prefix + 'data={"extra":{"k":"1"}}&timestamp=%s&key=%s' % (ts, APP_SECRET))
    add_valid(g, "key order: code points (upper case first, '_' after letters, prefixes first)", ["KeyOrder"],
              env_text('"appId":"%s","Zeta":"1","_x":"2","a1":"3","a":"4","A":"5","timestamp":"%s","data":{"b":"1",'
                       '"a_b":"2","aB":"3","aa":"4","a1":"5","a":"6","B":"7","中":"8","é":"9"}' % (APP_ID, ts)),
              'A=5&Zeta=1&_x=2&a=4&a1=3&appId=%s&data={"B":"7","a":"6","a1":"5","aB":"3","a_b":"2","aa":"4","b":"1",'
              '"é":"9","中":"8"}&timestamp=%s&key=%s' % (APP_ID, ts, APP_SECRET))
    nonbmp = '{"\\uff21":"fullwidth A","\\ud83d\\ude00":"emoji","\\ue000":"private use","z":"ascii"}'
    add_valid(g, "keys beyond U+FFFF sort after U+FFxx by code point", ["KeyOrderNonBmp"], base(nonbmp),
              prefix + 'data={"z":"ascii","\ue000":"private use","Ａ":"fullwidth A","😀":"emoji"}' + suffix)
    add_valid(g, "optional transType signed", ["TransType"],
              base('{"k":"v"}', ',"transType":"ec.query"'),
              prefix + 'data={"k":"v"}&encType=SM4&signType=SM2&timestamp=%s&transType=ec.query&version=2.0.1&key=%s'
              % (ts, APP_SECRET))
    pretty = ('{\n  "version" : "2.0.1",\n  "data" : {\n    "payOrdId" : "ORD1",\n    "amt" : 12.00\n  },\n'
              '  "timestamp" : "%s",\n  "signType" : "SM2",\n  "encType" : "SM4",\n  "appId" : "%s"\n}\n' % (ts, APP_ID))
    add_valid(g, "pretty-printed input in another member order", ["InputWhitespace"], pretty,
              prefix + 'data={"amt":"12.00","payOrdId":"ORD1"}' + suffix)
    resp = ('{"code":0,"message":"成功","success":true,"type":"6201","appId":"%s","timestamp":"%s","encType":"SM4",'
            '"signType":"SM2","version":"2.0.1","signData":"c2ln","encData":"0A","data":%s}' % (APP_ID, ts, DATA_6201_RESPONSE))
    add_valid(g, "response envelope: code, message, success, type signed", ["ResponseEnvelope", "EmptyObjectKept"], resp,
              prefix + 'code=0&data={"extData":{},"payOrdId":"ORD6101002023111500012345","payToken":"PT20231115093000123456"}'
              '&encType=SM4&message=成功&signType=SM2&success=true&timestamp=%s&type=6201&version=2.0.1&key=%s'
              % (ts, APP_SECRET))
    add_valid(g, "6201 uldFeeInfo with feedetailList and diseinfoList", ["RealisticPayload", "ArrayOfObjects",
              "NumberLiteral", "EmptyValues", "NonAscii"], base(DATA_6201))
    add_valid(g, "settlement callback with extData.setlinfo / setldetail", ["RealisticPayload", "Nesting",
              "NumberLiteral", "EmptyValues"], base(DATA_CALLBACK))
    add_valid(g, "e-prescription upload", ["RealisticPayload", "NonAscii", "Nesting"], base(DATA_RX))
    add_valid(g, "6203 refund_Order", ["RealisticPayload", "NumberLiteral", "EmptyValues"], base(DATA_6203))

    # invalid: what buggy SDKs produce
    add_invalid(g, "6201: top-level members in insertion order", ["UnsortedKeys"], base(DATA_6201))
    add_invalid(g, "nested keys in document order", ["NestedKeysUnsorted"], base(nest))
    add_invalid(g, "6201: numbers inside data left as JSON numbers", ["NumbersNotStringified"], base(DATA_6201))
    add_invalid(g, "booleans inside data left as JSON booleans", ["BooleansNotStringified"],
                env_text('"appId":"%s","timestamp":"%s","data":{"acctUsedFlag":true}' % (APP_ID, ts)))
    add_invalid(g, "6203: amounts re-formatted through a float (12.00 -> 12.0)", ["NumberReformatted"], base(DATA_6203))
    add_invalid(g, "top-level amount re-formatted (12.50 -> 12.5)", ["NumberReformatted"],
                env_text('"appId":"%s","amount":12.50,"timestamp":"%s","data":{"k":"v"}' % (APP_ID, ts)))
    add_invalid(g, "6201: null / \"\" / [] kept", ["EmptyValuesKept"], base(DATA_6201))
    add_invalid(g, "empty object removed", ["EmptyObjectDropped"], base(DATA_6201_RESPONSE))
    add_invalid(g, "array emptied by the removal kept as []", ["NotBottomUp"], base(empt))
    add_invalid(g, "nested JSON with spaces after , and :", ["JsonWithSpaces"], base(aoo))
    add_invalid(g, "signData and encData not left out", ["SignDataIncluded"],
                env_text('"appId":"%s","encData":"0A1B2C","signData":"c2ln","timestamp":"%s","data":{"k":"v"}' % (APP_ID, ts)))
    add_invalid(g, "extra not left out", ["ExtraIncluded"],
                env_text('"appId":"%s","extra":{"traceId":"T1"},"timestamp":"%s","data":{"k":"v"}' % (APP_ID, ts)))
    add_invalid(g, "nested signData / extra removed too", ["ExcludedRecursively"],
                env_text('"appId":"%s","timestamp":"%s","data":{"signData":"inner","extra":{"k":1},"v":"1"}' % (APP_ID, ts)))
    add_invalid(g, "top-level strings quoted", ["TopLevelStringQuoted"], base(DATA_6301))
    add_invalid(g, "non-ASCII escaped as \\uXXXX", ["AsciiEscaped"], base('{"diseName":"急性上呼吸道感染"}'))
    add_invalid(g, "'/' escaped as \\/", ["SlashEscaped"], base('{"feeOcurTime":"2023/11/15"}'))
    add_invalid(g, "control character escaped with upper-case hex", ["UpperCaseUnicodeEscape"], base('{"memo":"a\\u001fb"}'))
    add_invalid(g, "&key=<appSecret> missing", ["KeyMissing"], base(DATA_6301))
    add_invalid(g, "keys sorted by UTF-16 code units", ["Utf16KeyOrder"], base(nonbmp))
    add_invalid(g, "response signed without code/message/success/type", ["ResponseFieldsNotSigned"], resp,
                wrong=buggy_sign_string({k: v for k, v in hse.parse_json(resp).items()
                                         if k not in ("code", "message", "success", "type")}, APP_SECRET))

    # ---- group: non-ASCII appSecret with & and =
    secret = "密钥&key=Ω9"
    g = f.group("HseSignString", appSecret=secret)
    add_valid(g, "appSecret with non-ASCII, '&' and '=' appended as is", ["NonAsciiSecret"],
              env_text('"appId":"%s","timestamp":"%s","data":{"k":"v"}' % (APP_ID, ts)),
              'appId=%s&data={"k":"v"}&timestamp=%s&key=%s' % (APP_ID, ts, secret))
    return f


# --------------------------------------------------------------------------
# 6. HSE encryption
# --------------------------------------------------------------------------


def gen_encryption(ossl):
    f = VectorFile("hse_encryption_test.json", "HSE-SM4", "hse_encryption_schema.json", [
        "HSE envelope key derivation and encData, docs/ENVELOPE.md section 4.",
        "K1 = first 16 characters of appId; derivedKey = first 16 characters of the UPPER-case hex of "
        "SM4-ECB-PKCS#7(K1, UTF-8 appSecret); encData = UPPER-case hex of SM4-ECB-PKCS#7(derivedKey as 16 ASCII bytes, "
        "UTF-8 data).",
        "valid: a correct implementation derives exactly derivedKey and produces exactly encData (and decrypts it back "
        "to data). invalid: the values come from a buggy derivation / padding, or the appId must be refused.",
        "Every derivedKey and encData was recomputed with `openssl enc -sm4-ecb -K`.",
    ])
    g = f.group("HseEncryption")

    def ossl_derive(k1: bytes, secret: bytes, lower=False) -> str:
        h = ossl.sm4("ECB", k1, b"", secret, "pkcs7").hex()
        return (h if lower else h.upper())[:16]

    def ossl_enc(key: bytes, data: bytes, padding="pkcs7") -> str:
        return ossl.sm4("ECB", key, b"", data, padding).hex().upper()

    def valid(comment, flags, app_id, secret, data):
        dk = hse.derive_key(app_id, secret)
        assert dk == ossl_derive(app_id[:16].encode(), secret.encode()), comment
        enc = hse.encrypt_data(dk, data.encode(), "upper")
        assert enc == ossl_enc(dk.encode(), data.encode()), comment
        t = f.add(g, comment, flags, "valid", appId=app_id, appSecret=secret, derivedKey=dk, data=data, encData=enc)
        assert check.verdict_encryption(g, t) == "valid"

    def invalid(comment, flags, app_id, secret, data, dk, enc):
        t = f.add(g, comment, flags, "invalid", appId=app_id, appSecret=secret, derivedKey=dk, data=data, encData=enc)
        assert check.verdict_encryption(g, t) == "invalid", comment

    valid("6301 query (short JSON)", ["Basic"], APP_ID, APP_SECRET, DATA_6301)
    valid("6201 uldFeeInfo (long, non-ASCII)", ["LongMessage", "NonAscii", "RealisticPayload"], APP_ID, APP_SECRET,
          hse.write_typed(hse.parse_json(DATA_6201)))
    valid("e-prescription, Chinese text", ["NonAscii", "RealisticPayload"], APP_ID, APP_SECRET,
          hse.write_typed(hse.parse_json(DATA_RX)))
    valid("empty object {}", ["Basic"], APP_ID, APP_SECRET, "{}")
    for n in (15, 16, 17):
        data = '{"k":"' + "x" * (n - 8) + '"}'
        assert len(data) == n
        valid("%d-byte data" % n, ["BlockBoundary"], APP_ID, APP_SECRET, data)
    valid("appId of exactly 16 characters", ["AppIdExactly16"], "1G6OGKFTN0K04060", APP_SECRET, DATA_6301)
    valid("another appId / appSecret pair", ["Basic"], "9XK2P7M4Q1W8E5R3T6Y0", OTHER_APP_SECRET, DATA_6203)
    valid("short appSecret (8 characters)", ["Basic"], APP_ID, "s3cr3t!!", '{"a":"1"}')
    valid("long appSecret (64 characters, 5 SM4 blocks)", ["Basic"], APP_ID, APP_SECRET * 2, '{"a":"1"}')
    valid("non-ASCII appSecret (UTF-8 bytes encrypted)", ["NonAsciiSecret"], APP_ID, "密钥&key=Ω9", '{"a":"1"}')

    # invalid
    for app_id, secret in ((APP_ID, APP_SECRET), ("9XK2P7M4Q1W8E5R3T6Y0", OTHER_APP_SECRET)):
        good = hse.derive_key(app_id, secret)
        low = ossl_derive(app_id[:16].encode(), secret.encode(), lower=True)
        assert low != good and low.upper() == good
        invalid("derived key from lower-case hex", ["LowerCaseDerivation"], app_id, secret, DATA_6301, low,
                ossl_enc(low.encode(), DATA_6301.encode()))
    s16 = "A1B2C3D4E5F6G7H8"
    invalid("16-character appSecret used directly as the key", ["UnderivedKey"], APP_ID, s16, DATA_6301, s16,
            ossl_enc(s16.encode(), DATA_6301.encode()))
    invalid("first 16 characters of appSecret used as the key", ["UnderivedKey"], APP_ID, APP_SECRET, DATA_6301,
            APP_SECRET[:16], ossl_enc(APP_SECRET[:16].encode(), DATA_6301.encode()))
    short = "H61010300001"
    dk = ossl_derive(short.encode() + b"\x00" * 4, APP_SECRET.encode())
    invalid("appId of 12 characters (K1 zero-padded by a lenient SDK)", ["ShortAppId"], short, APP_SECRET, DATA_6301,
            dk, ossl_enc(dk.encode(), DATA_6301.encode()))
    good = hse.derive_key(APP_ID, APP_SECRET)
    zp = DATA_6301.encode() + b"\x00" * (-len(DATA_6301.encode()) % 16)
    invalid("data zero-padded instead of PKCS#7", ["ZeroPadding"], APP_ID, APP_SECRET, DATA_6301, good,
            ossl_enc(good.encode(), zp, padding="none"))
    sw = ossl_derive(APP_SECRET[:16].encode(), APP_ID.encode())
    invalid("K1 from appSecret, appId encrypted", ["SwappedDerivation"], APP_ID, APP_SECRET, DATA_6301, sw,
            ossl_enc(sw.encode(), DATA_6301.encode()))
    return f


# --------------------------------------------------------------------------
# 7. HSE envelope
# --------------------------------------------------------------------------


def jv(v) -> str:
    """JSON text of a value in document order (numbers as literals)."""
    return hse.write_json(v, sort_keys=False)


def jv_pretty(v, indent="") -> str:
    """Pretty JSON text in document order (numbers as literals): a non-canonical plaintext."""
    inner = indent + "  "
    if isinstance(v, dict) and v:
        return "{\n" + ",\n".join(inner + hse.escape_string(k) + " : " + jv_pretty(x, inner)
                                   for k, x in v.items()) + "\n" + indent + "}"
    if isinstance(v, list) and v:
        return "[\n" + ",\n".join(inner + jv_pretty(x, inner) for x in v) + "\n" + indent + "]"
    return jv(v)


class EnvelopeGroup:
    def __init__(self, f, ossl, profile: dict, sender_d: int, app_id=APP_ID, app_secret=APP_SECRET, dialect=None):
        self.f, self.ossl = f, ossl
        self.profile = hse.Profile.from_json(profile)
        self.d = sender_d
        self.pub = gm.sm2_public_key(sender_d)
        self.point = gm.SM2_CURVE.encode_point(self.pub)
        self.app_id, self.app_secret = app_id, app_secret
        extra = {} if dialect is None else {"dialect": dialect}
        self.g = f.group("HseEnvelope", profile=profile, appId=app_id, appSecret=app_secret,
                         senderPublicKey=b64(self.point), now=NOW_MS, **extra)

    def add(self, comment, flags, result, data_text, *, timestamp=None, ts_number=False, bugs=frozenset(),
            signer_id=None, sig_encoding=None, hex_case=None, enc_secret=None, sign_secret=None,
            plaintext=None, members=None, drop=(), pretty=False, signer_d=None, env_app_id=None,
            version=None, sig_ok=True, sign_members=None, enc_type="SM4", sign_type="SM2", ts_text=None,
            with_sign_string=False, variant=None):
        p = self.profile
        data_obj = hse.parse_json(data_text)
        ts = TS if timestamp is None else timestamp
        ts_value = ts_text if ts_text is not None else Num(str(ts)) if ts_number else str(ts)
        env = {"appId": env_app_id or self.app_id, "encType": enc_type, "signType": sign_type,
               "timestamp": ts_value, "version": version or p.version}
        env.update(members or {})
        # what the sender signs
        to_sign = dict(env if sign_members is None else sign_members(env))
        to_sign["data"] = data_obj
        secret_for_key = sign_secret or self.app_secret
        signed = buggy_sign_string(to_sign, secret_for_key, frozenset(bugs))
        if variant is not None:  # the generator's buggy string and hse.py's dialect variant agree, and differ from §2
            assert signed == hse.sign_string(to_sign, secret_for_key, variant), comment
            assert signed != hse.sign_string(to_sign, secret_for_key), comment
        sid = signer_id if signer_id is not None else p.signer_id(self.app_secret)
        d = signer_d or self.d
        r, s = gm.sm2_sign(d, signed.encode(), sid)
        enc_name = sig_encoding or p.signatureEncoding
        sig = gm.raw_encode(r, s) if enc_name == "raw" else gm.der_encode(r, s)
        # what the sender encrypts
        pt = plaintext if plaintext is not None else hse.write_typed(data_obj)
        key = hse.derive_key(env["appId"] if len(env["appId"]) >= 16 else self.app_id, enc_secret or self.app_secret)
        case = hex_case or p.encDataHexCase
        enc = hse.encrypt_data(key, pt.encode(), case)
        # cross-checks with OpenSSL: the ciphertext, and the signature over what was signed
        assert self.ossl.sm4("ECB", key.encode(), b"", pt.encode(), "pkcs7").hex() == enc.lower(), comment
        assert self.ossl.sm2_verify(gm.SM2_CURVE.encode_point(gm.sm2_public_key(d)), signed.encode(),
                                    gm.der_encode(r, s), sid), comment
        env["encData"] = enc
        env["signData"] = b64(sig)
        for k in drop:
            env.pop(k)
        text = json.dumps(env, ensure_ascii=False, indent=2) if pretty else jv(env)
        if pretty:
            assert not ts_number
        # the receiver's view: the correct string over what encData really holds, the group's ID and key
        if sig_ok is not None:
            recv = dict(env)
            recv.pop("encData", None)
            recv.pop("signData", None)
            recv["data"] = hse.parse_json(pt)
            correct = hse.sign_string(recv, self.app_secret)
            got = self.ossl.sm2_verify(self.point, correct.encode(), gm.der_encode(r, s), p.signer_id(self.app_secret))
            assert got == sig_ok, "openssl verdict on the receiver's string: %s -> %s" % (comment, got)
        fields = {"signString": signed} if with_sign_string else {}
        t = self.f.add(self.g, comment, flags, result, envelope=text, data=pt, **fields)
        assert check.agrees(result, check.verdict_envelope(self.g, t)), comment
        return t

    def again(self, source, comment, flags, result):
        """The envelope of test `source` (of another group) again, byte for byte, in this group."""
        fields = {k: source[k] for k in ("envelope", "data", "signString") if k in source}
        t = self.f.add(self.g, comment, flags, result, **fields)
        assert check.agrees(result, check.verdict_envelope(self.g, t)), comment
        return t


def profile(signer="default", enc="raw", case="upper", version="2.0.1", window=300):
    return {"name": "nhsa-2.0", "signerID": signer, "signatureEncoding": enc, "encDataHexCase": case,
            "version": version, "timestampWindowSeconds": window}


def gen_envelope(ossl):
    f = VectorFile("hse_envelope_test.json", "HSE-ENVELOPE", "hse_envelope_schema.json", [
        "HSE envelope (docs/ENVELOPE.md, profile nhsa-2.0): open a sealed envelope as the receiver.",
        "For each group: the receiver's profile settings, appId / appSecret, the sender's SM2 public key (base64 of "
        "04||X||Y) and the receiver's clock `now` (epoch milliseconds).",
        "envelope is the JSON text received; data is the plaintext business JSON inside encData (exact text).",
        "valid: the receiver accepts it and the decrypted data equals data. invalid: it must be refused. "
        "acceptable: either.",
        "Every encData was recomputed with `openssl enc -sm4-ecb`, every signature verified with `openssl pkeyutl "
        "-verify -rawin -digest sm3 -pkeyopt distid:...` over the string the sender signed, and checked to verify "
        "(valid) or fail (invalid signature cases) over the receiver's correct string.",
        "A group with `dialect` (a profile file's `hse` section, docs/DIALECTS.md section 9) opens envelopes as that "
        "dialect does: encType/signType in any (ASCII) case, timestamp read by its shape (13 digits ms, 10 digits s, "
        "14 digits yyyyMMddHHmmss in UTC+8), each checked against the window, and besides the canonical string each "
        "listed string to sign alone; without dialect the receiver is strict. `signString`, where given, is the exact "
        "string the sender signed.",
    ])
    W = 300 * 1000

    # ---- default profile, hospital -> platform requests
    G = EnvelopeGroup(f, ossl, profile(), SM2_HOSPITAL_D)
    G.add("plain request (6301 query_order_info)", ["Basic"], "valid", DATA_6301)
    G.add("6201 uldFeeInfo: nested, arrays of objects, 12.00 literals", ["RealisticPayload", "Nesting",
          "ArrayOfObjects", "NumberLiteral"], "valid", DATA_6201)
    G.add("e-prescription upload, Chinese text", ["NonAscii", "RealisticPayload"], "valid", DATA_RX)
    G.add("6203 refund_Order", ["RealisticPayload", "NumberLiteral"], "valid", DATA_6203)
    G.add("timestamp as a JSON number", ["NumericTimestamp"], "valid", DATA_6301, ts_number=True)
    G.add("pretty-printed envelope", ["InputWhitespace"], "valid", DATA_6301, pretty=True)
    G.add("plaintext JSON with whitespace and unsorted keys", ["NonCanonicalPlaintext"], "valid", DATA_6203,
          plaintext=jv_pretty(hse.parse_json(DATA_6203)))
    G.add("optional transType present and signed", ["TransType"], "valid", DATA_6301, members={"transType": "ec.query"})
    G.add("extra present (not signed)", ["ExtraIgnored"], "valid", DATA_6301, members={"extra": {"traceId": "T-0001"}})
    G.add("timestamp = now - window", ["TimestampEdge"], "valid", DATA_6301, timestamp=NOW_MS - W)
    G.add("timestamp = now + window", ["TimestampEdge"], "valid", DATA_6301, timestamp=NOW_MS + W)

    G.add("signed over the unsorted string", ["UnsortedKeys"], "invalid", DATA_6201, bugs={"UnsortedKeys"}, sig_ok=False)
    G.add("signed with numbers inside data not stringified", ["NumbersNotStringified"], "invalid", DATA_6201,
          bugs={"NumbersNotStringified"}, sig_ok=False)
    G.add("signed with null / \"\" / [] kept", ["EmptyValuesKept"], "invalid", DATA_6201, bugs={"EmptyValuesKept"},
          sig_ok=False)
    G.add("signed with ID = appSecret", ["WrongSignerId"], "invalid", DATA_6301, signer_id=APP_SECRET.encode(),
          sig_ok=False)
    G.add("signed with an EMPTY ID (OpenSSL 3.0 default)", ["EmptySignerId"], "invalid", DATA_6301, signer_id=b"",
          sig_ok=False)
    G.add("signData is DER", ["DerSignature"], "invalid", DATA_6301, sig_encoding="der")
    G.add("encData in lower-case hex", ["LowerCaseHex"], "invalid", DATA_6301, hex_case="lower")
    G.add("timestamp = now - window - 1 ms", ["StaleTimestamp"], "invalid", DATA_6301, timestamp=NOW_MS - W - 1)
    G.add("timestamp a day old", ["StaleTimestamp"], "invalid", DATA_6301, timestamp=NOW_MS - 86400000)
    G.add("timestamp = now + window + 1 ms", ["FutureTimestamp"], "invalid", DATA_6301, timestamp=NOW_MS + W + 1)
    tampered = DATA_6201.replace('"medfeeSumamt":12.00', '"medfeeSumamt":1.00')
    assert tampered != DATA_6201
    G.add("encData holds medfeeSumamt 1.00, the signature covers 12.00", ["TamperedEncData"], "invalid", DATA_6201,
          plaintext=hse.write_typed(hse.parse_json(tampered)), sig_ok=False)
    G.add("sealed with another appSecret", ["WrongAppSecret"], "invalid", DATA_6301, enc_secret=OTHER_APP_SECRET,
          sign_secret=OTHER_APP_SECRET, sig_ok=None)
    G.add("encrypted with another appSecret, signed correctly", ["WrongAppSecret"], "invalid", DATA_6203,
          enc_secret=OTHER_APP_SECRET, sig_ok=None)
    G.add("no signData", ["MissingSignData"], "invalid", DATA_6301, drop=("signData",))
    G.add("signed by another private key", ["WrongKey"], "invalid", DATA_6301, signer_d=SM2_OTHER_D, sig_ok=False)
    G.add("appId of another application", ["UnknownAppId"], "invalid", DATA_6301,
          env_app_id="1G6OGKFTN0K04060C80A0000FB1B4CCA", sig_ok=None)
    G.add("version 1.0.0 in a 2.0.1 profile", ["VersionMismatch"], "acceptable", DATA_6301, version="1.0.0")

    # ---- default profile, platform -> hospital responses and callbacks
    G = EnvelopeGroup(f, ossl, profile(), SM2_PLATFORM_D)
    resp = {"code": Num("0"), "message": "成功", "success": True, "type": "6201"}
    G.add("6201 response envelope (code, message, success, type)", ["ResponseEnvelope", "EmptyObjectKept"], "valid",
          DATA_6201_RESPONSE, members=resp)
    G.add("settlement callback", ["RealisticPayload", "Nesting", "NumberLiteral"], "valid", DATA_CALLBACK)
    G.add("response signed without code/message/success/type", ["ResponseFieldsNotSigned"], "invalid",
          DATA_6201_RESPONSE, members=resp,
          sign_members=lambda e: {k: v for k, v in e.items() if k not in ("code", "message", "success", "type")},
          sig_ok=False)
    G.add("response signed by the hospital's key instead of the platform's", ["WrongKey"], "invalid",
          DATA_6201_RESPONSE, members=resp, signer_d=SM2_HOSPITAL_D, sig_ok=False)

    # ---- signatureEncoding der
    G = EnvelopeGroup(f, ossl, profile(enc="der"), SM2_HOSPITAL_D)
    G.add("DER signature", ["ProfileDer"], "valid", DATA_6201)
    G.add("DER signature, non-ASCII data", ["ProfileDer", "NonAscii"], "valid", DATA_RX)
    G.add("raw signature in a der profile", ["RawSignature"], "invalid", DATA_6201, sig_encoding="raw")

    # ---- signerID appSecret
    G = EnvelopeGroup(f, ossl, profile(signer="appSecret"), SM2_HOSPITAL_D)
    G.add("appSecret as the SM2 ID", ["ProfileAppSecretId"], "valid", DATA_6201)
    G.add("signed with the default ID 1234567812345678", ["WrongSignerId"], "invalid", DATA_6201,
          signer_id=gm.SM2_DEFAULT_ID, sig_ok=False)
    G.add("signed with an EMPTY ID", ["EmptySignerId"], "invalid", DATA_6201, signer_id=b"", sig_ok=False)

    # ---- encDataHexCase lower
    G = EnvelopeGroup(f, ossl, profile(case="lower"), SM2_HOSPITAL_D)
    G.add("lower-case encData", ["ProfileLowerHex"], "valid", DATA_6201)
    G.add("upper-case encData in a lower-case profile", ["UpperCaseHex"], "invalid", DATA_6201, hex_case="upper")

    # ---- every alternative at once, version 1.0.0, 60 s window, other app
    G = EnvelopeGroup(f, ossl, profile("appSecret", "der", "lower", "1.0.0", 60), SM2_PLATFORM_D,
                      app_id="9XK2P7M4Q1W8E5R3T6Y0", app_secret=OTHER_APP_SECRET)
    G.add("all alternative settings, version 1.0.0", ["ProfileVersion", "ProfileDer", "ProfileAppSecretId",
          "ProfileLowerHex"], "valid", DATA_CALLBACK)
    G.add("timestamp = now - 60 s", ["ProfileVersion", "TimestampEdge"], "valid", DATA_6301, timestamp=NOW_MS - 60000)
    G.add("timestamp = now - 61 s (outside the 60 s window)", ["ProfileVersion", "StaleTimestamp"], "invalid",
          DATA_6301, timestamp=NOW_MS - 61000)
    G.add("raw signature, upper-case hex, default ID (the default profile's settings)", ["RawSignature",
          "UpperCaseHex", "WrongSignerId"], "invalid", DATA_6301, sig_encoding="raw", hex_case="upper",
          signer_id=gm.SM2_DEFAULT_ID, sig_ok=False)

    # ---- dialect variants (docs/DIALECTS.md section 9): profile nhsa-2.0 + national's `hse` section.
    # Each valid test carries signString, the exact string the sender signed (checked with openssl).
    G = EnvelopeGroup(f, ossl, profile(), SM2_HOSPITAL_D, dialect=NATIONAL_HSE)
    ci = {"ZoneId": "cn"}  # an upper-case member: first in code point order, last case-insensitively
    official = {"transType": "ec.query", "ZoneId": "cn"}
    lenient = [
        G.add("encType \"sm4\", signType \"sm2\" (typesAnyCase)", ["LowerCaseTypes"], "valid", DATA_6301,
              enc_type="sm4", sign_type="sm2", with_sign_string=True),
        G.add("timestamp in epoch seconds, 10 digits (3 s old)", ["TimestampSeconds"], "valid", DATA_6301,
              ts_text=TS_SECONDS, with_sign_string=True),
        G.add("timestamp yyyyMMddHHmmss in Beijing time (UTC+8), 3 s old", ["TimestampCompact"], "valid", DATA_6301,
              ts_text=TS_COMPACT, with_sign_string=True),
        G.add("pairs sorted case-insensitively: ZoneId=cn signed after version, not first", ["CaseInsensitiveSort"],
              "valid", DATA_6301, members=ci, bugs={"CaseInsensitiveSort"}, variant="case-insensitive-sort",
              sig_ok=False, with_sign_string=True),
        G.add("numbers and booleans inside data signed unquoted (native JSON types)", ["NativeTypes"], "valid",
              DATA_NATIVE, bugs={"NumbersNotStringified", "BooleansNotStringified"}, variant="native-types",
              sig_ok=False, with_sign_string=True),
        G.add("empty objects (extData {}, refdInfo emptied by the removal) left out of the signed string",
              ["EmptyObjectDropped"], "valid", DATA_EMPTY_OBJECT, bugs={"EmptyObjectDropped"},
              variant="empty-objects-dropped", sig_ok=False, with_sign_string=True),
        G.add("official-demo style: sm4/sm2, timestamp a JSON number of ms, transType, case-insensitive sort",
              ["OfficialDemo", "LowerCaseTypes", "NumericTimestamp", "CaseInsensitiveSort"], "valid", DATA_6301,
              enc_type="sm4", sign_type="sm2", ts_number=True, members=official, bugs={"CaseInsensitiveSort"},
              variant="case-insensitive-sort", sig_ok=False, with_sign_string=True),
    ]
    G.add("timestamp of 12 digits (neither ms nor s; as ms it is 1975)", ["UnrecognisedTimestamp", "StaleTimestamp"],
          "invalid", DATA_6301, ts_text=str(TS // 10), with_sign_string=True)
    G.add("timestamp \"2024-11-15\"", ["UnrecognisedTimestamp"], "invalid", DATA_6301, ts_text="2024-11-15",
          with_sign_string=True)
    G.add("timestamp 20241131135957: 14 digits, no such date (as ms it is far in the future)",
          ["UnrecognisedTimestamp", "FutureTimestamp"], "invalid", DATA_6301, ts_text="20241131135957",
          with_sign_string=True)
    G.add("timestamp yyyyMMddHHmmss, now - 301 s", ["TimestampCompact", "StaleTimestamp"], "invalid", DATA_6301,
          ts_text=beijing_compact(NOW_MS - W - 1000), with_sign_string=True)
    G.add("timestamp in epoch seconds, now + 301 s", ["TimestampSeconds", "FutureTimestamp"], "invalid", DATA_6301,
          ts_text=str(NOW_MS // 1000 + 301), with_sign_string=True)
    G.add("encType \"Sm5\"", ["UnknownEncType"], "invalid", DATA_6301, enc_type="Sm5", with_sign_string=True)
    G.add("case-insensitively sorted string signed by another private key", ["WrongKey", "CaseInsensitiveSort"],
          "invalid", DATA_6301, members=ci, bugs={"CaseInsensitiveSort"}, variant="case-insensitive-sort",
          signer_d=SM2_OTHER_D, sig_ok=False, with_sign_string=True)

    # ---- the same valid envelopes, strict nhsa-2.0 receiver (no dialect): each refused
    G = EnvelopeGroup(f, ossl, profile(), SM2_HOSPITAL_D)
    for t in lenient:
        G.again(t, t["comment"] + ", strict profile", t["flags"] + ["StrictProfile"], "invalid")
    return f


# profiles/national.json's `hse` section (asserted equal to the file in gen_envelope's caller)
NATIONAL_HSE = {
    "typesAnyCase": True,
    "timestampFormats": ["milliseconds", "seconds", "yyyyMMddHHmmss"],
    "acceptedSignStrings": ["case-insensitive-sort", "native-types", "empty-objects-dropped"],
    "answerCodeAsString": True,
    "answerType": "success",
    "answerMessage": "成功",
    "answerTimestamp": "seconds",
}


def beijing_compact(ms: int) -> str:
    """yyyyMMddHHmmss of an epoch-ms instant in Beijing time (UTC+8), written here by arithmetic."""
    import datetime
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms + 8 * 3600 * 1000)
    return t.strftime("%Y%m%d%H%M%S")


TS_SECONDS = str(TS // 1000)
TS_COMPACT = beijing_compact(TS)
assert TS_COMPACT == "20241115135957", TS_COMPACT

DATA_NATIVE = ('{"payOrdId":"ORD6101002023111500012345","orgCodg":"H61010300001","medfeeSumamt":12.00,'
               '"psnAcctPay":0.00,"acctUsedFlag":true,"fulamtOwnpayFlag":false,'
               '"feedetailList":[{"feedetlSn":"FD0001","pric":6.00,"cnt":2,"hospApprFlag":false}]}')

DATA_EMPTY_OBJECT = ('{"payOrdId":"ORD6101002023111500012345","ordStas":"6","feeSumamt":"12.00","extData":{},'
                     '"refdInfo":{"memo":""}}')


# --------------------------------------------------------------------------
# Blind split, README, main
# --------------------------------------------------------------------------


def blind(doc, prompt_name, prompt_schema):
    prompt = {
        "algorithm": doc["algorithm"],
        "schema": prompt_schema,
        "generatorVersion": doc["generatorVersion"],
        "numberOfTests": doc["numberOfTests"],
        "header": [doc["header"][0], "Blind prompt: run your implementation on every test and write "
                   "{tcId: \"valid\" | \"invalid\"}; compare with the expected file."],
        "testGroups": [],
    }
    results = []
    for g in doc["testGroups"]:
        pg = {k: v for k, v in g.items() if k != "tests"}
        # an envelope test's signString names the variant the sender used: a hint, like its flags
        hidden = ("comment", "flags", "result") + (("signString",) if g["type"] == "HseEnvelope" else ())
        pg["tests"] = [{k: v for k, v in t.items() if k not in hidden} for t in g["tests"]]
        prompt["testGroups"].append(pg)
        results += [{"tcId": t["tcId"], "result": t["result"], "flags": t["flags"]} for t in g["tests"]]
    expected = {"algorithm": doc["algorithm"], "schema": "blind_expected_schema.json",
                "numberOfTests": len(results), "source": prompt_name, "results": results}
    return prompt, expected


def validate(doc, schemas):
    import jsonschema
    jsonschema.Draft202012Validator(schemas[doc["schema"]]).validate(doc)


def readme(files):
    used, notes = {}, {}
    for name, doc in files:
        for fl, note in doc.get("notes", {}).items():
            used.setdefault(fl, []).append(name)
            if notes.setdefault(fl, note) != note:
                raise ValueError("flag %s is described differently in %s" % (fl, name))
    rows = "\n".join("| `%s` | %s | %s | %s |" % (fl, notes[fl]["bugType"], notes[fl]["description"].replace("|", "\\|"),
                                                ", ".join(n.replace("_test.json", "") for n in used[fl]))
                     for fl in sorted(used))
    counts = "\n".join("| `%s` | `%s` | %d |" % (name, doc["schema"], doc["numberOfTests"]) for name, doc in files)
    with open(os.path.join(HERE, "README.template.md"), encoding="utf-8") as fh:
        text = fh.read()
    return text.replace("{{COUNTS}}", counts).replace("{{FLAGS}}", rows)


def main():
    ossl = OpenSSL()
    try:
        schemas = vecspec.schemas()
        schemas.update(rx.schemas())
        import jsonschema
        for s in schemas.values():
            jsonschema.Draft202012Validator.check_schema(s)
        with open(os.path.join(ROOT, "profiles", "national.json"), encoding="utf-8") as fh:
            assert json.load(fh)["hse"] == NATIONAL_HSE, "profiles/national.json's hse section changed: update NATIONAL_HSE"
        builders = [gen_sm3(ossl), gen_sm4(ossl), gen_sm2(ossl), gen_ecdsa(ossl), gen_sign_string(),
                    gen_encryption(ossl), gen_envelope(ossl)]
        rx_doc = rx.build()  # signed e-prescriptions: own openssl cross-checks, printed
        # write
        if os.path.isdir(os.path.join(VEC, "schemas")):
            shutil.rmtree(os.path.join(VEC, "schemas"))
        for name, s in schemas.items():
            write(os.path.join("schemas", name), s)
        files = []
        for b in builders:
            doc = b.document()
            assert doc["numberOfTests"] == len(b.tests())
            assert [t["tcId"] for t in b.tests()] == list(range(1, doc["numberOfTests"] + 1))
            validate(doc, schemas)
            write(b.name, doc)
            files.append((b.name, doc))
        assert [t["tcId"] for g in rx_doc["testGroups"] for t in g["tests"]] == list(range(1, rx_doc["numberOfTests"] + 1))
        validate(rx_doc, schemas)
        write(rx.FILE_NAME, rx_doc)
        files.append((rx.FILE_NAME, rx_doc))
        docs = dict(files)
        for src, stem in (("hse_envelope_test.json", "hse_envelope"), ("hse_sign_string_test.json", "hse_sign_string")):
            prompt, expected = blind(docs[src], stem + "_prompt.json", stem + "_prompt_schema.json")
            validate(prompt, schemas)
            validate(expected, schemas)
            write(os.path.join("blind", stem + "_prompt.json"), prompt)
            write(os.path.join("blind", stem + "_expected.json"), expected)
        with open(os.path.join(VEC, "README.md"), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(readme(files))
        total = sum(d["numberOfTests"] for _, d in files)
        for name, d in files:
            print("%-32s %4d tests" % (name, d["numberOfTests"]))
        print("%d tests in %d files; %d openssl invocations (%s)" % (total, len(files), ossl.calls, ossl.version))
        # final re-check with check.py (pure Python), slow SM4 case included
        report = check.run(skip_slow=False)
        print("check.py: %d passed, %d failed" % (report["passed"], len(report["failed"])))
        return 1 if report["failed"] else 0
    finally:
        ossl.close()


if __name__ == "__main__":
    sys.exit(main())
