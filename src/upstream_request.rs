//! How a matched request is rewritten for its service: path, Host and forwarding headers.
//!
//! Pure functions, shared by the proxy and its tests.

/// How a route joins its service's path and the request path (Kong's `path_handling`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PathHandling {
    /// Kong's default: service path and rest are joined as path segments, with a `/`
    /// (`/s` + `req` is `/s/req`); a request ending in `/` keeps its trailing slash.
    #[default]
    V0,
    /// Kong's older rule (its `traditional` router): service path and rest are
    /// concatenated (`/s` + `req` is `/sreq`), only a double `/` at the junction merged.
    V1,
}

/// The upstream path (with query) for a (normalised) request path, per Kong's
/// `strip_path` (`matched_len` bytes removed) and `path_handling`; `service_path`
/// `None` (or empty) is Kong's `/`. Kong's `router_path_handling_tests` fixture is the
/// specification (every row is in `tests/path_handling.rs`).
pub fn upstream_path(
    request_path: &str,
    query: Option<&str>,
    matched_len: usize,
    strip_path: bool,
    service_path: Option<&str>,
    handling: PathHandling,
) -> String {
    let base = service_path.filter(|p| !p.is_empty()).unwrap_or("/");
    // A route without paths matched Kong's implicit prefix `/`.
    let postfix = sanitize_rest(request_path.get(matched_len.max(1)..).unwrap_or(""));
    let mut path = match handling {
        PathHandling::V0 => join_v0(base, postfix, request_path, strip_path),
        PathHandling::V1 => join_v1(base, postfix, request_path, strip_path),
    };
    if let Some(query) = query {
        path.push('?');
        path.push_str(query);
    }
    path
}

/// What is left after a prefix was stripped can start inside a segment (`/api` matches
/// `/api../x`): a leading `.` or `..` segment there would climb out of the service path
/// once joined, so it is dropped, as Kong does (Kong drops one; this drops them all).
fn sanitize_rest(rest: &str) -> &str {
    let mut rest = rest;
    loop {
        if rest == "." || rest == ".." {
            return "";
        }
        match rest.strip_prefix("../").or_else(|| rest.strip_prefix("./")) {
            Some(shorter) => rest = shorter,
            None => return rest,
        }
    }
}

/// `base` less its trailing `/` (for joining with a rest that starts with one).
fn without_last_slash(base: &str) -> &str {
    base.strip_suffix('/').unwrap_or(base)
}

/// Kong's v0: segments joined with one `/`; with nothing left after stripping, the
/// service path's trailing `/` follows the request's (`/s/` for `/route` is `/s`, `/s`
/// for `/route/` is `/s/`).
fn join_v0(base: &str, postfix: &str, request: &str, strip_path: bool) -> String {
    let base_slash = base.ends_with('/');
    match (strip_path, base_slash) {
        (true, true) if postfix.is_empty() => {
            if base == "/" || request.ends_with('/') {
                base.to_owned()
            } else {
                without_last_slash(base).to_owned()
            }
        }
        (true, true) if postfix.starts_with('/') => {
            format!("{}{postfix}", without_last_slash(base))
        }
        (true, true) => format!("{base}{postfix}"),
        (true, false) if postfix.is_empty() => {
            if request.len() > 1 && request.ends_with('/') {
                format!("{base}/")
            } else {
                base.to_owned()
            }
        }
        (true, false) if postfix.starts_with('/') => format!("{base}{postfix}"),
        (true, false) => format!("{base}/{postfix}"),
        (false, true) => format!("{base}{}", request.get(1..).unwrap_or("")),
        (false, false) if request == "/" => base.to_owned(),
        (false, false) => format!("{base}{request}"),
    }
}

