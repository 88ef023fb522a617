"""Flags (the notes of every vector file) and the JSON Schemas of vectors/schemas/."""

from __future__ import annotations

GENERATOR_VERSION = "1"

BUG_TYPES = [
    "BASIC", "KNOWN_ANSWER", "EDGE_CASE", "MODIFIED_INPUT", "MODIFIED_SIGNATURE",
    "WRONG_PARAMETER", "ENCODING", "BER_ENCODING", "MISSING_STEP", "WRONG_PRIMITIVE",
    "LEGACY_SDK_BUG",
]

# name -> (bugType, description). A file's `notes` holds the flags its tests use.
FLAGS = {
    # ---- generic ----
    "Basic": ("BASIC", "An ordinary correct case."),
    "KnownAnswer": ("KNOWN_ANSWER", "A published example from the GB/T standard (GB/T 32905 SM3, GB/T 32907 SM4)."),
    "EmptyMessage": ("EDGE_CASE", "The message is empty (zero bytes)."),
    "LongMessage": ("BASIC", "A message spanning many blocks."),
    "NonAscii": ("BASIC", "Non-ASCII text (Chinese, accented letters, emoji) as UTF-8."),
    # ---- SM3 ----
    "PaddingBoundary": ("EDGE_CASE", "Message length at an SM3 padding boundary (55, 56, 63, 64 or 65 bytes)."),
    "BitFlip": ("MODIFIED_INPUT", "The expected digest has one bit flipped: a correct implementation computes a different digest."),
    "TruncatedDigest": ("MODIFIED_INPUT", "The expected digest is shorter (or longer) than 32 bytes: comparing only a prefix is a bug."),
    "WrongAlgorithm": ("WRONG_PRIMITIVE", "The expected value was computed with another algorithm (SHA-256 instead of SM3)."),
    # ---- SM4 ----
    "MillionRounds": ("KNOWN_ANSWER", "GB/T 32907 example 2: the block encrypted 1,000,000 times with the same key (field iterations)."),
    "MultiBlock": ("BASIC", "Several blocks: checks chaining (CBC) or independent blocks (ECB)."),
    "Pkcs7": ("BASIC", "PKCS#7 padding with a message that is not a multiple of 16 bytes."),
    "Pkcs7FullBlock": ("EDGE_CASE", "Message length a multiple of 16: PKCS#7 adds a whole block of 0x10 bytes."),
    "BadPadding": ("MODIFIED_INPUT", "The ciphertext decrypts to malformed PKCS#7 padding (pad byte 0, pad byte > 16, or pad bytes that differ); decryption must fail. `msg` is the data part of the crafted plaintext."),
    "BadLength": ("MODIFIED_INPUT", "The ciphertext length is not a positive multiple of 16 bytes; decryption must fail."),
    # ---- signatures ----
    "ModifiedMessage": ("MODIFIED_INPUT", "The signature is valid for a different message."),
    "WrongSignerId": ("WRONG_PARAMETER", "SM2 signature made with another signer ID than the group's (e.g. appSecret instead of 1234567812345678, or the other way round)."),
    "EmptySignerId": ("WRONG_PARAMETER", "SM2 signature made with an EMPTY signer ID: what OpenSSL 3.0 does when no ID is set (EVP_PKEY_CTX_set1_id / distid missing). OpenSSL verifies it only when no distid is given; with the group's ID it fails."),
    "NonAsciiSignerId": ("EDGE_CASE", "The signer ID holds non-ASCII or punctuation characters: the ID is its UTF-8 bytes (ENTL = 8 x byte length)."),
    "ZeroR": ("EDGE_CASE", "r = 0; must be rejected by the range check 1 <= r <= n-1."),
    "ZeroS": ("EDGE_CASE", "s = 0; must be rejected by the range check 1 <= s <= n-1."),
    "ZeroT": ("EDGE_CASE", "SM2 with r + s = n, i.e. t = 0: GB/T 32918.2 step B5 requires rejecting it."),
    "RangeCheck": ("EDGE_CASE", "r or s is >= n (n, n + small, 2^256 - 1, or r + n which a verifier reducing mod n without a range check would accept)."),
    "Truncated": ("ENCODING", "The signature is cut short (63 raw bytes, or DER missing bytes)."),
    "WrongLength": ("ENCODING", "A raw signature that is not exactly 64 bytes (empty, or an extra byte)."),
    "DerWhereRawExpected": ("ENCODING", "A correct signature, but DER-encoded in a group that expects raw 64-byte r||s. Only the encoding is wrong (OpenSSL verifies the DER form)."),
    "RawWhereDerExpected": ("ENCODING", "A correct signature, but raw r||s in a group that expects DER. Only the encoding is wrong."),
    "BerEncoding": ("BER_ENCODING", "Non-canonical (BER, not DER) encoding of a correct signature: an INTEGER with an extra leading zero, or a long-form length. DER is required."),
    "TrailingData": ("BER_ENCODING", "A correct DER signature followed by extra bytes."),
    "NegativeInteger": ("BER_ENCODING", "r is encoded as a negative DER INTEGER (its top bit set without the leading 0x00)."),
    "WrongKey": ("WRONG_PARAMETER", "Signed by another private key than the one belonging to the group's public key."),
    "ModifiedSignature": ("MODIFIED_SIGNATURE", "A correct signature with a bit flipped, or r and s swapped."),
    "PublishedExample": ("KNOWN_ANSWER", "GB/T 32918.5-2017 / GM/T 0003.5-2012 Annex A signature example on the recommended curve: d = 3945208F..., k = 59276E27..., message \"message digest\"; its published r, s are for signer ID 1234567812345678 (Z = B2E14C5C...)."),
    "RealPlatformAnswer": ("KNOWN_ANSWER", "A signature made by the real national platform on one of its HSE answers, as published with its public key and signed string in a public issue (luckykellan/dart_sm#10): code 0, message 成功, type success, timestamp in seconds. It verifies with the default signer ID 1234567812345678 over the string ending in &key=<appSecret>; not with the appSecret as ID, an empty ID, or without &key=."),
    "FixedNonce": ("KNOWN_ANSWER", "Annex A's private key and nonce k, recomputed by the generator for signer ID ALICE123@YAHOO.COM (not a published value; verified with openssl -pkeyopt distid:ALICE123@YAHOO.COM)."),
    "SignatureMalleability": ("EDGE_CASE", "ECDSA (r, n - s) for a valid (r, s): also a valid ECDSA signature; standard verifiers (OpenSSL, cryptography) accept it."),
    # ---- HSE string to sign ----
    "DocExample": ("KNOWN_ANSWER", "The example of docs/ENVELOPE.md section 2, verbatim."),
    "Nesting": ("BASIC", "Nested objects: keys sorted recursively, compact JSON, leaves as strings (section 2.4)."),
    "ArrayOfObjects": ("BASIC", "An array of objects (e.g. feedetailList): array order kept, each object's keys sorted."),
    "ArrayOfScalars": ("EDGE_CASE", "Arrays of scalars and nested arrays: every leaf becomes a JSON string, order kept."),
    "TopLevelArray": ("EDGE_CASE", "A top-level member whose value is an array: written as compact JSON with string leaves."),
    "NumberLiteral": ("EDGE_CASE", "Number literals keep their text (12.00, 0.10, 1e3, 1E+2, -0): never re-formatted; inside data they become JSON strings."),
    "NumericTimestamp": ("EDGE_CASE", "timestamp is a JSON number instead of a string of digits: written as its literal digits."),
    "Boolean": ("BASIC", "true / false: the words at top level, \"true\" / \"false\" inside objects and arrays."),
    "EmptyValues": ("EDGE_CASE", "null, \"\" and [] are removed recursively, bottom-up (an array emptied by the removal is removed too)."),
    "FalsyValuesKept": ("EDGE_CASE", "0, \"0\", false and \" \" are not empty values and are kept."),
    "EmptyObjectKept": ("EDGE_CASE", "An empty object {} (also one emptied by the removal) is kept."),
    "NonAsciiSecret": ("EDGE_CASE", "appSecret with non-ASCII and '&' / '=' characters: appended as is."),
    "EscapedCharacters": ("EDGE_CASE", "Quotes, backslashes, control characters, '/' and U+007F: minimal escaping inside objects/arrays (\\\" \\\\ \\b \\f \\n \\r \\t \\u00xx lower-case), raw characters at top level."),
    "SignDataIgnored": ("BASIC", "Top-level signData and encData are left out; a nested member named signData is kept."),
    "ExtraIgnored": ("BASIC", "Top-level extra is left out; a nested member named extra is kept."),
    "KeyOrder": ("EDGE_CASE", "Key sorting by Unicode code point (upper case before lower case, '_' after letters, prefixes first)."),
    "KeyOrderNonBmp": ("EDGE_CASE", "Keys with characters beyond U+FFFF: code point order differs from UTF-16 code unit order (Java String.compareTo, C# ordinal)."),
    "ResponseEnvelope": ("BASIC", "A response envelope: code, message, success and type are signed like the other members."),
    "TransType": ("BASIC", "The optional member transType is present and signed."),
    "InputWhitespace": ("EDGE_CASE", "The input JSON text has whitespace and a different member order: the result does not depend on it."),
    "RealisticPayload": ("BASIC", "Realistic business data (PROTOCOL.md: 6201 uldFeeInfo, settlement callback, e-prescription)."),
    "NullData": ("EDGE_CASE", "data is null: removed like any null value, so no data= pair."),
    "UnsortedKeys": ("LEGACY_SDK_BUG", "Top-level members not sorted (kept in insertion order)."),
    "NestedKeysUnsorted": ("LEGACY_SDK_BUG", "Top level sorted but keys of nested objects left in document order."),
    "NumbersNotStringified": ("LEGACY_SDK_BUG", "Numbers inside data written as JSON numbers instead of strings."),
    "BooleansNotStringified": ("LEGACY_SDK_BUG", "Booleans inside data written as JSON true/false instead of strings."),
    "NumberReformatted": ("LEGACY_SDK_BUG", "Number literals re-formatted by a float round trip (12.00 -> 12.0 or 12)."),
    "EmptyValuesKept": ("LEGACY_SDK_BUG", "null / \"\" / [] not removed."),
    "EmptyObjectDropped": ("LEGACY_SDK_BUG", "An empty object {} removed although the contract keeps it."),
    "NotBottomUp": ("LEGACY_SDK_BUG", "Removal not bottom-up: an array emptied by the removal is kept as []."),
    "JsonWithSpaces": ("LEGACY_SDK_BUG", "Nested JSON written with spaces after ',' and ':'."),
    "SignDataIncluded": ("LEGACY_SDK_BUG", "signData / encData not left out."),
    "ExtraIncluded": ("LEGACY_SDK_BUG", "extra not left out."),
    "ExcludedRecursively": ("LEGACY_SDK_BUG", "signData / encData / extra removed at every depth instead of the top level only."),
    "TopLevelStringQuoted": ("LEGACY_SDK_BUG", "Top-level string values written with quotes."),
    "AsciiEscaped": ("LEGACY_SDK_BUG", "Non-ASCII characters escaped as \\uXXXX instead of raw UTF-8."),
    "SlashEscaped": ("LEGACY_SDK_BUG", "'/' escaped as \\/."),
    "UpperCaseUnicodeEscape": ("LEGACY_SDK_BUG", "Control characters escaped with upper-case hex (\\u001F) instead of lower-case."),
    "KeyMissing": ("LEGACY_SDK_BUG", "The &key=<appSecret> suffix is missing."),
    "Utf16KeyOrder": ("LEGACY_SDK_BUG", "Keys sorted by UTF-16 code units instead of code points."),
    # ---- HSE encryption ----
    "BlockBoundary": ("EDGE_CASE", "Business data of 15, 16 or 17 bytes (PKCS#7 boundary)."),
    "AppIdExactly16": ("EDGE_CASE", "appId of exactly 16 characters."),
    "LowerCaseDerivation": ("LEGACY_SDK_BUG", "Derived key taken from the LOWER-case hex of SM4(K1, appSecret)."),
    "UnderivedKey": ("LEGACY_SDK_BUG", "appSecret (its first 16 characters) used directly as the SM4 key, without derivation."),
    "ShortAppId": ("EDGE_CASE", "appId shorter than 16 characters: must be refused; these values are what an SDK that zero-pads K1 produces."),
    "ZeroPadding": ("LEGACY_SDK_BUG", "Business data padded with zero bytes instead of PKCS#7."),
    "SwappedDerivation": ("LEGACY_SDK_BUG", "K1 taken from appSecret and appId encrypted (roles swapped)."),
    # ---- HSE envelope ----
    "NonCanonicalPlaintext": ("EDGE_CASE", "The encrypted business JSON has whitespace and unsorted keys: a receiver must accept any valid JSON text (section 4)."),
    "TimestampEdge": ("EDGE_CASE", "timestamp exactly at the edge of the window (|now - timestamp| = window): accepted."),
    "ProfileDer": ("BASIC", "Profile setting signatureEncoding = der."),
    "ProfileAppSecretId": ("BASIC", "Profile setting signerID = appSecret (the UTF-8 bytes of appSecret are the SM2 ID)."),
    "ProfileLowerHex": ("BASIC", "Profile setting encDataHexCase = lower."),
    "ProfileVersion": ("BASIC", "Profile with version 1.0.0 and a 60-second window."),
    "DerSignature": ("ENCODING", "signData is a DER signature in a raw-profile group (or the signature otherwise has the wrong encoding)."),
    "RawSignature": ("ENCODING", "signData is a raw 64-byte signature in a der-profile group."),
    "LowerCaseHex": ("ENCODING", "encData in lower-case hex in an upper-case profile."),
    "UpperCaseHex": ("ENCODING", "encData in upper-case hex in a lower-case profile."),
    "StaleTimestamp": ("EDGE_CASE", "timestamp older than now - window."),
    "FutureTimestamp": ("EDGE_CASE", "timestamp later than now + window."),
    "TamperedEncData": ("MODIFIED_INPUT", "encData decrypts to other business data than was signed (`data` holds what encData decrypts to)."),
    "WrongAppSecret": ("WRONG_PARAMETER", "Sealed with another appSecret: decryption with the group's key fails or gives garbage (`data` is what the sender encrypted)."),
    "MissingSignData": ("MISSING_STEP", "No signData member."),
    "UnknownAppId": ("WRONG_PARAMETER", "The envelope's appId is not the group's appId."),
    "VersionMismatch": ("EDGE_CASE", "version differs from the profile's; a receiver may refuse it or accept it (result acceptable)."),
    "ResponseFieldsNotSigned": ("LEGACY_SDK_BUG", "Response signed without code/message/success/type."),
    # ---- HSE envelope dialects (group member `dialect`, docs/DIALECTS.md section 9) ----
    "LowerCaseTypes": ("LEGACY_SDK_BUG", "encType / signType in lower case (\"sm4\" / \"sm2\"), as the official-demo-derived vendor util sends them: accepted where the group's dialect has typesAnyCase (ASCII case only), refused by a strict receiver."),
    "TimestampSeconds": ("LEGACY_SDK_BUG", "timestamp in epoch seconds (10 digits), the unit of the real platform's answers: read by its shape and checked against the window where the dialect lists \"seconds\"; a strict receiver reads it as milliseconds, far outside the window."),
    "TimestampCompact": ("LEGACY_SDK_BUG", "timestamp as Beijing local time yyyyMMddHHmmss (UTC+8, 14 digits), as Shanxi's mobile-payment backend sends it: read by its shape and checked against the window where the dialect lists \"yyyyMMddHHmmss\"; a strict receiver reads it as milliseconds, far outside the window."),
    "CaseInsensitiveSort": ("LEGACY_SDK_BUG", "Signed over the top-level k=v pairs sorted case-insensitively (the official util's String.CASE_INSENSITIVE_ORDER over the \"k=v&\" texts; nested keys stay in code point order): a member such as ZoneId sorts among the others instead of first. Accepted where the dialect lists case-insensitive-sort."),
    "NativeTypes": ("LEGACY_SDK_BUG", "Signed with the numbers and booleans inside data written as JSON numbers / booleans instead of strings (Shanxi's backend). Accepted where the dialect lists native-types."),
    "OfficialDemo": ("LEGACY_SDK_BUG", "A request as the official-demo-derived util writes it: lower-case types, timestamp as a JSON number of epoch milliseconds, transType, pairs sorted case-insensitively."),
    "StrictProfile": ("EDGE_CASE", "An envelope the dialect group accepts, opened by a strict nhsa-2.0 receiver (a group without dialect): it must be refused."),
    "UnrecognisedTimestamp": ("MODIFIED_INPUT", "A timestamp of none of the accepted shapes (12 digits, a date with dashes, 14 digits that are no valid yyyyMMddHHmmss): refused even by a lenient dialect (a receiver that reads other digit strings as milliseconds finds them far outside the window)."),
    "UnknownEncType": ("WRONG_PARAMETER", "encType that is not SM4 in any letter case (\"Sm5\"): refused even where the dialect has typesAnyCase."),
}

