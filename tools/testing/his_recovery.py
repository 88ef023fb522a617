#!/usr/bin/env python3
"""What real HIS code does around an outpatient settlement, against a live gateway — written from
the description of the vendor code (fengzaiqishi11/hsa-his InsureUnifiedBaseBOImpl, TrigScen,
InsurePersonnalRecordBOImpl; binzhe12123/Medical SYB models), not from yibao's Swift code.

  recovery   9001 → 2001 → 2201 (e-voucher ecToken) → 2203 → 2204 → 2206 → 2207 for the lost-answer test person
             (12000000000000000016): the 2207 answer is lost (the connection closes), so the HIS
             reverses it with 2601 {psn_no, omsgid, oinfno 2207}, sees it reversed in 5203/5204,
             settles the batch again with a new msgid, and checks with 5206 and 1101 that the year
             counters and the account balance are exactly as if only the second settlement had
             happened; a second 2601 of the same omsgid answers as the first did.
  around     2001 (sent flat, as hsa-his does), 2503 → 5301 → 2504, 3101 with trig_scen 1 and
             3102 with trig_scen 6 (patient_dtos and fsi_encounter_dtos as single objects, as
             hsa-his sends them; 3102 flags AUD-REC-001 until the visit's record is uploaded), the
             records 4301 (nodes as lists, as hsa-his sends them) and 4701 (single objects and "null"
             for an empty node, as a Guangdong client sends them), 5201/5202/5205, 9002 then a
             request with the signed-out sign_no.
  pharmacy   the retail pharmacy P12010100001 settles a prescription it dispensed (--rxno, --drugs):
             2101 → 2102 (druginfo + drugdetail as vendor code sends them, rxno = hiRxno, rx_circ_flag
             1, medins_setl_id) → the same 2102 again (same setl_id) → 2103 → 2103 again (refused) →
             2102 with a new medins_setl_id; the hospital's 2102 and an unknown rxno are refused.
  month-end  settle twice and cancel one, 3201 per group, 9101 a zipped detail file (multipart under
             national, Base64 under nhsa-2.0) with one planted mismatch, 3202, 9102 the result zip: it
             lists exactly that line; a malformed line and a multipart body without jsonStr are refused.
             Needs a gateway where nothing else settled today.
  catalogue  1312 paged, 1318, 1319, 1901, 3301 → 1317 → 3302; an unknown code, an unknown table, a page
             size of 0 refused; under national-mapped (which requires mapping) an unmapped item refused at 2204.
  negative   the bad inputs: 2601 of an unknown omsgid and of a 1101, 5204 of another institution's
             visit, 2503 of a disease outside the catalogue, 2503 with a malformed date, 3101 with
             trig_scen 11 — each must be refused naming the member, writing nothing.

Profiles: `national` (HTTP 200, infcode -1/-2, cainfo empty; tools/testing/dialect_client.py) and
`nhsa-2.0` (cainfo-signed, refusals as HTTP 4xx problem+json; tools/testing/platform_client.py).
Prints one JSON line per step; exit 0 when every expectation holds, 1 otherwise.

Usage:
  python3 tools/testing/his_recovery.py --gateway http://127.0.0.1:8080 --profile national recovery
"""
from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import os
import random
import sys
import urllib.error
import urllib.request
import zipfile
from datetime import datetime, timedelta, timezone
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dialect_client  # noqa: E402
import official_hse_client  # noqa: E402
import platform_client  # noqa: E402

BEIJING = timezone(timedelta(hours=8))
HOSPITAL = "H12010100001"
PHARMACY = "P12010100001"
LOST = {"psn_no": "12000000000000000016", "certno": "120101197001010077"}
ZHANG = {"psn_no": "12000000000000000001", "certno": "120101198001011234"}
METFORMIN = "XA10BAE054A001010100483"
OWN_METFORMIN = "H-MET-0500"  # the hospital's own code for it, mapped with 3301 (profile national-mapped requires mapping)
LOST_CONNECTION = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError)


class Refusal(Exception):
    """The platform refused: `code` and `pointer` of its problem document."""

    def __init__(self, code, pointer, infcode=None):
        super().__init__("%s at %s" % (code, pointer))
        self.code, self.pointer, self.infcode = code, pointer, infcode


class Client:
    """One institution speaking one profile; `call` returns the output, `last_msgid` the msgid sent."""

    def __init__(self, gateway: str, profile: str, creds: dict, code: str):
        self.profile = profile
        self.gateway, self.creds = gateway, creds
        self.last_msgid = None
        # The e-voucher side: the channel's QR code, then HSE ec.query — the PROTOCOL.md envelope under nhsa-2.0, the
        # official SDK's (lower-case sm4/sm2, its own path) under the national dialects.
        self.voucher = platform_client.Hospital(gateway, creds, code)
        inst = next(i for i in creds["institutions"] if i["fixmedins_code"] == code)
        self.official = official_hse_client.OfficialUtil(inst["appId"], inst["appSecret"], inst["privateKey"], creds["platform"]["publicKey"])
        self.code = code
        if profile == "nhsa-2.0":
            self.hospital = platform_client.Hospital(gateway, creds, code)
        else:  # national and national-mapped speak the same transport
            self.dialect = dialect_client.DialectClient(gateway, "national", creds, code)

    def sign_in(self):
        if self.profile == "nhsa-2.0":
            return self.hospital.sign_in()
        out = self.call("9001", {"signIn": {"opter_no": "OP0001", "mac": "00-16-3E-00-00-01", "ip": "127.0.0.1"}})
        self.dialect.sign_no = out["signinoutb"]["sign_no"]
        return self.dialect.sign_no

    @property
    def sign_no(self):
        return self.hospital.sign_no if self.profile == "nhsa-2.0" else self.dialect.sign_no

    def call(self, infno: str, input_obj):
        if self.profile == "nhsa-2.0":
            try:  # nhsa-2.0 (PROTOCOL.md) sends every business value as a string
                out = self.hospital.fsi(infno, stringified(input_obj))
            except platform_client.Refused as refused:
                problem = json.loads(str(refused))
                raise Refusal(problem.get("code"), problem.get("pointer")) from None
            finally:
                self.last_msgid = self.hospital.last_msgid
            return out
        envelope = self.dialect.envelope(infno, input_obj)
        self.last_msgid = envelope["msgid"]
        try:
            return self.dialect.send(infno, envelope)["output"]
        except dialect_client.Refused as refused:
            problem = refused.answer.get("problem") or {}
            raise Refusal(problem.get("code"), problem.get("pointer"), refused.answer.get("infcode")) from None


