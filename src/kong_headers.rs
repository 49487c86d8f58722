//! Kong's `headers` and `headers_upstream` settings (kong.conf): which of `Server`, `Via`,
//! `X-Kong-Proxy-Latency`, `X-Kong-Response-Latency`, `X-Kong-Upstream-Latency`,
//! `X-Kong-Upstream-Status` and `X-Kong-Request-Id` the gateway adds to responses, and
//! whether it sends `X-Kong-Request-Id` upstream; applied as Kong's runloop applies them.

use pingora::http::ResponseHeader;

/// The enabled headers. `Default` is Kong's: `server_tokens, latency_tokens,
/// X-Kong-Request-Id` downstream, `X-Kong-Request-Id` upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KongHeaders {
    pub server: bool,
    pub via: bool,
    pub proxy_latency: bool,
    pub response_latency: bool,
    pub upstream_latency: bool,
    pub upstream_status: bool,
    pub request_id: bool,
    pub request_id_upstream: bool,
}

impl Default for KongHeaders {
    fn default() -> Self {
        Self {
            server: true,
            via: true,
            proxy_latency: true,
            response_latency: true,
            upstream_latency: true,
            upstream_status: false,
            request_id: true,
            request_id_upstream: true,
        }
    }
}

/// What the gateway calls itself in `Server` and `Via` (Kong: `kong/<version>`).
pub const SERVER_TOKEN: &str = crate::SERVER_NAME;

impl KongHeaders {
    /// From the `headers` and `headers_upstream` lists (`None`: Kong's default); tokens are
    /// case-insensitive, `off` turns every one of the list off. Errors are Kong's.
    pub fn parse(headers: Option<&[String]>, upstream: Option<&[String]>) -> Result<Self, String> {
        let mut enabled = Self::default();
        if let Some(tokens) = headers {
            enabled = Self {
                request_id_upstream: enabled.request_id_upstream,
                ..Self::none()
            };
            for token in tokens {
                match token.to_ascii_lowercase().as_str() {
                    "off" => {}
                    "server" => enabled.server = true,
                    "via" => enabled.via = true,
                    "server_tokens" => (enabled.server, enabled.via) = (true, true),
                    "x-kong-proxy-latency" => enabled.proxy_latency = true,
                    "x-kong-response-latency" => enabled.response_latency = true,
                    "x-kong-upstream-latency" => enabled.upstream_latency = true,
                    "x-kong-admin-latency" => {}
                    "latency_tokens" => {
                        enabled.proxy_latency = true;
                        enabled.response_latency = true;
                        enabled.upstream_latency = true;
                    }
                    "x-kong-upstream-status" => enabled.upstream_status = true,
                    "x-kong-request-id" => enabled.request_id = true,
                    _ => return Err(format!("headers: invalid entry '{token}'")),
                }
            }
            if tokens
                .first()
                .is_some_and(|t| t.eq_ignore_ascii_case("off"))
            {
                enabled = Self {
                    request_id_upstream: enabled.request_id_upstream,
                    ..Self::none()
                };
            }
        }
        if let Some(tokens) = upstream {
            enabled.request_id_upstream = false;
            for token in tokens {
                match token.to_ascii_lowercase().as_str() {
                    "off" => {}
                    "x-kong-request-id" => enabled.request_id_upstream = true,
                    _ => return Err(format!("headers_upstream: invalid entry '{token}'")),
                }
            }
            if tokens
                .first()
                .is_some_and(|t| t.eq_ignore_ascii_case("off"))
            {
                enabled.request_id_upstream = false;
            }
        }
        Ok(enabled)
    }

    fn none() -> Self {
        Self {
            server: false,
            via: false,
            proxy_latency: false,
            response_latency: false,
            upstream_latency: false,
            upstream_status: false,
            request_id: false,
            request_id_upstream: false,
        }
    }

    /// A response the gateway made itself (a plugin's answer, an error): `Server` (or none),
    /// `X-Kong-Response-Latency`, `X-Kong-Request-Id`.
    pub fn on_own_response(
        &self,
        header: &mut ResponseHeader,
        request_id: &str,
        latency_ms: u128,
    ) -> pingora::Result<()> {
        if self.server {
            header.insert_header("Server", SERVER_TOKEN)?;
        } else {
            header.remove_header("Server");
        }
        if self.response_latency {
            header.insert_header("X-Kong-Response-Latency", latency_ms.to_string())?;
        }
        if self.request_id {
            header.insert_header("X-Kong-Request-Id", request_id)?;
        }
        Ok(())
    }

