"""Independent pure-Python implementation of SM3, SM4, SM2 and ECDSA P-256.

Written from the public standards (GB/T 32905 SM3, GB/T 32907 SM4,
GB/T 32918 SM2, FIPS 186 / SEC 1 ECDSA) for generating and re-checking test
vectors. Slow, not constant-time: never use it for real keys.
Only the Python 3.11 standard library is used.
"""

from __future__ import annotations

import hashlib

# --------------------------------------------------------------------------
# SM3 (GB/T 32905-2016)
# --------------------------------------------------------------------------

_SM3_IV = (0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600,
           0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E)
_M32 = 0xFFFFFFFF


def _rotl(x: int, n: int) -> int:
    n &= 31
    return ((x << n) | (x >> (32 - n))) & _M32


_SM3_T = [_rotl(0x79CC4519 if j < 16 else 0x7A879D8A, j) for j in range(64)]


def _sm3_compress(v: tuple, block: bytes) -> tuple:
    w = [int.from_bytes(block[i:i + 4], "big") for i in range(0, 64, 4)]
    for j in range(16, 68):
        x = w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)
        p1 = x ^ _rotl(x, 15) ^ _rotl(x, 23)
        w.append(p1 ^ _rotl(w[j - 13], 7) ^ w[j - 6])
    w1 = [w[j] ^ w[j + 4] for j in range(64)]
    a, b, c, d, e, f, g, h = v
    for j in range(64):
        a12 = _rotl(a, 12)
        ss1 = _rotl((a12 + e + _SM3_T[j]) & _M32, 7)
        ss2 = ss1 ^ a12
        if j < 16:
            ff = a ^ b ^ c
            gg = e ^ f ^ g
        else:
            ff = (a & b) | (a & c) | (b & c)
            gg = (e & f) | (~e & g)
        tt1 = (ff + d + ss2 + w1[j]) & _M32
        tt2 = (gg + h + ss1 + w[j]) & _M32
        d = c
        c = _rotl(b, 9)
        b = a
        a = tt1
        h = g
        g = _rotl(f, 19)
        f = e
        e = tt2 ^ _rotl(tt2, 9) ^ _rotl(tt2, 17)
    return tuple(x ^ y for x, y in zip((a, b, c, d, e, f, g, h), v))


def sm3(msg: bytes) -> bytes:
    """SM3 digest (32 bytes) of msg."""
    bitlen = len(msg) * 8
    padded = msg + b"\x80" + b"\x00" * ((55 - len(msg)) % 64) + bitlen.to_bytes(8, "big")
    v = _SM3_IV
    for i in range(0, len(padded), 64):
        v = _sm3_compress(v, padded[i:i + 64])
    return b"".join(x.to_bytes(4, "big") for x in v)


# --------------------------------------------------------------------------
# SM4 (GB/T 32907-2016)
# --------------------------------------------------------------------------

_SBOX = bytes.fromhex(
    "d690e9fecce13db716b614c228fb2c05"
    "2b679a762abe04c3aa44132649860699"
    "9c4250f491ef987a33540b43edcfac62"
    "e4b31ca9c908e89580df94fa758f3fa6"
    "4707a7fcf37317ba83593c19e6854fa8"
    "686b81b27164da8bf8eb0f4b70569d35"
    "1e240e5e6358d1a225227c3b01217887"
    "d40046579fd327524c3602e7a0c4c89e"
    "eabf8ad240c738b5a3f7f2cef96115a1"
    "e0ae5da49b341a55ad933230f58cb1e3"
    "1df6e22e8266ca60c02923ab0d534e6f"
    "d5db3745defd8e2f03ff6a726d6c5b51"
    "8d1baf92bbddbc7f11d95c411f105ad8"
    "0ac13188a5cd7bbd2d74d012b8e5b4b0"
    "8969974a0c96777e65b9f109c56ec684"
    "18f07dec3adc4d2079ee5f3ed7cb3948")
_FK = (0xA3B1BAC6, 0x56AA3350, 0x677D9197, 0xB27022DC)
_CK = tuple(
    int.from_bytes(bytes(((4 * i + j) * 7) % 256 for j in range(4)), "big")
    for i in range(32))