def multipart(parts: list) -> tuple[bytes, str]:
    """A multipart/form-data body of (name, filename or None, bytes) parts, as the official demo builds 9101."""
    boundary = "----yibao%016x" % random.randrange(16**16)
    out = bytearray()
    for name, filename, data in parts:
        out += ("--%s\r\n" % boundary).encode()
        disposition = 'form-data; name="%s"' % name + ('; filename="%s"' % filename if filename else "")
        out += ("Content-Disposition: %s\r\n" % disposition).encode()
        out += (b"Content-Type: application/octet-stream\r\n\r\n" if filename else b"Content-Type: text/plain; charset=UTF-8\r\n\r\n")
        out += data + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return bytes(out), "multipart/form-data; boundary=" + boundary


def upload(client: "Client", filename: str, data: bytes, *, as_multipart: bool, envelope_part: bool = True):
    """9101: multipart jsonStr + file (national, as the official demo), or fsUploadIn.in as Base64 (nhsa-2.0, as symedsoft)."""
    if not as_multipart:
        return client.call("9101", {"fsUploadIn": {"in": base64.b64encode(data).decode(), "filename": filename, "fixmedins_code": HOSPITAL}})
    envelope = client.dialect.envelope("9101", {"fsUploadIn": {"filename": filename, "fixmedins_code": HOSPITAL}})
    client.last_msgid = envelope["msgid"]
    parts = ([("jsonStr", None, dialect_client.compact(envelope).encode("utf-8"))] if envelope_part else []) + [("file", filename, data)]
    body, content_type = multipart(parts)
    status, answer = dialect_client.http_post(client.dialect.gateway + dialect_client.PATHS["national"], body, {"Content-Type": content_type})
    if status != 200:
        raise dialect_client.NotOK("HTTP %d" % status)
    answer = json.loads(answer)
    if str(answer.get("infcode")) != "0":
        problem = answer.get("problem") or {}
        raise Refusal(problem.get("code"), problem.get("pointer"), answer.get("infcode"))
    return answer["output"]


def download(client: "Client", file_qury_no: str, filename: str) -> bytes:
    """9102: the file as application/octet-stream (a JSON answer is a refusal)."""
    data = {"fsDownloadIn": {"file_qury_no": file_qury_no, "filename": filename, "fixmedins_code": "plc"}}
    if client.profile == "nhsa-2.0":
        try:
            return client.hospital.fsi_download("9102", data)
        except platform_client.Refused as refused:
            problem = json.loads(str(refused))
            raise Refusal(problem.get("code"), problem.get("pointer")) from None
    envelope = client.dialect.envelope("9102", data)
    request = urllib.request.Request(client.dialect.gateway + dialect_client.PATHS["national"], data=dialect_client.compact(envelope).encode("utf-8"),
                                     headers={"Content-Type": "text/plain;charset=utf-8"}, method="POST")
    with urllib.request.urlopen(request, timeout=20) as response:
        body = response.read()
        if "application/octet-stream" in (response.headers.get("Content-Type") or ""):
            return body
    answer = json.loads(body)
    problem = answer.get("problem") or {}
    raise Refusal(problem.get("code"), problem.get("pointer"), answer.get("infcode"))


