//! Route matching: finds the route for a request's method, host and path, Kong-style.
//!
//! Paths are plain prefixes (`/oidc-route` also matches `/oidc-routex`, as in Kong).
//! Precedence: routes using more of {hosts, methods} first, then the longest matching
//! path prefix, then declaration order. Candidates are sorted once at construction, so
//! `find` walks a list and allocates nothing; the first candidate that matches wins.

/// What a route matches on, as compiled from the config. Empty lists match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteSpec {
    /// Exact method names (`GET`).
    pub methods: Vec<String>,
    /// Exact host names, or one leading (`*.example.com`) or trailing (`example.*`) `*`.
    pub hosts: Vec<String>,
    /// Path prefixes, each starting with `/`.
    pub paths: Vec<String>,
}

/// The route a request matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteMatch {
    /// Index of the route in the list given to [`Router::new`] (= `CompiledConfig::routes`).
    pub route: usize,
    /// Bytes of the request path matched by the route's path prefix (0 without paths).
    pub matched_path_len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    /// `*.example.com`: stores `.example.com`.
    Suffix(String),
    /// `example.*`: stores `example.`.
    Prefix(String),
}

impl HostPattern {
    fn new(host: &str) -> HostPattern {
        let host = host.to_ascii_lowercase();
        if let Some(suffix) = host.strip_prefix('*') {
            HostPattern::Suffix(suffix.to_owned())
        } else if let Some(prefix) = host.strip_suffix('*') {
            HostPattern::Prefix(prefix.to_owned())
        } else {
            HostPattern::Exact(host)
        }
    }

    /// Patterns with a port compare the whole Host header; others ignore its port.
    fn matches(&self, host_header: &str) -> bool {
        let (pattern, has_port) = match self {
            HostPattern::Exact(p) | HostPattern::Suffix(p) | HostPattern::Prefix(p) => {
                (p.as_str(), p.contains(':'))
            }
        };
        let host = if has_port {
            host_header
        } else {
            strip_port(host_header)
        };
        match self {
            HostPattern::Exact(_) => host.eq_ignore_ascii_case(pattern),
            HostPattern::Suffix(_) => {
                host.len() > pattern.len()
                    && host.is_char_boundary(host.len() - pattern.len())
                    && host[host.len() - pattern.len()..].eq_ignore_ascii_case(pattern)
            }
            HostPattern::Prefix(_) => {
                host.len() > pattern.len()
                    && host.is_char_boundary(pattern.len())
                    && host[..pattern.len()].eq_ignore_ascii_case(pattern)
            }
        }
    }
}

/// `example.com:8000` -> `example.com`; `[::1]:80` -> `[::1]`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// One (route, path) pair; a route without paths has one candidate with an empty path.
#[derive(Debug, Clone)]
struct Candidate {
    route: usize,
    path: String,
    /// How many of {hosts, methods} the route uses.
    fields: usize,
}

/// Immutable route table; see the module documentation for precedence.
#[derive(Debug, Clone, Default)]
pub struct Router {
    candidates: Vec<Candidate>,
    methods: Vec<Vec<String>>,
    hosts: Vec<Vec<HostPattern>>,
}

impl Router {
    /// Builds the table; route `i` of `routes` is reported as `RouteMatch { route: i, .. }`.
    pub fn new(routes: &[RouteSpec]) -> Router {
        let mut candidates = Vec::new();
        for (route, spec) in routes.iter().enumerate() {
            let fields =
                usize::from(!spec.hosts.is_empty()) + usize::from(!spec.methods.is_empty());
            if spec.paths.is_empty() {
                candidates.push(Candidate {
                    route,
                    path: String::new(),
                    fields,
                });
            }
            for path in &spec.paths {
                candidates.push(Candidate {
                    route,
                    path: path.clone(),
                    fields,
                });
            }
        }
        // Stable sort: equal keys keep declaration order (route, then path order).
        candidates.sort_by(|a, b| {
            b.fields
                .cmp(&a.fields)
                .then(b.path.len().cmp(&a.path.len()))
                .then(a.route.cmp(&b.route))
        });
        Router {
            candidates,
            methods: routes.iter().map(|r| r.methods.clone()).collect(),
            hosts: routes
                .iter()
                .map(|r| r.hosts.iter().map(|h| HostPattern::new(h)).collect())
                .collect(),
        }
    }

    /// The best route for a request, or `None` (Kong answers 404).
    pub fn find(&self, method: &str, host: Option<&str>, path: &str) -> Option<RouteMatch> {
        self.candidates
            .iter()
            .find(|c| {
                path.as_bytes().starts_with(c.path.as_bytes())
                    && self.method_matches(c.route, method)
                    && self.host_matches(c.route, host)
            })
            .map(|c| RouteMatch {
                route: c.route,
                matched_path_len: c.path.len(),
            })
    }

