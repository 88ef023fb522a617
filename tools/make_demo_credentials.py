#!/usr/bin/env python3
"""Writes certs/demo-credentials.json: the demo institutions' HSE/FSI app credentials.

Run once; the output is committed. The demo hospital and pharmacy reuse the SM2 key
pairs of their certificates in certs/sm2/; the other institutions get fresh SM2 key
pairs (generated with tools/vectors/gm.py, no OpenSSL). TEST KEYS ONLY.
"""
import base64, json, os, secrets, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools", "vectors"))
import gm  # noqa: E402


def raw(name):
    with open(os.path.join(ROOT, "certs", "sm2", name + ".raw.json")) as f:
        return json.load(f)


def fresh():
    d = secrets.randbelow(gm.SM2_CURVE.n - 2) + 1
    pub = gm.SM2_CURVE.encode_point(gm.sm2_public_key(d))
    return {"privateKey": base64.b64encode(d.to_bytes(32, "big")).decode(), "publicKey": base64.b64encode(pub).decode()}


def app(code, name, note, keys, cert=None):
    entry = {
        "fixmedins_code": code,
        "fixmedins_name": name,
        "note": note,
        "appId": "YB" + code + secrets.token_hex(4).upper(),
        "appSecret": secrets.token_hex(16).upper(),
        "privateKey": keys["privateKey"],
        "publicKey": keys["publicKey"],
    }
    if cert:
        entry["certificate"] = "sm2/" + cert + ".cert.pem"
        entry["privateKeyPem"] = "sm2/" + cert + ".key.pem"
    # Transport credentials of the dialect profiles (docs/DIALECTS.md): Alibaba CSB, the Guangdong
    # x-tif gateway, the Jilin OAuth2 password grant (the 16-character clientId is also the SM4 key
    # of profile jilin-encrypted).
    entry["csb"] = {"accessKey": "AK" + code + secrets.token_hex(4).upper(), "secretKey": secrets.token_hex(16)}
    entry["tif"] = {"paasid": "tif_" + code.lower(), "token": secrets.token_hex(16)}
    entry["oauth"] = {"clientId": code[:1] + secrets.token_hex(8)[:15].upper(), "clientSecret": secrets.token_hex(16),
                      "username": "his_" + code.lower(), "password": secrets.token_hex(8), "scope": "server"}
    return entry


platform = raw("platform")
doc = {
    "description": "Demo credentials for yibao-gateway. TEST ONLY: every secret here is public. "
                   "See certs/README.md (Demo credentials).",
    "adminToken": "yibao-dev-admin-token",
    "channel": {"id": "nhsa-app", "name": "National medical-insurance app (simulated)", "token": "yibao-dev-channel-token"},
    "platform": {
        "publicKey": platform["publicKey"],
        "certificate": "sm2/platform.cert.pem",
        "privateKeyPem": "sm2/platform.key.pem",
        "signerID": "1234567812345678",
    },
    "institutions": [
        app("H12010100001", "Tianjin First Central Hospital", "hospital with an active Internet+ agreement", raw("hospital"), "hospital"),
        app("H12010100002", "Tianjin Heping Community Hospital", "designated hospital without an Internet+ agreement", fresh()),
        app("H11010500003", "Beijing Chaoyang Riverside Hospital", "hospital whose entity agreement (and so its Internet+ agreement, AG-5) is suspended", fresh()),
        app("P12010100001", "Tianjin Haihe Pharmacy", "designated retail pharmacy with an active Internet+ agreement", raw("pharmacy"), "pharmacy"),
    ],
}
with open(os.path.join(ROOT, "certs", "demo-credentials.json"), "w") as f:
    json.dump(doc, f, ensure_ascii=False, indent=2)
    f.write("\n")
print("wrote certs/demo-credentials.json")