/// Kong's v1: the rest is appended as is (a double `/` at the junction merged); without
/// `strip_path` the whole request path less its leading `/`.
fn join_v1(base: &str, postfix: &str, request: &str, strip_path: bool) -> String {
    if !strip_path {
        return format!("{base}{}", request.get(1..).unwrap_or(""));
    }
    if base.ends_with('/') && postfix.starts_with('/') {
        format!("{}{postfix}", without_last_slash(base))
    } else {
        format!("{base}{postfix}")
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
            upstream_path("/oidc-route/get", None, 11, true, None, PathHandling::V0),
            "/get"
        );
        assert_eq!(
            upstream_path("/oidc-route", None, 11, true, None, PathHandling::V0),
            "/"
        );
        assert_eq!(
            upstream_path("/oidc-routex", None, 11, true, None, PathHandling::V0),
            "/x"
        );
        assert_eq!(
            upstream_path(
                "/oidc-route/get",
                Some("a=1"),
                11,
                false,
                None,
                PathHandling::V0
            ),
            "/oidc-route/get?a=1"
        );
    }

    #[test]
    fn service_path_is_joined() {
        assert_eq!(
            upstream_path("/r/get", None, 2, true, Some("/anything"), PathHandling::V0),
            "/anything/get"
        );
        assert_eq!(
            upstream_path(
                "/r/get",
                None,
                2,
                true,
                Some("/anything/"),
                PathHandling::V0
            ),
            "/anything/get"
        );
        assert_eq!(
            upstream_path("/r", None, 2, true, Some("/anything"), PathHandling::V0),
            "/anything"
        );
    }

    /// Kong's documented path_handling rows and the dot-segment cases: (service path,
    /// route path, strip_path, handling, request path, upstream path). Every row of
    /// Kong's own fixture is in `tests/path_handling.rs`.
    #[test]
    fn path_handling_table() {
        use PathHandling::{V0, V1};
        let table = [
            ("/s", "/fv0", false, V0, "/fv0req", "/s/fv0req"),
            ("/s", "/fv1", false, V1, "/fv1req", "/sfv1req"),
            ("/s", "/tv0", true, V0, "/tv0req", "/s/req"),
            ("/s", "/tv1", true, V1, "/tv1req", "/sreq"),
            ("/s", "/fv0/", false, V0, "/fv0/req", "/s/fv0/req"),
            ("/s", "/fv1/", false, V1, "/fv1/req", "/sfv1/req"),
            ("/s", "/tv0/", true, V0, "/tv0/req", "/s/req"),
            ("/s", "/tv1/", true, V1, "/tv1/req", "/sreq"),
            // Joins at a trailing slash, exact matches and a missing service path.
            ("/s/", "/tv0", true, V0, "/tv0/req", "/s/req"),
            ("/s/", "/tv1", true, V1, "/tv1/req", "/s/req"),
            ("/s/", "/fv1", false, V1, "/fv1req", "/s/fv1req"),
            ("/s", "/tv0", true, V0, "/tv0", "/s"),
            ("/s", "/tv1", true, V1, "/tv1", "/s"),
            ("/", "/tv0", true, V0, "/tv0/req", "/req"),
            ("/", "/tv1", true, V1, "/tv1/req", "/req"),
            ("/", "/fv1", false, V1, "/fv1/req", "/fv1/req"),
            ("", "/tv0", true, V0, "/tv0", "/"),
            ("", "/tv1", true, V1, "/tv1req", "/req"),
            ("", "/fv1", false, V1, "/fv1/req", "/fv1/req"),
            // Nothing left to append: the trailing slash follows the request.
            ("/s", "/", false, V0, "/", "/s"),
            ("/s/", "/tv0", true, V0, "/tv0", "/s"),
            ("/s", "/tv0/", true, V0, "/tv0/", "/s/"),
            // A prefix ends inside a segment: dot segments after it never climb out.
            (
                "/public/v1",
                "/api",
                true,
                V0,
                "/api../internal",
                "/public/v1/internal",
            ),
            ("/public/v1", "/api", true, V0, "/api..", "/public/v1"),
            ("/public/v1", "/api", true, V0, "/api./../x", "/public/v1/x"),
            ("/public/v1/", "/api", true, V1, "/api../x", "/public/v1/x"),
            ("/public/v1", "/api", true, V0, "/api..x", "/public/v1/..x"),
        ];
        for (service, route, strip, handling, request, want) in table {
            let service = Some(service).filter(|s| !s.is_empty());
            let got = upstream_path(request, Some("q=1"), route.len(), strip, service, handling);
            assert_eq!(
                got,
                format!("{want}?q=1"),
                "{service:?} {route} {strip} {handling:?} {request}"
            );
        }
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
