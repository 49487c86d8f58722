//! How a matched request is rewritten for its service: path, Host and forwarding headers.
//!
//! Pure functions, shared by the proxy and its tests.

/// The upstream path (with query) for a request path, per Kong's `strip_path` and the
/// `v0` joining of the service path.
pub fn upstream_path(
    request_path: &str,
    query: Option<&str>,
    matched_len: usize,
    strip_path: bool,
    service_path: Option<&str>,
) -> String {
    let rest = if strip_path {
        request_path.get(matched_len..).unwrap_or("")
    } else {
        request_path
    };
    let mut path = match service_path {
        None | Some("") => {
            if rest.starts_with('/') {
                rest.to_owned()
            } else {
                format!("/{rest}")
            }
        }
        Some(base) => join(base, rest),
    };
    if let Some(query) = query {
        path.push('?');
        path.push_str(query);
    }
    path
}

fn join(base: &str, rest: &str) -> String {
    if rest.is_empty() {
        return base.to_owned();
    }
    match (base.ends_with('/'), rest.starts_with('/')) {
        (true, true) => format!("{base}{}", &rest[1..]),
        (false, false) => format!("{base}/{rest}"),
        _ => format!("{base}{rest}"),
    }
}

/// The Host header for a service: its host, with the port when it is not the default.
pub fn service_host_header(host: &str, port: u16, protocol: &str) -> String {
    let default_port = if protocol == "https" { 443 } else { 80 };
    let host = if host.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    if port == default_port {
        host
    } else {
        format!("{host}:{port}")
    }
}

/// `X-Forwarded-For` after appending the client address to what the client sent.
pub fn forwarded_for(previous: Option<&str>, client: &str) -> String {
    match previous.map(str::trim).filter(|p| !p.is_empty()) {
        Some(previous) => format!("{previous}, {client}"),
        None => client.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_path_removes_the_matched_prefix() {
        assert_eq!(
            upstream_path("/oidc-route/get", None, 11, true, None),
            "/get"
        );
        assert_eq!(upstream_path("/oidc-route", None, 11, true, None), "/");
        assert_eq!(upstream_path("/oidc-routex", None, 11, true, None), "/x");
        assert_eq!(
            upstream_path("/oidc-route/get", Some("a=1"), 11, false, None),
            "/oidc-route/get?a=1"
        );
    }

    #[test]
    fn service_path_is_joined() {
        assert_eq!(
            upstream_path("/r/get", None, 2, true, Some("/anything")),
            "/anything/get"
        );
        assert_eq!(
            upstream_path("/r/get", None, 2, true, Some("/anything/")),
            "/anything/get"
        );
        assert_eq!(
            upstream_path("/r", None, 2, true, Some("/anything")),
            "/anything"
        );
    }

    #[test]
    fn host_header_keeps_non_default_ports() {
        assert_eq!(service_host_header("httpbin", 80, "http"), "httpbin");
        assert_eq!(service_host_header("httpbin", 8000, "http"), "httpbin:8000");
        assert_eq!(service_host_header("::1", 9080, "http"), "[::1]:9080");
        assert_eq!(service_host_header("::1", 80, "http"), "[::1]");
    }

    #[test]
    fn forwarded_for_appends() {
        assert_eq!(forwarded_for(None, "1.2.3.4"), "1.2.3.4");
        assert_eq!(
            forwarded_for(Some("9.9.9.9"), "1.2.3.4"),
            "9.9.9.9, 1.2.3.4"
        );
    }
}
