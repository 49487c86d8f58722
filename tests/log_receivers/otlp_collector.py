"""An OTLP/HTTP traces receiver for the opentelemetry tests: decodes every POST body as an
ExportTraceServiceRequest with the official opentelemetry-proto package (PyPI) and serves
what it decoded at GET /_received as JSON: for each request its path, content type and
headers, the resource attributes and the spans (ids as hex, attributes as plain values).
A body that does not decode is answered 400 and recorded with its error.

Usage: otlp_collector.py PORT
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

RECEIVED = []
LOCK = threading.Lock()


def plain(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def attributes(key_values):
    return {kv.key: plain(kv.value) for kv in key_values}


class Collector(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        record = {
            "path": self.path,
            "content_type": self.headers.get("Content-Type"),
            "headers": {k.lower(): v for k, v in self.headers.items()},
        }
        status = 200
        try:
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            record["resources"] = []
            for resource_spans in request.resource_spans:
                spans = []
                scopes = []
                for scope_spans in resource_spans.scope_spans:
                    scopes.append({"name": scope_spans.scope.name, "version": scope_spans.scope.version})
                    for span in scope_spans.spans:
                        spans.append(
                            {
                                "trace_id": span.trace_id.hex(),
                                "span_id": span.span_id.hex(),
                                "parent_span_id": span.parent_span_id.hex(),
                                "name": span.name,
                                "kind": span.kind,
                                "start": span.start_time_unix_nano,
                                "end": span.end_time_unix_nano,
                                "attributes": attributes(span.attributes),
                                "status_code": span.status.code,
                            }
                        )
                record["resources"].append(
                    {"attributes": attributes(resource_spans.resource.attributes), "scopes": scopes, "spans": spans}
                )
        except Exception as error:  # a body that is not an ExportTraceServiceRequest
            record["error"] = str(error)
            status = 400
        with LOCK:
            RECEIVED.append(record)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        with LOCK:
            body = json.dumps(RECEIVED).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Collector)
    server.serve_forever()


if __name__ == "__main__":
    main()
