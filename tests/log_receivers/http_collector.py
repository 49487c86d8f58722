"""A log server for the http-log tests: stores every POST/PUT/PATCH it receives (method,
path, headers, body) and serves them back as JSON at GET /_entries. Standard library only.

Usage: http_collector.py PORT [STATUS]   (STATUS: what it answers log requests, default 200)
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECEIVED = []
LOCK = threading.Lock()


class Collector(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    status = 200

    def _store(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        with LOCK:
            RECEIVED.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
            )
        self._answer(self.status, b"{}")

    do_POST = do_PUT = do_PATCH = _store

    def do_GET(self):
        if self.path == "/_entries":
            with LOCK:
                data = json.dumps(RECEIVED).encode()
            self._answer(200, data)
        else:
            self._answer(404, b"{}")

    def _answer(self, status, data):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main():
    port = int(sys.argv[1])
    if len(sys.argv) > 2:
        Collector.status = int(sys.argv[2])
    server = ThreadingHTTPServer(("127.0.0.1", port), Collector)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