# --------------------------------------------------------------------------
# JSON Schemas
# --------------------------------------------------------------------------

HEX = {"type": "string", "pattern": "^([0-9a-f]{2})*$"}
HEX_NONEMPTY = {"type": "string", "pattern": "^([0-9a-f]{2})+$"}
RESULT = {"enum": ["valid", "invalid", "acceptable"]}


def _test(fields: dict, blind: bool = False) -> dict:
    props = {"tcId": {"type": "integer", "minimum": 1}}
    if not blind:
        props["comment"] = {"type": "string"}
        props["flags"] = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
    props.update(fields)
    required = list(props)
    if not blind:
        props["result"] = RESULT
        required.append("result")
    optional = [k for k, v in fields.items() if v.get("x-optional")]
    for k in optional:
        props[k] = {kk: vv for kk, vv in props[k].items() if kk != "x-optional"}
        required.remove(k)
    return {"type": "object", "additionalProperties": False, "required": required, "properties": props}


def _group(type_name: str, params: dict, test_fields: dict, blind: bool = False) -> dict:
    props = {"type": {"const": type_name}}
    props.update(params)
    props["tests"] = {"type": "array", "minItems": 1, "items": _test(test_fields, blind)}
    required = list(props)
    for k in [k for k, v in params.items() if v.get("x-optional")]:
        props[k] = {kk: vv for kk, vv in props[k].items() if kk != "x-optional"}
        required.remove(k)
    return {"type": "object", "additionalProperties": False, "required": required, "properties": props}