def zipped(name: str, text: str) -> bytes:
    """A zip as Java's ZipOutputStream writes it (deflated), holding one UTF-8 text file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()


def stringified(value):
    if isinstance(value, dict):
        return {key: stringified(item) for key, item in value.items()}
    if isinstance(value, list):
        return [stringified(item) for item in value]
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def now_text() -> str:
    return datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def emit(step: str, **facts):
    print(json.dumps({"step": step, **facts}, ensure_ascii=False), flush=True)


def expect(condition: bool, what: str):
    if not condition:
        raise AssertionError(what)


def refused(client: Client, infno: str, input_obj, code: str, pointer_end: str) -> dict:
    try:
        client.call(infno, input_obj)
    except Refusal as refusal:
        expect(refusal.code == code, "%s: expected %s, got %s" % (infno, code, refusal.code))
        expect((refusal.pointer or "").endswith(pointer_end), "%s: pointer %s does not name %s" % (infno, refusal.pointer, pointer_end))
        return {"code": refusal.code, "pointer": refusal.pointer, "infcode": refusal.infcode}
    raise AssertionError("%s was accepted; expected %s" % (infno, code))


def counters(client: Client, psn_no: str) -> dict:
    out = client.call("5206", {"data": {"psn_no": psn_no, "cum_ym": datetime.now(BEIJING).strftime("%Y%m")}})
    return {row["cum_type_code"]: Decimal(str(row["cum"])) for row in out["cuminfo"]}


def balance(client: Client, person: dict) -> Decimal:
    out = client.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": person["certno"], "psn_cert_type": "01"}})
    return Decimal(str(out["insuinfo"][0]["balc"]))


def map_catalogue(client: Client) -> None:
    """3301: the hospital maps its own metformin code to the platform's, as a HIS does once before uploading fees."""
    client.call("3301", {"data": [{"fixmedins_hilist_id": OWN_METFORMIN, "fixmedins_hilist_name": "二甲双胍片 0.5g", "list_type": "101",
                                   "med_list_codg": METFORMIN, "begndate": "2020-01-01", "enddate": "", "aprvno": "", "dosform": "片剂",
                                   "exct_cont": "", "item_cont": "", "prcunt": "盒", "spec": "0.5g*60", "pacspec": "", "memo": ""}]})


def ec_token(client: Client, person: dict, business: str = "01101") -> str:
    """The patient's e-voucher: the channel's QR code, scanned by the institution with HSE ec.query for
    `business` (01101 registration). The ecToken authenticates the person by real name, and an Internet+
    visit registered with it (mdtrt_cert_type 01) may be settled by 2207 (GATEWAY.md, RULES.md ID-1)."""
    qr = client.voucher.qrcode(person["certno"])
    if client.profile == "nhsa-2.0":
        answer = client.voucher.hse("ec.query", json.dumps({"qrCode": qr, "businessType": business, "orgId": client.code}))
        return json.loads(answer)["ecToken"]
    body = {"ecQrCode": qr, "businessType": business, "orgId": client.code, "operatorId": "OP0001", "operatorName": "Operator",
            "officeId": "A03", "officeName": "Internal medicine"}
    message = client.official.encrypt_msg("ec.query", body, int(datetime.now(BEIJING).timestamp() * 1000))
    request = urllib.request.Request(client.gateway.rstrip("/") + "/localcfc/api/hsecfc/localQrCodeQuery",
                                     data=json.dumps(message, ensure_ascii=False).encode("utf-8"), headers={"Content-Type": "application/json"})
    return client.official.decrypt_msg(json.loads(urllib.request.urlopen(request, timeout=30).read()))["ecToken"]


def open_visit(client: Client, person: dict, diagnosis="E11.900") -> str:
    visit = client.call("2201", {"data": {
        "psn_no": person["psn_no"], "insutype": "310", "begntime": now_text(), "mdtrt_cert_type": "01",
        "mdtrt_cert_no": ec_token(client, person), "ipt_otp_no": "MZ%06d" % random.randrange(10**6), "atddr_no": "D12010100001",
        "dr_name": "Li Wei", "dept_code": "A03", "dept_name": "Internal medicine", "caty": "A03"}})
    mdtrt_id = visit["data"]["mdtrt_id"]
    client.call("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": person["psn_no"], "med_type": "11", "dise_codg": diagnosis,
                                       "dise_name": "2型糖尿病"},
                         "diseinfo": [{"diag_type": "1", "diag_srt_no": "1", "diag_code": diagnosis, "diag_name": "2型糖尿病",
                                       "diag_dept": "A03", "dise_dor_no": "D12010100001", "dise_dor_name": "Li Wei", "diag_time": now_text(),
                                       "vali_flag": "1"}]})
    return mdtrt_id


