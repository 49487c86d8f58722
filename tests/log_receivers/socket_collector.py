"""The log servers of the socket log plugins' tests: TCP (newline-separated entries), TLS
over TCP, UDP datagrams and a Unix datagram socket (a syslog daemon's /dev/log). Every
entry, and every accepted TCP connection, is appended as one JSON line to OUT:
{"via": NAME, "data": TEXT} or {"via": NAME, "event": "connect"}. Standard library only.

Usage: socket_collector.py OUT SPEC...
  SPEC: [NAME@]tcp:PORT  [NAME@]tls:PORT:CERT:KEY  [NAME@]udp:PORT  [NAME@]unix:PATH
        (NAME, what its records say in "via", defaults to the kind)
"""

import json
import os
import socket
import ssl
import sys
import threading

LOCK = threading.Lock()


def record(out, **fields):
    line = json.dumps(fields) + "\n"
    with LOCK:
        out.write(line)
        out.flush()


def serve_stream(out, name, listener, wrap=None):
    def connection(conn):
        try:
            if wrap is not None:
                conn = wrap(conn)
            record(out, via=name, event="connect")
            buffered = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                buffered += chunk
                while b"\n" in buffered:
                    line, buffered = buffered.split(b"\n", 1)
                    record(out, via=name, data=line.decode("utf-8", "replace"))
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=connection, args=(conn,), daemon=True).start()


def serve_datagrams(out, name, sock):
    while True:
        data = sock.recv(262144)
        record(out, via=name, data=data.decode("utf-8", "replace"))


def tcp_listener(port):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    return listener


def main():
    out = open(sys.argv[1], "a", encoding="utf-8")
    threads = []
    for spec in sys.argv[2:]:
        name, _, spec = spec.rpartition("@")
        kind, _, rest = spec.partition(":")
        name = name or kind
        if kind == "tcp":
            args = (out, name, tcp_listener(int(rest)))
            threads.append(threading.Thread(target=serve_stream, args=args, daemon=True))
        elif kind == "tls":
            port, cert, key = rest.split(":")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            wrap = lambda conn, context=context: context.wrap_socket(conn, server_side=True)
            args = (out, name, tcp_listener(int(port)), wrap)
            threads.append(threading.Thread(target=serve_stream, args=args, daemon=True))
        elif kind == "udp":
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
            sock.bind(("127.0.0.1", int(rest)))
            threads.append(
                threading.Thread(target=serve_datagrams, args=(out, name, sock), daemon=True)
            )
        elif kind == "unix":
            if os.path.exists(rest):
                os.unlink(rest)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
            sock.bind(rest)
            threads.append(
                threading.Thread(target=serve_datagrams, args=(out, name, sock), daemon=True)
            )
        else:
            sys.exit("unknown spec " + spec)
    for thread in threads:
        thread.start()
    record(out, via="collector", event="ready")
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
