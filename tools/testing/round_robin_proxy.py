#!/usr/bin/env python3
"""Spreads HTTP requests over several gateways, one after the other (round-robin).

A test tool for running the conformance suite against several `yibao serve` processes that
share one PostgreSQL database: consecutive requests land on different processes, so state
written through one is read through the other. Standard library only; bodies, statuses and
headers are passed through unchanged (hop-by-hop headers excepted).

  round_robin_proxy.py --listen 127.0.0.1:0 http://127.0.0.1:8081 http://127.0.0.1:8082

Prints `listening on http://HOST:PORT` once ready; each line after is `N -> BACKEND METHOD PATH`
when --verbose.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="round-robin HTTP proxy over several gateways")
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT to listen on (port 0: any free port)")
    ap.add_argument("--verbose", action="store_true", help="print one line per request")
    ap.add_argument("backends", nargs="+", help="base URLs of the gateways")
    a = ap.parse_args(argv)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])

    backends = [urllib.parse.urlsplit(b) for b in a.backends]
    turn = itertools.count()
    lock = threading.Lock()
    counts = [0] * len(backends)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def forward(self):
            with lock:
                n = next(turn)
                index = n % len(backends)
                counts[index] += 1
            backend = backends[index]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            connection = http.client.HTTPConnection(backend.hostname, backend.port, timeout=120)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
            except OSError as exc:
                self.send_error(502, "backend %s: %s" % (backend.geturl(), exc))
                return
            finally:
                connection.close()
            if a.verbose:
                print("%d -> %s %s %s %d" % (n, backend.geturl(), self.command, self.path, answer.status), flush=True)
            self.send_response_only(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Yibao-Backend", str(index))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = forward

    host, port = a.listen.rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    print("listening on http://%s:%d" % server.server_address[:2], flush=True)

    def stop(*_):
        threading.Thread(target=server.shutdown).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    print("requests per backend: %s" % ", ".join("%s=%d" % (b.geturl(), c) for b, c in zip(backends, counts)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