def recovery(client: Client) -> None:
    client.sign_in()
    map_catalogue(client)
    psn = LOST["psn_no"]
    before, balance_before = counters(client, psn), balance(client, LOST)
    emit("5206 before", counters={k: str(v) for k, v in before.items()}, balc=str(balance_before))
    mdtrt_id = open_visit(client, LOST)
    batch = "CB%08d" % random.randrange(10**8)
    client.call("2204", {"feedetail": [{"feedetl_sn": "1", "mdtrt_id": mdtrt_id, "psn_no": psn, "chrg_bchno": batch, "med_list_codg": METFORMIN,
                                        "medins_list_codg": OWN_METFORMIN, "pric": "90.00", "cnt": "10", "det_item_fee_sumamt": "900.00", "rx_circ_flag": "0"}]})
    settle = {"data": {"psn_no": psn, "mdtrt_id": mdtrt_id, "chrg_bchno": batch, "insutype": "310", "acct_used_flag": "1",
                       "medfee_sumamt": "900.00", "mdtrt_cert_type": "02", "mdtrt_cert_no": LOST["certno"], "med_type": "11"}}
    client.call("2206", settle)
    try:
        client.call("2207", settle)
        raise AssertionError("the lost-answer person's first 2207 was answered")
    except LOST_CONNECTION as error:
        lost_msgid = client.last_msgid
        emit("2207 lost", msgid=lost_msgid, error=type(error).__name__)
    # The HIS never learnt the setl_id: 5203 by the visit shows the settlement committed.
    committed = client.call("5203", {"data": {"psn_no": psn, "mdtrt_id": mdtrt_id}})["setlinfo"]
    expect(committed["setl_stas"] == "settled", "5203 by mdtrt_id must show the lost settlement as committed: %s" % committed)
    reversal = client.call("2601", {"data": {"psn_no": psn, "omsgid": lost_msgid, "oinfno": "2207"}})["data"]
    setl_id = reversal["setl_id"]
    emit("2601", setl_id=setl_id)
    again = client.call("2601", {"data": {"psn_no": psn, "omsgid": lost_msgid, "oinfno": "2207"}})["data"]
    expect(again == reversal, "a second 2601 of the same omsgid must answer as the first did")
    info = client.call("5203", {"data": {"setl_id": setl_id, "psn_no": psn, "mdtrt_id": mdtrt_id}})["setlinfo"]
    expect(info["setl_stas"] == "reversed" and info["vali_flag"] == "0" and info["refd_setl_flag"] == "1", "5203 must show the settlement reversed: %s" % info)
    lines = client.call("5204", {"data": {"setl_id": setl_id, "psn_no": psn, "mdtrt_id": mdtrt_id}})
    expect(isinstance(lines, list) and lines and all(line["setl_stas"] == "reversed" for line in lines), "5204 must list the reversed lines")
    emit("5203/5204", setl_stas=info["setl_stas"], lines=len(lines))
    expect(counters(client, psn) == before and balance(client, LOST) == balance_before, "after 2601 the counters and balance must be as before")
    second = client.call("2207", settle)["setlinfo"]
    expect(second["setl_id"] != setl_id, "the second settlement is a new one")
    after, balance_after = counters(client, psn), balance(client, LOST)
    expect(after["Q0000"] == before["Q0000"] + Decimal(str(second["act_pay_dedc"])), "Q0000 must grow by the second settlement's deductible only")
    expect(after["F0000"] == before["F0000"] + Decimal(str(second["fund_pay_sumamt"])), "F0000 must grow by the second settlement's fund share only")
    expect(balance_after == balance_before - Decimal(str(second["acct_pay"])), "the account must lose the second settlement's account share only")
    emit("2207 again", setl_id=second["setl_id"], counters={k: str(v) for k, v in after.items()}, balc=str(balance_after))


