#!/usr/bin/env python3
"""Probe a live yibao-gateway as an attacker would.

An operator runs this by hand against a running gateway (a test instance: it writes
refusals, sign-ins, visits and payments into the gateway's database). Each family of
checks prints one line per check, `PASS`, `FAIL` or `INFO`, with its figures; the script
exits 1 if any check failed.

Families:
  secrets           the secret oracle: do refusals of a garbage FSI cainfo, of a sealed HSE
                    envelope whose timestamp moved by 1 ms, or of a bad HSE signature give
                    back an appSecret, a token, "&key=<anything but ***>", or business data
                    that only travelled encrypted?
  fuzz              some hundreds of malformed inputs to FSI, HSE, admin (with the admin
                    token) and channel endpoints: invalid JSON, wrong types, huge strings,
                    deep nesting, a million-element array, control characters, duplicate
                    keys, NUL bytes, invalid UTF-8. Any 5xx, reset or non-JSON answer fails.
  big-body          ten sequential and four concurrent 4 MiB unauthenticated FSI requests:
                    more than 1 s for one fails; with --data-dir, more than 1 MB of database
                    growth fails.
  slow              200 idle connections, 50 with half the headers, 20 with a short body:
                    does the server close them (each group) within --slow-wait, and does
                    /health still answer within 2 s meanwhile?
  trickle-receiver  local callback receivers: one trickles its answer, one hangs, one answers
                    {"code":0} at once. With the admin token it registers two test hospitals
                    (H12010199901, H12010199902; POST /admin/fixtures, copies of the demo
                    hospital), points their callback URLs at the trickling and the hanging
                    receiver and --institution's at the good one, pays one order (2201, wallet,
                    ec.payAuth, 6201, 6202) at each, and fails unless the good receiver's
                    callback arrives within 10 s of its payment.
  races             20 concurrent copies of one signed FSI request (same msgid), of one sealed
                    HSE ec.query (same signData), and 20 FSI 1101s presenting one ecToken: one
                    may be processed (one distinct accepted answer; ec.query may hand its kept
                    answer to the copies); no 5xx.

A 429 RATE_LIMITED answer (the gateway's refusal budget per address) is sent again after its
Retry-After (--patience), so that a probe reaches the check it is about; a check whose probe
only ever met the rate limiter fails rather than passes.

The signatures and envelopes are made with the independent Python client
tools/testing/platform_client.py and the pure-Python GM/T code of tools/vectors (standard
library only). Requests are stamped with the gateway's clock when it offers GET /__clock
(`yibao serve --test-clock`, admin token), else with the local clock.
"""

from __future__ import annotations

import argparse
import base64
import glob
import http.client
import itertools
import json
import os
import random
import re
import select
import socket
import sqlite3
import sys
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import platform_client as pc  # noqa: E402  (puts tools/vectors on sys.path)

gm = pc.gm
hse = pc.hse
Num = hse.Num

FAMILIES = ("secrets", "fuzz", "big-body", "slow", "trickle-receiver", "races")
FSI_PATH = pc.FSI_PATH
MIB = 1 << 20

# Recognisable business values put into encrypted data: they must never come back in clear.
MARKER_ID = "110101199003071234"
MARKER_NAME = "张三"

# The demo world (fixtures/demo.json): Zhang San, Dr Li Wei of H12010100001, subject A03.
DEMO_CERTNO = pc.DEMO_CERTNO
DEMO_PSN_NO = pc.DEMO_PSN_NO
DEMO_DOCTOR, SUBJECT = ("D12010100001", "Li Wei"), "A03"
DEMO_FIXTURE = os.path.join(REPO, "fixtures", "demo.json")
# Two hospitals the trickle-receiver family registers (POST /admin/fixtures) as copies of the demo
# hospital, so that each callback receiver has an institution of its own; keys derive from the code.
EXTRA_HOSPITALS = ("H12010199901", "H12010199902")

HSE_SERVICES = ("ec.query", "ec.payAuth", "uploadChk", "rxFixmedinsSign", "rxFileUpld", "rxUndo", "hospRxDetlQuery",
                "rxChkInfoQuery", "rxSetlInfoQuery", "rxDownload", "rxDispense", "uldFeeInfo", "pay_order",
                "refund_Order", "query_order_info", "revoke_order")
FSI_CODES = ("9001", "1101", "2201", "2202", "2203", "2204", "2205", "2206", "2207", "2208", "3201", "3203")
# Member names the HSE services and admin bodies read, given wrong types by the fuzzer.
COMMON_MEMBERS = ("qrCode", "businessType", "orgId", "authCode", "orgCodg", "psnNo", "mdtrtId", "insutype", "medOrgOrd",
                  "chrgBchno", "payAuthNo", "medfeeSumamt", "acctUsedFlag", "feedetailList", "payOrdId", "payToken",
                  "appRefdSn", "refdType", "totlRefdAmt", "hiRxno", "rxTraceCode", "code", "name", "kind", "admdvs",
                  "certno", "institutionCode", "appId", "appSecret", "publicKey", "url", "seconds", "action", "at")
WRONG_TYPES = (Num("1e999999"), [], {}, True, Num("-0"), [[[]]], Num("123456789012345678901234567890"), None,
               Num("-1"), Num("0.1e-999999"))

HEALTH_LIMIT_S = 2.0
BIG_BODY_LIMIT_S = 1.0
DB_GROWTH_LIMIT = 1_000_000
CALLBACK_LIMIT_S = 10.0
TRICKLE_BYTES = 3600  # one byte a second: an hour


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------

class Report:
    """Prints one line per check (thread-safe) and counts the failures."""

    def __init__(self):
        self.failures = 0
        self._lock = threading.Lock()

    def line(self, status: str, check: str, text: str) -> None:
        with self._lock:
            if status == "FAIL":
                self.failures += 1
            print("%-4s %-34s %s" % (status, check, text), flush=True)

    def ok(self, check: str, text: str) -> None:
        self.line("PASS", check, text)

    def fail(self, check: str, text: str) -> None:
        self.line("FAIL", check, text)

    def info(self, check: str, text: str) -> None:
        self.line("INFO", check, text)

    def verdict(self, passed: bool, check: str, text: str) -> None:
        self.line("PASS" if passed else "FAIL", check, text)


class ProbeError(Exception):
    """A step the probe needs (a sign-in, a payment) did not work."""


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

@dataclass
class Answer:
    """One HTTP exchange: a status and body, or the transport error instead."""
    status: int | None
    body: bytes = b""
    headers: str = ""
    elapsed: float = 0.0
    error: str | None = None
    _doc: object = field(default=None, repr=False)

    @property
    def document(self):
        """The body as JSON, or None when it is not JSON."""
        if self._doc is None and self.body:
            try:
                self._doc = json.loads(self.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                self._doc = False
        return self._doc if self._doc is not False else None

    @property
    def is_json(self) -> bool:
        return self.document is not None

    @property
    def code(self) -> str:
        doc = self.document
        return str(doc.get("code", "")) if isinstance(doc, dict) else ""

    @property
    def retry_after(self) -> float:
        """Seconds a 429 asks to wait (Retry-After; 1 when absent)."""
        match = re.search(r"(?im)^retry-after:\s*(\d+)", self.headers)
        return float(match.group(1)) if match else 1.0

    def describe(self) -> str:
        if self.error:
            return self.error
        text = "HTTP %d" % self.status
        if self.code and self.code != "0":
            text += " " + self.code
        if not self.is_json:
            text += " (not JSON: %r)" % self.body[:60]
        return text


def http_exchange(host: str, port: int, method: str, path: str, body: bytes | None, headers: dict, timeout: float) -> Answer:
    """One request on a fresh connection (Connection: close)."""
    h = {"Connection": "close", "Accept": "application/json"}
    if body is not None:
        h["Content-Type"] = "application/json; charset=utf-8"
    h.update(headers)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    start = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        head = "\n".join("%s: %s" % kv for kv in resp.getheaders())
        return Answer(resp.status, data, head, time.monotonic() - start)
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected) as exc:
        return Answer(None, elapsed=time.monotonic() - start, error="connection reset (%s)" % type(exc).__name__)
    except socket.timeout:
        return Answer(None, elapsed=time.monotonic() - start, error="no answer within %.0f s" % timeout)
    except ConnectionRefusedError:
        return Answer(None, elapsed=time.monotonic() - start, error="connection refused")
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, elapsed=time.monotonic() - start, error="%s: %s" % (type(exc).__name__, exc))
    finally:
        conn.close()


