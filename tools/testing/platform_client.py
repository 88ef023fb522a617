#!/usr/bin/env python3
"""A hospital talking to yibao-gateway — an independent Python client.

This script is written from the protocol text (/work/shared/PROTOCOL.md,
docs/ENVELOPE.md and the gateway's documented FSI authentication), not from the
Swift code, and shares none of it: it uses only the Python standard library and
the pure-Python GM/T primitives and HSE envelope of tools/vectors/gm.py and
tools/vectors/hse.py (no OpenSSL). When it and the gateway agree, two separate
implementations agree on the wire.

What it implements:
  * FSI envelope: POST {gateway}/fsi/api/rsfComIfsService/callService with the
    platform's request members; `cainfo` = base64 of the raw 64-byte r||s
    SM3-with-SM2 signature (signer ID 1234567812345678) over the HSE
    string-to-sign of the request without `cainfo`, ending in &key=<appSecret>.
    The response's `cainfo` is verified the same way with the platform key.
    A transaction other than 9001 is preceded by a 9001 sign-in for `sign_no`.
  * HSE envelope: seal (SM4 + SM2) and POST to {gateway}/hse/{service}; open and
    verify the sealed answer with the platform public key.
  * E-voucher channel: POST {gateway}/channel/ec/qrcode with the channel token.

Exit codes: 0 success; 1 usage or transport error; 2 the gateway refused
(problem+json printed on stdout); 3 the answer's signature does not verify.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tools", "vectors"))
import gm   # noqa: E402  pure-Python SM2/SM3/SM4
import hse  # noqa: E402  pure-Python HSE envelope (sign string, seal, open)

BEIJING = timezone(timedelta(hours=8))
FSI_PATH = "/fsi/api/rsfComIfsService/callService"
DEMO_CERTNO = "120101198001011234"
DEMO_PSN_NO = "12000000000000000001"


class Refused(Exception):
    """The gateway refused; args[0] is the problem document (text)."""


class BadSignature(Exception):
    """An answer whose signature does not verify."""


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

def post(url: str, body: bytes, headers: dict | None = None) -> bytes:
    """POST JSON; returns the body of a 2xx answer, raises Refused for any other status."""
    h = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
    h.update(headers or {})
    req = urllib.request.Request(url, data=body, headers=h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.read()
    except urllib.error.HTTPError as exc:
        raise Refused(exc.read().decode("utf-8", "replace")) from None


def dump(v) -> str:
    """Compact JSON in document order, numbers as their original literals, raw UTF-8."""
    return hse.write_json(v, sort_keys=False)


# --------------------------------------------------------------------------
# The hospital
# --------------------------------------------------------------------------

class Hospital:
    def __init__(self, gateway: str, credentials: dict, code: str):
        found = [i for i in credentials["institutions"] if i["fixmedins_code"] == code]
        if not found:
            raise SystemExit("no institution %s in the credentials file" % code)
        self.inst = found[0]
        self.gateway = gateway.rstrip("/")
        self.code = code
        self.secret = self.inst["appSecret"]
        self.private_key = hse.private_key_from_b64(self.inst["privateKey"])
        self.platform_key = hse.public_key_from_b64(credentials["platform"]["publicKey"])
        self.channel_token = credentials["channel"]["token"]
        self.sign_no = None
        self.last_msgid = None
        self.serial = random.randrange(10000)

    # ---- signatures over the HSE string-to-sign -------------------------
    def sign(self, obj: dict) -> str:
        text = hse.sign_string(obj, self.secret).encode("utf-8")
        r, s = gm.sm2_sign(self.private_key, text, gm.SM2_DEFAULT_ID)
        return base64.b64encode(gm.raw_encode(r, s)).decode("ascii")

    def verify(self, obj: dict, signature_b64) -> bool:
        try:
            sig = base64.b64decode(str(signature_b64), validate=True)
            r, s = gm.raw_decode(sig)
        except ValueError:
            return False
        text = hse.sign_string(obj, self.secret).encode("utf-8")
        return gm.sm2_verify(self.platform_key, text, r, s, gm.SM2_DEFAULT_ID)

    # ---- FSI ------------------------------------------------------------
    def next_serial(self) -> int:
        """The msgid's last 4 digits: a counter, as HIS code keeps one (random digits collide within a second)."""
        self.serial = (self.serial + 1) % 10000
        return self.serial

    def envelope(self, infno: str, input_obj) -> dict:
        """A signed FSI envelope (cainfo over the HSE string-to-sign of every other member)."""
        if infno != "9001" and self.sign_no is None:
            self.sign_in()
        now = datetime.now(BEIJING)
        request = {
            "infno": infno,
            "msgid": self.code + now.strftime("%Y%m%d%H%M%S") + "%04d" % self.next_serial(),
            "mdtrtarea_admvs": self.code[1:7],
            "insuplc_admdvs": "",
            "recer_sys_code": "YIBAO",
            "dev_no": "",
            "dev_safe_info": "",
            "signtype": "SM2",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": "OP0001",
            "opter_name": "Operator One",
            "inf_time": now.strftime("%Y-%m-%d %H:%M:%S"),
            "fixmedins_code": self.code,
            "fixmedins_name": self.inst["fixmedins_name"],
            "sign_no": "" if infno == "9001" else self.sign_no,
            "input": input_obj,
        }
        self.last_msgid = request["msgid"]
        request["cainfo"] = self.sign(request)  # signed without cainfo (it is added after)
        return request

    def fsi_download(self, infno: str, input_obj) -> bytes:
        """Sends a transaction answered with a file (9102): the bytes of an application/octet-stream answer."""
        h = {"Content-Type": "application/json; charset=utf-8"}
        req = urllib.request.Request(self.gateway + FSI_PATH, data=dump(self.envelope(infno, input_obj)).encode("utf-8"), headers=h, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                if "application/octet-stream" not in (resp.headers.get("Content-Type") or ""):
                    raise Refused(resp.read().decode("utf-8", "replace"))
                return resp.read()
        except urllib.error.HTTPError as exc:
            raise Refused(exc.read().decode("utf-8", "replace")) from None

    def fsi(self, infno: str, input_obj, tamper: bool = False):
        """Sends one FSI transaction; returns its verified `output`."""
        request = self.envelope(infno, input_obj)
        if tamper:
            request["input"] = tampered(request["input"])
        answer = post(self.gateway + FSI_PATH, dump(request).encode("utf-8"))
        response = hse.parse_json(answer)
        if not isinstance(response, dict) or "cainfo" not in response:
            raise BadSignature("FSI answer without cainfo: %s" % answer[:300])
        cainfo = response.pop("cainfo")
        if not self.verify(response, cainfo):
            raise BadSignature("the FSI answer's cainfo does not verify with the platform public key")
        if str(response.get("infcode")) != "0":
            raise Refused(answer.decode("utf-8", "replace"))
        return response.get("output")

    def race(self, gateways: list[str], infno: str, input_obj) -> list[tuple[str, str]]:
        """Builds ONE signed FSI request and sends the very same bytes to every gateway at once;
        returns (gateway, outcome) pairs, outcome "accepted" or the refusal's code."""
        import threading
        if infno != "9001" and self.sign_no is None:
            self.sign_in()
        now = datetime.now(BEIJING)
        request = {
            "infno": infno, "msgid": self.code + now.strftime("%Y%m%d%H%M%S") + "%04d" % self.next_serial(),
            "mdtrtarea_admvs": self.code[1:7], "insuplc_admdvs": "", "recer_sys_code": "YIBAO", "dev_no": "", "dev_safe_info": "",
            "signtype": "SM2", "infver": "V1.0", "opter_type": "1", "opter": "OP0001", "opter_name": "Operator One",
            "inf_time": now.strftime("%Y-%m-%d %H:%M:%S"), "fixmedins_code": self.code, "fixmedins_name": self.inst["fixmedins_name"],
            "sign_no": "" if infno == "9001" else self.sign_no, "input": input_obj,
        }
        request["cainfo"] = self.sign(request)
        body = dump(request).encode("utf-8")
        start = threading.Barrier(len(gateways))
        outcomes: list = [None] * len(gateways)

        def send(index: int, gateway: str):
            start.wait()
            try:
                answer = hse.parse_json(post(gateway.rstrip("/") + FSI_PATH, body))
                outcomes[index] = (gateway, "accepted" if str(answer.get("infcode")) == "0" else str(answer.get("err_msg")))
            except Refused as exc:
                try:
                    outcomes[index] = (gateway, json.loads(exc.args[0]).get("code", "refused"))
                except ValueError:
                    outcomes[index] = (gateway, "refused")
            except OSError as exc:
                outcomes[index] = (gateway, "unreachable: %s" % exc)
        threads = [threading.Thread(target=send, args=(i, g)) for i, g in enumerate(gateways)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return outcomes

    def sign_in(self) -> str:
        output = self.fsi("9001", {"signIn": {"opter_no": "OP0001", "mac": "00-16-3E-00-00-01", "ip": "127.0.0.1"}})
        self.sign_no = output["signinoutb"]["sign_no"]
        return self.sign_no

    # ---- HSE ------------------------------------------------------------
    def hse(self, service: str, data_text: str) -> str:
        """Seals, sends and opens; returns the verified business data JSON text."""
        env = hse.seal(data_text, self.inst["appId"], self.secret, self.private_key, int(time.time() * 1000))
        answer = post(self.gateway + "/hse/" + service, json.dumps(env, ensure_ascii=False).encode("utf-8"))
        try:
            envelope = hse.parse_json(answer)
        except hse.JSONError as exc:
            raise BadSignature("HSE answer is not JSON: %s" % exc) from None
        if not isinstance(envelope, dict):
            raise BadSignature("HSE answer is not a JSON object")
        if str(envelope.get("code")) != "0":
            raise Refused(answer.decode("utf-8", "replace"))
        return self.open_answer(envelope)

    def open_answer(self, env: dict) -> str:
        """Opens a response envelope (ENVELOPE.md §5a; a response has no `version`, so
        hse.open_envelope, which checks requests, is not used as a whole)."""
        for f in ("appId", "encType", "signType", "timestamp", "encData", "signData"):
            if not env.get(f):
                raise BadSignature("HSE answer without %s" % f)
        if (env["appId"], env["encType"], env["signType"]) != (self.inst["appId"], "SM4", "SM2"):
            raise BadSignature("HSE answer for another appId or with other algorithms")
        if not str(env["timestamp"]).isdigit() or abs(int(str(env["timestamp"])) - time.time() * 1000) > 300_000:
            raise BadSignature("HSE answer's timestamp is outside the 300 s window")
        try:
            key = hse.derive_key(self.inst["appId"], self.secret)
            data_text = hse.decrypt_data(key, env["encData"]).decode("utf-8")
            data = hse.parse_json(data_text)
        except ValueError as exc:  # bad hex, padding, UTF-8 or JSON
            raise BadSignature("HSE answer's encData does not decrypt: %s" % exc) from None
        if not self.verify(dict(env, data=data), env["signData"]):
            raise BadSignature("the HSE answer's signData does not verify with the platform public key")
        return data_text

    # ---- e-voucher channel (the patient's app) --------------------------
    def qrcode(self, certno: str) -> str:
        answer = post(self.gateway + "/channel/ec/qrcode", json.dumps({"certno": certno}).encode("utf-8"),
                      {"Authorization": "Bearer " + self.channel_token})
        return json.loads(answer)["qrCode"]


def tampered(v):
    """A copy of `v` with one character of its first leaf (depth-first) changed."""
    done = [False]

    def flip(text: str) -> str:
        c = text[-1]
        c = str((int(c) + 1) % 10) if c.isdigit() else ("X" if c != "X" else "Y")
        return text[:-1] + c

    def walk(x):
        if done[0]:
            return x
        if isinstance(x, dict):
            return {k: walk(e) for k, e in x.items()}
        if isinstance(x, list):
            return [walk(e) for e in x]
        if isinstance(x, str) and x:  # hse.Num is a str too: flip a digit of the literal
            done[0] = True
            return hse.Num(flip(x)) if isinstance(x, hse.Num) else flip(x)
        return x

    out = walk(v)
    if not done[0]:
        raise SystemExit("--tamper: the input has no string or number to change")
    return out


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------

def demo(h: Hospital) -> int:
    qr = h.qrcode(DEMO_CERTNO)
    print("qrcode   %s" % qr, file=sys.stderr)
    query = json.dumps({"qrCode": qr, "businessType": "01101", "orgId": h.code})
    voucher = json.loads(h.hse("ec.query", query))
    print("ec.query %s" % json.dumps(voucher, ensure_ascii=False), file=sys.stderr)
    output = h.fsi("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": voucher["ecToken"]}})
    base = output["baseinfo"]
    print(base["psn_name"])
    ok = base.get("psn_no") == DEMO_PSN_NO
    print("1101     psn_no %s %s" % (base.get("psn_no"), "(expected)" if ok else "!= " + DEMO_PSN_NO), file=sys.stderr)
    return 0 if ok else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="platform_client.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Independent Python hospital client of yibao-gateway (FSI + HSE + e-voucher channel).",
        epilog="exit codes: 0 ok, 1 usage/transport error, 2 refused by the gateway (problem+json on stdout),\n"
               "            3 the answer's signature does not verify\n\n"
               "examples:\n"
               "  platform_client.py fsi 1101 '{\"data\":{\"mdtrt_cert_type\":\"02\",\"mdtrt_cert_no\":\"120101198001011234\"}}'\n"
               "  platform_client.py hse ec.query '{\"qrCode\":\"...\",\"businessType\":\"01101\",\"orgId\":\"H12010100001\"}'\n"
               "  platform_client.py qrcode 120101198001011234\n"
               "  platform_client.py --gateway http://127.0.0.1:8081 race --also http://127.0.0.1:8082 9001 \\\n"
               "      '{\"signIn\":{\"opter_no\":\"OP0001\",\"mac\":\"00-16-3E-00-00-01\",\"ip\":\"127.0.0.1\"}}'\n"
               "  platform_client.py demo")
    ap.add_argument("--gateway", default="http://127.0.0.1:8080", help="gateway base URL (default %(default)s)")
    ap.add_argument("--credentials", default=os.path.join(REPO, "certs", "demo-credentials.json"),
                    help="demo credentials JSON (default: certs/demo-credentials.json of this repository)")
    ap.add_argument("--institution", default="H12010100001", help="fixmedins_code to act as (default %(default)s)")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    f = sub.add_parser("fsi", help="sign in (9001) unless INFNO is 9001, send one FSI transaction, print its output")
    f.add_argument("infno", metavar="INFNO", help="transaction code, e.g. 9001, 1101, 2201")
    f.add_argument("data", metavar="DATA_JSON", help="the `input` object as JSON text")
    f.add_argument("--tamper", action="store_true",
                   help="change one character of the input after signing (the gateway must refuse: exit 2)")
    s = sub.add_parser("hse", help="seal DATA_JSON, send it to /hse/SERVICE, open and print the answer's data")
    s.add_argument("service", metavar="SERVICE", help="ec.query or ec.payAuth")
    s.add_argument("data", metavar="DATA_JSON", help="business data as JSON text")
    q = sub.add_parser("qrcode", help="get an e-voucher QR code for a patient (channel side), print it")
    q.add_argument("certno", metavar="CERTNO", help="the patient's ID number")
    r = sub.add_parser("race", help="send one signed FSI request to every --also gateway and --gateway at the same instant; "
                                      "exit 0 if exactly one accepted it (the others must refuse it as a replay)")
    r.add_argument("infno", metavar="INFNO", help="transaction code, e.g. 9001")
    r.add_argument("data", metavar="DATA_JSON", help="the `input` object as JSON text")
    r.add_argument("--also", action="append", default=[], metavar="URL", help="another gateway on the same database (repeatable)")
    sub.add_parser("demo", help="qrcode -> hse ec.query -> fsi 1101; print psn_name, exit 0 if psn_no is %s" % DEMO_PSN_NO)
    a = ap.parse_args(argv)

    with open(a.credentials, encoding="utf-8") as fh:
        h = Hospital(a.gateway, json.load(fh), a.institution)
    try:
        if a.command == "fsi":
            try:
                data = hse.parse_json(a.data)
            except hse.JSONError as exc:
                ap.error("DATA_JSON is not JSON: %s" % exc)
            print(dump(h.fsi(a.infno, data, tamper=a.tamper)))
        elif a.command == "hse":
            print(h.hse(a.service, a.data))
        elif a.command == "race":
            outcomes = h.race([a.gateway] + a.also, a.infno, hse.parse_json(a.data))
            for gateway, outcome in outcomes:
                print("%s %s" % (gateway, outcome))
            accepted = sum(1 for _, outcome in outcomes if outcome == "accepted")
            print("accepted %d of %d" % (accepted, len(outcomes)))
            return 0 if accepted == 1 else 2
        elif a.command == "qrcode":
            print(h.qrcode(a.certno))
        else:
            return demo(h)
        return 0
    except Refused as exc:
        print(exc.args[0])
        return 2
    except BadSignature as exc:
        print("platform_client: %s" % exc, file=sys.stderr)
        return 3
    except (urllib.error.URLError, OSError) as exc:
        print("platform_client: cannot reach %s: %s" % (a.gateway, exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
