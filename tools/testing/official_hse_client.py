#!/usr/bin/env python3
"""An official-demo-style HSE client — the behaviour of the vendor utility most hospital HIS code
derives from (docs/DIALECTS.md §9), reimplemented here from its description, not from yibao's code:

  * requests {appId, encType "sm4", signType "sm2", timestamp <number, epoch ms>, transType, version
    "1.0.0", encData, signData} — the types in LOWER case;
  * encData = upper-case hex of SM4-ECB-PKCS7 under the derived key (the first 16 characters of the
    upper-case hex of SM4(appId[0..16], appSecret));
  * the string to sign: an empty-value filter over the message (null, "" and [] removed; every array
    element is treated as an object — an array of plain strings makes the filter fail, and the util
    then signs the raw JSON text instead); top-level values as text (nested objects as compact JSON
    with keys in code-point order, leaves as text, "" and null dropped); the `k=v&` pairs sorted
    CASE-INSENSITIVELY; then `key=<appSecret>`;
  * signData = Base64 of raw r||s SM3-with-SM2 (the default signer ID 1234567812345678);
  * an answer is read with `(String) code`: a numeric code is a ClassCastException; `code` must be
    "0"; the decrypted data goes through the same filter and the answer's signature is checked over
    the answer's members (signData, encData and extra left out) with `data` put back.

It then plays a hospital: the e-voucher channel shows Zhang San's QR code, ec.query scans it, the
wallet authorises, ec.payAuth exchanges the authCode, FSI 2201 registers the visit (national dialect:
cainfo empty), and 6201 (samples/uldFeeInfo.json as written), 6202, 6301 and 6203 pay and refund —
every answer verified. Prints one JSON line per step; exit 0 when all verified, 1 otherwise.

  python3 tools/testing/official_hse_client.py --gateway http://127.0.0.1:8080      # against yibao serve --profile national
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gm  # noqa: E402  pure-Python SM2/SM3/SM4
from dialect_client import http_post  # noqa: E402  the same plain POST

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BEIJING = timezone(timedelta(hours=8))


class FilterFailed(Exception):
    """The util's empty-value filter met an array element that is not an object (ClassCastException)."""


class VendorError(Exception):
    pass


# ---- the util's algorithms ---------------------------------------------------------------

def remove_empty(obj: dict) -> None:
    """In place: drops null, "" and [] members; recurses into objects and into every array element,
    which it takes for an object — a plain string or number there is the util's ClassCastException."""
    for key in list(obj.keys()):
        value = obj[key]
        if isinstance(value, list):
            if not value:
                del obj[key]
                continue
            for item in value:
                if not isinstance(item, dict):
                    raise FilterFailed("array %r holds a %s" % (key, type(item).__name__))
                remove_empty(item)
        if isinstance(value, dict):
            remove_empty(value)
        if value is None or value == "":
            obj.pop(key, None)