def raw_request(method: str, path: str, host: str, body: bytes = b"", headers: dict | None = None) -> bytes:
    """The bytes of an HTTP/1.1 request, for the raw-socket probes."""
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % host, "Connection: close"]
    if body or method == "POST":
        lines += ["Content-Type: application/json; charset=utf-8", "Content-Length: %d" % len(body)]
    lines += ["%s: %s" % kv for kv in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


def read_raw_answer(sock: socket.socket, method: str = "POST") -> Answer:
    """Reads one HTTP answer from a connected socket."""
    start = time.monotonic()
    try:
        resp = http.client.HTTPResponse(sock, method=method)
        resp.begin()
        data = resp.read()
        return Answer(resp.status, data, "\n".join("%s: %s" % kv for kv in resp.getheaders()), time.monotonic() - start)
    except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected) as exc:
        return Answer(None, error="connection reset (%s)" % type(exc).__name__)
    except socket.timeout:
        return Answer(None, error="no answer in time")
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, error="%s: %s" % (type(exc).__name__, exc))


def simultaneous(host: str, port: int, payloads: list[bytes], timeout: float) -> tuple[list[Answer], float]:
    """Sends each payload on its own connection so that they arrive together: everything but
    the last byte first, then, after a barrier, the last bytes. Returns the answers and the
    spread (s) between the first and the last final byte."""
    barrier = threading.Barrier(len(payloads))
    sent_at: list[float] = [0.0] * len(payloads)

    def one(i: int) -> Answer:
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            barrier.abort()
            return Answer(None, error="connect: %s" % exc)
        with sock:
            try:
                sock.sendall(payloads[i][:-1])
                barrier.wait(timeout)
                sock.sendall(payloads[i][-1:])
                sent_at[i] = time.monotonic()
            except (OSError, threading.BrokenBarrierError) as exc:
                return Answer(None, error="send: %s" % exc)
            return read_raw_answer(sock)

    with ThreadPoolExecutor(len(payloads)) as pool:
        answers = list(pool.map(one, range(len(payloads))))
    stamps = [s for s in sent_at if s]
    return answers, (max(stamps) - min(stamps)) if stamps else 0.0


# --------------------------------------------------------------------------
# The target gateway and the signed/sealed requests
# --------------------------------------------------------------------------

class Target:
    """The gateway under test: its address, the demo credentials, its clock offset."""

    def __init__(self, url: str, credentials: dict, admin_token: str | None, timeout: float, patience: float = 60):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise SystemExit("hostile.py: --target must be an http:// URL (got %r)" % url)
        self.url = url.rstrip("/")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.host_header = parts.netloc
        self.credentials = credentials
        self.admin_token = admin_token
        self.channel_token = credentials["channel"]["token"]
        self.timeout = timeout
        self.patience = patience  # seconds a request may wait in all for Retry-After of 429 answers
        self.throttled = 0        # 429 RATE_LIMITED answers seen (the gateway's refusal budget per address)
        self.offset_ms = 0
        self._serial = itertools.count(random.randrange(10000))
        self._serial_lock = threading.Lock()

    # ---- HTTP ----------------------------------------------------------------
    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float | None = None, patience: float | None = None) -> Answer:
        """One exchange; a 429 is sent again after its Retry-After while `patience` seconds (default
        self.patience) last, so that a probe reaches the check it is about, not the rate limiter."""
        deadline = time.monotonic() + (self.patience if patience is None else patience)
        while True:
            answer = http_exchange(self.host, self.port, method, path, body, headers or {}, timeout or self.timeout)
            if answer.status != 429:
                return answer
            self.throttled += 1
            if time.monotonic() + answer.retry_after > deadline:
                return answer
            time.sleep(answer.retry_after)

    def post_json(self, path: str, obj, bearer: str | None = None) -> Answer:
        headers = {"Authorization": "Bearer " + bearer} if bearer else {}
        return self.request("POST", path, json.dumps(obj, ensure_ascii=False).encode("utf-8"), headers)

    def health(self, timeout: float = HEALTH_LIMIT_S) -> Answer:
        return self.request("GET", "/health", timeout=timeout)

    # ---- clock ---------------------------------------------------------------
    def sync_clock(self) -> str:
        """Reads GET /__clock (test clock) to stamp requests with the gateway's time."""
        headers = {"Authorization": "Bearer " + self.admin_token} if self.admin_token else {}
        answer = self.request("GET", "/__clock", headers=headers, timeout=5)
        doc = answer.document
        if answer.status == 200 and isinstance(doc, dict) and "now" in doc:
            gateway = datetime.fromisoformat(str(doc["now"])).timestamp() * 1000
            self.offset_ms = int(gateway - time.time() * 1000)
            return "gateway test clock, offset %+.1f s" % (self.offset_ms / 1000)
        self.offset_ms = 0
        return "local clock (no /__clock)"

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.offset_ms

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_ms() / 1000, pc.BEIJING)

    def unique(self, digits: int = 4) -> str:
        """Digits unique within this run (a counter) that also change across runs (random start)."""
        with self._serial_lock:
            return "%0*d" % (digits, next(self._serial) % (10 ** digits))

    # ---- credentials ---------------------------------------------------------
    def add_institution(self, inst: dict) -> None:
        """Adds an institution (credentials-file form) this run created."""
        self.credentials = dict(self.credentials, institutions=self.credentials["institutions"] + [inst])

    def hospital(self, code: str) -> pc.Hospital:
        return pc.Hospital(self.url, self.credentials, code)

    def secret_table(self) -> list[tuple[str, str]]:
        """(label, value) of everything that must never be in an answer."""
        table = []
        for inst in self.credentials["institutions"]:
            table.append(("appSecret of %s" % inst["fixmedins_code"], inst["appSecret"]))
            table.append(("derived SM4 key of %s" % inst["fixmedins_code"], hse.derive_key(inst["appId"], inst["appSecret"])))
        table.append(("admin token", self.credentials["adminToken"]))
        if self.admin_token and self.admin_token != self.credentials["adminToken"]:
            table.append(("admin token (--admin-token)", self.admin_token))
        table.append(("channel token", self.channel_token))
        return table

    # ---- FSI -----------------------------------------------------------------
    def fsi_request(self, h: pc.Hospital, infno: str, input_obj, sign_no: str = "", msgid: str | None = None) -> dict:
        """A request signed as platform_client.py signs it (GATEWAY.md §3.2), stamped with the gateway's time."""
        now = self.now()
        request = {
            "infno": infno,
            "msgid": msgid or h.code + now.strftime("%Y%m%d%H%M%S") + self.unique(4),
            "mdtrtarea_admvs": h.code[1:7], "insuplc_admdvs": "", "recer_sys_code": "YIBAO",
            "dev_no": "", "dev_safe_info": "", "signtype": "SM2", "infver": "V1.0",
            "opter_type": "1", "opter": "OP0001", "opter_name": "Operator One",
            "inf_time": now.strftime("%Y-%m-%d %H:%M:%S"),
            "fixmedins_code": h.code, "fixmedins_name": h.inst["fixmedins_name"],
            "sign_no": sign_no, "input": input_obj,
        }
        request["cainfo"] = h.sign(request)
        return request

    # ---- HSE -----------------------------------------------------------------
    def seal(self, h: pc.Hospital, data, plaintext: bytes | None = None, timestamp: int | None = None) -> dict:
        """A sealed request envelope (ENVELOPE.md). `plaintext` replaces the encrypted bytes
        (the signature still covers `data`), for inputs that are not valid JSON."""
        env = {"appId": h.inst["appId"], "encType": "SM4", "signType": "SM2",
               "timestamp": str(timestamp if timestamp is not None else self.now_ms()), "version": "2.0.1"}
        to_sign = dict(env)
        if data is not None:
            to_sign["data"] = data
        signature = h.sign(to_sign)
        if plaintext is None:
            plaintext = hse.write_typed(data).encode("utf-8")
        env["encData"] = hse.encrypt_data(hse.derive_key(h.inst["appId"], h.secret), plaintext)
        env["signData"] = signature
        return env


class Session:
    """One institution talking to the gateway the honest way (for the steps a probe needs)."""

    def __init__(self, target: Target, code: str):
        self.t = target
        self.h = target.hospital(code)
        self.code = code
        self.sign_no = ""

    def fsi(self, infno: str, input_obj) -> dict:
        """Sends an FSI transaction (signing in first when needed); returns its `output`."""
        if infno != "9001" and not self.sign_no:
            self.sign_in()
        request = self.t.fsi_request(self.h, infno, input_obj, "" if infno == "9001" else self.sign_no)
        answer = self.t.request("POST", FSI_PATH, pc.dump(request).encode("utf-8"))
        doc = answer.document
        if answer.status != 200 or not isinstance(doc, dict) or str(doc.get("infcode")) != "0":
            raise ProbeError("FSI %s refused: %s %s" % (infno, answer.describe(), _detail(answer)))
        return doc.get("output") or {}

    def sign_in(self) -> str:
        output = self.fsi("9001", {"signIn": {"opter_no": "OP0001", "mac": "00-16-3E-00-00-01", "ip": "127.0.0.1"}})
        self.sign_no = output["signinoutb"]["sign_no"]
        return self.sign_no

    def hse(self, service: str, data: dict) -> dict:
        """Seals `data`, sends it to /hse/{service}, opens and verifies the answer."""
        answer = self.t.request("POST", "/hse/" + service, json.dumps(self.t.seal(self.h, data), ensure_ascii=False).encode("utf-8"))
        if answer.status != 200:
            raise ProbeError("HSE %s refused: %s %s" % (service, answer.describe(), _detail(answer)))
        env = hse.parse_json(answer.body)
        text = hse.decrypt_data(hse.derive_key(self.h.inst["appId"], self.h.secret), env["encData"]).decode("utf-8")
        if not self.h.verify(dict(env, data=hse.parse_json(text)), env["signData"]):
            raise ProbeError("HSE %s: the answer's signData does not verify with the platform key" % service)
        return json.loads(text)

    def channel(self, path: str, body: dict) -> dict:
        answer = self.t.post_json(path, body, bearer=self.t.channel_token)
        if answer.status != 200 or not isinstance(answer.document, dict):
            raise ProbeError("%s refused: %s %s" % (path, answer.describe(), _detail(answer)))
        return answer.document

    def qr_code(self, certno: str = DEMO_CERTNO) -> str:
        return self.channel("/channel/ec/qrcode", {"certno": certno})["qrCode"]


