#!/usr/bin/env python3
"""Cost of hostile 4 MiB bodies against a running gateway: time per request, and the server's peak RSS
(docs/SECURITY.md §10).

    python3 tools/testing/measure_big_bodies.py http://127.0.0.1:8080 $(pgrep -f "yibao serve")
"""
import json, sys, time, threading, urllib.request, urllib.error, base64, os
url, pid = sys.argv[1], int(sys.argv[2])
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(("VmRSS", "VmHWM")): yield line.split()[0], int(line.split()[1]) // 1024
def post(path, body):
    t = time.perf_counter()
    req = urllib.request.Request(url + path, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as r: r.read(); status = r.status
    except urllib.error.HTTPError as e: e.read(); status = e.code
    return status, (time.perf_counter() - t) * 1000
size = 4 << 20
env = {"infno": "1101", "msgid": "H12010100001202612030000000001", "mdtrtarea_admvs": "120101", "insuplc_admdvs": "", "recer_sys_code": "YIBAO",
       "signtype": "SM2", "infver": "V1.0", "opter_type": "1", "opter": "OP", "opter_name": "x", "inf_time": "2026-12-03 10:00:00",
       "fixmedins_code": "H12010100001", "fixmedins_name": "x", "sign_no": "", "input": {"data": {}}, "cainfo": base64.b64encode(os.urandom(64)).decode()}
big_string = dict(env); big_string["opter_name"] = "A" * (size - 2000)
big_input = dict(env); big_input["input"] = {"data": {"psn_no": "1", "memo": "A" * (size - 2000)}}
shapes = {
  "FSI, 4 MiB envelope member, garbage cainfo": ("/fsi/api/rsfComIfsService/callService", json.dumps(big_string).encode()),
  "FSI, 4 MiB inside input, garbage cainfo": ("/fsi/api/rsfComIfsService/callService", json.dumps(big_input).encode()),
  "FSI, 4 MiB array of numbers": ("/fsi/api/rsfComIfsService/callService", ("[" + "1," * (size // 2 - 2) + "1]").encode()),
  "HSE, 4 MiB encData of an unknown appId": ("/hse/ec.query", json.dumps({"appId": "X" * 20, "encType": "SM4", "signType": "SM2", "timestamp": "1", "encData": "A" * (size - 200), "signData": "x"}).encode()),
  "HSE, 4 MiB nesting-heavy body": ("/hse/ec.query", ("[" * 60 + "]" * 60 + " " * (size - 120)).encode()),
}
print("baseline RSS:", dict(rss()))
for name, (path, body) in shapes.items():
    times = [post(path, body) for _ in range(5)]
    print(f"{name}: status {times[0][0]}, {len(body)} bytes, ms min/median/max = {min(t for _, t in times):.0f}/{sorted(t for _, t in times)[2]:.0f}/{max(t for _, t in times):.0f}")
print("after sequential:", dict(rss()))
path, body = shapes["FSI, 4 MiB inside input, garbage cainfo"]
results = []
threads = [threading.Thread(target=lambda: results.append(post(path, body))) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print("four at once:", [f"{s} {ms:.0f} ms" for s, ms in results], "RSS:", dict(rss()))
