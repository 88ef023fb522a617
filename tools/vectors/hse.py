#!/usr/bin/env python3
"""Independent Python implementation of the HSE envelope (docs/ENVELOPE.md, profile nhsa-2.0).

Importable module and command-line tool:

    python3 tools/vectors/hse.py seal --app-id ID --app-secret S --private-key B64 [--timestamp MS] FILE|-
    python3 tools/vectors/hse.py open --app-id ID --app-secret S --peer-public-key B64 [--dialect PROFILE.json] FILE|-

`seal` reads the business data JSON and prints the sealed envelope JSON; `open`
reads an envelope, prints the decrypted business data JSON and exits 0, or
prints the reason to stderr and exits 1. Profile settings are options of both.

Uses only the Python standard library and gm.py beside this file (no OpenSSL),
so that it is independent of the Swift implementation.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime
import json
import re
import sys
import time
from dataclasses import dataclass

import os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gm  # noqa: E402

# --------------------------------------------------------------------------
# JSON that keeps number literals
# --------------------------------------------------------------------------


class Num(str):
    """A JSON number, kept as the literal text it had in the input."""

    __slots__ = ()

    def __repr__(self):
        return "Num(%s)" % str.__repr__(self)


class JSONError(ValueError):
    pass


def _pairs(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise JSONError("duplicate key %r" % k)
        obj[k] = v
    return obj


def _no_constant(name):
    raise JSONError("not JSON: %s" % name)


def _check_text(v):
    """Reject lone surrogates (they have no UTF-8 form)."""
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise JSONError("lone surrogate in a string") from exc
    elif isinstance(v, dict):
        for k, x in v.items():
            _check_text(k)
            _check_text(x)
    elif isinstance(v, list):
        for x in v:
            _check_text(x)


def parse_json(text):
    """Parse JSON text (str or UTF-8 bytes); numbers become Num (their literal text),
    objects dicts in document order (duplicate keys refused), strings str."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONError("not UTF-8") from exc
    try:
        v = json.loads(text, parse_float=Num, parse_int=Num, parse_constant=_no_constant,
                       object_pairs_hook=_pairs)
    except JSONError:
        raise
    except ValueError as exc:
        raise JSONError(str(exc)) from exc
    _check_text(v)
    return v


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------