def _tau(x: int) -> int:
    return ((_SBOX[x >> 24] << 24) | (_SBOX[(x >> 16) & 0xFF] << 16)
            | (_SBOX[(x >> 8) & 0xFF] << 8) | _SBOX[x & 0xFF])


def _l_enc(b: int) -> int:
    return b ^ _rotl(b, 2) ^ _rotl(b, 10) ^ _rotl(b, 18) ^ _rotl(b, 24)


def _l_key(b: int) -> int:
    return b ^ _rotl(b, 13) ^ _rotl(b, 23)


# T-tables: the round function T = L(tau(.)) split per input byte.
_T0 = [_l_enc(_SBOX[i] << 24) for i in range(256)]
_T1 = [_l_enc(_SBOX[i] << 16) for i in range(256)]
_T2 = [_l_enc(_SBOX[i] << 8) for i in range(256)]
_T3 = [_l_enc(_SBOX[i]) for i in range(256)]


def sm4_key_schedule(key: bytes) -> list:
    if len(key) != 16:
        raise ValueError("SM4 key must be 16 bytes")
    k = [int.from_bytes(key[i:i + 4], "big") ^ _FK[i // 4] for i in range(0, 16, 4)]
    rk = []
    for i in range(32):
        t = k[i + 1] ^ k[i + 2] ^ k[i + 3] ^ _CK[i]
        k.append(k[i] ^ _l_key(_tau(t)))
        rk.append(k[i + 4])
    return rk


def _sm4_crypt_block(rk, block: bytes) -> bytes:
    x0, x1, x2, x3 = (int.from_bytes(block[i:i + 4], "big") for i in range(0, 16, 4))
    T0, T1, T2, T3 = _T0, _T1, _T2, _T3
    for r in rk:
        t = x1 ^ x2 ^ x3 ^ r
        x0, x1, x2, x3 = x1, x2, x3, x0 ^ T0[t >> 24] ^ T1[(t >> 16) & 0xFF] ^ T2[(t >> 8) & 0xFF] ^ T3[t & 0xFF]
    return b"".join(v.to_bytes(4, "big") for v in (x3, x2, x1, x0))


class SM4:
    """SM4 block cipher with a fixed key."""

    def __init__(self, key: bytes):
        self.rk_enc = sm4_key_schedule(key)
        self.rk_dec = list(reversed(self.rk_enc))

    def encrypt_block(self, block: bytes) -> bytes:
        return _sm4_crypt_block(self.rk_enc, block)

    def decrypt_block(self, block: bytes) -> bytes:
        return _sm4_crypt_block(self.rk_dec, block)

    def encrypt_block_iterated(self, block: bytes, iterations: int) -> bytes:
        rk = self.rk_enc
        for _ in range(iterations):
            block = _sm4_crypt_block(rk, block)
        return block


class PaddingError(ValueError):
    pass


def pkcs7_pad(data: bytes, block: int = 16) -> bytes:
    n = block - len(data) % block
    return data + bytes([n]) * n


def pkcs7_unpad(data: bytes, block: int = 16) -> bytes:
    if not data or len(data) % block:
        raise PaddingError("length is not a positive multiple of the block size")
    n = data[-1]
    if n < 1 or n > block or data[-n:] != bytes([n]) * n:
        raise PaddingError("malformed PKCS#7 padding")
    return data[:-n]


def sm4_encrypt(key: bytes, data: bytes, mode: str = "ECB", iv: bytes = b"",
                padding: str = "pkcs7") -> bytes:
    c = SM4(key)
    if padding == "pkcs7":
        data = pkcs7_pad(data)
    elif padding != "none":
        raise ValueError(padding)
    if len(data) % 16:
        raise ValueError("data is not a multiple of 16 bytes")
    out = []
    if mode == "ECB":
        if iv:
            raise ValueError("ECB takes no IV")
        for i in range(0, len(data), 16):
            out.append(c.encrypt_block(data[i:i + 16]))
    elif mode == "CBC":
        if len(iv) != 16:
            raise ValueError("CBC needs a 16-byte IV")
        prev = iv
        for i in range(0, len(data), 16):
            prev = c.encrypt_block(bytes(a ^ b for a, b in zip(data[i:i + 16], prev)))
            out.append(prev)
    else:
        raise ValueError(mode)
    return b"".join(out)


def sm4_decrypt(key: bytes, ct: bytes, mode: str = "ECB", iv: bytes = b"",
                padding: str = "pkcs7") -> bytes:
    c = SM4(key)
    if len(ct) % 16:
        raise PaddingError("ciphertext is not a multiple of 16 bytes")
    out = []
    if mode == "ECB":
        if iv:
            raise ValueError("ECB takes no IV")
        for i in range(0, len(ct), 16):
            out.append(c.decrypt_block(ct[i:i + 16]))
    elif mode == "CBC":
        if len(iv) != 16:
            raise ValueError("CBC needs a 16-byte IV")
        prev = iv
        for i in range(0, len(ct), 16):
            blk = ct[i:i + 16]
            out.append(bytes(a ^ b for a, b in zip(c.decrypt_block(blk), prev)))
            prev = blk
    else:
        raise ValueError(mode)
    pt = b"".join(out)
    if padding == "pkcs7":
        return pkcs7_unpad(pt)
    if padding != "none":
        raise ValueError(padding)
    return pt


# --------------------------------------------------------------------------
# Short Weierstrass curves over prime fields (Jacobian coordinates)
# --------------------------------------------------------------------------

class Curve:
    def __init__(self, name, p, a, b, gx, gy, n):
        self.name, self.p, self.a, self.b, self.n = name, p, a, b, n
        self.g = (gx, gy)
        self.size = (p.bit_length() + 7) // 8

    def on_curve(self, pt) -> bool:
        if pt is None:
            return False
        x, y = pt
        p = self.p
        return 0 <= x < p and 0 <= y < p and (y * y - (x * x * x + self.a * x + self.b)) % p == 0

    # Jacobian: (X, Y, Z) ~ (X/Z^2, Y/Z^3); None = point at infinity.
    def _jdouble(self, P):
        if P is None:
            return None
        X, Y, Z = P
        p = self.p
        if Y == 0:
            return None
        YY = Y * Y % p
        S = 4 * X * YY % p
        ZZ = Z * Z % p
        M = (3 * X * X + self.a * ZZ * ZZ) % p
        X3 = (M * M - 2 * S) % p
        Y3 = (M * (S - X3) - 8 * YY * YY) % p
        Z3 = 2 * Y * Z % p
        return (X3, Y3, Z3)

    def _jadd(self, P, Q):
        if P is None:
            return Q
        if Q is None:
            return P
        p = self.p
        X1, Y1, Z1 = P
        X2, Y2, Z2 = Q
        Z1Z1 = Z1 * Z1 % p
        Z2Z2 = Z2 * Z2 % p
        U1 = X1 * Z2Z2 % p
        U2 = X2 * Z1Z1 % p
        S1 = Y1 * Z2 * Z2Z2 % p
        S2 = Y2 * Z1 * Z1Z1 % p
        if U1 == U2:
            if S1 != S2:
                return None
            return self._jdouble(P)
        H = (U2 - U1) % p
        R = (S2 - S1) % p
        HH = H * H % p
        HHH = H * HH % p
        V = U1 * HH % p
        X3 = (R * R - HHH - 2 * V) % p
        Y3 = (R * (V - X3) - S1 * HHH) % p
        Z3 = H * Z1 * Z2 % p
        return (X3, Y3, Z3)

    def _to_affine(self, P):
        if P is None:
            return None
        X, Y, Z = P
        p = self.p
        zi = pow(Z, -1, p)
        zi2 = zi * zi % p
        return (X * zi2 % p, Y * zi2 * zi % p)

    def mul(self, k: int, pt=None):
        """k * pt (default: the base point); affine result or None."""
        pt = self.g if pt is None else pt
        R = None
        Q = (pt[0], pt[1], 1)
        for bit in bin(k)[2:]:
            R = self._jdouble(R)
            if bit == "1":
                R = self._jadd(R, Q)
        return self._to_affine(R)

    def mul_add(self, k1: int, k2: int, pt):
        """k1 * G + k2 * pt (Shamir's trick); affine result or None."""
        G = (self.g[0], self.g[1], 1)
        Pj = (pt[0], pt[1], 1)
        GP = self._jadd(G, Pj)
        R = None
        for i in range(max(k1.bit_length(), k2.bit_length()) - 1, -1, -1):
            R = self._jdouble(R)
            b1 = (k1 >> i) & 1
            b2 = (k2 >> i) & 1
            if b1 and b2:
                R = self._jadd(R, GP)
            elif b1:
                R = self._jadd(R, G)
            elif b2:
                R = self._jadd(R, Pj)
        return self._to_affine(R)

    def encode_point(self, pt) -> bytes:
        return b"\x04" + pt[0].to_bytes(self.size, "big") + pt[1].to_bytes(self.size, "big")

    def decode_point(self, data: bytes):
        """Uncompressed point 04||X||Y; raises ValueError unless on the curve."""
        if len(data) != 1 + 2 * self.size or data[0] != 4:
            raise ValueError("public key must be an uncompressed point 04||X||Y")
        pt = (int.from_bytes(data[1:1 + self.size], "big"), int.from_bytes(data[1 + self.size:], "big"))
        if not self.on_curve(pt):
            raise ValueError("public key is not on the curve")
        return pt


SM2_CURVE = Curve(
    "sm2p256v1",
    p=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
    a=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
    b=0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
    gx=0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    gy=0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
    n=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
)

P256_CURVE = Curve(
    "secp256r1",
    p=0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
    a=0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC,
    b=0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
    gx=0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    gy=0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
    n=0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
)

SM2_DEFAULT_ID = b"1234567812345678"

# --------------------------------------------------------------------------
# Signature encodings
# --------------------------------------------------------------------------


def raw_encode(r: int, s: int, size: int = 32) -> bytes:
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def raw_decode(sig: bytes, size: int = 32):
    if len(sig) != 2 * size:
        raise ValueError("raw signature must be exactly %d bytes" % (2 * size))
    return int.from_bytes(sig[:size], "big"), int.from_bytes(sig[size:], "big")


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der_int(v: int) -> bytes:
    if v < 0:
        raise ValueError("negative")
    body = v.to_bytes(v.bit_length() // 8 + 1, "big")  # always room for a sign bit
    return b"\x02" + _der_len(len(body)) + body


def der_encode(r: int, s: int) -> bytes:
    body = der_int(r) + der_int(s)
    return b"\x30" + _der_len(len(body)) + body


def _der_read_len(data: bytes, i: int):
    if i >= len(data):
        raise ValueError("truncated DER")
    first = data[i]
    if first < 0x80:
        return first, i + 1
    nb = first & 0x7F
    if nb == 0 or nb > 2 or i + 1 + nb > len(data):
        raise ValueError("bad DER length")
    n = int.from_bytes(data[i + 1:i + 1 + nb], "big")
    if n < 0x80 or data[i + 1] == 0:
        raise ValueError("non-minimal DER length")
    return n, i + 1 + nb


def _der_read_int(data: bytes, i: int):
    if i >= len(data) or data[i] != 0x02:
        raise ValueError("expected INTEGER")
    n, i = _der_read_len(data, i + 1)
    if n == 0 or i + n > len(data):
        raise ValueError("bad INTEGER length")
    body = data[i:i + n]
    if body[0] & 0x80:
        raise ValueError("negative INTEGER")
    if n > 1 and body[0] == 0 and not body[1] & 0x80:
        raise ValueError("non-minimal INTEGER")
    return int.from_bytes(body, "big"), i + n


def der_decode(sig: bytes):
    """Strict DER SEQUENCE { INTEGER r, INTEGER s }; raises ValueError on anything else."""
    if len(sig) < 2 or sig[0] != 0x30:
        raise ValueError("expected SEQUENCE")
    n, i = _der_read_len(sig, 1)
    if i + n != len(sig):
        raise ValueError("SEQUENCE length does not match / trailing data")
    r, i = _der_read_int(sig, i)
    s, i = _der_read_int(sig, i)
    if i != len(sig):
        raise ValueError("extra data inside SEQUENCE")
    return r, s


def decode_signature(sig: bytes, encoding: str, size: int = 32):
    if encoding == "raw":
        return raw_decode(sig, size)
    if encoding == "der":
        return der_decode(sig)
    raise ValueError(encoding)


# --------------------------------------------------------------------------
# SM2 signatures (GB/T 32918.2)
# --------------------------------------------------------------------------


def sm2_public_key(d: int):
    return SM2_CURVE.mul(d)


def sm2_z(signer_id: bytes, pub) -> bytes:
    c = SM2_CURVE
    entl = len(signer_id) * 8
    if entl > 0xFFFF:
        raise ValueError("signer ID too long")
    f = lambda v: v.to_bytes(32, "big")
    return sm3(entl.to_bytes(2, "big") + signer_id + f(c.a) + f(c.b) + f(c.g[0]) + f(c.g[1])
               + f(pub[0]) + f(pub[1]))


def sm2_e(signer_id: bytes, pub, msg: bytes) -> int:
    return int.from_bytes(sm3(sm2_z(signer_id, pub) + msg), "big")


def sm2_deterministic_k(d: int, signer_id: bytes, msg: bytes, counter: int = 0) -> int:
    """A deterministic nonce for reproducible vectors: SM3 of key, ID, message, counter."""
    n = SM2_CURVE.n
    seed = b"yibao-vectors-sm2-k" + d.to_bytes(32, "big") + len(signer_id).to_bytes(4, "big") \
        + signer_id + msg + counter.to_bytes(4, "big")
    return int.from_bytes(sm3(seed) + sm3(seed + b"\x01"), "big") % (n - 1) + 1


def sm2_sign(d: int, msg: bytes, signer_id: bytes = SM2_DEFAULT_ID, k: int | None = None):
    """Returns (r, s). With k=None a deterministic nonce is used."""
    c = SM2_CURVE
    n = c.n
    if not 1 <= d <= n - 2:
        raise ValueError("bad private key")
    pub = c.mul(d)
    e = sm2_e(signer_id, pub, msg)
    counter = 0
    while True:
        kk = k if k is not None else sm2_deterministic_k(d, signer_id, msg, counter)
        x1, _ = c.mul(kk)
        r = (e + x1) % n
        if r != 0 and r + kk != n:
            s = pow(1 + d, -1, n) * (kk - r * d) % n
            if s != 0:
                return r, s
        if k is not None:
            raise ValueError("given k yields a degenerate signature")
        counter += 1


def sm2_verify(pub, msg: bytes, r: int, s: int, signer_id: bytes = SM2_DEFAULT_ID) -> bool:
    c = SM2_CURVE
    n = c.n
    if not c.on_curve(pub):
        return False
    if not (1 <= r <= n - 1 and 1 <= s <= n - 1):
        return False
    e = sm2_e(signer_id, pub, msg)
    t = (r + s) % n
    if t == 0:
        return False
    pt = c.mul_add(s, t, pub)
    if pt is None:
        return False
    return (e + pt[0]) % n == r


# --------------------------------------------------------------------------
# ECDSA (P-256, SHA-256)
# --------------------------------------------------------------------------


def _bits2int(h: bytes, n: int) -> int:
    v = int.from_bytes(h, "big")
    excess = len(h) * 8 - n.bit_length()
    return v >> excess if excess > 0 else v


def ecdsa_deterministic_k(d: int, msg: bytes, counter: int = 0) -> int:
    n = P256_CURVE.n
    seed = b"yibao-vectors-ecdsa-k" + d.to_bytes(32, "big") + msg + counter.to_bytes(4, "big")
    return int.from_bytes(hashlib.sha256(seed).digest() + hashlib.sha256(seed + b"\x01").digest(), "big") % (n - 1) + 1


def ecdsa_sign(d: int, msg: bytes, curve: Curve = P256_CURVE):
    n = curve.n
    e = _bits2int(hashlib.sha256(msg).digest(), n)
    counter = 0
    while True:
        k = ecdsa_deterministic_k(d, msg, counter)
        x1, _ = curve.mul(k)
        r = x1 % n
        if r:
            s = pow(k, -1, n) * (e + r * d) % n
            if s:
                return r, s
        counter += 1


def ecdsa_verify(pub, msg: bytes, r: int, s: int, curve: Curve = P256_CURVE) -> bool:
    n = curve.n
    if not curve.on_curve(pub):
        return False
    if not (1 <= r <= n - 1 and 1 <= s <= n - 1):
        return False
    e = _bits2int(hashlib.sha256(msg).digest(), n)
    w = pow(s, -1, n)
    pt = curve.mul_add(e * w % n, r * w % n, pub)
    if pt is None:
        return False
    return pt[0] % n == r