def around(client: Client) -> None:
    client.sign_in()
    psn = ZHANG["psn_no"]
    for row in client.call("5301", {"psn_no": psn})["feedetail"]:  # a rerun starts unfiled
        if row.get("trt_dcla_detl_sn"):
            client.call("2504", {"data": {"psn_no": psn, "trt_dcla_detl_sn": row["trt_dcla_detl_sn"], "memo": "rerun"}})
    # 2001 flat, as hsa-his sends it (no data node).
    trt = client.call("2001", {"psn_no": psn, "insutype": "310", "fixmedins_code": HOSPITAL, "med_type": "14", "begntime": now_text(),
                               "endtime": None, "dise_codg": "E11.900", "dise_name": "", "oprn_oprt_code": None})["trtinfo"]
    chronic = [row for row in trt if row["trt_chk_type"] == "04"]
    expect(chronic and chronic[0]["trt_enjymnt_flag"] == "0", "2001 must say the unfiled chronic disease is not enjoyed: %s" % trt)
    today = datetime.now(BEIJING).strftime("%Y-%m-%d")
    filed = client.call("2503", {"data": {"psn_no": psn, "insutype": "310", "opsp_dise_code": "E11.900", "opsp_dise_name": "2型糖尿病",
                                          "tel": "", "addr": "", "insu_optins": "120100", "ide_fixmedins_no": HOSPITAL,
                                          "ide_fixmedins_name": "Tianjin", "hosp_ide_date": today + " 00:00:00", "diag_dr_codg": "D12010100001",
                                          "diag_dr_name": "Li Wei", "begndate": today + " 00:00:00", "enddate": "2099-12-31 00:00:00"}})
    sn = filed["result"]["trt_dcla_detl_sn"]
    rows = client.call("5301", {"psn_no": psn})["feedetail"]
    expect(any(row.get("trt_dcla_detl_sn") == sn for row in rows), "5301 must list the new filing")
    trt = client.call("2001", {"data": {"psn_no": psn, "insutype": "310", "fixmedins_code": HOSPITAL, "med_type": "14",
                                        "begntime": now_text(), "dise_codg": "E11.900"}})["trtinfo"]
    expect(all(row["trt_enjymnt_flag"] == "1" for row in trt), "2001 after the filing must pass: %s" % trt)
    emit("2001/2503/5301", trt_dcla_detl_sn=sn, trtinfo=len(trt))
    mdtrt_id = open_visit(client, ZHANG)
    audit = {"syscode": "YYDS", "task_id": "", "rule_ids": "", "trig_scen": 1, "patient_dtos": {
        "patn_id": psn, "patn_name": "", "gend": "1", "brdy": "1980-01-01", "poolarea": "120100", "curr_mdtrt_id": mdtrt_id,
        "fsi_encounter_dtos": {"mdtrt_id": mdtrt_id, "medins_id": HOSPITAL, "med_type": "11", "insutype": "310",
                               "fsi_order_dtos": [{"rx_id": "RX1", "rxno": "", "hilist_code": METFORMIN, "hosplist_code": "H-MET",
                                                   "cnt": 20, "pric": 30, "sumamt": 600},
                                                  {"rx_id": "RX2", "rxno": "", "hilist_code": METFORMIN, "hosplist_code": "H-MET",
                                                   "cnt": 1, "pric": 30, "sumamt": 30}],
                               "fsi_diagnose_dtos": [{"dise_codg": "E11.900", "maindise_flag": "1"}]}}}
    result = client.call("3101", {"data": audit})["result"]
    flagged = [r for r in result if r["rule_id"] == "AUD-QTY-001"]
    expect(flagged and [d["rx_id"] for d in flagged[0]["judge_result_detail_dtos"]] == ["RX1"], "3101 must name the 20-box order RX1: %s" % result)
    audit["trig_scen"] = "6"
    in_event = [r["rule_id"] for r in client.call("3102", {"data": audit})["result"]]
    expect("AUD-REC-001" in in_event, "3102 before the visit's record is uploaded must flag it (SV-1): %s" % in_event)
    emit("3101/3102", findings=[r["rule_id"] for r in result], in_event=in_event)
    # SV-1: the visit's records as hsa-his sends 4301 (every node a list, an unknown misspelt key in rxinfo) and as a
    # Guangdong client sends 4701 (single objects, the string "null" for an empty node); the output is not read.
    client.call("4301", {
        "rgstinfo": [{"mdtrt_sn": "MZ%06d" % random.randrange(10**6), "mdtrt_id": mdtrt_id, "psn_no": psn, "rgst_type_code": "1",
                      "rgst_way_code": "1", "rgst_serv_fee": "0", "ordr_way_code": "1", "retnr_flag": "0", "fstdiag_flag": "0",
                      "mdtrt_flag": "1", "rgst_retnr_time": now_text(), "medfee_paymtd_code": "01", "vali_flag": "1"}],
        "caseinfo": [{"mdtrt_date": now_text(), "chfcomp": "复诊", "illhis": "", "dspo_opnn": "", "dept_code": "A03", "dept_name": "内科", "vali_flag": "1"}],
        "diseinfo": [{"maindiag_flag": "1", "diag_code": "E11.900", "diag_name": "2型糖尿病", "vali_flag": "1"}],
        "rxinfo": [{"rxno": "RX1", "rx_detl_id": "1", "drug_used-idose ": "1", "medc_way_codg": "1", "vali_flag": "1"}]})
    after = [r["rule_id"] for r in client.call("3102", {"data": audit})["result"]]
    expect("AUD-REC-001" not in after, "3102 after the 4301 must not flag the record: %s" % after)
    client.call("4701", {
        "adminfo": {"mdtrt_sn": "MZ1", "mdtrt_id": mdtrt_id, "psn_no": psn, "name": "张三", "gend": "1", "age": "45", "vali_flag": "1"},
        "diseinfo": [{"inout_diag_type": "1", "maindiag_flag": "1", "diag_seq": "1", "diag_time": now_text(), "wm_diag_code": "E11.900",
                      "wm_diag_name": "2型糖尿病", "vali_flag": "1"}],
        "coursrinfo": {"dept_code": "A03", "dept_name": "内科", "rcd_time": now_text(), "chfcomp": "复诊", "vali_flag": "1"},
        "oprninfo": "null", "rescinfo": "null", "dieinfo": "null", "dscginfo": "null"})
    emit("4301/4701", in_event_after=after)
    visits = client.call("5201", {"data": {"psn_no": psn, "mdtrt_id": mdtrt_id}})["mdtrtinfo"]
    expect(len(visits) == 1 and visits[0]["dise_codg"] == "E11.900", "5201 must answer the visit with its diagnosis")
    diagnoses = client.call("5202", {"data": {"psn_no": psn, "mdtrt_id": mdtrt_id}})["diseinfo"]
    expect(diagnoses and diagnoses[0]["diag_code"] == "E11.900", "5202 must answer the 2203 diagnosis")
    client.call("5205", {"data": {"psn_no": psn, "begntime": "2020-01-01 00:00:00", "endtime": "2099-12-31 23:59:59"}})
    client.call("2504", {"data": {"psn_no": psn, "trt_dcla_detl_sn": sn, "memo": "test over"}})
    expect(not any(row.get("trt_dcla_detl_sn") == sn for row in client.call("5301", {"psn_no": psn})["feedetail"]), "2504 must end the filing")
    emit("5201/5202/5205/2504", visits=len(visits), diagnoses=len(diagnoses))
    sign_no = client.sign_no
    out = client.call("9002", {"signOut": {"sign_no": sign_no, "opter_no": "OP0001"}})
    expect("sign_time" in out["signoutoutb"], "9002 answers signoutoutb.sign_time")
    emit("9002", refused=refused(client, "5301", {"psn_no": psn}, "SIGN_NO_SIGNED_OUT", "/sign_no"))