def _document(name: str, title: str, group: dict, blind: bool = False) -> dict:
    props = {
        "algorithm": {"type": "string"},
        "schema": {"const": name},
        "generatorVersion": {"type": "string"},
        "numberOfTests": {"type": "integer", "minimum": 1},
        "header": {"type": "array", "items": {"type": "string"}},
    }
    if not blind:
        props["notes"] = {
            "type": "object",
            "additionalProperties": {
                "type": "object", "additionalProperties": False, "required": ["bugType", "description"],
                "properties": {"bugType": {"enum": BUG_TYPES}, "description": {"type": "string"}},
            },
        }
    props["testGroups"] = {"type": "array", "minItems": 1, "items": group}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": name,
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "required": list(props),
        "properties": props,
    }


_PROFILE = {
    "type": "object", "additionalProperties": False,
    "required": ["name", "signerID", "signatureEncoding", "encDataHexCase", "version", "timestampWindowSeconds"],
    "properties": {
        "name": {"const": "nhsa-2.0"},
        "signerID": {"enum": ["default", "appSecret"]},
        "signatureEncoding": {"enum": ["raw", "der"]},
        "encDataHexCase": {"enum": ["upper", "lower"]},
        "version": {"enum": ["2.0.1", "1.0.0"]},
        "timestampWindowSeconds": {"type": "integer", "minimum": 0},
    },
}