def _detail(answer: Answer) -> str:
    doc = answer.document
    return str(doc.get("detail") or doc.get("err_msg") or "")[:200] if isinstance(doc, dict) else ""


def b64_random(n: int = 64) -> str:
    return base64.b64encode(os.urandom(n)).decode("ascii")


# --------------------------------------------------------------------------
# 1. secrets
# --------------------------------------------------------------------------

KEY_PAIR = re.compile(r"&key=([^&\"\\\n]*)")
FINGERPRINT = re.compile(r"\*\*\*\(\d+ chars, SM3 [0-9a-f]+\)")


def find_leaks(answer: Answer, secrets: list[tuple[str, str]], markers: tuple[str, ...] = ()) -> list[str]:
    """What of `secrets`, `&key=…` (other than `&key=***` or its documented fingerprint) and `markers` the answer holds —
    in its headers, its raw body, and its JSON-decoded strings (so \\u escapes do not hide one)."""
    texts = [answer.headers, answer.body.decode("utf-8", "replace")]
    if answer.document is not None:
        texts.append("\n".join(_strings(answer.document)))
    found = []
    for label, value in list(secrets) + [("business value %r" % m, m) for m in markers]:
        count = max(t.count(value) for t in texts)
        if count:
            found.append("%s ×%d" % (label, count))
    known = {value: label for label, value in secrets}
    keys = Counter()
    for t in texts[1:]:  # the most any one view of the body shows: raw and decoded hold the same pairs
        here = Counter(KEY_PAIR.findall(t))
        for value, n in here.items():
            keys[value] = max(keys[value], n)
    for value, n in keys.items():
        # `***` alone, or the documented fingerprint (length and 8 hex digits of SM3, docs/SECURITY.md §1):
        # enough to tell a wrong secret, nothing to recover a random 128-bit one from.
        if value != "***" and not FINGERPRINT.fullmatch(value):
            shown = "<%s>" % known[value] if value in known else value if value.startswith("***") else value[:4] + "…"
            found.append("\"&key=%s\" ×%d" % (shown, n))
    return found


def _strings(v):
    """Every string (keys too) of a decoded JSON value."""
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from _strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from _strings(x)


def family_secrets(t: Target, r: Report, opts) -> None:
    """The secret oracle: refusals must not hand back an appSecret, a token, the signed
    string's `&key=` value or the plaintext of an encrypted request."""
    h = t.hospital(opts.institution)
    secrets = t.secret_table()
    data = {"qrCode": "ECQR" + MARKER_ID, "businessType": "01101", "orgId": h.code, "idNo": MARKER_ID, "userName": MARKER_NAME}

    def judge(check: str, answer: Answer, markers: tuple[str, ...], expected_status: int) -> None:
        if answer.error:
            r.fail(check, answer.describe())
            return
        if answer.status == 429:
            r.fail(check, "still 429 RATE_LIMITED after %.0f s of Retry-After: the probe did not reach the check" % t.patience)
            return
        leaks = find_leaks(answer, secrets, markers)
        where = "%s, %d bytes" % (answer.describe(), len(answer.body))
        if answer.status < 400:
            r.fail(check, "%s: the gateway ACCEPTED a request that must be refused%s" % (where, "; leaks: " + ", ".join(leaks) if leaks else ""))
        elif leaks:
            r.fail(check, "%s; the answer gives back: %s" % (where, ", ".join(leaks)))
        else:
            note = "" if answer.status == expected_status else " (expected HTTP %d)" % expected_status
            r.ok(check, "%s%s; no secret, token, &key= value%s in it" % (where, note, " or business value" if markers else ""))

    # (a) FSI with a garbage cainfo: anyone can send this for any institution code.
    request = t.fsi_request(h, "1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": MARKER_ID, "psn_name": MARKER_NAME}})
    request["cainfo"] = b64_random(64)
    judge("secrets/fsi-garbage-cainfo", t.request("POST", FSI_PATH, pc.dump(request).encode("utf-8")), (), 401)

    # (b) A correctly sealed ec.query (captured on the wire, say) whose timestamp is raised by 1 ms.
    env = t.seal(h, data)
    env["timestamp"] = str(int(env["timestamp"]) + 1)
    judge("secrets/hse-timestamp-plus-1ms", t.request("POST", "/hse/ec.query", json.dumps(env).encode("utf-8")),
          (MARKER_ID, MARKER_NAME), 401)

    # (c) The same envelope with a signature that is not the institution's.
    env = t.seal(h, data)
    env["signData"] = b64_random(64)
    judge("secrets/hse-bad-signature", t.request("POST", "/hse/ec.query", json.dumps(env).encode("utf-8")),
          (MARKER_ID, MARKER_NAME), 401)


# --------------------------------------------------------------------------
# 2. fuzz
# --------------------------------------------------------------------------

@dataclass
class Case:
    """One malformed request; `body` is built when sent (fresh timestamps, no big bodies held)."""
    group: str
    name: str
    method: str
    path: str
    body: Callable[[], bytes | None]
    headers: dict = field(default_factory=dict)
    weight: int = 0  # 0 light, 1 big, 2 deep nesting: sent in this order


def generic_payloads() -> list[tuple[str, int, Callable[[], bytes]]]:
    """(name, weight, body) of malformed bodies that fit any JSON endpoint."""
    wrong = {m: WRONG_TYPES[i % len(WRONG_TYPES)] for i, m in enumerate(COMMON_MEMBERS)}
    light = {
        "empty body": b"", "whitespace": b" \n\t ", "null": b"null", "true": b"true", "number": b"0",
        "string": b'"text"', "empty array": b"[]", "empty object": b"{}", "truncated": b'{"a":',
        "trailing garbage": b"{}garbage", "bad literal": b'{"a":tru}', "NaN": b'{"a":NaN}',
        "single quotes": b"{'a':1}", "comment": b"/* c */{}", "BOM": b"\xef\xbb\xbf{}",
        "number overflow": b'{"a":1e999999}', "10,000-digit integer": b'{"a":' + b"9" * 10000 + b"}",
        "raw NUL in string": b'{"a":"\x00"}', "NUL after object": b"{}\x00", "escaped NUL": b'{"a":"\\u0000"}',
        "raw control characters": b'{"a":"\x01\x1f\x7f\n"}', "invalid UTF-8": b'{"a":"\xff\xfe"}',
        "overlong UTF-8": b'{"a":"\xc0\xaf"}', "UTF-8 surrogate": b'{"a":"\xed\xa0\x80"}',
        "truncated UTF-8": b'{"a":"\xe5\xbc"}', "invalid UTF-8 key": b'{"\xff":1}',
        "lone surrogate escape": b'{"a":"\\ud800"}', "bad escape": b'{"a":"\\x41"}',
        "duplicate keys": b'{"a":1,"a":2,"code":"x","code":"y"}',
        "wrong types": hse.write_json(wrong, sort_keys=False).encode("utf-8"),
    }
    payloads = [(name, 0, (lambda b=body: b)) for name, body in light.items()]
    payloads += [
        ("3 MiB string", 1, lambda: b'{"a":"' + b"x" * (3 * MIB) + b'"}'),
        ("100,000 keys", 1, lambda: b"{" + b",".join(b'"k%d":0' % i for i in range(100000)) + b"}"),
        ("1 MiB key", 1, lambda: b'{"' + b"k" * MIB + b'":0}'),
        ("1,000,000-element array", 1, lambda: b"[" + b",".join([b"0"] * 1_000_000) + b"]"),
        ("1,000,000-element array in a member", 1, lambda: b'{"a":[' + b",".join([b"0"] * 1_000_000) + b"]}"),
        ("huge values of known members", 1,
         lambda: hse.write_json({m: "Z" * 60000 for m in COMMON_MEMBERS}, sort_keys=False).encode("utf-8")),
        ("10,000 nested arrays", 2, lambda: b"[" * 10000 + b"]" * 10000),
        ("10,000 nested objects", 2, lambda: b'{"a":' * 10000 + b"1" + b"}" * 10000),
        ("10,000 nested arrays in a member", 2, lambda: b'{"a":' + b"[" * 10000 + b"]" * 10000 + b"}"),
        ("100,000 unclosed brackets", 2, lambda: b"[" * 100000),
    ]
    return payloads


