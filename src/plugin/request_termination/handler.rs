//! request-termination's access phase: answers with the configured status and message or
//! body (or the echo of the request) instead of proxying; with `trigger`, only when the
//! trigger header or query argument is present.

use bytes::Bytes;
use pingora_proxy::Session;

use super::config::RequestTerminationConfig;
use super::echo::{self, EchoedRequest};
use crate::plugin::api::Access;
use crate::request_routing::request_host;
use crate::respond::ErrorResponse;

/// Largest body the echo shows (bytes); a larger one is left out of it.
const MAX_ECHO_BODY: usize = 64 * 1024;

/// Kong's messages for the statuses it names.
pub fn default_message(status: u16) -> Option<&'static str> {
    Some(match status {
        401 => "Unauthorized",
        404 => "Not found",
        405 => "Method not allowed",
        500 => "An unexpected error occurred",
        502 => "Bad Gateway",
        503 => "Service unavailable",
        _ => return None,
    })
}

pub async fn access(
    conf: &RequestTerminationConfig,
    access: &mut Access<'_>,
) -> Result<(), ErrorResponse> {
    let request = access.session.req_header();
    if let Some(trigger) = &conf.trigger {
        let names = request.headers.keys().map(|name| name.as_str());
        if !echo::triggered(trigger, names, request.uri.query()) {
            return Ok(());
        }
    }
    let status = conf.status_code;
    let message = conf.message.as_deref().or(default_message(status));
    if conf.echo {
        let document = echo_document(access.session, message).await;
        let body = serde_json::to_vec(&document).map_err(|_| ErrorResponse::internal())?;
        return Err(ErrorResponse::raw(
            status,
            Bytes::from(body),
            Some("application/json; charset=utf-8".to_owned()),
        ));
    }
    if bodyless(status) {
        return Err(ErrorResponse::raw(status, Bytes::new(), None));
    }
    if let Some(body) = &conf.body {
        return Err(ErrorResponse::raw(
            status,
            Bytes::from(body.clone()),
            conf.content_type.clone(),
        ));
    }
    Err(match message {
        Some(message) => ErrorResponse::with_status(status, message.to_owned()),
        None => ErrorResponse::raw(status, Bytes::new(), None),
    })
}

/// Statuses that carry no body (nginx sends none for them either).
fn bodyless(status: u16) -> bool {
    status < 200 || status == 204 || status == 304
}

async fn echo_document(session: &mut Session, message: Option<&str>) -> serde_json::Value {
    let raw_body = read_small_body(session).await;
    let https = session
        .digest()
        .is_some_and(|digest| digest.ssl_digest.is_some());
    let port = session
        .server_addr()
        .and_then(|addr| addr.as_inet())
        .map(|addr| addr.port());
    let request = session.req_header();
    let host = request_host(request).unwrap_or_default();
    let host = strip_port(host);
    let headers = echo::headers_json(
        request
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes())),
    );
    echo::echo(
        message,
        EchoedRequest {
            scheme: if https { "https" } else { "http" },
            host,
            port,
            method: request.method.as_str(),
            path: request.uri.path(),
            headers,
            query: echo::query_json(request.uri.query()),
            raw_body: raw_body.as_deref(),
        },
    )
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// The body when at most [`MAX_ECHO_BODY`] bytes (nothing is proxied, so nothing is kept
/// for a replay).
async fn read_small_body(session: &mut Session) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = session.read_request_body().await.ok()? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ECHO_BODY {
            return None;
        }
    }
    Some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_messages_and_hosts() {
        assert_eq!(default_message(503), Some("Service unavailable"));
        assert_eq!(default_message(418), None);
        assert!(bodyless(204) && bodyless(304) && !bodyless(200));
        assert_eq!(strip_port("a.test:8000"), "a.test");
        assert_eq!(strip_port("a.test"), "a.test");
        assert_eq!(strip_port("[::1]:8000"), "[::1]");
    }
}
