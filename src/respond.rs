//! The one place an error becomes a status, headers and a Kong-shaped JSON body.

use crate::kong_headers::KongHeaders;
use std::borrow::Cow;

use bytes::Bytes;
use pingora::http::ResponseHeader;
use pingora_proxy::Session;

/// A response the gateway answers by itself instead of proxying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    pub status: u16,
    pub message: Cow<'static, str>,
    /// Value of `WWW-Authenticate`, for 401s.
    pub www_authenticate: Option<String>,
    /// Other headers of this response (`Location`, `Upgrade`...).
    pub headers: Vec<(&'static str, String)>,
    /// A body sent instead of `{"message": ...}` (request-termination's `body` and `echo`).
    /// (Boxed: it keeps `ErrorResponse`, returned in every `Err`, small.)
    pub custom_body: Option<Box<CustomBody>>,
}

/// An arbitrary response body and its `Content-Type` (none: no such header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomBody {
    pub bytes: Bytes,
    pub content_type: Option<String>,
}

impl ErrorResponse {
    fn new(status: u16, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            message: message.into(),
            www_authenticate: None,
            headers: Vec::new(),
            custom_body: None,
        }
    }

    /// Any status with a `{"message": ...}` body (Kong's `kong.response.error`).
    pub fn with_status(status: u16, message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(status, message)
    }

    /// 401 with the given `WWW-Authenticate` challenge (e.g. `hmac realm="x"`).
    pub fn challenge(message: impl Into<Cow<'static, str>>, www_authenticate: String) -> Self {
        Self {
            www_authenticate: Some(www_authenticate),
            ..Self::new(401, message)
        }
    }

    /// `status` with `body` as it is (Kong's `kong.response.exit` with a string body).
    pub fn raw(status: u16, body: Bytes, content_type: Option<String>) -> Self {
        Self {
            custom_body: Some(Box::new(CustomBody {
                bytes: body,
                content_type,
            })),
            ..Self::new(status, "")
        }
    }

    /// 401 with this exact `WWW-Authenticate` challenge.
    pub fn unauthorized_with(message: impl Into<Cow<'static, str>>, challenge: String) -> Self {
        Self {
            www_authenticate: Some(challenge),
            ..Self::new(401, message)
        }
    }

    /// 401 whose body is the object of `fields` (claim name to problem), with `challenge`.
    pub fn unauthorized_fields(
        fields: Vec<(&'static str, &'static str)>,
        summary: String,
        challenge: String,
    ) -> Self {
        let object: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|(name, value)| ((*name).to_owned(), serde_json::Value::from(*value)))
            .collect();
        Self {
            www_authenticate: Some(challenge),
            custom_body: Some(Box::new(CustomBody {
                bytes: Bytes::from(format!("{}\n", serde_json::Value::Object(object))),
                content_type: Some("application/json; charset=utf-8".to_owned()),
            })),
            ..Self::new(401, summary)
        }
    }

    /// 500 with a message of its own (Kong's `kong.response.error(500, message)`).
    pub fn internal_with(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(500, message)
    }

    /// 401 with `WWW-Authenticate: Bearer realm="<issuer host>"`.
    pub fn unauthorized(message: impl Into<Cow<'static, str>>, realm: &str) -> Self {
        Self {
            www_authenticate: Some(format!("Bearer realm=\"{realm}\"")),
            ..Self::new(401, message)
        }
    }

    /// 401 with `WWW-Authenticate: <challenge>` (key-auth's `Key realm="..."`, basic-auth's
    /// `Basic realm="..."`).
    pub fn unauthorized_challenge(
        message: impl Into<Cow<'static, str>>,
        challenge: String,
    ) -> Self {
        Self {
            www_authenticate: Some(challenge),
            ..Self::new(401, message)
        }
    }

    /// 401 for a bearer token that did not verify: `Bearer realm="...", error="invalid_token"`.
    pub fn invalid_token(message: impl Into<Cow<'static, str>>, realm: &str) -> Self {
        Self {
            www_authenticate: Some(format!("Bearer realm=\"{realm}\", error=\"invalid_token\"")),
            ..Self::new(401, message)
        }
    }

    /// 400 for a request with more than one token: `error="invalid_request"`.
    pub fn invalid_request(message: impl Into<Cow<'static, str>>, realm: &str) -> Self {
        Self {
            www_authenticate: Some(format!(
                "Bearer realm=\"{realm}\", error=\"invalid_request\""
            )),
            ..Self::new(400, message)
        }
    }

    /// 403 for a token the claim policy refuses: `error="insufficient_scope"`.
    pub fn insufficient_scope(message: impl Into<Cow<'static, str>>, realm: &str) -> Self {
        Self {
            www_authenticate: Some(format!(
                "Bearer realm=\"{realm}\", error=\"insufficient_scope\""
            )),
            ..Self::new(403, message)
        }
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(403, message)
    }

    pub fn no_route() -> Self {
        Self::new(404, "no Route matched with those values")
    }

    /// The matched route has no service (Kong's 503 after the access phase).
    pub fn no_service() -> Self {
        Self::new(503, "no Service found with those values")
    }

    /// A request path with malformed percent-encoding.
    pub fn bad_request() -> Self {
        Self::new(400, "Bad request")
    }

    /// Plain http on an https-only route (Kong's default `https_redirect_status_code`).
    pub fn upgrade_required() -> Self {
        Self {
            headers: vec![
                ("Connection", "Upgrade".to_owned()),
                ("Upgrade", "TLS/1.2, HTTP/1.1".to_owned()),
            ],
            ..Self::new(426, "Please use HTTPS protocol")
        }
    }

    /// A redirect (301, 302, 307 or 308) to `location`, the body naming the status.
    pub fn redirect(status: u16, location: String) -> Self {
        let reason = http::StatusCode::from_u16(status)
            .ok()
            .and_then(|code| code.canonical_reason())
            .unwrap_or("Redirect");
        Self {
            headers: vec![("Location", location)],
            ..Self::new(status, reason)
        }
    }

    /// The IdP could not be used (our deviation from Kong's 401).
    pub fn identity_provider_unavailable() -> Self {
        Self::new(
            502,
            "An invalid response was received from the identity provider",
        )
    }

    pub fn identity_provider_timeout() -> Self {
        Self::new(504, "The identity provider is timing out")
    }

    pub fn upstream_invalid() -> Self {
        Self::new(
            502,
            "An invalid response was received from the upstream server",
        )
    }

    pub fn upstream_timeout() -> Self {
        Self::new(504, "The upstream server is timing out")
    }

    pub fn internal() -> Self {
        Self::new(500, "An unexpected error occurred")
    }

    /// A status Pingora decided on (a malformed request, say), with its standard reason.
    pub fn for_status(status: u16) -> Self {
        match http::StatusCode::from_u16(status) {
            Ok(code) if code.is_client_error() || code.is_server_error() => {
                Self::new(status, code.canonical_reason().unwrap_or("Error"))
            }
            _ => Self::internal(),
        }
    }

    /// `{"message":"..."}`, or the custom body.
    pub fn body(&self) -> Bytes {
        if let Some(custom) = &self.custom_body {
            return custom.bytes.clone();
        }
        let body = serde_json::json!({ "message": self.message });
        Bytes::from(format!("{body}\n"))
    }

    fn header(&self, body_len: usize) -> pingora::Result<ResponseHeader> {
        let mut header = ResponseHeader::build(self.status, Some(4 + self.headers.len()))?;
        match self.custom_body.as_deref() {
            None => header.insert_header("Content-Type", "application/json; charset=utf-8")?,
            Some(CustomBody {
                content_type: Some(content_type),
                ..
            }) => header.insert_header("Content-Type", content_type.as_str())?,
            Some(_) => {}
        }
        // A 1xx, 204 or 304 has no body and no length (Kong's request-termination spec).
        if !(self.status < 200 || self.status == 204 || self.status == 304) {
            header.insert_header("Content-Length", body_len.to_string())?;
        }
        if let Some(challenge) = &self.www_authenticate {
            header.insert_header("WWW-Authenticate", challenge.as_str())?;
        }
        for (name, value) in &self.headers {
            header.insert_header(*name, value.as_str())?;
        }
        Ok(header)
    }

    /// 503 when an upstream has no healthy target (Kong's ring-balancer text).
    pub fn no_healthy_target() -> Self {
        Self::new(503, "failure to get a peer from the ring-balancer")
    }

    /// 503 when the service's host name does not resolve (Kong's text).
    pub fn name_resolution_failed() -> Self {
        Self::new(503, "name resolution failed")
    }

    /// Writes the whole response to the client, with the headers of Kong's `headers`
    /// setting (`Server`, `X-Kong-Request-Id`, `X-Kong-Response-Latency`: milliseconds the
    /// gateway took to answer by itself).
    pub async fn send(
        &self,
        session: &mut Session,
        kong_headers: KongHeaders,
        request_id: &str,
        latency_ms: u128,
    ) -> pingora::Result<()> {
        self.send_decorated(session, kong_headers, request_id, latency_ms, |_| {})
            .await
    }

    /// As [`send`](Self::send), with `decorate` (the plugins' header_filter) applied to the
    /// response header before it is written.
    pub async fn send_decorated(
        &self,
        session: &mut Session,
        kong_headers: KongHeaders,
        request_id: &str,
        latency_ms: u128,
        decorate: impl FnOnce(&mut ResponseHeader),
    ) -> pingora::Result<()> {
        let body = self.body();
        let mut header = self.header(body.len())?;
        kong_headers.on_own_response(&mut header, request_id, latency_ms)?;
        decorate(&mut header);
        let head_only = session.req_header().method == http::Method::HEAD;
        session
            .write_response_header(Box::new(header), head_only)
            .await?;
        if !head_only {
            session.write_response_body(Some(body), true).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_kong_shaped() {
        assert_eq!(
            ErrorResponse::no_route().body(),
            "{\"message\":\"no Route matched with those values\"}\n"
        );
        let unauthorized = ErrorResponse::unauthorized("Unauthorized", "idp.example");
        assert_eq!(unauthorized.status, 401);
        assert_eq!(
            unauthorized.www_authenticate.as_deref(),
            Some("Bearer realm=\"idp.example\"")
        );
        assert_eq!(
            ErrorResponse::forbidden("No \"way\"").body(),
            "{\"message\":\"No \\\"way\\\"\"}\n"
        );
        assert_eq!(ErrorResponse::for_status(413).message, "Payload Too Large");
        assert_eq!(ErrorResponse::for_status(200).status, 500);
        assert_eq!(
            ErrorResponse::bad_request().body(),
            "{\"message\":\"Bad request\"}\n"
        );
        let upgrade = ErrorResponse::upgrade_required();
        assert_eq!(upgrade.status, 426);
        assert_eq!(upgrade.message, "Please use HTTPS protocol");
        assert!(upgrade
            .headers
            .contains(&("Upgrade", "TLS/1.2, HTTP/1.1".to_owned())));
        let claims = ErrorResponse::unauthorized_fields(
            vec![("exp", "token expired")],
            "exp: token expired".into(),
            "Bearer".into(),
        );
        assert_eq!(claims.body(), "{\"exp\":\"token expired\"}\n");
        assert_eq!(
            ErrorResponse::name_resolution_failed().body(),
            "{\"message\":\"name resolution failed\"}\n"
        );
        let moved = ErrorResponse::redirect(301, "https://a.test/p".to_owned());
        assert_eq!(moved.message, "Moved Permanently");
        let raw = ErrorResponse::raw(
            418,
            Bytes::from_static(b"<p>tea</p>"),
            Some("text/html".into()),
        );
        assert_eq!(raw.body(), "<p>tea</p>");
        let header = raw.header(10).unwrap();
        assert_eq!(header.headers["content-type"], "text/html");
        let bare = ErrorResponse::raw(204, Bytes::new(), None);
        let bare = bare.header(0).unwrap();
        assert!(bare.headers.get("content-type").is_none());
        assert!(bare.headers.get("content-length").is_none());
        let hmac = ErrorResponse::challenge("Unauthorized", "hmac".into());
        assert_eq!(
            (hmac.status, hmac.www_authenticate.as_deref()),
            (401, Some("hmac"))
        );
        assert_eq!(
            moved.headers,
            vec![("Location", "https://a.test/p".to_owned())]
        );
    }
}