def negative(client: Client, pharmacy: Client) -> None:
    client.sign_in()
    psn = ZHANG["psn_no"]
    emit("2601 unknown omsgid", **refused(client, "2601", {"data": {"psn_no": psn, "omsgid": HOSPITAL + "20200101000000" + "0001", "oinfno": "2207"}},
                                          "REVERSAL_ORIGINAL_UNKNOWN", "/omsgid"))
    emit("2601 of 1101", **refused(client, "2601", {"data": {"psn_no": psn, "omsgid": HOSPITAL + "20200101000000" + "0002", "oinfno": "1101"}},
                                   "REVERSAL_NOT_REVERSIBLE", "/oinfno"))
    mdtrt_id = open_visit(client, ZHANG)
    pharmacy.sign_in()
    emit("5204 of another institution's visit", **refused(pharmacy, "5204", {"data": {"psn_no": psn, "mdtrt_id": mdtrt_id}}, "VISIT_UNKNOWN", "/mdtrt_id"))
    filings_before = client.call("5301", {"psn_no": psn})["feedetail"]
    filing = {"psn_no": psn, "insutype": "310", "opsp_dise_code": "S72.000", "opsp_dise_name": "股骨颈骨折", "begndate": "2026-01-01",
              "enddate": "2026-12-31"}
    emit("2503 outside the catalogue", **refused(client, "2503", {"data": filing}, "CHRONIC_DISEASE_NOT_FILEABLE", "/opsp_dise_code"))
    emit("2503 malformed date", **refused(client, "2503", {"data": dict(filing, opsp_dise_code="E11.900", begndate="2026/01/01")},
                                          "FIELD_INVALID", "/begndate"))
    expect(client.call("5301", {"psn_no": psn})["feedetail"] == filings_before, "a refused 2503 writes nothing")
    audit = {"trig_scen": 11, "patient_dtos": {"patn_id": psn, "fsi_encounter_dtos": {"mdtrt_id": mdtrt_id, "fsi_order_dtos": []}}}
    emit("3101 trig_scen 11", **refused(client, "3101", {"data": audit}, "FIELD_INVALID", "/trig_scen"))


def pharmacy_scenario(pharmacy: Client, hospital: Client, rxno: str, drugs: list) -> None:
    pharmacy.sign_in()
    hospital.sign_in()
    psn = ZHANG["psn_no"]
    total = sum(Decimal(str(d["sumamt"])) for d in drugs)
    detail = [{"feedetl_sn": str(i + 1), "rxno": rxno, "rx_circ_flag": "1", "fee_ocur_time": now_text(), "med_list_codg": d["code"],
               "medins_list_codg": d["code"], "det_item_fee_sumamt": str(d["sumamt"]), "cnt": str(d["cnt"]), "pric": str(d["pric"])}
              for i, d in enumerate(drugs)]

    def purchase(key: str, lines=None) -> dict:
        return {"druginfo": {"psn_no": psn, "mdtrt_cert_type": "02", "mdtrt_cert_no": ZHANG["certno"], "begntime": now_text(),
                             "medfee_sumamt": "%.2f" % total, "insutype": "310", "med_type": "41", "acct_used_flag": "1", "medins_setl_id": key},
                "drugdetail": lines or detail}
    emit("2102 by the hospital", **refused(hospital, "2102", purchase("H1"), "RETAIL_PHARMACY_ONLY", "/fixmedins_code"))
    unknown = [dict(line, rxno="HIRX000000000000000000") for line in detail]
    emit("2102 of an unknown prescription", **refused(pharmacy, "2102", purchase("PX1", unknown), "AUDIT_REFUSED", "/rxno"))
    pre = pharmacy.call("2101", purchase(""))["setlinfo"]
    key = "PS%010d" % random.randrange(10**10)
    body = purchase(key)
    info = pharmacy.call("2102", body)["setlinfo"]
    expect(info["fund_pay_sumamt"] == pre["fund_pay_sumamt"], "2101 and 2102 must agree")
    parts = sum(Decimal(str(info[k])) for k in ("fund_pay_sumamt", "acct_pay", "psn_cash_pay"))
    expect(parts == total == Decimal(str(info["medfee_sumamt"])), "fund + account + cash must be the total")
    again = pharmacy.call("2102", body)["setlinfo"]
    expect(again["setl_id"] == info["setl_id"], "the same 2102 must answer the same setl_id")
    emit("2101/2102", setl_id=info["setl_id"], fund=info["fund_pay_sumamt"], acct=info["acct_pay"], cash=info["psn_cash_pay"])
    cancel = {"data": {"setl_id": info["setl_id"], "mdtrt_id": info["mdtrt_id"], "psn_no": psn}}
    pharmacy.call("2103", cancel)
    emit("2103 twice", **refused(pharmacy, "2103", cancel, "SETTLEMENT_ALREADY_CANCELLED", "/setl_id"))
    final = pharmacy.call("2102", purchase("PS%010d" % random.randrange(10**10)))["setlinfo"]
    expect(final["setl_id"] != info["setl_id"], "after 2103 the prescription settles again as a new settlement")
    emit("2102 after 2103", setl_id=final["setl_id"])


def settle_once(client: Client, person: dict, price: str) -> dict:
    """2201 → 2203 → 2204 (metformin) → 2207; the setlinfo."""
    mdtrt_id = open_visit(client, person)
    batch = "CB%08d" % random.randrange(10**8)
    total = "%.2f" % (Decimal(price) * 2)
    client.call("2204", {"feedetail": [{"feedetl_sn": "1", "mdtrt_id": mdtrt_id, "psn_no": person["psn_no"], "chrg_bchno": batch,
                                        "med_list_codg": METFORMIN, "medins_list_codg": OWN_METFORMIN, "pric": price, "cnt": "2", "det_item_fee_sumamt": total, "rx_circ_flag": "0"}]})
    return client.call("2207", {"data": {"psn_no": person["psn_no"], "mdtrt_id": mdtrt_id, "chrg_bchno": batch, "insutype": "310",
                                         "acct_used_flag": "0", "medfee_sumamt": total, "med_type": "11"}})["setlinfo"]


