//! What a plugin's log phase sees of a finished request: the facts (`FinishedRequest`), the
//! pinned snapshot, the plugins' shared state, the client's request and the response header
//! sent, and Kong's log object built once for every log plugin of the request.

use std::cell::OnceCell;
use std::net::SocketAddr;
use std::time::Instant;

use pingora::http::{RequestHeader, ResponseHeader};

use super::api::RequestState;
use crate::finished_request::FinishedRequest;
use crate::snapshot::Snapshot;

/// The log phase of one request.
pub struct LogPhase<'a> {
    pub finished: &'a FinishedRequest<'a>,
    pub snapshot: &'a Snapshot,
    pub state: &'a RequestState,
    /// The client's request header as received.
    pub request: &'a RequestHeader,
    /// The response header sent to the client, if one was.
    pub response: Option<&'a ResponseHeader>,
    /// `http` or `https`.
    pub scheme: &'static str,
    /// The listener's port the request came in on.
    pub server_port: Option<u16>,
    /// The path and query sent upstream, when the request was proxied.
    pub upstream_uri: Option<String>,
    /// The upstream address of each attempt, in order.
    pub peers: &'a [SocketAddr],
    /// When each attempt began (as `peers`), and when the request did.
    pub attempt_starts: &'a [Instant],
    pub request_started: Option<Instant>,
    /// Bytes received from the client: request line, header and body.
    pub request_size: u64,
    /// Bytes sent to the client: status line, header and body.
    pub response_size: u64,
    /// The TLS version and cipher of an HTTPS request.
    pub tls: Option<(String, String)>,
    /// Kong's log object as JSON, built on first use.
    log_object: OnceCell<String>,
}

impl<'a> LogPhase<'a> {
    /// The facts of a request; the rest is filled in by the caller.
    pub fn new(
        finished: &'a FinishedRequest<'a>,
        snapshot: &'a Snapshot,
        state: &'a RequestState,
        request: &'a RequestHeader,
    ) -> Self {
        Self {
            finished,
            snapshot,
            state,
            request,
            response: None,
            scheme: "http",
            server_port: None,
            upstream_uri: None,
            peers: &[],
            attempt_starts: &[],
            request_started: None,
            request_size: 0,
            response_size: 0,
            tls: None,
            log_object: OnceCell::new(),
        }
    }

    /// Kong's `kong.log.serialize()` of this request, JSON-encoded, credentials redacted.
    pub fn log_object(&self) -> &str {
        self.log_object
            .get_or_init(|| super::log_serializer::serialize(self))
    }
}

/// The bytes a request line and header take on the wire (HTTP/1.1 framing).
pub fn request_header_size(request: &RequestHeader) -> u64 {
    let target = request.uri.path_and_query().map_or(1, |p| p.as_str().len());
    // "METHOD TARGET HTTP/1.1\r\n"
    let line = request.method.as_str().len() + 1 + target + " HTTP/1.1\r\n".len();
    header_lines_size(&request.headers) + line as u64
}

/// The bytes a status line and header take on the wire (HTTP/1.1 framing).
pub fn response_header_size(response: &ResponseHeader) -> u64 {
    let reason = response.status.canonical_reason().map_or(0, str::len);
    header_lines_size(&response.headers) + ("HTTP/1.1 200 \r\n".len() + reason) as u64
}

fn header_lines_size(headers: &http::HeaderMap) -> u64 {
    let lines: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    (lines + 2) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_sizes_count_the_wire_framing() {
        let mut request = RequestHeader::build("GET", b"/get?a=1", None).unwrap();
        request.insert_header("Host", "a.test").unwrap();
        // "GET /get?a=1 HTTP/1.1\r\n" (23) + "host: a.test\r\n" (14) + "\r\n" (2)
        assert_eq!(request_header_size(&request), 39);
        let mut response = ResponseHeader::build(200, None).unwrap();
        response.insert_header("Content-Length", "2").unwrap();
        // "HTTP/1.1 200 OK\r\n" (17) + "content-length: 2\r\n" (19) + "\r\n" (2)
        assert_eq!(response_header_size(&response), 38);
    }
}