_ESC = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_string(s: str) -> str:
    """Minimal JSON string escaping of ENVELOPE.md §2.4, with the quotes."""
    out = ['"']
    for ch in s:
        if ch in _ESC:
            out.append(_ESC[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _keyed(obj: dict):
    return sorted(obj.items(), key=lambda kv: kv[0])  # Python str order = code point order


def write_json(v, sort_keys: bool = True, stringify_leaves: bool = False) -> str:
    """Compact JSON with numbers as their literal text. `sort_keys` sorts object keys
    recursively (code point order); `stringify_leaves` writes every leaf as a JSON string."""
    if isinstance(v, dict):
        items = _keyed(v) if sort_keys else v.items()
        return "{" + ",".join(escape_string(k) + ":" + write_json(x, sort_keys, stringify_leaves) for k, x in items) + "}"
    if isinstance(v, list):
        return "[" + ",".join(write_json(x, sort_keys, stringify_leaves) for x in v) + "]"
    if v is None:
        return "null"  # never reached after pruning when stringifying
    if isinstance(v, bool):
        text = "true" if v else "false"
        return escape_string(text) if stringify_leaves else text
    if isinstance(v, Num):
        return escape_string(str(v)) if stringify_leaves else str(v)
    return escape_string(v)


def write_stringified(v) -> str:
    """Compact JSON, keys sorted recursively, every leaf written as a JSON string."""
    return write_json(v, sort_keys=True, stringify_leaves=True)


def write_typed(v) -> str:
    """Compact JSON, keys sorted recursively, leaves keep their JSON types (numbers as literals)."""
    return write_json(v, sort_keys=True, stringify_leaves=False)


# --------------------------------------------------------------------------
# The string to sign (§2)
# --------------------------------------------------------------------------

EXCLUDED_TOP_LEVEL = ("signData", "encData", "extra")
_REMOVED = object()


def prune(v):
    """Remove null, "" and [] recursively, bottom-up; {} is kept. Returns _REMOVED or the value."""
    if v is None:
        return _REMOVED
    if isinstance(v, Num):
        return v
    if isinstance(v, str):
        return _REMOVED if v == "" else v
    if isinstance(v, list):
        kept = [x for x in (prune(e) for e in v) if x is not _REMOVED]
        return kept if kept else _REMOVED
    if isinstance(v, dict):
        return {k: x for k, x in ((k, prune(e)) for k, e in v.items()) if x is not _REMOVED}
    return v  # booleans


def top_value(v) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (dict, list)):
        return write_stringified(v)
    return str(v)  # str as is, Num as its literal


SIGN_STRING_VARIANTS = ("case-insensitive-sort", "native-types", "empty-objects-dropped")


def _prune_objects_too(v):
    """prune() that also removes {} (also one emptied by the removal), bottom-up."""
    if isinstance(v, list):
        kept = [x for x in (_prune_objects_too(e) for e in v) if x is not _REMOVED]
        return kept if kept else _REMOVED
    if isinstance(v, dict):
        kept = {k: x for k, x in ((k, _prune_objects_too(e)) for k, e in v.items()) if x is not _REMOVED}
        return kept if kept else _REMOVED
    return prune(v)


def _case_insensitive_key(pair: str) -> str:
    """The official util sorts the "k=v&" texts with Java's String.CASE_INSENSITIVE_ORDER; for the
    ASCII keys of the envelope that is the code point order of their lower-case form."""
    return (pair + "&").lower()


def sign_string(envelope: dict, app_secret: str, variant: str | None = None) -> str:
    """§2: envelope with the plaintext business object as `data`.

    `variant` (None = the canonical string) is one of the strings a dialect may accept
    (docs/DIALECTS.md §9), each alone:
      "case-insensitive-sort": the top-level "k=v" pairs sorted case-insensitively
          (nested objects keep code point order);
      "native-types": numbers and booleans inside objects/arrays written as JSON numbers/booleans;
      "empty-objects-dropped": {} removed too (bottom-up), like null, "" and [].
    """
    if not isinstance(envelope, dict):
        raise ValueError("envelope must be a JSON object")
    if variant is not None and variant not in SIGN_STRING_VARIANTS:
        raise ValueError("unknown sign string variant %r" % variant)
    members = {k: v for k, v in envelope.items() if k not in EXCLUDED_TOP_LEVEL}
    if variant == "empty-objects-dropped":
        pruned = {k: x for k, x in ((k, _prune_objects_too(v)) for k, v in members.items()) if x is not _REMOVED}
    else:
        pruned = prune(members)
    if variant == "native-types":
        value = lambda v: write_typed(v) if isinstance(v, (dict, list)) else top_value(v)  # noqa: E731
    else:
        value = top_value
    pairs = [k + "=" + value(v) for k, v in _keyed(pruned)]
    if variant == "case-insensitive-sort":
        pairs.sort(key=_case_insensitive_key)
    return "&".join(pairs + ["key=" + app_secret])


# --------------------------------------------------------------------------
# Encryption (§4)
# --------------------------------------------------------------------------


def k1(app_id: str) -> bytes:
    if len(app_id) < 16:
        raise ValueError("appId shorter than 16 characters")
    head = app_id[:16]
    if not head.isascii():
        raise ValueError("the first 16 characters of appId are not ASCII")
    return head.encode("ascii")


def derive_key(app_id: str, app_secret: str) -> str:
    """The 16 ASCII characters used as the SM4 key."""
    ct = gm.sm4_encrypt(k1(app_id), app_secret.encode("utf-8"), "ECB", b"", "pkcs7")
    return ct.hex().upper()[:16]


def encrypt_data(derived_key: str, plaintext: bytes, hex_case: str = "upper") -> str:
    h = gm.sm4_encrypt(derived_key.encode("ascii"), plaintext, "ECB", b"", "pkcs7").hex()
    return h.upper() if hex_case == "upper" else h


_HEX = {"upper": re.compile(r"\A(?:[0-9A-F]{2})+\Z"), "lower": re.compile(r"\A(?:[0-9a-f]{2})+\Z")}


def decrypt_data(derived_key: str, enc_data: str, hex_case: str = "upper") -> bytes:
    if not isinstance(enc_data, str) or not _HEX[hex_case].match(enc_data):
        raise ValueError("encData is not %s-case hex" % hex_case)
    raw = bytes.fromhex(enc_data)
    if len(raw) % 16:
        raise ValueError("encData is not a whole number of SM4 blocks")
    return gm.sm4_decrypt(derived_key.encode("ascii"), raw, "ECB", b"", "pkcs7")


# --------------------------------------------------------------------------
# Profile, seal, open
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    name: str = "nhsa-2.0"
    signerID: str = "default"            # default | appSecret
    signatureEncoding: str = "raw"       # raw | der
    encDataHexCase: str = "upper"        # upper | lower
    version: str = "2.0.1"
    timestampWindowSeconds: int = 300

    @staticmethod
    def from_json(obj: dict) -> "Profile":
        return Profile(**obj)

    def signer_id(self, app_secret: str) -> bytes:
        if self.signerID == "default":
            return gm.SM2_DEFAULT_ID
        if self.signerID == "appSecret":
            return app_secret.encode("utf-8")
        raise ValueError("unknown signerID setting %r" % self.signerID)


TIMESTAMP_FORMATS = ("milliseconds", "seconds", "yyyyMMddHHmmss")


@dataclass(frozen=True)
class Dialect:
    """The HSE variants a receiver accepts: the `hse` section of a profile file
    (profiles/national.json; docs/DIALECTS.md section 9). Its answer settings (answerCodeAsString,
    answerType, answerMessage, answerTimestamp) concern answers only and are ignored here.
    `None` instead of a Dialect is the strict profile: upper-case types, epoch milliseconds,
    the canonical string to sign only."""
    typesAnyCase: bool = False
    timestampFormats: tuple = ("milliseconds",)
    acceptedSignStrings: tuple = ()

    @staticmethod
    def from_json(obj: dict) -> "Dialect":
        if not isinstance(obj, dict):
            raise ValueError("dialect must be a JSON object")
        d = Dialect(typesAnyCase=bool(obj.get("typesAnyCase", False)),
                    timestampFormats=tuple(obj.get("timestampFormats", ("milliseconds",))),
                    acceptedSignStrings=tuple(obj.get("acceptedSignStrings", ())))
        if not isinstance(obj.get("typesAnyCase", False), bool):
            raise ValueError("typesAnyCase must be a boolean")
        for f in d.timestampFormats:
            if f not in TIMESTAMP_FORMATS:
                raise ValueError("unknown timestamp format %r" % f)
        for v in d.acceptedSignStrings:
            if v not in SIGN_STRING_VARIANTS:
                raise ValueError("unknown sign string variant %r" % v)
        return d


class OpenError(Exception):
    """Why an envelope was refused."""


def _b64decode(s: str) -> bytes:
    try:
        return base64.b64decode(s.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise ValueError("not standard base64") from exc


def public_key_from_b64(b64: str):
    return gm.SM2_CURVE.decode_point(_b64decode(b64))


def private_key_from_b64(b64: str) -> int:
    raw = _b64decode(b64)
    if len(raw) != 32:
        raise ValueError("private key must be the 32-byte scalar")
    d = int.from_bytes(raw, "big")
    if not 1 <= d <= gm.SM2_CURVE.n - 2:
        raise ValueError("private key out of range")
    return d


def encode_signature(r: int, s: int, encoding: str) -> str:
    sig = gm.raw_encode(r, s) if encoding == "raw" else gm.der_encode(r, s)
    return base64.b64encode(sig).decode("ascii")


def seal(data_text, app_id: str, app_secret: str, private_key: int, timestamp: int,
         profile: Profile = Profile(), extra_members: dict | None = None) -> dict:
    """Returns the envelope as a dict (string values; the caller writes JSON).
    data_text: the business data as JSON text; it is re-written as compact JSON with sorted keys."""
    data_obj = parse_json(data_text)
    plaintext = write_typed(data_obj).encode("utf-8")
    env = {"appId": app_id, "encType": "SM4", "signType": "SM2", "timestamp": str(timestamp),
           "version": profile.version}
    if extra_members:
        env.update(extra_members)
    to_sign = dict(env)
    to_sign["data"] = data_obj
    s = sign_string(to_sign, app_secret)
    r_, s_ = gm.sm2_sign(private_key, s.encode("utf-8"), profile.signer_id(app_secret))
    env["encData"] = encrypt_data(derive_key(app_id, app_secret), plaintext, profile.encDataHexCase)
    env["signData"] = encode_signature(r_, s_, profile.signatureEncoding)
    return env


def _timestamp_ms(v) -> int:
    if isinstance(v, Num):
        if not re.fullmatch(r"[0-9]+", v):
            raise OpenError("timestamp is not an integer number of milliseconds")
        return int(v)
    if isinstance(v, str) and re.fullmatch(r"[0-9]+", v):
        return int(v)
    raise OpenError("timestamp must be a string of digits or a JSON number")


_BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def _timestamp_by_shape(v, formats) -> int:
    """A lenient dialect reads the timestamp by its shape: 13 digits epoch milliseconds, 10 digits
    epoch seconds, 14 digits a valid yyyyMMddHHmmss in Beijing time (UTC+8); each only when the
    dialect lists that format. Any other shape is refused. Returns epoch milliseconds."""
    if isinstance(v, (Num, str)) and re.fullmatch(r"[0-9]+", v) and v.isascii():
        text = str(v)
    else:
        raise OpenError("timestamp must be a string of digits or a JSON integer")
    if len(text) == 13 and "milliseconds" in formats:
        return int(text)
    if len(text) == 10 and "seconds" in formats:
        return int(text) * 1000
    if len(text) == 14 and "yyyyMMddHHmmss" in formats:
        y, mo, d, h, mi, s = (int(text[i:j]) for i, j in ((0, 4), (4, 6), (6, 8), (8, 10), (10, 12), (12, 14)))
        try:
            if y < 1970:
                raise ValueError
            when = datetime.datetime(y, mo, d, h, mi, s, tzinfo=_BEIJING)
        except ValueError:
            raise OpenError("timestamp %s: 14 digits that are not a valid yyyyMMddHHmmss" % text) from None
        return int(when.timestamp()) * 1000
    raise OpenError("timestamp %s has none of the accepted shapes (%s)" % (text, ", ".join(formats)))


def _types_match(sent: str, wanted: str, any_case: bool) -> bool:
    if sent == wanted:
        return True
    # any case, ASCII only: "sm4", "Sm4" — not e.g. "\u017fm4", which some upper-case mappings turn into "SM4"
    return any_case and sent.isascii() and sent.upper() == wanted


def open_envelope(envelope_text, app_id: str, app_secret: str, peer_public_key,
                  now_ms: int, profile: Profile = Profile(), *, dialect=None) -> str:
    """Verifies and decrypts; returns the plaintext business JSON text. Raises OpenError.

    `dialect`: None (strict, the default), a Dialect, or a profile's `hse` section as a dict."""
    if isinstance(dialect, dict):
        dialect = Dialect.from_json(dialect)
    try:
        env = parse_json(envelope_text)
    except JSONError as exc:
        raise OpenError("envelope is not JSON: %s" % exc) from exc
    if not isinstance(env, dict):
        raise OpenError("envelope is not a JSON object")
    for f in ("appId", "encType", "signType", "timestamp", "version", "encData", "signData"):
        if f not in env:
            raise OpenError("missing %s" % f)
    for f in ("appId", "encType", "signType", "version", "encData", "signData"):
        if not isinstance(env[f], str) or isinstance(env[f], Num):
            raise OpenError("%s must be a string" % f)
    if env["appId"] != app_id:
        raise OpenError("unknown appId")
    any_case = dialect is not None and dialect.typesAnyCase
    if not _types_match(env["encType"], "SM4", any_case):
        raise OpenError("encType must be SM4")
    if not _types_match(env["signType"], "SM2", any_case):
        raise OpenError("signType must be SM2")
    if env["version"] != profile.version:
        raise OpenError("version %s does not match the profile" % env["version"])
    if dialect is None:
        ts = _timestamp_ms(env["timestamp"])
    else:
        ts = _timestamp_by_shape(env["timestamp"], dialect.timestampFormats)
    if abs(ts - now_ms) > profile.timestampWindowSeconds * 1000:
        raise OpenError("timestamp outside the window")
    try:
        plaintext = decrypt_data(derive_key(app_id, app_secret), env["encData"], profile.encDataHexCase)
    except ValueError as exc:
        raise OpenError("cannot decrypt encData: %s" % exc) from exc
    try:
        data_text = plaintext.decode("utf-8")
        data_obj = parse_json(data_text)
    except (UnicodeDecodeError, JSONError) as exc:
        raise OpenError("decrypted data is not JSON: %s" % exc) from exc
    to_sign = dict(env)
    to_sign["data"] = data_obj
    try:
        r_, s_ = gm.decode_signature(_b64decode(env["signData"]), profile.signatureEncoding)
    except ValueError as exc:
        raise OpenError("signData is not a %s signature: %s" % (profile.signatureEncoding, exc)) from exc
    # the canonical string first, then each string the dialect accepts (each variant alone)
    variants = (None,) + (tuple(dialect.acceptedSignStrings) if dialect is not None else ())
    for variant in variants:
        s = sign_string(to_sign, app_secret, variant)
        if gm.sm2_verify(peer_public_key, s.encode("utf-8"), r_, s_, profile.signer_id(app_secret)):
            return data_text
    raise OpenError("signature does not verify")


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def _profile_args(p):
    p.add_argument("--signer-id", choices=["default", "appSecret"], default="default")
    p.add_argument("--signature-encoding", choices=["raw", "der"], default="raw")
    p.add_argument("--hex-case", choices=["upper", "lower"], default="upper")
    p.add_argument("--version", dest="env_version", default="2.0.1")
    p.add_argument("--window", type=int, default=300, help="timestamp window, seconds")


def _profile(a) -> Profile:
    return Profile(signerID=a.signer_id, signatureEncoding=a.signature_encoding,
                   encDataHexCase=a.hex_case, version=a.env_version, timestampWindowSeconds=a.window)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="hse.py", description="HSE envelope (profile nhsa-2.0), independent Python implementation")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seal", help="seal business data JSON into an envelope")
    s.add_argument("--app-id", required=True)
    s.add_argument("--app-secret", required=True)
    s.add_argument("--private-key", required=True, help="base64 of the 32-byte SM2 scalar")
    s.add_argument("--timestamp", type=int, help="epoch milliseconds (default: now)")
    _profile_args(s)
    s.add_argument("file", help="business data JSON file, or - for stdin")
    o = sub.add_parser("open", help="verify and decrypt an envelope, print the business data")
    o.add_argument("--app-id", required=True)
    o.add_argument("--app-secret", required=True)
    o.add_argument("--peer-public-key", required=True, help="base64 of the 65-byte point 04||X||Y")
    o.add_argument("--now", type=int, help="receiver clock, epoch milliseconds (default: now)")
    o.add_argument("--dialect", metavar="FILE",
                   help="accept the HSE variants of a profile file's `hse` section (e.g. profiles/national.json); "
                        "default: strict")
    _profile_args(o)
    o.add_argument("file", help="envelope JSON file, or - for stdin")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "seal":
            d = private_key_from_b64(a.private_key)
            ts = a.timestamp if a.timestamp is not None else int(time.time() * 1000)
            env = seal(_read(a.file), a.app_id, a.app_secret, d, ts, _profile(a))
            sys.stdout.write(json.dumps(env, ensure_ascii=False, separators=(",", ":")) + "\n")
            return 0
        pub = public_key_from_b64(a.peer_public_key)
        now = a.now if a.now is not None else int(time.time() * 1000)
        dialect = None
        if a.dialect:
            section = json.loads(_read(a.dialect))
            dialect = Dialect.from_json(section["hse"] if "hse" in section else section)
        sys.stdout.write(open_envelope(_read(a.file), a.app_id, a.app_secret, pub, now, _profile(a),
                                       dialect=dialect) + "\n")
        return 0
    except (OpenError, ValueError) as exc:
        print("hse.py %s: %s" % (a.cmd, exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