def nested(depth: int, leaf="x"):
    v = leaf
    for _ in range(depth):
        v = [v]
    return v


def fuzz_cases(t: Target, h: pc.Hospital, sign_no: str) -> list[Case]:
    """Builds the fuzz corpus."""
    cases: list[Case] = []
    admin = {"Authorization": "Bearer " + (t.admin_token or "")}
    channel = {"Authorization": "Bearer " + t.channel_token}
    generic = generic_payloads()

    # Generic bodies: every endpoint gets the light ones, a few the big and deep ones too.
    endpoints = [
        ("fsi", FSI_PATH, {}, True), ("hse", "/hse/ec.query", {}, True), ("hse", "/org/local/api/hos/uldFeeInfo", {}, False),
        ("hse", "/fixmedins/uploadChk", {}, False),
        ("channel", "/channel/ec/activate", channel, False), ("channel", "/channel/ec/qrcode", channel, True),
        ("channel", "/channel/wallet/authorize", channel, False),
    ]
    if t.admin_token:
        endpoints += [
            ("admin", "/admin/fixtures", admin, True), ("admin", "/admin/institutions", admin, False),
            # evaluate on an active agreement: refused by the state machine whatever the body says.
            ("admin", "/admin/institutions/H12010100001/agreements/entity/evaluate", admin, False),
            ("admin", "/admin/persons", admin, True), ("admin", "/admin/apps", admin, False),
            ("admin", "/admin/institutions/HNOSUCH000000/callback", admin, False), ("admin", "/admin/reimbursements", admin, False),
        ]
    for group, path, headers, heavy in endpoints:
        for name, weight, body in generic:
            if weight == 0 or heavy:
                cases.append(Case(group, "%s @ %s" % (name, path), "POST", path, body, headers, weight))

    # FSI envelope members: wrong types, huge values, odd texts (garbage cainfo: unauthenticated).
    def fsi_variant(mutate: Callable[[dict], None]) -> Callable[[], bytes]:
        def build() -> bytes:
            request = t.fsi_request(h, "9001", {"signIn": {"opter_no": "OP0001", "mac": "m", "ip": "127.0.0.1"}})
            request["cainfo"] = b64_random(64)
            mutate(request)
            return pc.dump(request).encode("utf-8")
        return build

    members = ["infno", "msgid", "mdtrtarea_admvs", "insuplc_admdvs", "recer_sys_code", "infver", "opter_type", "opter",
               "opter_name", "inf_time", "fixmedins_code", "fixmedins_name", "sign_no", "signtype", "cainfo", "input"]
    for m in members:
        for label, value in (("number", Num("1")), ("array", []), ("object", {}), ("null", None), ("bool", True)):
            cases.append(Case("fsi", "%s as %s" % (m, label), "POST", FSI_PATH, fsi_variant(lambda r, m=m, v=value: r.__setitem__(m, v))))
        cases.append(Case("fsi", "%s 1 MiB" % m, "POST", FSI_PATH, fsi_variant(lambda r, m=m: r.__setitem__(m, "7" * MIB)), weight=1))
        cases.append(Case("fsi", "%s missing" % m, "POST", FSI_PATH, fsi_variant(lambda r, m=m: r.pop(m))))
    odd_values = {
        "cainfo": ["", "====", "not base64!", b64_random(65), b64_random(72), " " + b64_random(64)],
        "inf_time": ["9999-99-99 99:99:99", "2026-02-30 25:61:61", "0000-01-01 00:00:00", "２０２６-０１-０１ ００:００:００",
                     "2026-01-01T00:00:00Z", "-1"],
        "msgid": ["", "H12010100001", "H12010100001" + "９" * 18, "H12010100001" + "9" * 17 + "\u0000"],
        "fixmedins_code": ["H12010100001\u0000", "h12010100001", "' OR 1=1 --", "../../etc/passwd", "\u202eH1201"],
        "infno": ["9001 ", "0x2329", "-9001", "9001\u0000"],
        "opter_name": ["a&key=x&b=1", "\u0000\u0001\u001f", "😀" * 1000],
    }
    for m, values in odd_values.items():
        for i, v in enumerate(values):
            cases.append(Case("fsi", "%s odd #%d" % (m, i + 1), "POST", FSI_PATH, fsi_variant(lambda r, m=m, v=v: r.__setitem__(m, v))))
    dup = lambda: b'{"infno":"1101",' + fsi_variant(lambda r: None)()[1:]  # noqa: E731
    cases.append(Case("fsi", "duplicate infno", "POST", FSI_PATH, dup))

    # Signed FSI requests with malformed inputs: these pass the signature and reach the transactions.
    def fsi_signed(infno: str, input_obj) -> Callable[[], bytes]:
        return lambda: pc.dump(t.fsi_request(h, infno, input_obj, sign_no if infno != "9001" else "")).encode("utf-8")

    wrong_data = {m: WRONG_TYPES[i % len(WRONG_TYPES)] for i, m in enumerate(
        ("psn_no", "mdtrt_cert_type", "mdtrt_cert_no", "insutype", "begntime", "mdtrt_id", "ipt_otp_no", "atddr_no", "caty",
         "chrg_bchno", "setl_id", "setlym", "med_type", "medfee_sumamt", "stmt_begndate", "stmt_enddate"))}
    inputs = {
        "empty input": {}, "data as number": {"data": Num("1")}, "data as array": {"data": []},
        "wrong-typed members": {"data": wrong_data, "mdtrtinfo": wrong_data, "feedetail": [wrong_data], "signIn": wrong_data},
        "long members": {"data": {m: "8" * 1000 for m in wrong_data}},
        "1,000 empty fee lines": {"feedetail": [{}] * 1000, "data": {}},
        "1,500 nested arrays": {"data": nested(1500)},
        "control characters": {"data": {m: "\u0000\u0001\u202e&key=x" for m in wrong_data}},
    }
    for infno in FSI_CODES:
        for name, input_obj in inputs.items():
            weight = 2 if "nested" in name else 0
            cases.append(Case("fsi-signed", "%s %s" % (infno, name), "POST", FSI_PATH, fsi_signed(infno, input_obj), weight=weight))

    # HSE envelope members (a correctly sealed ec.query, then one member changed).
    def hse_variant(mutate: Callable[[dict], None]) -> Callable[[], bytes]:
        def build() -> bytes:
            env = t.seal(h, {"qrCode": "ECQR0", "businessType": "01101", "orgId": h.code})
            mutate(env)
            return hse.write_json(env, sort_keys=False).encode("utf-8")
        return build

    odd_env = {
        "timestamp": ["", "-1", "1.5", Num("1e3"), "9" * 16, "9" * 1000, "１２３", None, [], {}, True, Num("-0")],
        "encData": ["", "zz", "ABC", "00" * 15, "0" * 32, Num("1"), [], "ab" * 16],
        "signData": ["", "!!!", "A" * 1000, b64_random(65), b64_random(72), Num("1"), []],
        "appId": ["", "x" * 100000, Num("1"), [], "YBH1201010000", h.inst["appId"] + " ", h.inst["appId"] + "\u0000"],
        "encType": ["AES", Num("4"), ""], "signType": ["RSA", None], "version": ["9.9.9", Num("2.01"), {}],
        "data": [{"qrCode": "ECQR0"}], "extra": [nested(500)],
    }
    for m, values in odd_env.items():
        for i, v in enumerate(values):
            cases.append(Case("hse", "%s odd #%d" % (m, i + 1), "POST", "/hse/ec.query", hse_variant(lambda e, m=m, v=v: e.__setitem__(m, v))))
    for m in ("appId", "encType", "signType", "timestamp", "version", "encData", "signData"):
        cases.append(Case("hse", "%s missing" % m, "POST", "/hse/ec.query", hse_variant(lambda e, m=m: e.pop(m))))
    cases.append(Case("hse", "encData 3 MiB", "POST", "/hse/ec.query", hse_variant(lambda e: e.__setitem__("encData", "AB" * (3 * MIB // 2))), weight=1))

    # Correctly sealed envelopes whose business data is malformed, for every HSE service.
    wrong_hse = {m: WRONG_TYPES[i % len(WRONG_TYPES)] for i, m in enumerate(COMMON_MEMBERS)}
    sealed = {
        "data {}": ({}, None), "data []": ([], b"[]"), "data null": (None, b"null"),
        "wrong-typed members": (wrong_hse, None),
        "long members": ({m: "9" * 500 for m in COMMON_MEMBERS[:20]}, None),
        "control characters": ({m: "\u0000\u0001\u202e&key=x&" for m in COMMON_MEMBERS}, None),
        "invalid UTF-8 plaintext": ({"a": "x"}, b'{"a":"\xff\xfe"}'),
        "duplicate keys plaintext": ({"a": "1"}, b'{"a":"1","a":"2"}'),
        "1,500 nested arrays": ({"feedetailList": nested(1500)}, None),
    }
    for service in HSE_SERVICES:
        for name, (data, plaintext) in sealed.items():
            body = (lambda d=data, p=plaintext: json.dumps(t.seal(h, d, p)).encode("utf-8"))
            cases.append(Case("hse-sealed", "%s %s" % (service, name), "POST", "/hse/" + service, body, weight=2 if "nested" in name else 0))

    # Queries, paths and methods.
    gets = ["/admin/trace?from=-1&limit=-5", "/admin/trace?from=abc&limit=xyz", "/admin/trace?from=99999999999999999999999",
            "/admin/trace?limit=1e9", "/admin/trace?from=%00", "/admin/trace?from=1&from=2", "/admin/callbacks?limit=%FF",
            "/admin/callbacks?institution=" + "A" * 3000, "/admin/reconciliation?institution=H12010100001&from=2026-13-45&to=0000-00-00",
            "/admin/reconciliation?institution=H12010100001&from=9999-12-31&to=0001-01-01", "/admin/reconciliation",
            "/admin/conformance/%00", "/admin/conformance/" + "X" * 3000, "/admin/persons/%FF%FE", "/admin/persons/..%2F..%2Fhealth",
            "/admin/institutions/%E5%BC%A0", "/admin/statistics?x=%", "/admin/trace/verify?x=%ZZ"]
    if t.admin_token:
        cases += [Case("admin-get", "GET " + p[:60], "GET", p, lambda: None, admin) for p in gets]
    for name, headers in (("no token", {}), ("long token", {"Authorization": "Bearer " + "A" * 10000}),
                          ("basic auth", {"Authorization": "Basic YWRtaW46YWRtaW4="}),
                          ("token + space", {"Authorization": "Bearer %s " % (t.admin_token or "x")}),
                          ("lower-case bearer", {"Authorization": "bearer %s" % (t.admin_token or "x")})):
        cases.append(Case("admin-auth", name, "POST", "/admin/persons", lambda: b"{}", headers))
        cases.append(Case("admin-auth", name + " (channel)", "POST", "/channel/ec/qrcode", lambda: b'{"certno":"x"}', headers))
    paths = [("GET", "/hse/"), ("POST", "/hse/%00"), ("POST", "/hse/" + "a" * 3000), ("POST", "/hse/ec.query/extra"),
             ("POST", FSI_PATH + "/"), ("POST", FSI_PATH.upper()), ("GET", "/%ff"), ("GET", "/..%2f..%2fetc%2fpasswd"),
             ("GET", "/health%00"), ("PUT", FSI_PATH), ("PATCH", "/hse/ec.query"), ("OPTIONS", "/health"), ("GET", FSI_PATH),
             ("POST", "/health"), ("DELETE", "/admin/persons/12000000000000000001"), ("GET", "/public/institutions?%%%")]
    cases += [Case("paths", "%s %s" % (m, p[:60]), m, p, lambda m=m: b"{}" if m in ("POST", "PUT", "PATCH") else None,
                   admin if "/admin/" in p else {}) for m, p in paths]
    return cases


def family_fuzz(t: Target, r: Report, opts) -> None:
    """Malformed inputs everywhere: every answer must be JSON and none may be 5xx or a reset."""
    session = Session(t, opts.institution)
    try:
        sign_no = session.sign_in()
    except ProbeError as exc:
        r.info("fuzz/sign-in", "%s; signed FSI inputs go with an empty sign_no" % exc)
        sign_no = ""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))  # signing 1,500-deep inputs
    cases = sorted(fuzz_cases(t, session.h, sign_no), key=lambda c: c.weight)
    stats: dict[str, dict] = {}
    slowest = (0.0, "")
    sent = 0
    started = time.monotonic()
    for i, case in enumerate(cases):
        body = case.body()
        answer = t.request(case.method, case.path, body, case.headers, patience=0 if opts.quick else None)
        sent += 1
        s = stats.setdefault(case.group, {"n": 0, "statuses": Counter(), "bad": []})
        s["n"] += 1
        s["statuses"][answer.status or "error"] += 1
        label = "%s %s" % (case.group, case.name)
        if answer.elapsed > slowest[0]:
            slowest = (answer.elapsed, "%s (%s)" % (label, answer.describe()))
        bad = answer.error or answer.status >= 500 or not answer.is_json
        if opts.verbose or bad:
            (r.fail if bad else r.info)("fuzz/" + case.group, "%s → %s in %.3f s" % (case.name, answer.describe(), answer.elapsed))
        if bad:
            s["bad"].append(case.name)
            if answer.error and t.health(5).status != 200:
                r.fail("fuzz/gateway-down", "the gateway stopped answering /health after %r; %d of %d inputs not sent"
                       % (label, len(cases) - i - 1, len(cases)))
                break
    for group, s in stats.items():
        statuses = ", ".join("%s×%d" % kv for kv in sorted(s["statuses"].items(), key=str))
        if s["bad"]:
            r.fail("fuzz/" + group, "%d of %d inputs answered 5xx, reset or non-JSON (%s); statuses %s"
                   % (len(s["bad"]), s["n"], "; ".join(s["bad"][:3]) + ("; …" if len(s["bad"]) > 3 else ""), statuses))
        else:
            r.ok("fuzz/" + group, "%d inputs, every answer JSON and below 500; statuses %s" % (s["n"], statuses))
    limited = sum(s["statuses"][429] for s in stats.values())
    if limited:
        r.info("fuzz/rate-limited", "%d inputs were still answered 429 RATE_LIMITED, so not parsed (%s)"
               % (limited, "--quick does not wait for Retry-After" if opts.quick else "patience ran out"))
    r.info("fuzz/slowest", "%d inputs in %.1f s; slowest %.3f s: %s" % (sent, time.monotonic() - started, slowest[0], slowest[1]))


# --------------------------------------------------------------------------
# 3. big-body
# --------------------------------------------------------------------------

def database_size(data_dir: str) -> tuple[int, int | None]:
    """(bytes of the yibao.sqlite* files, bytes of the pages in use as a reader sees them, WAL
    included — the WAL file keeps its largest size, so file sizes alone can hide growth)."""
    files = sum(os.path.getsize(p) for p in glob.glob(os.path.join(data_dir, "yibao.sqlite*")) if os.path.isfile(p))
    try:
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(data_dir, "yibao.sqlite"), uri=True, timeout=5)
        try:
            (pages,), (free,), (size,) = (db.execute("PRAGMA %s" % p).fetchone() for p in ("page_count", "freelist_count", "page_size"))
            return files, (pages - free) * size
        finally:
            db.close()
    except sqlite3.Error:
        return files, None


def family_big_body(t: Target, r: Report, opts) -> None:
    """4 MiB unauthenticated FSI requests (a garbage cainfo over a 4 MiB signed string):
    each must be refused within 1 s and must not grow the database by more than 1 MB in all."""
    h = t.hospital(opts.institution)

    def body() -> bytes:
        request = t.fsi_request(h, "9001", {"signIn": {"opter_no": "OP0001", "mac": "m", "ip": "127.0.0.1", "pad": ""}})
        request["cainfo"] = b64_random(64)
        text = pc.dump(request).encode("utf-8")
        request["input"]["signIn"]["pad"] = "P" * (4 * MIB - len(text))
        out = pc.dump(request).encode("utf-8")
        assert len(out) == 4 * MIB
        return out

    before = database_size(opts.data_dir) if opts.data_dir else None
    sequential = [t.request("POST", FSI_PATH, body(), timeout=60) for _ in range(10)]
    bodies = [body() for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        concurrent = list(pool.map(lambda b: t.request("POST", FSI_PATH, b, timeout=60), bodies))
    for check, answers in (("big-body/sequential", sequential), ("big-body/concurrent", concurrent)):
        times = [a.elapsed for a in answers]
        outcomes = Counter(a.describe() for a in answers)
        r.info(check, "%d × 4 MiB: %s; seconds %s" % (len(answers), ", ".join("%s ×%d" % kv for kv in outcomes.items()),
                                                       " ".join("%.2f" % s for s in times)))
        slow = [s for s in times if s > BIG_BODY_LIMIT_S]
        broken = [a for a in answers if a.error or a.status >= 500 or a.status < 400 or a.status == 429]
        if broken:
            r.fail(check, "%d of %d not refused cleanly: %s" % (len(broken), len(answers), broken[0].describe()))
        r.verdict(not slow, check + "-time", "%d of %d took more than %.0f s (max %.2f s, mean %.2f s)"
                  % (len(slow), len(times), BIG_BODY_LIMIT_S, max(times), sum(times) / len(times)))
    if opts.data_dir:
        time.sleep(0.5)
        after = database_size(opts.data_dir)
        files, used = after[0] - before[0], (after[1] - before[1]) if None not in (after[1], before[1]) else None
        r.verdict(max(files, used or 0) <= DB_GROWTH_LIMIT, "big-body/database-growth",
                  "over 14 refused requests the yibao.sqlite* files in %s grew by %s bytes, the pages in use by %s (limit %s)"
                  % (opts.data_dir, format(files, ","), "?" if used is None else format(used, ","), format(DB_GROWTH_LIMIT, ",")))
    else:
        r.info("big-body/database-growth", "not measured (give --data-dir, the gateway's --data-dir)")


# --------------------------------------------------------------------------
# 4. slow
# --------------------------------------------------------------------------

def family_slow(t: Target, r: Report, opts) -> None:
    """Slowloris: idle and half-sent connections must be closed by the server after a while,
    and must not stop /health from answering meanwhile."""
    wait = opts.slow_wait
    groups = {
        "idle": (200, b""),
        "half-headers": (50, ("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nX-Slow: "
                              % (FSI_PATH, t.host_header)).encode("ascii")),
        "short-body": (20, ("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                            % (FSI_PATH, t.host_header)).encode("ascii") + b'{"infno":"'),
    }
    socks: list[tuple[str, socket.socket, float]] = []
    errors = Counter()
    opening = time.monotonic()
    for name, (count, prefix) in groups.items():
        for _ in range(count):
            try:
                s = socket.create_connection((t.host, t.port), timeout=5)
                if prefix:
                    s.sendall(prefix)
                s.setblocking(False)
                socks.append((name, s, time.monotonic()))
            except OSError as exc:
                errors["%s: %s" % (name, type(exc).__name__)] += 1
    if errors:
        r.info("slow/open", "could not open: %s" % ", ".join("%s ×%d" % kv for kv in errors.items()))
    r.info("slow/open", "%d connections opened in %.1f s (%s); waiting up to %.0f s" % (
        len(socks), time.monotonic() - opening, ", ".join("%s %d" % (n, c) for n, (c, _) in groups.items()), wait))

    closed: dict[int, float] = {}      # socket index → seconds after opening
    answered: dict[int, bytes] = {}    # socket index → first bytes the server sent
    health: list[Answer] = []
    deadline = time.monotonic() + wait
    next_health = time.monotonic()
    while time.monotonic() < deadline:
        if time.monotonic() >= next_health:
            health.append(t.health(HEALTH_LIMIT_S))
            next_health = time.monotonic() + max(1.0, wait / 10)
        open_socks = [(i, s) for i, (_, s, _) in enumerate(socks) if i not in closed]
        if not open_socks:
            break
        readable, _, _ = select.select([s for _, s in open_socks], [], [], 0.5)
        for i, s in open_socks:
            if s not in readable:
                continue
            try:
                data = s.recv(4096)
            except (ConnectionResetError, OSError):
                data = b""
            if data:
                answered.setdefault(i, data[:80])
            else:
                closed[i] = time.monotonic() - socks[i][2]
    for _, s, _ in socks:
        s.close()

    for name, (count, _) in groups.items():
        indices = [i for i, (n, _, _) in enumerate(socks) if n == name]
        times = sorted(closed[i] for i in indices if i in closed)
        replies = Counter(answered[i].split(b"\r\n", 1)[0].decode("latin-1") for i in indices if i in answered)
        text = "%d of %d closed by the server within %.0f s" % (len(times), len(indices), wait)
        if times:
            text += " (after %.1f–%.1f s)" % (times[0], times[-1])
        if replies:
            text += "; answers: %s" % ", ".join("%r ×%d" % kv for kv in replies.items())
        r.verdict(bool(times), "slow/" + name, text)
    late = [a for a in health if a.error or a.status != 200 or a.elapsed > HEALTH_LIMIT_S]
    worst = max((a.elapsed for a in health), default=0.0)
    r.verdict(bool(health) and not late, "slow/health", "%d of %d /health probes answered 200 within %.0f s (slowest %.3f s)%s"
              % (len(health) - len(late), len(health), HEALTH_LIMIT_S, worst, "; " + late[0].describe() if late else ""))


# --------------------------------------------------------------------------
# 5. trickle-receiver
# --------------------------------------------------------------------------

def read_http_request(conn: socket.socket) -> tuple[bytes, bytes]:
    """Reads one HTTP request (Content-Length or chunked body); returns (head, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            raise ValueError("connection closed before the headers ended")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    if match:
        while len(rest) < int(match.group(1)):
            chunk = conn.recv(65536)
            if not chunk:
                break
            rest += chunk
        return head, rest[:int(match.group(1))]
    if re.search(rb"(?im)^transfer-encoding:\s*chunked", head):
        while not rest.endswith(b"0\r\n\r\n"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            rest += chunk
        body, pos = b"", 0
        while True:
            eol = rest.index(b"\r\n", pos)
            size = int(rest[pos:eol].split(b";")[0], 16)
            if size == 0:
                return head, body
            body += rest[eol + 2:eol + 2 + size]
            pos = eol + 4 + size
    return head, rest


class Receiver:
    """A local settlement-callback receiver on a free port.

    good    answers {"code":0,"message":"ok"} at once;
    hang    reads the request and never answers (it notes when the gateway gives up);
    trickle answers 200 with a Content-Length of TRICKLE_BYTES and sends one body byte a second
            (the body ends in {"code":0}, so a gateway that waits an hour is acknowledged)."""

    GOOD = b'{"code":0,"message":"ok"}'

    def __init__(self, kind: str, bind_host: str, url_host: str, report: Report, describe: Callable[[bytes], str]):
        self.kind = kind
        self.report = report
        self.describe = describe
        self.stop = threading.Event()
        self.arrived = threading.Event()
        self.arrivals: list[tuple[float, int]] = []   # (time.time(), body bytes)
        self.gave_up: list[float] = []                # seconds the gateway held each connection
        self.listener = socket.create_server((bind_host, 0))
        self.listener.settimeout(0.5)
        self.url = "http://%s:%d/notify/%s" % (url_host, self.listener.getsockname()[1], kind)
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.stop.set()

    def _accept(self) -> None:
        with self.listener:
            while not self.stop.is_set():
                try:
                    conn, _ = self.listener.accept()
                except socket.timeout:
                    continue
                except OSError:
                    return
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            try:
                _, body = read_http_request(conn)
            except (OSError, ValueError) as exc:
                self.report.info("trickle-receiver/" + self.kind, "a connection that sent no complete request: %s" % exc)
                return
            at = time.time()
            self.arrivals.append((at, len(body)))
            self.arrived.set()
            self.report.info("trickle-receiver/" + self.kind, "%s received %d bytes: %s"
                             % (datetime.fromtimestamp(at).strftime("%H:%M:%S.%f")[:-3], len(body), self.describe(body)))
            start = time.monotonic()
            try:
                if self.kind == "good":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                                 b"Connection: close\r\n\r\n%s" % (len(self.GOOD), self.GOOD))
                    return
                if self.kind == "trickle":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % TRICKLE_BYTES)
                    body_out = b" " * (TRICKLE_BYTES - 10) + b'{"code":0}'
                else:
                    body_out = b""
                conn.setblocking(False)
                for i in itertools.count():
                    readable, _, _ = select.select([conn], [], [], 1.0)
                    if self.stop.is_set():
                        return
                    if readable and not conn.recv(4096):
                        self.gave_up.append(time.monotonic() - start)
                        return
                    if body_out and i < len(body_out):
                        conn.sendall(body_out[i:i + 1])
            except OSError:
                self.gave_up.append(time.monotonic() - start)


def open_callback(t: Target, body: bytes) -> str:
    """A one-line description of a callback envelope: opened with its institution's secret."""
    try:
        env = hse.parse_json(body)
        inst = next(i for i in t.credentials["institutions"] if i["appId"] == env.get("appId"))
        text = hse.decrypt_data(hse.derive_key(inst["appId"], inst["appSecret"]), env["encData"]).decode("utf-8")
        data = hse.parse_json(text)
        verifies = t.hospital(inst["fixmedins_code"]).verify(dict(env, data=data), env["signData"])
        return "%s %s ordStas %s for %s (signature %s)" % (data.get("callType"), data.get("payOrdId"), data.get("ordStas"),
                                                          inst["fixmedins_code"], "verifies" if verifies else "DOES NOT VERIFY")
    except (ValueError, KeyError, StopIteration, TypeError) as exc:
        return "not an envelope we can open (%s): %r" % (exc, body[:80])


def test_hospital(code: str) -> dict:
    """A hospital's credentials derived from its code (the same on every run, so a second run
    against the same gateway finds them registered already)."""
    seed = gm.sm3(b"yibao-hostile:" + code.encode("ascii"))
    d = int.from_bytes(seed, "big") % (gm.SM2_CURVE.n - 2) + 1
    public = gm.SM2_CURVE.encode_point(gm.sm2_public_key(d))
    return {"fixmedins_code": code, "fixmedins_name": "Hostile Test Hospital " + code[-2:],
            "appId": "YBH" + code[1:] + "HOSTILE", "appSecret": gm.sm3(seed).hex().upper()[:32],
            "privateKey": base64.b64encode(d.to_bytes(32, "big")).decode("ascii"),
            "publicKey": base64.b64encode(public).decode("ascii"), "doctor": ("D" + code[1:], "Doctor " + code[-2:])}


def register_test_hospitals(t: Target) -> list[str]:
    """Registers EXTRA_HOSPITALS with one fixture (copies of H12010100001's institution and agreement
    scripts, a doctor, an app credential), or finds them from an earlier run; adds them to `t`."""
    with open(DEMO_FIXTURE, encoding="utf-8") as fh:
        demo = json.load(fh)
    model = next(i for i in demo["institutions"] if i["code"] == "H12010100001")
    scripts = [a for a in demo["agreements"] if a["institution"] == "H12010100001"]
    fixture = {"description": "hostile.py test hospitals", "institutions": [], "agreements": [], "practitioners": [], "apps": []}
    hospitals = [test_hospital(code) for code in EXTRA_HOSPITALS]
    for inst in hospitals:
        code = inst["fixmedins_code"]
        fixture["institutions"].append(dict(model, code=code, name=inst["fixmedins_name"]))
        fixture["agreements"] += [dict(script, institution=code) for script in scripts]
        fixture["practitioners"].append({"code": inst["doctor"][0], "name": inst["doctor"][1], "role": "doctor", "institutionCode": code,
                                         "qualificationNo": "1101" + code[1:], "independentPracticeSince": "2012-07-01"})
        fixture["apps"].append({"appId": inst["appId"], "appSecret": inst["appSecret"], "institutionCode": code, "publicKey": inst["publicKey"]})
    answer = t.post_json("/admin/fixtures", fixture, bearer=t.admin_token)
    if answer.status != 200 and answer.code != "INSTITUTION_EXISTS":
        raise ProbeError("registering the test hospitals: %s %s" % (answer.describe(), _detail(answer)))
    for inst in hospitals:
        t.add_institution(inst)
        if answer.code == "INSTITUTION_EXISTS":
            Session(t, inst["fixmedins_code"]).sign_in()  # ours from an earlier run: our key must sign in
    return [inst["fixmedins_code"] for inst in hospitals]


def pay_one_order(s: Session) -> str:
    """2201 → wallet authorisation → ec.payAuth → 6201 → 6202 for Zhang San (two drug lines); returns the payOrdId.
    6202 queues a SETL callback to the institution's callback URL of that moment (SETTLEMENT.md §4.1)."""
    doctor = s.h.inst.get("doctor", DEMO_DOCTOR)
    visit = s.fsi("2201", {"data": {
        "psn_no": DEMO_PSN_NO, "insutype": "310", "begntime": s.t.now().strftime("%Y-%m-%d %H:%M:%S"),
        "mdtrt_cert_type": "02", "mdtrt_cert_no": DEMO_CERTNO, "ipt_otp_no": "MZ" + s.t.unique(8), "atddr_no": doctor[0],
        "dr_name": doctor[1], "dept_code": SUBJECT, "dept_name": "Internal medicine", "caty": SUBJECT}})["data"]["mdtrt_id"]
    auth_code = s.channel("/channel/wallet/authorize", {"certno": DEMO_CERTNO, "orgCodg": s.code})["authCode"]
    pay_auth_no = s.hse("ec.payAuth", {"authCode": auth_code, "orgCodg": s.code})["payAuthNo"]
    med_org_ord = "MOHOSTILE" + s.t.now().strftime("%Y%m%d%H%M%S") + s.t.unique(6)
    order = s.hse("uldFeeInfo", {
        "orgCodg": s.code, "medOrgOrd": med_org_ord, "chrgBchno": "CB" + med_org_ord, "psnNo": DEMO_PSN_NO, "insutype": "310",
        "mdtrtId": visit, "medType": "11", "medfeeSumamt": "53.60", "acctUsedFlag": "1", "payAuthNo": pay_auth_no, "rxCircFlag": "0",
        "feedetailList": [
            {"feedetlSn": "1", "medListCodg": "XA10BAE054A001010100483", "pric": "12.50", "cnt": "2", "detItemFeeSumamt": "25.00"},
            {"feedetlSn": "2", "medListCodg": "XA10BBG001A001010103929", "pric": "28.60", "cnt": "1", "detItemFeeSumamt": "28.60"}]})
    paid = s.hse("pay_order", {"payOrdId": order["payOrdId"], "payToken": order["payToken"], "payAuthNo": pay_auth_no,
                               "orgCodg": s.code, "chrgBchno": "CB" + med_org_ord, "mdtrtId": visit, "acctUsedFlag": "1"})
    return paid["payOrdId"]


def family_trickle_receiver(t: Target, r: Report, opts) -> None:
    """Starts the three receivers; with the admin token, gives each an institution of its own
    (two test hospitals → trickle, hang; --institution → good), pays one order at each so that a
    callback is queued to each, and requires the good one within 10 s of its payment."""
    receivers = {kind: Receiver(kind, opts.receiver_bind, opts.receiver_host, r, lambda b: open_callback(t, b))
                 for kind in ("trickle", "hang", "good")}
    for kind, rec in receivers.items():
        r.info("trickle-receiver/" + kind, "listening at %s" % rec.url)
    configured: list[str] = []
    try:
        if not t.admin_token:
            r.info("trickle-receiver/callbacks", "no admin token: receivers only; point callback URLs at them by hand (README)")
        else:
            paid_at: dict[str, float] = {}
            try:
                codes = dict(zip(("trickle", "hang"), register_test_hospitals(t)), good=opts.institution)
                for kind in ("trickle", "hang", "good"):
                    answer = t.post_json("/admin/institutions/%s/callback" % codes[kind], {"url": receivers[kind].url}, bearer=t.admin_token)
                    if answer.status != 200:
                        raise ProbeError("setting the callback URL of %s: %s %s" % (codes[kind], answer.describe(), _detail(answer)))
                    configured.append(codes[kind])
                for kind in ("trickle", "hang", "good"):
                    pay_order = pay_one_order(Session(t, codes[kind]))
                    paid_at[kind] = time.time()
                    r.info("trickle-receiver/" + kind, "%s: 6202 paid %s at %s; its callback goes to %s" % (
                        codes[kind], pay_order, datetime.fromtimestamp(paid_at[kind]).strftime("%H:%M:%S.%f")[:-3], receivers[kind].url))
            except ProbeError as exc:
                r.fail("trickle-receiver/callbacks", "could not queue the callbacks: %s" % exc)
            if "good" in paid_at:
                good = receivers["good"]
                good.arrived.wait(max(0.0, paid_at["good"] + CALLBACK_LIMIT_S - time.time()))
                if good.arrivals:
                    delay = max(0.0, good.arrivals[0][0] - paid_at["good"])  # it may beat the 6202 answer
                    r.verdict(delay <= CALLBACK_LIMIT_S, "trickle-receiver/good-callback",
                              "the good receiver's callback arrived %.1f s after its 6202 (limit %.0f s)" % (delay, CALLBACK_LIMIT_S))
                else:
                    r.fail("trickle-receiver/good-callback", "no callback at the good receiver %.0f s after its 6202 "
                           "(delivery held up behind the trickling and hanging receivers?)" % CALLBACK_LIMIT_S)
                if not opts.quick:  # watch how long the gateway holds the slow receivers' connections
                    time.sleep(max(0.0, paid_at["hang"] + 15 - time.time()))
                for kind in ("trickle", "hang"):
                    rec = receivers[kind]
                    if not rec.arrivals:
                        r.info("trickle-receiver/" + kind, "received nothing after %.1f s" % (time.time() - paid_at[kind]))
                        continue
                    held = ("the gateway gave up after %s s" % ", ".join("%.1f" % g for g in rec.gave_up) if rec.gave_up
                            else "the gateway still holds the connection after %.1f s" % (time.time() - rec.arrivals[0][0]))
                    r.info("trickle-receiver/" + kind, "received %d request(s), the first %.1f s after its 6202; %s"
                           % (len(rec.arrivals), rec.arrivals[0][0] - paid_at[kind], held))
        if opts.hold:
            r.info("trickle-receiver/hold", "receivers stay up for %.0f s (Ctrl-C to stop); arrivals are printed as they come" % opts.hold)
            try:
                time.sleep(opts.hold)
            except KeyboardInterrupt:
                pass
    finally:
        for code in configured:
            answer = t.post_json("/admin/institutions/%s/callback" % code, {}, bearer=t.admin_token)
            r.info("trickle-receiver/cleanup", "callback URL of %s cleared (%s)" % (code, answer.describe()))
        for rec in receivers.values():
            rec.close()


# --------------------------------------------------------------------------
# 6. races
# --------------------------------------------------------------------------

def judge_race(r: Report, check: str, answers: list[Answer], spread: float, loser_code: str) -> None:
    """Processed once: one distinct accepted answer (a gateway may refuse the copies with
    `loser_code` or give each the kept answer of the first, byte for byte), no 5xx, no reset."""
    outcomes = Counter(a.describe() for a in answers)
    accepted = [a.body for a in answers if a.status == 200]
    distinct = len(set(accepted))
    broken = sum(1 for a in answers if a.error or a.status >= 500)
    r.info(check, "%d concurrent copies (last bytes sent within %.1f ms): %s"
           % (len(answers), spread * 1000, ", ".join("%s ×%d" % kv for kv in outcomes.most_common())))
    r.verdict(distinct == 1 and not broken, check,
              "%d distinct accepted answer(s) (exactly 1 allowed) in %d × 200; %d refused %s; %d 5xx or transport errors"
              % (distinct, len(accepted), sum(1 for a in answers if a.status == 409 and a.code == loser_code), loser_code, broken))


def run_race(t: Target, make_payloads: Callable[[], list[bytes]]) -> tuple[list[Answer], float]:
    """A race; run again with fresh payloads while the rate limiter (429) spoiled it."""
    for _ in range(5):
        answers, spread = simultaneous(t.host, t.port, make_payloads(), t.timeout)
        limited = [a for a in answers if a.status == 429]
        if not limited:
            break
        t.throttled += len(limited)
        time.sleep(limited[0].retry_after)
    return answers, spread


def family_races(t: Target, r: Report, opts) -> None:
    """Concurrent replays: the replay and single-use checks must hold under a race."""
    n = 20
    session = Session(t, opts.institution)
    host = t.host_header

    def same_msgid() -> list[bytes]:
        request = t.fsi_request(session.h, "9001", {"signIn": {"opter_no": "OP0001", "mac": "00-16-3E-00-00-01", "ip": "127.0.0.1"}})
        return [raw_request("POST", FSI_PATH, host, pc.dump(request).encode("utf-8"))] * n

    def same_envelope() -> list[bytes]:
        env = t.seal(session.h, {"qrCode": session.qr_code(), "businessType": "01101", "orgId": session.code})
        return [raw_request("POST", "/hse/ec.query", host, json.dumps(env).encode("utf-8"))] * n

    def same_ectoken() -> list[bytes]:
        token = session.hse("ec.query", {"qrCode": session.qr_code(), "businessType": "01101", "orgId": session.code})["ecToken"]
        session.sign_in()
        return [raw_request("POST", FSI_PATH, host, pc.dump(t.fsi_request(
            session.h, "1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": token}}, session.sign_no)).encode("utf-8"))
            for _ in range(n)]

    # One signed FSI 9001 twenty times at once (same msgid); one sealed ec.query of a fresh QR code
    # twenty times at once (same signData; ec.query may give the copies its kept answer); twenty
    # different 1101s (different msgids) presenting one ecToken, which serves one 1101 (ID-2).
    for check, make, loser in (("races/fsi-same-msgid", same_msgid, "MSGID_REPLAYED"),
                               ("races/hse-same-envelope", same_envelope, "ENV_REPLAYED"),
                               ("races/fsi-same-ectoken", same_ectoken, "TOKEN_REUSED")):
        try:
            answers, spread = run_race(t, make)
        except ProbeError as exc:
            r.fail(check, "could not set up: %s" % exc)
            continue
        judge_race(r, check, answers, spread, loser)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

FAMILY_FUNCTIONS = {
    "secrets": family_secrets, "fuzz": family_fuzz, "big-body": family_big_body, "slow": family_slow,
    "trickle-receiver": family_trickle_receiver, "races": family_races,
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="hostile.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Probe a live yibao-gateway as an attacker would. Prints PASS/FAIL/INFO lines; exit 1 if any check FAILs.\n"
                    "Run it against a test instance: it writes refusals, sign-ins, visits and payments.",
        epilog="families: " + ", ".join(FAMILIES) + " (default: all; see the module docstring or tools/testing/README.md)\n\n"
               "examples:\n"
               "  python3 tools/testing/hostile.py --target http://127.0.0.1:8080\n"
               "  python3 tools/testing/hostile.py --target http://127.0.0.1:18181 --family secrets races\n"
               "  python3 tools/testing/hostile.py --target http://127.0.0.1:18181 --family big-body --data-dir /tmp/hostile-data\n"
               "  python3 tools/testing/hostile.py --target http://127.0.0.1:18181 --family slow --slow-wait 90\n"
               "  python3 tools/testing/hostile.py --target http://127.0.0.1:18181 --quick\n"
               "  python3 tools/testing/hostile.py --target http://127.0.0.1:18181 --family trickle-receiver --hold 600\n"
               "      (receivers stay up 10 minutes for manual callback tests)\n\n"
               "exit codes: 0 no FAIL, 1 at least one FAIL or the gateway unreachable, 2 usage error")
    ap.add_argument("--target", default="http://127.0.0.1:8080", help="gateway base URL, http only (default %(default)s)")
    ap.add_argument("--credentials", default=os.path.join(REPO, "certs", "demo-credentials.json"),
                    help="demo credentials JSON (default: certs/demo-credentials.json of this repository)")
    ap.add_argument("--admin-token", help="admin bearer token (default: adminToken of the credentials file)")
    ap.add_argument("--channel-token", help="e-voucher channel bearer token (default: channel.token of the credentials file)")
    ap.add_argument("--no-admin", action="store_true", help="act without the admin token (skips admin fuzzing and callback setup)")
    ap.add_argument("--family", action="extend", nargs="+", choices=FAMILIES, metavar="NAME",
                    help="families to run, in the order given (default: all): " + " ".join(FAMILIES))
    ap.add_argument("--quick", action="store_true",
                    help="short waits, for a test suite: fuzz does not wait out 429s, trickle-receiver does not watch the slow "
                         "receivers, --hold 0, --slow-wait 35 (just over the gateway's 20/30 s connection timeouts)")
    ap.add_argument("--institution", default="H12010100001", help="demo institution to act as (default %(default)s)")
    ap.add_argument("--data-dir", help="the gateway's --data-dir, to measure database growth in big-body")
    ap.add_argument("--slow-wait", type=float,
                    help="seconds the slow connections are held open at most (default 40; 35 with --quick); the family "
                         "ends sooner once the server has closed them all")
    ap.add_argument("--hold", type=float, default=0, help="trickle-receiver: keep the receivers up this many seconds afterwards")
    ap.add_argument("--receiver-host", default="127.0.0.1", help="host the gateway reaches the receivers at (default %(default)s)")
    ap.add_argument("--receiver-bind", default="127.0.0.1", help="address the receivers listen on (default %(default)s)")
    ap.add_argument("--timeout", type=float, default=30, help="seconds to wait for one answer (default %(default)s)")
    ap.add_argument("--patience", type=float, default=60,
                    help="seconds one request may wait in all for the Retry-After of 429 answers (default %(default)s)")
    ap.add_argument("-v", "--verbose", action="store_true", help="fuzz: print every input and its answer")
    opts = ap.parse_args(argv)
    if opts.slow_wait is None:
        opts.slow_wait = 35.0 if opts.quick else 40.0
    if opts.quick:
        opts.hold = 0

    with open(opts.credentials, encoding="utf-8") as fh:
        credentials = json.load(fh)
    if opts.channel_token:
        credentials["channel"] = dict(credentials["channel"], token=opts.channel_token)
    admin_token = None if opts.no_admin else (opts.admin_token or credentials.get("adminToken"))
    t = Target(opts.target, credentials, admin_token, opts.timeout, opts.patience)
    r = Report()
    families = opts.family or list(FAMILIES)

    first = t.health(5)
    if first.status != 200:
        r.fail("gateway", "GET %s/health: %s" % (t.url, first.describe()))
        return 1
    r.info("gateway", "%s answers /health: %s; %s; families: %s" % (t.url, first.body.decode("utf-8", "replace").strip(),
                                                                     t.sync_clock(), " ".join(families)))
    for name in families:
        if t.health(5).status != 200:
            r.fail(name, "skipped: the gateway does not answer /health any more")
            continue
        t.sync_clock()
        started, throttled = time.monotonic(), t.throttled
        try:
            FAMILY_FUNCTIONS[name](t, r, opts)
        except ProbeError as exc:
            r.fail(name, "could not run: %s" % exc)
        limited = t.throttled - throttled
        r.info(name, "done in %.1f s%s" % (time.monotonic() - started, "; met %d 429 RATE_LIMITED answers" % limited if limited else ""))
    print("%s: %d check(s) failed" % ("FAIL" if r.failures else "PASS", r.failures), flush=True)
    return 1 if r.failures else 0


if __name__ == "__main__":
    sys.exit(main())