_TIMESTAMP_FORMAT = {"enum": ["milliseconds", "seconds", "yyyyMMddHHmmss"]}

# a profile file's `hse` section (docs/DIALECTS.md section 9); every member optional, absent = strict
_DIALECT = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "typesAnyCase": {"type": "boolean"},
        "timestampFormats": {"type": "array", "items": _TIMESTAMP_FORMAT, "uniqueItems": True},
        "acceptedSignStrings": {"type": "array", "uniqueItems": True,
                                "items": {"enum": ["case-insensitive-sort", "native-types", "empty-objects-dropped"]}},
        "answerCodeAsString": {"type": "boolean"},
        "answerType": {"type": "string"},
        "answerMessage": {"type": "string"},
        "answerTimestamp": _TIMESTAMP_FORMAT,
    },
    "x-optional": True,
}

_ENVELOPE_PARAMS = {
    "profile": _PROFILE,
    "appId": {"type": "string"},
    "appSecret": {"type": "string"},
    "senderPublicKey": {"type": "string", "pattern": "^[A-Za-z0-9+/]{87}=$"},
    "now": {"type": "integer", "minimum": 0},
    "dialect": _DIALECT,
}
_ENVELOPE_FIELDS = {"envelope": {"type": "string"}, "data": {"type": "string"},
                    "signString": {"type": "string", "x-optional": True}}
