//! How a matched request is rewritten for its service: path, Host and forwarding headers.
//!
//! Pure functions, shared by the proxy and its tests.

/// How a route joins its service's path and the request path (Kong's `path_handling`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PathHandling {
    /// Kong's default: service path and rest are joined as path segments, with a `/`.
    #[default]
    V0,
    /// Service path and rest are concatenated: the rest loses its leading `/` (so
    /// `/s` + `/fv1req` is `/sfv1req`, as in Kong's table). A double slash at the
    /// junction is merged in both versions.
    V1,
}

/// The upstream path (with query) for a (normalised) request path, per Kong's
/// `strip_path` (`matched_len` bytes removed) and `path_handling`.
pub fn upstream_path(
    request_path: &str,
    query: Option<&str>,
    matched_len: usize,
    strip_path: bool,
    service_path: Option<&str>,
    handling: PathHandling,
) -> String {
    let rest = if strip_path {
        sanitize_rest(request_path.get(matched_len..).unwrap_or(""))
    } else {
        request_path
    };
    let request_ends_with_slash = request_path.ends_with('/');
    let mut path = match (service_path, handling) {
        (None | Some(""), _) => {
            if rest.starts_with('/') {
                rest.to_owned()
            } else {
                format!("/{rest}")
            }
        }
        (Some(base), PathHandling::V0) => join(base, rest, request_ends_with_slash),
        (Some(base), PathHandling::V1) => concat(base, rest),
    };
    if let Some(query) = query {
        path.push('?');
        path.push_str(query);
    }
    path
}

/// What is left after a prefix was stripped can start inside a segment (`/api` matches
/// `/api../x`): a leading `.` or `..` segment there would climb out of the service path
/// once joined, so it is dropped, as Kong does.
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

/// v0 joining. With nothing left to append, the service path's trailing `/` follows the
/// request's (Kong: `/s/` for `/tv0` is `/s`, `/s` for `/tv0/` is `/s/`).
fn join(base: &str, rest: &str, request_ends_with_slash: bool) -> String {
    if rest.is_empty() {
        return match (base.ends_with('/'), request_ends_with_slash) {
            (true, false) if base.len() > 1 => base[..base.len() - 1].to_owned(),
            (false, true) => format!("{base}/"),
            _ => base.to_owned(),
        };
    }
    if rest == "/" {
        return base.to_owned();
    }
    match (base.ends_with('/'), rest.starts_with('/')) {
        (true, true) => format!("{base}{}", &rest[1..]),
        (false, false) => format!("{base}/{rest}"),
        _ => format!("{base}{rest}"),
    }
}

fn concat(base: &str, rest: &str) -> String {
    format!("{base}{}", rest.strip_prefix('/').unwrap_or(rest))
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

    /// Kong's path_handling table: (service path, route path, strip_path, handling,
    /// request path, upstream path); the first eight rows are Kong's documented ones.
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