def month_end(client: Client) -> None:
    """Settle twice and cancel one (2208); 3201 per group; 9101 a detail file with one planted mismatch (a wrong
    fund share); 3202; 9102 the result and find exactly that line. Needs a gateway with no other settlement today."""
    client.sign_in()
    map_catalogue(client)
    psn = ZHANG["psn_no"]
    kept = settle_once(client, ZHANG, "30.00")
    gone = settle_once(client, ZHANG, "12.50")
    client.call("2208", {"data": {"setl_id": gone["setl_id"], "mdtrt_id": gone["mdtrt_id"], "psn_no": psn}})
    third = settle_once(client, ZHANG, "20.00")
    today = datetime.now(BEIJING).strftime("%Y-%m-%d")
    settled = [kept, third]
    total = lambda key: "%.2f" % sum(Decimal(str(s[key])) for s in settled)
    stmt = client.call("3201", {"data": {"insutype": "310", "clr_type": "11", "setl_optins": "120100", "stmt_begndate": today, "stmt_enddate": today,
                                         "medfee_sumamt": total("medfee_sumamt"), "fund_pay_sumamt": total("fund_pay_sumamt"),
                                         "acct_pay": total("acct_pay"), "fixmedins_setl_cnt": "2"}})["stmtinfo"]
    expect(stmt["stmt_rslt"] == "0", "3201 of the day's two settlements in force must be consistent: %s" % stmt)
    # The detail file: setl_id, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay, refd_setl_flag — TAB after
    # every field and CRLF, as zebone writes it; the planted mismatch: the third settlement's fund share off by 1.00.
    planted = Decimal(str(third["fund_pay_sumamt"])) + 1
    rows = [[kept["setl_id"], kept["mdtrt_id"], psn, kept["medfee_sumamt"], kept["fund_pay_sumamt"], kept["acct_pay"], "0"],
            [third["setl_id"], third["mdtrt_id"], psn, third["medfee_sumamt"], "%.2f" % planted, third["acct_pay"], "0"]]
    text = "".join("".join("%s\t" % field for field in row) + "\r\n" for row in rows)
    as_multipart = client.profile != "nhsa-2.0"
    uploaded = upload(client, "data%s.zip" % datetime.now(BEIJING).strftime("%Y%m%d%H%M%S"), zipped("detail.txt", text), as_multipart=as_multipart)
    medfee = sum(Decimal(str(r[3])) for r in rows)
    fund = sum(Decimal(str(r[4])) for r in rows)
    acct = sum(Decimal(str(r[5])) for r in rows)
    info = client.call("3202", {"data": {"setl_optins": "120100", "file_qury_no": uploaded["file_qury_no"], "stmt_begndate": today, "stmt_enddate": today,
                                         "medfee_sumamt": "%.2f" % medfee, "fund_pay_sumamt": "%.2f" % fund, "cash_payamt": "%.2f" % (medfee - fund - acct),
                                         "fixmedins_setl_cnt": "2", "clr_type": "11", "refd_setl_flag": "0"}})["fileinfo"]
    result = download(client, info["file_qury_no"], info["filename"])
    with zipfile.ZipFile(io.BytesIO(result)) as archive:
        lines = [line.split("\t") for line in archive.read("result.txt").decode("utf-8").splitlines() if line]
    expect(len(lines) == 1 and lines[0][2] == third["setl_id"] and lines[0][4] == "3", "the result must list exactly the planted mismatch: %s" % lines)
    emit("month end", uploaded=uploaded["file_qury_no"], result=info["file_qury_no"], mismatch=lines[0][6])
    # Nothing is readable by another institution.
    other = Client(client.gateway, client.profile, client.creds, PHARMACY)
    other.sign_in()
    try:
        download(other, info["file_qury_no"], info["filename"])
        raise AssertionError("the pharmacy downloaded the hospital's result file")
    except Refusal as refusal:
        expect(refusal.code == "FILE_UNKNOWN", "another institution's 9102: %s" % refusal.code)
        emit("9102 by another institution", code=refusal.code)
    # Bad input: a malformed line is refused by its number; nothing is reconciled.
    bad = upload(client, "bad.txt", (text + "only\tthree\tcolumns\r\n").encode(), as_multipart=as_multipart)
    emit("3202 malformed line", **refused(client, "3202", {"data": {"file_qury_no": bad["file_qury_no"], "stmt_begndate": today, "stmt_enddate": today,
                                                                    "medfee_sumamt": "0.00", "fund_pay_sumamt": "0.00", "cash_payamt": "0.00",
                                                                    "fixmedins_setl_cnt": "0"}}, "DETAIL_FILE_LINE_INVALID", "/file_qury_no"))
    if as_multipart:
        try:
            upload(client, "x.txt", b"x", as_multipart=True, envelope_part=False)
            raise AssertionError("a multipart 9101 without jsonStr was accepted")
        except Refusal as refusal:
            expect(refusal.code == "FIELD_MISSING" and refusal.pointer == "/jsonStr", "without jsonStr: %s at %s" % (refusal.code, refusal.pointer))
            emit("9101 without jsonStr", code=refusal.code, pointer=refusal.pointer)
        try:  # 8 MiB is the most a file may have
            upload(client, "big.txt", b"x" * (8 * 1024 * 1024 + 1), as_multipart=True)
            raise AssertionError("a file over 8 MiB was accepted")
        except Refusal as refusal:
            expect(refusal.code == "FILE_TOO_LARGE" and refusal.pointer.endswith("/in"), "over the limit: %s at %s" % (refusal.code, refusal.pointer))
            emit("9101 over 8 MiB", code=refusal.code, pointer=refusal.pointer)


