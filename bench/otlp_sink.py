#!/usr/bin/env python3
"""A stand-in OpenTelemetry collector for bench/tracing.sh: answers 200 to every POST /v1/traces (OTLP over
HTTP), keeps nothing, and counts the requests and bytes it was sent.

    otlp_sink.py PORT COUNTS_FILE     (COUNTS_FILE gets "requests=N bytes=M" on SIGTERM)
"""
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, counts_file = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()
counts = {"requests": 0, "bytes": 0}


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a collector does

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            counts["requests"] += 1
            counts["bytes"] += len(body)
        status = 200 if self.path == "/v1/traces" else 404
        self.send_response(status)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", port), Sink)


def stop(*_):
    with open(counts_file, "w") as f:
        f.write(f"requests={counts['requests']} bytes={counts['bytes']}\n")
    threading.Thread(target=server.shutdown).start()


signal.signal(signal.SIGTERM, stop)
server.serve_forever()