    /// Number of routes the router was built with.
    pub fn len(&self) -> usize {
        self.methods.len()
    }

    pub fn is_empty(&self) -> bool {
        self.methods.is_empty()
    }

    fn method_matches(&self, route: usize, method: &str) -> bool {
        match self.methods.get(route) {
            Some(methods) => methods.is_empty() || methods.iter().any(|m| m == method),
            None => false,
        }
    }

    fn host_matches(&self, route: usize, host: Option<&str>) -> bool {
        match (self.hosts.get(route), host) {
            (Some(hosts), _) if hosts.is_empty() => true,
            (Some(hosts), Some(host)) => hosts.iter().any(|p| p.matches(host)),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(methods: &[&str], hosts: &[&str], paths: &[&str]) -> RouteSpec {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        RouteSpec {
            methods: owned(methods),
            hosts: owned(hosts),
            paths: owned(paths),
        }
    }

    #[test]
    fn plain_prefixes_match_like_kong() {
        let router = Router::new(&[spec(&[], &[], &["/oidc-route"])]);
        for (path, hit) in [
            ("/oidc-route", true),
            ("/oidc-route/get", true),
            ("/oidc-routex", true),
            ("/oidc", false),
            ("/", false),
        ] {
            let found = router.find("GET", None, path);
            assert_eq!(found.is_some(), hit, "{path}");
            if let Some(m) = found {
                assert_eq!(m.matched_path_len, "/oidc-route".len());
            }
        }
    }

    /// (method, host, path, expected (route, matched_path_len)).
    type Case = (
        &'static str,
        Option<&'static str>,
        &'static str,
        Option<(usize, usize)>,
    );

    #[test]
    fn precedence_table() {
        let routes = [
            spec(&[], &[], &["/"]),                  // 0: catch-all
            spec(&[], &[], &["/api"]),               // 1
            spec(&[], &[], &["/api/v1", "/x"]),      // 2
            spec(&["POST"], &[], &["/api"]),         // 3: methods
            spec(&["GET"], &["Example.com"], &[]),   // 4: methods + hosts
            spec(&[], &["*.wild.org"], &["/w"]),     // 5: wildcard host
            spec(&[], &["api.*"], &[]),              // 6: trailing wildcard
            spec(&[], &[], &["/api"]),               // 7: same as 1, later
            spec(&[], &["port.test:8000"], &["/p"]), // 8: host with port
        ];
        let router = Router::new(&routes);
        let table: &[Case] = &[
            ("GET", None, "/", Some((0, 1))),
            ("GET", None, "/api/users", Some((1, 4))),
            ("GET", None, "/api/v1/users", Some((2, 7))),
            ("GET", None, "/xyz", Some((2, 2))),
            ("POST", None, "/api/v1/users", Some((3, 4))),
            ("GET", Some("example.COM:8080"), "/api", Some((4, 0))),
            ("POST", Some("example.com"), "/api", Some((3, 4))),
            ("GET", Some("a.wild.org"), "/w/1", Some((5, 2))),
            ("GET", Some("wild.org"), "/w/1", Some((0, 1))),
            ("GET", Some("api.local"), "/api", Some((6, 0))),
            ("GET", Some("port.test:8000"), "/p", Some((8, 2))),
            ("GET", Some("port.test"), "/p", Some((0, 1))),
            ("GET", None, "", None),
        ];
        for (method, host, path, want) in table {
            let got = router
                .find(method, *host, path)
                .map(|m| (m.route, m.matched_path_len));
            assert_eq!(got, *want, "{method} {host:?} {path}");
        }
    }

    #[test]
    fn hosts_required_when_route_has_hosts() {
        let router = Router::new(&[spec(&[], &["a.test"], &["/"])]);
        assert_eq!(router.find("GET", None, "/"), None);
        assert_eq!(router.find("GET", Some("b.test"), "/"), None);
        assert!(router.find("GET", Some("A.TEST"), "/").is_some());
        assert!(router.find("GET", Some("[::1]:80"), "/").is_none());
    }

    #[test]
    fn strip_port_handles_ipv6_and_names() {
        assert_eq!(strip_port("a.test:80"), "a.test");
        assert_eq!(strip_port("a.test"), "a.test");
        assert_eq!(strip_port("[::1]:80"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
    }

    #[test]
    fn empty_router_finds_nothing() {
        let router = Router::new(&[]);
        assert!(router.is_empty());
        assert_eq!(router.find("GET", Some("x"), "/"), None);
    }
}