def catalogue(client: Client) -> None:
    """1312 paged, 1318, 1319, 1901 (camelCase input as vendors send it), 3301 → 1317 → 3302, and the refusals."""
    client.sign_in()
    page = client.call("1312", {"data": {"page_num": 1, "page_size": 2}})
    records, pages = int(str(page["recordCounts"])), int(str(page["pages"]))   # numbers, as PageHelper writes them
    expect(len(page["data"]) == 2 and records > 2 and pages == (records + 1) // 2, "1312 pages: %s" % page)
    codes = [row["hilist_code"] for row in page["data"]]
    limits = client.call("1318", {"data": {"page_num": 1, "page_size": 100}})["data"]
    expect(any(row["hilist_code"] == "AADG0000" and row["hilist_pric_uplmt_amt"] == "20.00" for row in limits), "1318 lists the consultation's price")
    ratios = client.call("1319", {"data": {"page_num": 1, "page_size": 100}})["data"]
    expect(any(row["hilist_code"] == "XA10BBG001A001010103929" and Decimal(str(row["selfpay_prop"])) == Decimal("0.1") for row in ratios), "1319 lists gliclazide's 10 %%: %s" % ratios)
    insutypes = client.call("1901", {"data": {"type": "insutype", "parentValue": "", "admdvs": "120000", "date": "", "valiFlag": "1"}})["list"]
    expect(any(row["value"] == "310" for row in insutypes), "1901 insutype lists 310")
    emit("1312/1318/1319/1901", first=codes, limits=len(limits), ratios=len(ratios), insutypes=len(insutypes))
    map_catalogue(client)
    mapped = client.call("1317", {"data": {"fixmedins_code": HOSPITAL, "medins_list_codg": OWN_METFORMIN, "page_num": 1, "page_size": 10}})["data"]
    expect(len(mapped) == 1 and mapped[0]["med_list_codg"] == METFORMIN and mapped[0]["vali_flag"] == "1", "1317 lists the mapping: %s" % mapped)
    emit("3301 of an unknown code", **refused(client, "3301", {"data": {"fixmedins_hilist_id": "H-X", "fixmedins_hilist_name": "x", "list_type": "101",
                                                                        "med_list_codg": "XNOTACODE", "begndate": "2020-01-01"}},
                                              "CATALOGUE_ITEM_UNKNOWN", "/med_list_codg"))
    emit("1901 unknown type", **refused(client, "1901", {"data": {"type": "no_such_table"}}, "DICTIONARY_TYPE_UNKNOWN", "/type"))
    emit("1312 page_size 0", **refused(client, "1312", {"data": {"page_num": 1, "page_size": 0}}, "FIELD_INVALID", "/page_size"))
    client.call("3302", {"data": {"fixmedins_code": HOSPITAL, "fixmedins_hilist_id": OWN_METFORMIN, "list_type": "101", "med_list_codg": METFORMIN}})
    gone = client.call("1317", {"data": {"medins_list_codg": OWN_METFORMIN, "page_num": 1, "page_size": 10}})["data"]
    expect(gone and gone[0]["vali_flag"] == "0", "after 3302 the mapping is no longer in force")
    if client.profile == "national-mapped":  # the profile requires mapping: an unmapped own code is refused at 2204
        mdtrt_id = open_visit(client, ZHANG)
        emit("2204 of an unmapped item", **refused(client, "2204", {"feedetail": [{
            "feedetl_sn": "1", "mdtrt_id": mdtrt_id, "psn_no": ZHANG["psn_no"], "chrg_bchno": "CB1", "med_list_codg": METFORMIN,
            "medins_list_codg": OWN_METFORMIN, "pric": "30.00", "cnt": "1", "det_item_fee_sumamt": "30.00"}]}, "CATALOGUE_ITEM_NOT_MAPPED", "/medins_list_codg"))
    map_catalogue(client)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("Usage:")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default="http://127.0.0.1:8080")
    parser.add_argument("--profile", default="national", choices=["national", "national-mapped", "nhsa-2.0"])
    parser.add_argument("--credentials", default=os.path.join(HERE, "..", "..", "certs", "demo-credentials.json"))
    parser.add_argument("--rxno", help="pharmacy: the hiRxno the pharmacy dispensed")
    parser.add_argument("--drugs", help='pharmacy: JSON list of {"code", "pric", "cnt", "sumamt"} of the prescription')
    parser.add_argument("scenario", choices=["recovery", "around", "negative", "pharmacy", "month-end", "catalogue"])
    args = parser.parse_args(argv)
    creds = json.load(open(args.credentials, encoding="utf-8"))
    client = Client(args.gateway, args.profile, creds, HOSPITAL)
    try:
        if args.scenario == "recovery":
            recovery(client)
        elif args.scenario == "around":
            around(client)
        elif args.scenario == "catalogue":
            catalogue(client)
        elif args.scenario == "month-end":
            month_end(client)
        elif args.scenario == "pharmacy":
            if not args.rxno or not args.drugs:
                parser.error("pharmacy needs --rxno and --drugs")
            pharmacy_scenario(Client(args.gateway, args.profile, creds, PHARMACY), client, args.rxno, json.loads(args.drugs))
        else:
            negative(client, Client(args.gateway, args.profile, creds, PHARMACY))
    except (AssertionError, Refusal) as failure:
        emit("failed", error=str(failure))
        return 1
    emit("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