def text(value) -> str:
    """A leaf as Java's toString() writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def tree(value):
    """Nested values: objects with keys in code-point order, leaves as text, "" and null dropped,
    empty arrays dropped (serialised as null, which the JSON writer omits)."""
    if isinstance(value, dict):
        out = {}
        for key in sorted(value):
            item = value[key]
            if isinstance(item, (dict, list)):
                converted = tree(item)
                if converted is not None:
                    out[key] = converted
            elif item is not None and item != "":
                out[key] = text(item)
        return out
    if isinstance(value, list):
        if not value:
            return None
        out = []
        for item in value:
            if isinstance(item, (dict, list)):
                converted = tree(item)
                if converted is not None:
                    out.append(converted)
            elif item != "":
                out.append(text(item))
        return out
    return text(value)


def sign_text(message: dict, app_secret: str) -> str:
    pairs = []
    for key, value in message.items():
        if key in ("signData", "encData", "extra") or value is None or value == "":
            continue
        shown = value if isinstance(value, str) else (
            json.dumps(tree(value), ensure_ascii=False, separators=(",", ":")) if isinstance(value, (dict, list)) else text(value))
        if shown:
            pairs.append("%s=%s&" % (key, shown))
    pairs.sort(key=lambda pair: pair.lower())  # String.CASE_INSENSITIVE_ORDER
    return "".join(pairs) + "key=" + app_secret


def derived_key(app_id: str, app_secret: str) -> bytes:
    sealed = gm.sm4_encrypt(app_id[:16].encode(), app_secret.encode())
    return sealed.hex().upper()[:16].encode()


class OfficialUtil:
    def __init__(self, app_id: str, app_secret: str, private_key_b64: str, platform_public_b64: str):
        self.app_id, self.app_secret = app_id, app_secret
        self.private_key = int.from_bytes(base64.b64decode(private_key_b64), "big")
        self.platform_key = gm.SM2_CURVE.decode_point(base64.b64decode(platform_public_b64))
        self.key = derived_key(app_id, app_secret)

    def signature(self, message_text: str) -> str:
        try:
            message = json.loads(message_text)
            remove_empty(message)
            signed = sign_text(message, self.app_secret).encode("utf-8")
        except FilterFailed:
            signed = message_text.encode("utf-8")  # what the util falls back to
        r, s = gm.sm2_sign(self.private_key, signed, gm.SM2_DEFAULT_ID)
        return base64.b64encode(gm.raw_encode(r, s)).decode()

    def encrypt_msg(self, trans_type: str, body: dict, timestamp_ms: int) -> dict:
        message = {"appId": self.app_id, "encType": "sm4", "data": body, "signType": "sm2",
                   "timestamp": timestamp_ms, "transType": trans_type, "version": "1.0.0"}
        body_text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        enc = gm.sm4_encrypt(self.key, body_text.encode("utf-8")).hex().upper()
        signature = self.signature(json.dumps(message, ensure_ascii=False, separators=(",", ":")))
        message.pop("data")
        message["encData"] = enc
        message["signData"] = signature
        return message

    def decrypt_msg(self, answer: dict) -> dict:
        code = answer.get("code")
        if not isinstance(code, str):
            raise VendorError("ClassCastException: code is %s, the util casts it to String" % type(code).__name__)
        if code != "0":
            raise VendorError(answer.get("message"))
        plain = gm.sm4_decrypt(self.key, bytes.fromhex(answer["encData"])).decode("utf-8")
        data = json.loads(plain)
        members = {k: v for k, v in answer.items() if k not in ("signData", "encData")}
        members["data"] = data
        try:
            remove_empty(data)
            signed = sign_text(members, self.app_secret).encode("utf-8")
        except FilterFailed as error:
            raise VendorError("the answer's data trips the empty-value filter (%s): the signature check fails" % error)
        r, s = gm.raw_decode(base64.b64decode(answer["signData"]))
        if not gm.sm2_verify(self.platform_key, signed, r, s, gm.SM2_DEFAULT_ID):
            raise VendorError("验签失败！！！ (the answer's signData does not verify)")
        return json.loads(plain)


# ---- the hospital ------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n")[-1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default="http://127.0.0.1:8080")
    parser.add_argument("--credentials", default=os.path.join(ROOT, "certs", "demo-credentials.json"))
    parser.add_argument("--institution", default="H12010100001")
    args = parser.parse_args(argv)
    creds = json.load(open(args.credentials, encoding="utf-8"))
    inst = next(i for i in creds["institutions"] if i["fixmedins_code"] == args.institution)
    util = OfficialUtil(inst["appId"], inst["appSecret"], inst["privateKey"], creds["platform"]["publicKey"])
    gateway = args.gateway.rstrip("/")
    offset = 0.0
    try:  # a --test-clock gateway may be ahead
        request = urllib.request.Request(gateway + "/__clock", headers={"Authorization": "Bearer " + creds["adminToken"]})
        now_text = json.loads(urllib.request.urlopen(request, timeout=5).read())["now"]
        offset = datetime.fromisoformat(now_text.replace("Z", "+00:00")).timestamp() - time.time()
    except (urllib.error.URLError, KeyError, ValueError):
        pass

    def now() -> float:
        return time.time() + offset

    def hse(path: str, trans_type: str, body: dict) -> dict:
        message = util.encrypt_msg(trans_type, body, int(now() * 1000))
        status, raw = http_post(gateway + path, json.dumps(message, ensure_ascii=False).encode("utf-8"), {"Content-Type": "application/json"})
        if status != 200:
            raise VendorError("HTTP %d: %s" % (status, raw[:2000].decode("utf-8", "replace")))
        return util.decrypt_msg(json.loads(raw))

    def channel(path: str, body: dict) -> dict:
        status, raw = http_post(gateway + path, json.dumps(body).encode(), {"Authorization": "Bearer " + creds["channel"]["token"], "Content-Type": "application/json"})
        return json.loads(raw)

    def fsi(infno: str, input_obj: dict, sign_no: str) -> dict:
        t = datetime.fromtimestamp(now(), BEIJING)
        envelope = {"infno": infno, "msgid": args.institution + t.strftime("%Y%m%d%H%M%S") + "%04d" % random.randrange(10000),
                    "mdtrtarea_admvs": args.institution[1:7], "insuplc_admdvs": "", "recer_sys_code": "YIBAO", "dev_no": "", "dev_safe_info": "",
                    "cainfo": "", "signtype": "", "infver": "V1.0", "opter_type": "1", "opter": "OP0001", "opter_name": "Operator",
                    "inf_time": t.strftime("%Y-%m-%d %H:%M:%S"), "fixmedins_code": args.institution, "fixmedins_name": inst["fixmedins_name"],
                    "sign_no": sign_no, "input": input_obj}
        status, raw = http_post(gateway + "/fsi/api/rsfComIfsService/callService", json.dumps(envelope, ensure_ascii=False).encode("utf-8"),
                                {"Content-Type": "text/plain;charset=utf-8"})
        answer = json.loads(raw)
        if status != 200 or str(answer.get("infcode")) != "0":
            raise VendorError("FSI %s: HTTP %d %s" % (infno, status, answer.get("err_msg")))
        return answer["output"]

    steps = []
    try:
        qr = channel("/channel/ec/qrcode", {"certno": "120101198001011234"})["qrCode"]
        # As the official DLL decodes: the QR content as ecQrCode, on the test environment's path.
        scan = hse("/localcfc/api/hsecfc/localQrCodeQuery", "ec.query", {"ecQrCode": qr, "businessType": "01101", "orgId": args.institution,
                                                                          "operatorId": "OP0001", "operatorName": "Operator", "officeId": "A03", "officeName": "Internal medicine"})
        missing = [m for m in ("idNo", "userName", "idType", "ecToken", "insuOrg", "ecIndexNo", "gender", "birthday", "nationality", "chnlId", "ecQrCode", "authNo", "cardno") if m not in scan]
        if missing:
            raise VendorError("the ec.query answer lacks %s" % ", ".join(missing))
        steps.append({"step": "ec.query", "verified": True, "ecToken": scan["ecToken"][:8] + "…"})
        auth_code = channel("/channel/wallet/authorize", {"certno": "120101198001011234", "orgCodg": args.institution})["authCode"]
        pay_auth = hse("/hse/ec.payAuth", "ec.payAuth", {"authCode": auth_code, "orgCodg": args.institution})
        steps.append({"step": "ec.payAuth", "verified": True})
        sign_no = fsi("9001", {"signIn": {"opter_no": "OP0001", "mac": "00-16-3E-00-00-01", "ip": "127.0.0.1"}}, "")["signinoutb"]["sign_no"]
        visit = fsi("2201", {"data": {"psn_no": "12000000000000000001", "insutype": "310",
                                      "begntime": datetime.fromtimestamp(now(), BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                                      "mdtrt_cert_type": "02", "mdtrt_cert_no": "120101198001011234", "ipt_otp_no": "MZ%06d" % random.randrange(10**6),
                                      "atddr_no": "D12010100001", "dr_name": "Li Wei", "dept_code": "A03", "dept_name": "Internal medicine", "caty": "A03"}},
                    sign_no)["data"]["mdtrt_id"]
        upload = json.load(open(os.path.join(ROOT, "samples", "uldFeeInfo.json"), encoding="utf-8"))  # as written: cnt and amounts are numbers
        serial = "%08d" % random.randrange(10**8)
        upload.update({"medOrgOrd": "MO" + serial, "chrgBchno": "CB" + serial, "mdtrtId": visit, "payAuthNo": pay_auth["payAuthNo"]})
        order = hse("/org/local/api/hos/uldFeeInfo", "uldFeeInfo", upload)
        steps.append({"step": "6201", "verified": True, "payOrdId": order["payOrdId"]})
        paid = hse("/org/local/api/hos/pay_order", "pay_order", {
            "payAuthNo": pay_auth["payAuthNo"], "payOrdId": order["payOrdId"], "payToken": order["payToken"], "orgCodg": args.institution,
            "orgBizSer": "BIZ" + serial, "chrgBchno": upload["chrgBchno"], "mdtrtId": visit, "acctUsedFlag": "1"})
        steps.append({"step": "6202", "verified": True, "ordStas": paid["ordStas"]})
        queried = hse("/org/local/api/hos/query_order_info", "query_order_info", {"payOrdId": order["payOrdId"], "orgCodg": args.institution,
                                                                                  "payToken": order["payToken"], "idNo": "120101198001011234",
                                                                                  "userName": "Zhang San", "idType": "01"})
        steps.append({"step": "6301", "verified": True, "ordStas": queried["ordStas"]})
        refund_amount = paid["psnAcctPay"]
        refunded = hse("/org/local/api/hos/refund_Order", "refund_Order", {
            "payOrdId": order["payOrdId"], "appRefdSn": "R" + serial, "appRefdTime": datetime.fromtimestamp(now(), BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "totlRefdAmt": refund_amount, "psnAcctRefdAmt": refund_amount, "fundRefdAmt": "0.00", "cashRefdAmt": "0.00", "refdType": "HI"})
        steps.append({"step": "6203", "verified": True, "refStatus": refunded["refStatus"]})
    except (VendorError, KeyError, StopIteration) as error:
        for step in steps:
            print(json.dumps(step, ensure_ascii=False))
        print(json.dumps({"error": str(error)}, ensure_ascii=False))
        return 1
    for step in steps:
        print(json.dumps(step, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
