#!/usr/bin/env python3
"""A real upstream process for the load-balancing tests: answers every request with JSON naming itself.

Usage: echo_server.py --name NAME --port PORT [--certfile F --keyfile F]
  GET /health            -> 200 {"name": ...}
  ANY /status/NNN/...    -> status NNN
  ANY /reset...          -> the connection is closed without an answer (counted)
  GET /_hits             -> {"reset": how many /reset requests arrived}
  ANY other path         -> 200 {"name", "port", "method", "path", "headers"}
HTTP/1.1 with keep-alive, one thread per connection; prints "ready PORT" once listening.
"""
import argparse
import json
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_handler(name, port):
    hits = {"reset": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if self.path.startswith("/reset"):
                with lock:
                    hits["reset"] += 1
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if self.path == "/_hits":
                with lock:
                    body = json.dumps(hits).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            status = 200
            parts = self.path.split("/")
            if len(parts) > 2 and parts[1] == "status" and parts[2].isdigit():
                status = int(parts[2])
            body = json.dumps({
                "name": name,
                "port": port,
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Upstream-Name", name)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = answer

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--certfile")
    parser.add_argument("--keyfile")
    args = parser.parse_args()
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer((args.host, args.port), make_handler(args.name, args.port))
    if args.certfile:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.certfile, args.keyfile)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"ready {args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