    /// A proxied response: `Via` appended, `Server` when the upstream sent none, the
    /// upstream and proxy latencies, `X-Kong-Upstream-Status`, `X-Kong-Request-Id`.
    pub fn on_proxied_response(
        &self,
        response: &mut ResponseHeader,
        proxied: &Proxied<'_>,
    ) -> pingora::Result<()> {
        if self.via {
            response.append_header("Via", proxied.via)?;
        }
        if self.server && !response.headers.contains_key(http::header::SERVER) {
            response.insert_header("Server", SERVER_TOKEN)?;
        }
        if let Some((upstream_ms, proxy_ms)) = proxied.latencies {
            if self.upstream_latency {
                response.insert_header("X-Kong-Upstream-Latency", upstream_ms.to_string())?;
            }
            if self.proxy_latency {
                response.insert_header("X-Kong-Proxy-Latency", proxy_ms.to_string())?;
            }
        }
        if self.upstream_status {
            response.insert_header(
                "X-Kong-Upstream-Status",
                proxied.upstream_status.to_string(),
            )?;
        }
        if self.request_id {
            response.insert_header("X-Kong-Request-Id", proxied.request_id)?;
        }
        Ok(())
    }
}

/// What a proxied response's headers are made of.
pub struct Proxied<'a> {
    pub via: &'a str,
    pub request_id: &'a str,
    /// Milliseconds: the upstream's (to its response header), the gateway's before it.
    pub latencies: Option<(u128, u128)>,
    pub upstream_status: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn kongs_tokens_and_errors() {
        assert_eq!(
            KongHeaders::parse(None, None).unwrap(),
            KongHeaders::default()
        );
        let off = KongHeaders::parse(Some(&list(&["off"])), Some(&list(&["off"]))).unwrap();
        assert_eq!(off, KongHeaders::none());
        let some =
            KongHeaders::parse(Some(&list(&["Server", "X-Kong-Upstream-Status"])), None).unwrap();
        assert!(some.server && some.upstream_status && some.request_id_upstream);
        assert!(!some.via && !some.proxy_latency && !some.request_id);
        let latency = KongHeaders::parse(Some(&list(&["latency_tokens"])), None).unwrap();
        assert!(latency.proxy_latency && latency.response_latency && latency.upstream_latency);
        assert_eq!(
            KongHeaders::parse(Some(&list(&["X-Powered-By"])), None).unwrap_err(),
            "headers: invalid entry 'X-Powered-By'"
        );
        assert_eq!(
            KongHeaders::parse(None, Some(&list(&["Via"]))).unwrap_err(),
            "headers_upstream: invalid entry 'Via'"
        );
    }

    #[test]
    fn own_and_proxied_responses() {
        let mut own = ResponseHeader::build(401, None).unwrap();
        own.insert_header("Server", "x").unwrap();
        let off = KongHeaders::parse(Some(&list(&["off"])), None).unwrap();
        off.on_own_response(&mut own, "rid", 3).unwrap();
        assert!(own.headers.get("server").is_none());
        assert!(own.headers.get("x-kong-request-id").is_none());
        KongHeaders::default()
            .on_own_response(&mut own, "rid", 3)
            .unwrap();
        assert_eq!(own.headers["server"], SERVER_TOKEN);
        assert_eq!(own.headers["x-kong-response-latency"], "3");

        let mut proxied = ResponseHeader::build(200, None).unwrap();
        proxied.insert_header("Server", "gunicorn").unwrap();
        let facts = Proxied {
            via: "1.1 gw",
            request_id: "rid",
            latencies: Some((5, 1)),
            upstream_status: 200,
        };
        let all = KongHeaders {
            upstream_status: true,
            ..KongHeaders::default()
        };
        all.on_proxied_response(&mut proxied, &facts).unwrap();
        assert_eq!(proxied.headers["server"], "gunicorn");
        assert_eq!(proxied.headers["via"], "1.1 gw");
        assert_eq!(proxied.headers["x-kong-upstream-latency"], "5");
        assert_eq!(proxied.headers["x-kong-proxy-latency"], "1");
        assert_eq!(proxied.headers["x-kong-upstream-status"], "200");
    }
}