_SIGN_STRING_PARAMS = {"appSecret": {"type": "string"}}
_SIGN_STRING_FIELDS = {"envelope": {"type": "string"}, "signString": {"type": "string"}}


def schemas() -> dict:
    return {
        "hash_test_schema.json": _document(
            "hash_test_schema.json", "Hash test vectors (SM3)",
            _group("HashTest", {}, {"msg": HEX, "digest": HEX})),
        "block_cipher_test_schema.json": _document(
            "block_cipher_test_schema.json", "Block cipher test vectors (SM4)",
            _group("BlockCipherTest", {"mode": {"enum": ["ECB", "CBC"]}, "padding": {"enum": ["none", "pkcs7"]}},
                   {"key": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                    "iv": {"type": "string", "pattern": "^([0-9a-f]{32})?$"},
                    "msg": HEX, "ct": HEX,
                    "iterations": {"type": "integer", "minimum": 1, "x-optional": True}})),
        "sm2_verify_schema.json": _document(
            "sm2_verify_schema.json", "SM2 signature verification test vectors",
            _group("Sm2Verify",
                   {"publicKey": {"type": "string", "pattern": "^04[0-9a-f]{128}$"},
                    "publicKeyBase64": {"type": "string", "pattern": "^[A-Za-z0-9+/]{87}=$"},
                    "signerId": {"type": "string"},
                    "sigEncoding": {"enum": ["raw", "der"]}},
                   {"msg": HEX, "sig": HEX})),
        "ecdsa_verify_schema.json": _document(
            "ecdsa_verify_schema.json", "ECDSA signature verification test vectors",
            _group("EcdsaVerify",
                   {"curve": {"const": "secp256r1"}, "sha": {"const": "SHA-256"},
                    "publicKey": {"type": "string", "pattern": "^04[0-9a-f]{128}$"},
                    "sigEncoding": {"enum": ["raw", "der"]}},
                   {"msg": HEX, "sig": HEX})),
        "hse_sign_string_schema.json": _document(
            "hse_sign_string_schema.json", "HSE envelope: the string to sign (docs/ENVELOPE.md section 2)",
            _group("HseSignString", _SIGN_STRING_PARAMS, _SIGN_STRING_FIELDS)),
        "hse_sign_string_prompt_schema.json": _document(
            "hse_sign_string_prompt_schema.json", "HSE string to sign, blind prompt (no results)",
            _group("HseSignString", _SIGN_STRING_PARAMS, _SIGN_STRING_FIELDS, blind=True), blind=True),
        "hse_encryption_schema.json": _document(
            "hse_encryption_schema.json", "HSE envelope: key derivation and encData (docs/ENVELOPE.md section 4)",
            _group("HseEncryption", {},
                   {"appId": {"type": "string"}, "appSecret": {"type": "string"},
                    "derivedKey": {"type": "string", "pattern": "^[\\x20-\\x7e]{16}$"},
                    "data": {"type": "string"},
                    "encData": {"type": "string", "pattern": "^([0-9A-F]{32})+$"}})),
        "hse_envelope_schema.json": _document(
            "hse_envelope_schema.json", "HSE envelope: seal/open (docs/ENVELOPE.md)",
            _group("HseEnvelope", _ENVELOPE_PARAMS, _ENVELOPE_FIELDS)),
        "hse_envelope_prompt_schema.json": _document(
            "hse_envelope_prompt_schema.json", "HSE envelope, blind prompt (no results)",
            _group("HseEnvelope", _ENVELOPE_PARAMS, _ENVELOPE_FIELDS, blind=True), blind=True),
        "blind_expected_schema.json": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "blind_expected_schema.json",
            "title": "Expected results of a blind prompt file",
            "type": "object",
            "additionalProperties": False,
            "required": ["algorithm", "schema", "numberOfTests", "source", "results"],
            "properties": {
                "algorithm": {"type": "string"},
                "schema": {"const": "blind_expected_schema.json"},
                "numberOfTests": {"type": "integer", "minimum": 1},
                "source": {"type": "string"},
                "results": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["tcId", "result", "flags"],
                    "properties": {"tcId": {"type": "integer", "minimum": 1}, "result": RESULT,
                                   "flags": {"type": "array", "items": {"type": "string"}}}}},
            },
        },
    }
