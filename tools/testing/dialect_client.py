#!/usr/bin/env python3
"""Real-HIS-style FSI clients, one per dialect profile — written from the description of the
public vendor code (transport authentication, answers, paths), not from yibao's Swift code.

Each client behaves as the vendor code does: it throws on any HTTP status other than 200 (the
official-style demo and openhis `FileService` do), reads `infcode` whether it is a number or a
string, and shows `err_msg`. Only the Python standard library and the pure-Python GM/T code of
tools/vectors/gm.py are used (no OpenSSL).

  national         no transport authentication (trusted network), cainfo "" and signtype "",
                   POST /fsi/api/rsfComIfsService/callService, Content-Type text/plain
  csb              Alibaba CSB (Henan): headers _api_name (= infno), _api_version, _api_timestamp
                   (epoch ms), _api_access_key, _api_signature = Base64(HMAC-SHA1(secretKey,
                   "k=v&…" of those four sorted by name)); POST /power-csb/powercsb/{infno}
  tif              Guangdong gateway: x-tif-paasid, x-tif-timestamp (epoch seconds), x-tif-nonce,
                   x-tif-signature = lower-case hex SHA-256(timestamp + token + nonce + timestamp)
  oauth            Jilin: POST /auth/oauth/token (HTTP Basic clientId:clientSecret; form
                   username, password, scope, grant_type=password) → access_token; then
                   Authorization: Bearer; POST /mbs/fmi/fsi/api/callFsiService/callService
  jilin-encrypted  oauth + enc_type "SM4": input = Base64(SM4-ECB-PKCS7(key = clientId bytes,
                   compact JSON of input)); cainfo = Base64(raw r‖s SM3-with-SM2, default ID, over
                   that JSON); the answer's output comes back encrypted the same way

Usage:
  python3 tools/testing/dialect_client.py --gateway http://127.0.0.1:8080 --profile csb run
  python3 tools/testing/dialect_client.py --gateway URL --profile oauth negative expired-token
  python3 tools/testing/dialect_client.py --help

`run` does 9001 → 1101 → 2201 for Zhang San (demo fixture) and prints one JSON line per step.
`negative NAME` sends one wrong request and prints the refusal as read by the client (exit 0 if
it was refused as HTTP 200 with infcode ≠ 0, 1 otherwise). Negative cases:
  national: not-json (a text/plain body that is not JSON), path-mismatch (9001 posted to …/callService/1101)
  csb: wrong-hmac, stale-timestamp, unsorted-string, seconds-timestamp, malformed-timestamp
  tif: wrong-signature, stale-timestamp, replayed-nonce, millisecond-timestamp
  oauth / jilin-encrypted: bad-password, unknown-token, expired-token (needs --admin-token and a
  --test-clock gateway), other-institution-token
  jilin-encrypted: wrong-client-key
Exit codes: 0 success, 1 refused or failed, 2 usage.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors"))
import gm  # noqa: E402  pure-Python SM2/SM3/SM4

BEIJING = timezone(timedelta(hours=8))
PATHS = {
    "national": "/fsi/api/rsfComIfsService/callService",
    "tif": "/fsi/api/rsfComIfsService/callService",
    "oauth": "/mbs/fmi/fsi/api/callFsiService/callService",
    "jilin-encrypted": "/mbs/fmi/fsi/api/callFsiService/callService",
}


class NotOK(Exception):
    """What the vendor code throws on an HTTP status other than 200."""


class Refused(Exception):
    """infcode ≠ 0: the platform refused; `answer` is the parsed answer."""

    def __init__(self, answer: dict):
        super().__init__(answer.get("err_msg"))
        self.answer = answer


def http_post(url: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class DialectClient:
    def __init__(self, gateway: str, profile: str, credentials: dict, code: str, clock_offset: float = 0.0):
        found = [i for i in credentials["institutions"] if i["fixmedins_code"] == code]
        if not found:
            raise SystemExit("no institution %s in the credentials file" % code)
        self.inst = found[0]
        self.gateway = gateway.rstrip("/")
        self.profile = profile
        self.code = code
        self.offset = clock_offset  # the gateway's test clock minus ours, in seconds
        self.sign_no = ""
        self.token = None
        self.serial = random.randrange(10000)
        self.private_key = int.from_bytes(base64.b64decode(self.inst["privateKey"]), "big")

    def now(self) -> float:
        return time.time() + self.offset

    # ---- transport authentication -------------------------------------
    def csb_headers(self, infno: str, *, secret=None, timestamp=None, unsorted=False) -> dict:
        params = {"_api_name": infno, "_api_version": "1.0.0",
                  "_api_timestamp": str(timestamp if timestamp is not None else int(self.now() * 1000)),
                  "_api_access_key": self.inst["csb"]["accessKey"]}
        keys = list(params) if unsorted else sorted(params)
        text = "&".join("%s=%s" % (k, params[k]) for k in keys)
        key = (secret or self.inst["csb"]["secretKey"]).encode()
        params["_api_signature"] = base64.b64encode(hmac.new(key, text.encode(), hashlib.sha1).digest()).decode()
        return params

    def tif_headers(self, *, token=None, timestamp=None, nonce=None) -> dict:
        stamp = str(timestamp if timestamp is not None else int(self.now()))
        nonce = nonce or os.urandom(8).hex()
        token = token or self.inst["tif"]["token"]
        signature = hashlib.sha256((stamp + token + nonce + stamp).encode()).hexdigest()
        return {"x-tif-paasid": self.inst["tif"]["paasid"], "x-tif-timestamp": stamp, "x-tif-nonce": nonce, "x-tif-signature": signature}

    def fetch_token(self, password=None) -> dict:
        oauth = self.inst["oauth"]
        basic = base64.b64encode(("%s:%s" % (oauth["clientId"], oauth["clientSecret"])).encode()).decode()
        form = urllib.parse.urlencode({"username": oauth["username"], "password": password or oauth["password"],
                                       "scope": oauth["scope"], "grant_type": "password"}).encode()
        status, body = http_post(self.gateway + "/auth/oauth/token", form,
                                 {"Authorization": "Basic " + basic, "Content-Type": "application/x-www-form-urlencoded"})
        answer = json.loads(body)
        if status != 200:
            raise NotOK("token endpoint HTTP %d: %s" % (status, answer))
        self.token = answer["access_token"]
        return answer

    # ---- the envelope --------------------------------------------------
    def envelope(self, infno: str, input_obj, msgid=None) -> dict:
        now = datetime.fromtimestamp(self.now(), BEIJING)
        self.serial = (self.serial + 1) % 10000
        return {
            "infno": infno,
            "msgid": msgid or self.code + now.strftime("%Y%m%d%H%M%S") + "%04d" % self.serial,
            "mdtrtarea_admvs": self.code[1:7], "insuplc_admdvs": "", "recer_sys_code": "YIBAO",
            "dev_no": "", "dev_safe_info": "", "cainfo": "", "signtype": "", "infver": "V1.0",
            "opter_type": "1", "opter": "OP0001", "opter_name": "Operator One",
            "inf_time": now.strftime("%Y-%m-%d %H:%M:%S"),
            "fixmedins_code": self.code, "fixmedins_name": self.inst["fixmedins_name"],
            "sign_no": self.sign_no, "input": input_obj,
        }

    def encrypt_input(self, envelope: dict, key: bytes | None = None) -> dict:
        """Jilin: input → Base64(SM4-ECB-PKCS7(clientId bytes, JSON)), cainfo over that JSON."""
        text = compact(envelope["input"]).encode("utf-8")
        key = key or self.inst["oauth"]["clientId"].encode()
        envelope["input"] = base64.b64encode(gm.sm4_encrypt(key, text)).decode()
        r, s = gm.sm2_sign(self.private_key, text, gm.SM2_DEFAULT_ID)
        envelope["cainfo"] = base64.b64encode(gm.raw_encode(r, s)).decode()
        envelope["signtype"] = "SM2"
        envelope["enc_type"] = "SM4"
        return envelope

    def send(self, infno: str, envelope: dict, headers: dict | None = None, path: str | None = None) -> dict:
        if path is None:
            path = "/power-csb/powercsb/" + infno if self.profile == "csb" else PATHS[self.profile]
        head = {"Content-Type": "text/plain;charset=utf-8" if self.profile == "national" else "application/json;charset=utf-8"}
        if headers is None:
            if self.profile == "csb":
                headers = self.csb_headers(infno)
            elif self.profile == "tif":
                headers = self.tif_headers()
            elif self.profile in ("oauth", "jilin-encrypted"):
                if self.token is None:
                    self.fetch_token()
                headers = {"Authorization": "Bearer " + self.token}
            else:
                headers = {}
        head.update(headers)
        status, body = http_post(self.gateway + path, compact(envelope).encode("utf-8"), head)
        if status != 200:
            raise NotOK("HTTP %d: %s" % (status, body[:300].decode("utf-8", "replace")))
        answer = json.loads(body)
        if str(answer.get("infcode")) != "0":  # number or string, as vendor code compares it
            raise Refused(answer)
        if self.profile == "jilin-encrypted" and isinstance(answer.get("output"), str):
            key = self.inst["oauth"]["clientId"].encode()
            text = gm.sm4_decrypt(key, base64.b64decode(answer["output"]))
            answer["output"] = json.loads(text)
        return answer

    def call(self, infno: str, input_obj) -> dict:
        envelope = self.envelope(infno, input_obj)
        if self.profile == "jilin-encrypted":
            self.encrypt_input(envelope)
        return self.send(infno, envelope)

    # ---- the happy path ---------------------------------------------------
    def run(self) -> list[dict]:
        steps = []
        signed = self.call("9001", {"signIn": {"opter_no": "OP0001", "mac": "00-16-3E-00-00-01", "ip": "127.0.0.1"}})
        self.sign_no = signed["output"]["signinoutb"]["sign_no"]
        steps.append({"step": "9001", "infcode": signed["infcode"], "sign_no": self.sign_no})
        person = self.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "120101198001011234", "psn_cert_type": "01"}})
        psn_no = person["output"]["baseinfo"]["psn_no"]
        steps.append({"step": "1101", "infcode": person["infcode"], "psn_no": psn_no})
        now = datetime.fromtimestamp(self.now(), BEIJING)
        visit = self.call("2201", {"data": {
            "psn_no": psn_no, "insutype": "310", "begntime": now.strftime("%Y-%m-%d %H:%M:%S"),
            "mdtrt_cert_type": "02", "mdtrt_cert_no": "120101198001011234", "ipt_otp_no": "MZ%06d" % random.randrange(10**6),
            "atddr_no": "D12010100001", "dr_name": "Li Wei", "dept_code": "A03", "dept_name": "Internal medicine", "caty": "A03"}})
        steps.append({"step": "2201", "infcode": visit["infcode"], "mdtrt_id": visit["output"]["data"]["mdtrt_id"]})
        return steps


def negative(client: DialectClient, name: str, args) -> dict:
    """Sends one wrong request of `name`; returns what the client read."""
    input_9001 = {"signIn": {"opter_no": "OP0001", "mac": "00-16-3E-00-00-01", "ip": "127.0.0.1"}}
    envelope = client.envelope("9001", input_9001)
    headers = None
    path = None
    if name == "not-json":
        status, body = http_post(client.gateway + PATHS["national"], b"this is not JSON", {"Content-Type": "text/plain;charset=utf-8"})
        if status != 200:
            return {"refused": True, "http": "not 200", "detail": "HTTP %d" % status}
        answer = json.loads(body)
        problem = answer.get("problem") or {}
        return {"refused": str(answer.get("infcode")) != "0", "http": 200, "infcode": answer.get("infcode"), "err_msg": answer.get("err_msg"),
                "code": problem.get("code"), "pointer": problem.get("pointer"), "answer": answer}
    elif name == "path-mismatch":
        path = PATHS["national"] + "/1101"
    elif name == "malformed-timestamp":
        headers = client.csb_headers("9001")
        headers["_api_timestamp"] = "yesterday"
    elif name == "wrong-hmac":
        headers = client.csb_headers("9001", secret="0" * 32)
    elif name == "stale-timestamp" and client.profile == "csb":
        headers = client.csb_headers("9001", timestamp=int((client.now() - 3600) * 1000))
    elif name == "seconds-timestamp":
        headers = client.csb_headers("9001", timestamp=int(client.now()))
    elif name == "unsorted-string":
        headers = client.csb_headers("9001", unsorted=True)
    elif name == "wrong-signature":
        headers = client.tif_headers(token="0" * 32)
    elif name == "stale-timestamp" and client.profile == "tif":
        headers = client.tif_headers(timestamp=int(client.now() - 3600))
    elif name == "millisecond-timestamp":
        headers = client.tif_headers(timestamp=int(client.now() * 1000))
    elif name == "replayed-nonce":
        headers = client.tif_headers(nonce="fixed-nonce-" + os.urandom(4).hex())
        client.send("9001", envelope, headers=headers)  # accepted once
        envelope = client.envelope("9001", input_9001)  # a new msgid, the same nonce and signature headers
    elif name == "bad-password":
        try:
            client.fetch_token(password="wrong-password")
        except NotOK as error:
            return {"refused": True, "http": "not 200", "detail": str(error)}
        return {"refused": False}
    elif name == "unknown-token":
        headers = {"Authorization": "Bearer " + os.urandom(16).hex()}
    elif name == "expired-token":
        client.fetch_token()
        lifetime = 7200
        request = urllib.request.Request(client.gateway + "/__clock/advance", data=json.dumps({"seconds": lifetime + 60}).encode(),
                                         headers={"Authorization": "Bearer " + args.admin_token, "Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(request, timeout=10).read()
        client.offset += lifetime + 60
        envelope = client.envelope("9001", input_9001)
        headers = {"Authorization": "Bearer " + client.token}
    elif name == "other-institution-token":
        other = DialectClient(args.gateway, client.profile, args.creds, args.other_institution, client.offset)
        other.fetch_token()
        headers = {"Authorization": "Bearer " + other.token}
    elif name == "wrong-client-key":
        client.encrypt_input(envelope, key=b"0123456789ABCDEF")
    else:
        raise SystemExit("unknown negative case %s for profile %s" % (name, client.profile))
    if client.profile == "jilin-encrypted" and name != "wrong-client-key":
        client.encrypt_input(envelope)
    try:
        client.send("9001", envelope, headers=headers, path=path)
    except Refused as refusal:
        answer = refusal.answer
        return {"refused": True, "http": 200, "infcode": answer.get("infcode"), "err_msg": answer.get("err_msg"),
                "code": (answer.get("problem") or {}).get("code"), "pointer": (answer.get("problem") or {}).get("pointer"),
                "answer": answer}
    except NotOK as error:
        return {"refused": True, "http": "not 200", "detail": str(error)}
    return {"refused": False}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("Usage:")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default="http://127.0.0.1:8080")
    parser.add_argument("--profile", required=True, choices=["national", "csb", "tif", "oauth", "jilin-encrypted"])
    parser.add_argument("--credentials", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "certs", "demo-credentials.json"))
    parser.add_argument("--institution", default="H12010100001")
    parser.add_argument("--other-institution", default="P12010100001", help="whose token other-institution-token borrows")
    parser.add_argument("--admin-token", help="for expired-token: moves the gateway's test clock (default: the demo admin token)")
    parser.add_argument("--clock-offset", type=float, default=None, help="seconds the gateway's clock is ahead (default: asked with GET /__clock)")
    parser.add_argument("action", choices=["run", "negative"])
    parser.add_argument("case", nargs="?")
    args = parser.parse_args(argv)
    args.creds = json.load(open(args.credentials, encoding="utf-8"))
    args.admin_token = args.admin_token or args.creds["adminToken"]
    offset = args.clock_offset
    if offset is None:
        offset = 0.0
        try:  # a --test-clock gateway may be ahead of the wall clock
            request = urllib.request.Request(args.gateway.rstrip("/") + "/__clock", headers={"Authorization": "Bearer " + args.admin_token})
            now = json.loads(urllib.request.urlopen(request, timeout=5).read())["now"]
            offset = datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp() - time.time()
        except (urllib.error.URLError, KeyError, ValueError):
            pass
    client = DialectClient(args.gateway, args.profile, args.creds, args.institution, offset)
    try:
        if args.action == "run":
            for step in client.run():
                print(json.dumps(step, ensure_ascii=False))
            return 0
        if not args.case:
            parser.error("negative needs a case name")
        result = negative(client, args.case, args)
        print(json.dumps(result, ensure_ascii=False))
        return 0 if result["refused"] else 1
    except Refused as refusal:
        print(json.dumps({"refused": True, "answer": refusal.answer}, ensure_ascii=False))
        return 1
    except NotOK as error:
        print(json.dumps({"error": str(error)}, ensure_ascii=False))
        return 1


if __name__ == "__main__":
    sys.exit(main())
