#!/usr/bin/env python3
"""A Hainan-style settlement-callback receiver, written from the description of hsa-his's controller
(docs/DIALECTS.md §10; fengzaiqishi11/hsa-his HaiNanDZPZPayCallBackController.java), not from
yibao's code — the independent receiver the callback-receiver suite grades under profile `hainan`:

  * POST /pmc/api/hos/seltSucCallback with the platform's sealed HSE request {appId, encType,
    signType, timestamp, version, encData, signData};
  * success is the controller's `void`: HTTP 200 with an EMPTY body; any failure is an exception
    the framework answers with HTTP 500 and a text body;
  * the business data is SeltSucCallbackDTO: callType "02", payOrdId, medOrgOrd, feeSumamt,
    ownpayAmt (lower-case p), psnAcctPay, fundPay (all four read with toString(): absent is a
    failure), setlType, the Hainan members hiChrgTime, hiDocSn, hiRgstSn, orgName, orgCode, ecCode,
    and extData {setlinfo: [...], setldetail: [...]} (arrays; absent extData is a failure).

Being a careful hospital, it also does what the controller leaves to the gateway in front of it:
the envelope must be for its appId, decrypt under its derived SM4 key and verify with the
platform's SM2 key (the official util's sign string); a signature already accepted is a retry
(acknowledged again, nothing applied twice); an unseen message older than two hours is refused.

  python3 tools/testing/hainan_receiver.py --port 9191 [--institution H12010100001] [--url-file PATH]
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gm  # noqa: E402  pure-Python SM2/SM3/SM4
from official_hse_client import FilterFailed, derived_key, remove_empty, sign_text  # noqa: E402  the official util's algorithms

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
WINDOW_MS = 2 * 3600 * 1000


class Refused(Exception):
    pass


class Receiver:
    def __init__(self, app_id: str, app_secret: str, platform_public_b64: str):
        self.app_id, self.app_secret = app_id, app_secret
        self.key = derived_key(app_id, app_secret)
        self.platform_key = gm.SM2_CURVE.decode_point(base64.b64decode(platform_public_b64))
        self.accepted: set[str] = set()
        self.paid: set[str] = set()

    def handle(self, body: bytes) -> None:
        """Returns on success (an empty 200); raises Refused otherwise (a 500)."""
        try:
            envelope = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Refused("the body is not JSON")
        if not isinstance(envelope, dict) or envelope.get("appId") != self.app_id:
            raise Refused("appId is not ours")
        try:
            plain = gm.sm4_decrypt(self.key, bytes.fromhex(envelope.get("encData") or "")).decode("utf-8")
            data = json.loads(plain)
            r, s = gm.raw_decode(base64.b64decode(envelope.get("signData") or ""))
        except Exception as error:  # noqa: BLE001 — any failure to open is a refusal
            raise Refused("the envelope does not open: %s" % error)
        members = {k: v for k, v in envelope.items() if k not in ("signData", "encData")}
        members["data"] = json.loads(plain)
        try:
            remove_empty(members["data"])
            signed = sign_text(members, self.app_secret).encode("utf-8")
        except FilterFailed as error:
            raise Refused("the data trips the empty-value filter: %s" % error)
        if not gm.sm2_verify(self.platform_key, signed, r, s, gm.SM2_DEFAULT_ID):
            raise Refused("验签失败 (the platform's signature does not verify)")
        signature = envelope["signData"]
        if signature in self.accepted:
            return  # a retry of what we accepted: acknowledged again, nothing applied twice
        try:
            age = abs(time.time() * 1000 - int(str(envelope.get("timestamp"))))
        except ValueError:
            raise Refused("timestamp is not epoch milliseconds")
        if age > WINDOW_MS:
            raise Refused("timestamp outside two hours and never seen: a replay")
        if not isinstance(data, dict) or data.get("callType") != "02":
            raise Refused("callType must be \"02\"")
        for member in ("payOrdId", "medOrgOrd", "feeSumamt", "ownpayAmt", "psnAcctPay", "fundPay", "orgName"):
            if data.get(member) in (None, ""):
                raise Refused("NullPointerException: %s" % member)
        ext = data.get("extData")
        if not isinstance(ext, dict) or not isinstance(ext.get("setlinfo"), list) or not isinstance(ext.get("setldetail"), list):
            raise Refused("NullPointerException: extData.getSetlinfo()")
        self.paid.add(data["payOrdId"])
        self.accepted.add(signature)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9191)
    parser.add_argument("--institution", default="H12010100001")
    parser.add_argument("--credentials", default=os.path.join(ROOT, "certs", "demo-credentials.json"))
    parser.add_argument("--url-file", help="also write the receiver's URL to this file once it listens (for tests)")
    args = parser.parse_args(argv)
    # A parent (a test runner's thread) may have blocked SIGTERM; its children inherit the mask.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    credentials = json.load(open(args.credentials, encoding="utf-8"))
    app = next(i for i in credentials["institutions"] if i["fixmedins_code"] == args.institution)
    receiver = Receiver(app["appId"], app["appSecret"], credentials["platform"]["publicKey"])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 — http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                receiver.handle(body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except Refused as error:
                text = ("系统异常: %s" % error).encode("utf-8")
                self.send_response(500)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    url = "http://127.0.0.1:%d/pmc/api/hos/seltSucCallback" % server.server_address[1]
    if args.url_file:
        with open(args.url_file + ".part", "w", encoding="utf-8") as handle:
            handle.write(url)
        os.replace(args.url_file + ".part", args.url_file)
    print("hainan receiver for %s on %s" % (args.institution, url), flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
