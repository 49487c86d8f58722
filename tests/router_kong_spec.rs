//! The cases of Kong's router unit spec (`spec/01-unit/08-router_spec.lua`, `select()`,
//! `[uri prefix]`, `[uri regex]`, `[wildcard host]`, `[headers]`) that apply to the
//! `traditional_compatible` flavour, with Kong's route ids: hosts with ports, the
//! request's port (Host header, else the listener's), plain before wildcard hosts,
//! headers, methods, regex and prefix paths, and ties (greater id first).

use http::{HeaderMap, HeaderValue};
use oidc_gateway::router::{Request, RouteSpec, Router};

/// Kong's spec ids: `e8fb37f1-102d-461e-9c51-6608a6bb81NN`.
fn kong_id(n: u8) -> String {
    format!("e8fb37f1-102d-461e-9c51-6608a6bb81{n:02}")
}

fn owned(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Route `n` (Kong's numbering) with Kong's id.
fn route(n: u8, build: impl FnOnce(&mut RouteSpec)) -> (u8, RouteSpec) {
    let mut spec = RouteSpec {
        id: Some(kong_id(n)),
        ..RouteSpec::default()
    };
    build(&mut spec);
    (n, spec)
}

fn header(name: &'static str, values: &[&'static str]) -> (&'static str, Vec<&'static str>) {
    (name, values.to_vec())
}

/// A request: method, Host header, path, headers (each possibly sent several times),
/// listener port.
struct Req {
    method: &'static str,
    host: Option<&'static str>,
    path: &'static str,
    headers: Vec<(&'static str, Vec<&'static str>)>,
    local_port: Option<u16>,
}

fn get(host: Option<&'static str>, path: &'static str) -> Req {
    Req {
        method: "GET",
        host,
        path,
        headers: Vec::new(),
        local_port: None,
    }
}

impl Req {
    fn method(self, method: &'static str) -> Req {
        Req { method, ..self }
    }
    fn headers(self, headers: Vec<(&'static str, Vec<&'static str>)>) -> Req {
        Req { headers, ..self }
    }
    fn on_port(self, port: u16) -> Req {
        Req {
            local_port: Some(port),
            ..self
        }
    }
}

/// Kong's number of the route `req` matches in `routes`.
fn winner(routes: &[(u8, RouteSpec)], req: &Req) -> Option<u8> {
    let specs: Vec<RouteSpec> = routes.iter().map(|(_, s)| s.clone()).collect();
    let router = Router::new(&specs).expect("router builds");
    let mut map = HeaderMap::new();
    for (name, values) in &req.headers {
        for value in values {
            map.append(*name, HeaderValue::from_static(value));
        }
    }
    let found = router.route(&Request {
        method: req.method,
        host: req.host,
        path: req.path,
        headers: Some(&map),
        sni: None,
        local_port: req.local_port,
    })?;
    Some(routes[found.route].0)
}

/// Checks every case, with the routes as declared and in reverse order (Kong's answers
/// never depend on the order of the list).
fn check(routes: &[(u8, RouteSpec)], cases: &[(Req, Option<u8>)]) {
    let mut reversed = routes.to_vec();
    reversed.reverse();
    for (req, want) in cases {
        for list in [routes, &reversed[..]] {
            assert_eq!(
                winner(list, req),
                *want,
                "{} {:?} {} {:?} port {:?}",
                req.method,
                req.host,
                req.path,
                req.headers,
                req.local_port
            );
        }
    }
}

/// The fifteen routes of Kong's `select()` block.
fn select_routes() -> Vec<(u8, RouteSpec)> {
    let domains = || owned(&["domain-1.org", "domain-2.org"]);
    let location = |values: &[&str]| ("location".to_owned(), owned(values));
    vec![
        route(1, |s| s.hosts = domains()),
        route(2, |s| s.methods = owned(&["TRACE"])),
        route(3, |s| s.paths = owned(&["/my-route"])),
        route(4, |s| {
            s.paths = owned(&["/route-4"]);
            s.hosts = domains();
        }),
        route(5, |s| {
            s.hosts = domains();
            s.methods = owned(&["POST", "PUT", "PATCH"]);
        }),
        route(6, |s| {
            s.methods = owned(&["POST", "PUT", "PATCH"]);
            s.paths = owned(&["/route-6"]);
        }),
        route(7, |s| {
            s.hosts = owned(&["domain-with-uri-1.org", "domain-with-uri-2.org"]);
            s.methods = owned(&["POST", "PUT", "PATCH"]);
            s.paths = owned(&["/my-route-uri"]);
        }),
        // Kong's serviceless route: routed like any other.
        route(8, |s| s.paths = owned(&["/serviceless"])),
        route(9, |s| {
            s.headers = vec![location(&["my-location-1", "my-location-2"])]
        }),
        route(10, |s| {
            s.headers = vec![
                location(&["my-location-1"]),
                ("version".to_owned(), owned(&["v1", "v2"])),
            ]
        }),
        route(11, |s| {
            s.headers = vec![location(&["my-location-1", "my-location-2"])];
            s.paths = owned(&["/headers-uri"]);
        }),
        route(12, |s| {
            s.hosts = owned(&["domain-with-headers-1.org", "domain-with-headers-2.org"]);
            s.headers = vec![location(&["my-location-1", "my-location-2"])];
            s.methods = owned(&["POST", "PUT", "PATCH"]);
            s.paths = owned(&["/headers-host-uri-method"]);
        }),
        route(13, |s| {
            s.hosts = owned(&["domain-1.org:321", "domain-2.org"])
        }),
        route(14, |s| s.hosts = owned(&["domain-3.org:321"])),
        route(15, |s| {
            s.headers = vec![(
                "user-agent".to_owned(),
                owned(&["~*windows|linux|os\\s+x\\s*[\\d\\._]+|solaris|bsd"]),
            )]
        }),
    ]
}

#[test]
fn select_block() {
    let location = |values: &[&'static str]| header("location", values);
    let cases = [
        (get(Some("domain-1.org"), "/"), Some(1)),
        // "[host] ignores default port", "weird port matches no-port route".
        (get(Some("domain-1.org:80"), "/"), Some(1)),
        (get(Some("domain-1.org:123"), "/"), Some(1)),
        // "[host] matches specific port", also on a port-only route.
        (get(Some("domain-1.org:321"), "/"), Some(13)),
        (get(Some("domain-3.org:321"), "/"), Some(14)),
        // "fails just because of port on port-only route".
        (get(Some("domain-3.org:123"), "/"), None),
        // The port is the listener's when the Host header has none (`net.dst.port`).
        (get(Some("domain-3.org"), "/").on_port(321), Some(14)),
        (get(Some("domain-3.org"), "/").on_port(8000), None),
        (get(Some("domain-3.org"), "/"), None),
        (get(Some("domain-1.org"), "/").on_port(321), Some(13)),
        (get(Some("domain.org"), "/my-route"), Some(3)),
        // "[uri + empty host]".
        (get(None, "/my-route-uri"), Some(3)),
        (get(Some(""), "/my-route-uri"), Some(3)),
        (get(Some("domain.org"), "/").method("TRACE"), Some(2)),
        (get(Some("domain-1.org"), "/route-4"), Some(4)),
        (get(Some("domain-1.org"), "/").method("POST"), Some(5)),
        (get(Some("domain.org"), "/route-6").method("PUT"), Some(6)),
        (
            get(Some("domain-with-uri-2.org"), "/my-route-uri").method("PUT"),
            Some(7),
        ),
        (get(None, "/serviceless"), Some(8)),
        // "single [headers] value".
        (
            get(None, "/").headers(vec![location(&["my-location-1"])]),
            Some(9),
        ),
        (
            get(None, "/").headers(vec![location(&["my-location-2"])]),
            Some(9),
        ),
        (
            get(None, "/").headers(vec![location(&["my-location-3", "my-location-2"])]),
            Some(9),
        ),
        (
            get(None, "/").headers(vec![location(&["my-location-3"])]),
            None,
        ),
        (
            get(None, "/").headers(vec![location(&["my-location-3", "foo"])]),
            None,
        ),
        (
            get(None, "/").headers(vec![header(
                "user-agent",
                &["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"],
            )]),
            Some(15),
        ),
        // "multiple [headers] values": more header names first, else fall back to 9.
        (
            get(None, "/").headers(vec![
                location(&["my-location-1"]),
                header("version", &["v1"]),
            ]),
            Some(10),
        ),
        (
            get(None, "/").headers(vec![
                location(&["my-location-1"]),
                header("version", &["v2"]),
            ]),
            Some(10),
        ),
        (
            get(None, "/").headers(vec![
                location(&["my-location-3", "my-location-1"]),
                header("version", &["v2"]),
            ]),
            Some(10),
        ),
        (
            get(None, "/").headers(vec![
                location(&["my-location-3", "my-location-2"]),
                header("version", &["v2"]),
            ]),
            Some(9),
        ),
        (
            get(None, "/headers-uri").headers(vec![location(&["my-location-2"])]),
            Some(11),
        ),
        (
            get(
                Some("domain-with-headers-1.org"),
                "/headers-host-uri-method",
            )
            .method("PUT")
            .headers(vec![location(&["my-location-2"])]),
            Some(12),
        ),
    ];
    check(&select_routes(), &cases);
}

#[test]
fn uri_prefix_blocks() {
    // "does not supersede another route with a longer [uri]", alone and with the same
    // methods or hosts on both routes.
    for extra in [
        |_: &mut RouteSpec| {},
        |s: &mut RouteSpec| s.methods = owned(&["POST", "PUT", "GET"]),
        |s: &mut RouteSpec| s.hosts = owned(&["domain.org"]),
    ] {
        let routes = [
            route(1, |s| {
                s.paths = owned(&["/my-route/hello"]);
                extra(s);
            }),
            route(2, |s| {
                s.paths = owned(&["/my-route"]);
                extra(s);
            }),
        ];
        let cases = [
            (get(Some("domain.org"), "/my-route/hello"), Some(1)),
            (get(Some("domain.org"), "/my-route/hello/world"), Some(1)),
            (get(Some("domain.org"), "/my-route"), Some(2)),
            (get(Some("domain.org"), "/my-route/world"), Some(2)),
        ];
        check(&routes, &cases);
    }
    // "... when a better [uri] match exists for another [host]".
    let routes = [
        route(1, |s| {
            s.hosts = owned(&["example.com"]);
            s.paths = owned(&["/my-route"]);
        }),
        route(2, |s| {
            s.hosts = owned(&["example.com"]);
            s.paths = owned(&["/my-route/hello"]);
        }),
        route(3, |s| {
            s.hosts = owned(&["example.net"]);
            s.paths = owned(&["/my-route/hello/world"]);
        }),
    ];
    let cases = [
        (get(Some("example.com"), "/my-route/hello/world"), Some(2)),
        (
            get(Some("example.com"), "/my-route/hello/world/and/goodnight"),
            Some(2),
        ),
    ];
    check(&routes, &cases);
}

#[test]
fn uri_regex_blocks() {
    let routes = [
        route(1, |s| s.paths = owned(&["~/route/persons/\\d{3}"])),
        route(2, |s| {
            s.paths = owned(&["~/route/persons/\\d{3}/following"])
        }),
        route(3, |s| s.paths = owned(&["~/route/persons/\\d{3}/[a-z]+"])),
    ];
    check(
        &routes,
        &[(get(Some("domain.org"), "/route/persons/456"), Some(1))],
    );

    // A regex beats a prefix match, even an exact one.
    let routes = [
        route(1, |s| s.paths = owned(&["/route/persons"])),
        route(2, |s| s.paths = owned(&["~/route/persons/\\d+/profile"])),
    ];
    check(
        &routes,
        &[(
            get(Some("domain.org"), "/route/persons/123/profile"),
            Some(2),
        )],
    );
    let routes = [
        route(1, |s| s.paths = owned(&["/route/fixture"])),
        route(2, |s| s.paths = owned(&["~/route/(fixture)"])),
    ];
    check(
        &routes,
        &[(get(Some("domain.org"), "/route/fixture"), Some(2))],
    );

    // "[uri regex + host] even if a [prefix uri] got a match" (route 2 needs POST).
    let routes = [
        route(1, |s| {
            s.hosts = owned(&["route.com"]);
            s.paths = owned(&["/pat"]);
        }),
        route(2, |s| {
            s.hosts = owned(&["route.com"]);
            s.paths = owned(&["/path"]);
            s.methods = owned(&["POST"]);
        }),
        route(3, |s| {
            s.hosts = owned(&["route.com"]);
            s.paths = owned(&["~/(path)"]);
        }),
    ];
    check(&routes, &[(get(Some("route.com"), "/path"), Some(3))]);

    // Anchored at the start of the path.
    let routes = [route(1, |s| s.paths = owned(&["~/prefix/[0-9]+"]))];
    check(
        &routes,
        &[
            (get(Some("domain.org"), "/prefix/123"), Some(1)),
            (get(Some("domain.org"), "/extra/prefix/123"), None),
        ],
    );

    // "[wildcard host] + [uri regex]".
    let routes = [
        route(1, |s| {
            s.hosts = owned(&["*.example.com"]);
            s.paths = owned(&["~/users/\\d+/profile"]);
        }),
        route(2, |s| {
            s.hosts = owned(&["*.example.com"]);
            s.paths = owned(&["/users"]);
        }),
    ];
    check(
        &routes,
        &[
            (get(Some("test.example.com"), "/users/123/profile"), Some(1)),
            (get(Some("test.example.com"), "/users"), Some(2)),
        ],
    );
}

fn wildcard_routes() -> Vec<(u8, RouteSpec)> {
    vec![
        route(1, |s| s.hosts = owned(&["*.route.com"])),
        route(2, |s| s.hosts = owned(&["route.*"])),
    ]
}

#[test]
fn wildcard_host_blocks() {
    check(
        &wildcard_routes(),
        &[
            (get(Some("foo.route.com"), "/"), Some(1)),
            (get(Some("route.org"), "/"), Some(2)),
            // "matches any port in request".
            (get(Some("route.org:123"), "/"), Some(2)),
            (get(Some("foo.route.com:123"), "/"), Some(1)),
        ],
    );

    // "matches port-specific routes": the right port, not another, and before the
    // any-port route.
    let mut routes = wildcard_routes();
    routes.push(route(3, |s| s.hosts = owned(&["*.route.net:123"])));
    routes.push(route(4, |s| s.hosts = owned(&["route.*:123"])));
    check(
        &routes,
        &[
            (get(Some("foo.route.net:123"), "/"), Some(3)),
            (get(Some("foo.route.net:456"), "/"), None),
            (get(Some("route.org:123"), "/"), Some(4)),
        ],
    );

    // "prefers port-specific even for http/https default port": explicit, or the
    // listener's port when the Host header has none.
    for port in [80, 443] {
        let mut routes = wildcard_routes();
        let pattern = format!("route.*:{port}");
        routes.push(route(3, |s| s.hosts = vec![pattern]));
        let host: &'static str = if port == 80 {
            "route.org:80"
        } else {
            "route.org:443"
        };
        check(
            &routes,
            &[
                (get(Some("route.org:123"), "/"), Some(2)),
                (get(Some(host), "/"), Some(3)),
                (get(Some("route.org"), "/").on_port(port), Some(3)),
                (get(Some("route.org"), "/").on_port(8000), Some(2)),
            ],
        );
    }

    // "does not take precedence over a plain host".
    let mut routes = wildcard_routes();
    routes.insert(0, route(3, |s| s.hosts = owned(&["plain.route.com"])));
    routes.push(route(4, |s| s.hosts = owned(&["route.com"])));
    check(
        &routes,
        &[
            (get(Some("route.com"), "/"), Some(4)),
            (get(Some("route.org"), "/"), Some(2)),
            (get(Some("plain.route.com"), "/"), Some(3)),
            (get(Some("foo.route.com"), "/"), Some(1)),
        ],
    );

    // "[wildcard host + path] even if a similar [plain host] exists", and the reverse.
    let routes = [
        route(1, |s| {
            s.hosts = owned(&["*.route.com"]);
            s.paths = owned(&["/path1"]);
        }),
        route(2, |s| {
            s.hosts = owned(&["plain.route.com"]);
            s.paths = owned(&["/path2"]);
        }),
    ];
    check(
        &routes,
        &[
            (get(Some("plain.route.com"), "/path1"), Some(1)),
            (get(Some("plain.route.com"), "/path2"), Some(2)),
        ],
    );

    // "[wildcard host port] > [wildcard host]".
    let routes = [
        route(1, |s| s.hosts = owned(&["route.*"])),
        route(2, |s| s.hosts = owned(&["route.*:80", "route.com.*"])),
    ];
    check(&routes, &[(get(Some("route.org:80"), "/"), Some(2))]);

    // "a [wildcard host + port] even if a [wildcard host] matched", explicit port or
    // the listener's.
    let routes = [
        route(1, |s| s.hosts = owned(&["route.*"])),
        route(2, |s| s.hosts = owned(&["route.*:123"])),
        route(3, |s| s.hosts = owned(&["route.*:80"])),
    ];
    check(
        &routes,
        &[
            (get(Some("route.org:123"), "/"), Some(2)),
            (get(Some("route.org"), "/").on_port(80), Some(3)),
        ],
    );

    // "[wildcard/plain + uri + method]".
    let mut routes = select_routes();
    routes.push(route(16, |s| {
        s.hosts = owned(&["*.domain.com", "example.com"]);
        s.paths = owned(&["/path"]);
        s.methods = owned(&["GET", "TRACE"]);
    }));
    check(
        &routes,
        &[
            (get(Some("foo.domain.com"), "/path").method("POST"), None),
            (get(Some("foo.domain.com"), "/path"), Some(16)),
            (get(Some("example.com"), "/path").method("TRACE"), Some(16)),
        ],
    );
}

#[test]
fn headers_blocks() {
    // "evaluates Routes with more [headers] first".
    let routes = [
        route(1, |s| {
            s.headers = vec![
                ("version".to_owned(), owned(&["v1", "v2"])),
                ("user-agent".to_owned(), owned(&["foo", "bar"])),
            ]
        }),
        route(2, |s| {
            s.headers = vec![
                ("version".to_owned(), owned(&["v1", "v2"])),
                ("user-agent".to_owned(), owned(&["foo", "bar"])),
                ("location".to_owned(), owned(&["east", "west"])),
            ]
        }),
    ];
    check(
        &routes,
        &[(
            get(None, "/").headers(vec![
                header("version", &["v1"]),
                header("user-agent", &["foo"]),
                header("location", &["north", "west"]),
            ]),
            Some(2),
        )],
    );
    // "names are case-insensitive", "matches values in a case-insensitive way".
    let routes = [
        route(1, |s| {
            s.headers = vec![("USER-AGENT".to_owned(), owned(&["foo", "bar"]))]
        }),
        route(2, |s| {
            s.headers = vec![("user-agent".to_owned(), owned(&["BAZ"]))]
        }),
    ];
    check(
        &routes,
        &[
            (
                get(None, "/").headers(vec![header("user-agent", &["FOO"])]),
                Some(1),
            ),
            (
                get(None, "/").headers(vec![header("user-agent", &["baz"])]),
                Some(2),
            ),
        ],
    );
}

/// Equal priority: Kong's ATC router tries the greater route id first; routes without
/// an id (Kong would generate one) come after, in declaration order.
#[test]
fn ties_go_to_the_greater_id() {
    let same = |s: &mut RouteSpec| s.paths = owned(&["/same"]);
    let routes = [route(1, same), route(2, same), route(3, same)];
    check(&routes, &[(get(None, "/same/x"), Some(3))]);

    let unnamed = |n: u8| {
        let (_, mut spec) = route(n, same);
        spec.id = None;
        (n, spec)
    };
    let routes = [unnamed(7), route(1, same), unnamed(8)];
    assert_eq!(winner(&routes, &get(None, "/same")), Some(1));
    let routes = [unnamed(7), unnamed(8)];
    assert_eq!(winner(&routes, &get(None, "/same")), Some(7));
    let routes = [unnamed(8), unnamed(7)];
    assert_eq!(winner(&routes, &get(None, "/same")), Some(8));

    // A port-specific host wins a tie whatever the ids (Kong's `traditional` rule; its
    // spec cases agree under every flavour).
    let routes = [
        route(9, |s| s.hosts = owned(&["route.*"])),
        route(1, |s| s.hosts = owned(&["route.*:123"])),
    ];
    check(&routes, &[(get(Some("route.org:123"), "/"), Some(1))]);
    // Ties only: more fields still win over a port.
    let routes = [
        route(1, |s| s.hosts = owned(&["route.*:123"])),
        route(2, |s| {
            s.hosts = owned(&["route.*"]);
            s.methods = owned(&["GET"]);
        }),
    ];
    check(&routes, &[(get(Some("route.org:123"), "/"), Some(2))]);
}
