//! Kong `traditional_compatible` router rules through the public API: matching fields,
//! precedence (independent of declaration order), normalisation tricks, strip_path and
//! path_handling, protocols, and routers compiled from YAML.

use http::{HeaderMap, HeaderValue};
use oidc_gateway::config::{compile_declarative_str, CompiledConfig};
use oidc_gateway::router::Protocols;
use oidc_gateway::router::{
    normalize_path, protocol_check, ProtocolRedirect, Request, RouteSpec, Router,
};
use oidc_gateway::upstream_request::{upstream_path, PathHandling};

/// A route spec with an id, for tables.
#[derive(Clone)]
struct Named {
    id: &'static str,
    spec: RouteSpec,
}

fn owned(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Builds a spec from a compact description.
fn route(id: &'static str, build: impl FnOnce(&mut RouteSpec)) -> Named {
    let mut spec = RouteSpec::default();
    build(&mut spec);
    Named { id, spec }
}

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(*name, HeaderValue::from_static(value));
    }
    map
}

/// (method, host, path, headers, expected route id or None).
type Case = (
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static [(&'static str, &'static str)],
    Option<&'static str>,
);

/// Routes whose winners never depend on declaration order.
fn precedence_routes() -> Vec<Named> {
    vec![
        route("root", |s| s.paths = owned(&["/"])),
        route("api", |s| s.paths = owned(&["/api"])),
        route("api-v1", |s| s.paths = owned(&["/api/v1"])),
        route("regex-users", |s| s.paths = owned(&["~/api/v\\d+/users"])),
        route("regex-user-id", |s| {
            s.paths = owned(&["~/api/v1/users/(?<id>\\d+)"]);
            s.regex_priority = 5;
        }),
        route("post-api", |s| {
            s.methods = owned(&["POST"]);
            s.paths = owned(&["/api"]);
        }),
        route("host", |s| s.hosts = owned(&["example.com"])),
        route("wild", |s| {
            s.hosts = owned(&["*.example.com"]);
            s.paths = owned(&["/"]);
        }),
        route("wild-header", |s| {
            s.hosts = owned(&["*.example.com"]);
            s.headers = vec![("x-version".into(), owned(&["v2"]))];
        }),
        route("two-headers", |s| {
            s.paths = owned(&["/api"]);
            s.headers = vec![
                ("x-version".into(), owned(&["v2"])),
                ("x-tenant".into(), owned(&["acme", "~*^glob"])),
            ];
        }),
        route("one-header", |s| {
            s.paths = owned(&["/api"]);
            s.headers = vec![("X-Version".into(), owned(&["v2", "v3"]))];
        }),
        route("get-host", |s| {
            s.methods = owned(&["GET"]);
            s.hosts = owned(&["example.com"]);
        }),
        route("sni", |s| {
            s.snis = owned(&["secure.example.com"]);
            s.paths = owned(&["/"]);
        }),
        // Kong counts paths as a field: a host-only wildcard route ties with a path-only
        // route (one field each, no plain host), and then the path decides.
        route("wild-host-only", |s| s.hosts = owned(&["*.host-only.test"])),
        route("regex-files", |s| s.paths = owned(&["~/files/.*"])),
        route("prefix-files", |s| {
            s.paths = owned(&["/files/special/long/prefix"])
        }),
        route("wild-org-long", |s| {
            s.hosts = owned(&["*.example.org"]);
            s.paths = owned(&["/api/v1/longer"]);
        }),
        route("plain-org", |s| {
            s.hosts = owned(&["www.example.org"]);
            s.paths = owned(&["/"]);
        }),
        route("port-host", |s| s.hosts = owned(&["port.test:8000"])),
        route("trailing-wild", |s| {
            s.hosts = owned(&["api.*"]);
            s.paths = owned(&["/t"]);
        }),
    ]
}

const PRECEDENCE_CASES: &[Case] = &[
    ("GET", None, "/", &[], Some("root")),
    ("GET", None, "/apix", &[], Some("api")),
    ("GET", None, "/api/v1/x", &[], Some("api-v1")),
    ("GET", None, "/api/v2/users", &[], Some("regex-users")),
    ("GET", None, "/api/v1/users/42", &[], Some("regex-user-id")),
    // Regex paths are anchored at the start.
    ("GET", None, "/x/api/v2/users", &[], Some("root")),
    // A method is a priority point; a regex path is not.
    ("POST", None, "/api/v1/users/42", &[], Some("post-api")),
    (
        "GET",
        Some("example.com"),
        "/anything",
        &[],
        Some("get-host"),
    ),
    (
        "PUT",
        Some("EXAMPLE.com:8080"),
        "/anything",
        &[],
        Some("host"),
    ),
    (
        "GET",
        Some("a.example.com"),
        "/",
        &[("x-version", "v2")],
        Some("wild-header"),
    ),
    ("GET", Some("a.example.com"), "/", &[], Some("wild")),
    ("GET", Some("a.host-only.test"), "/", &[], Some("root")),
    ("GET", Some("example.com."), "/", &[], Some("root")),
    (
        "GET",
        None,
        "/api/x",
        &[("x-version", "v2"), ("x-tenant", "ACME")],
        Some("two-headers"),
    ),
    (
        "GET",
        None,
        "/api/x",
        &[("x-version", "v2"), ("x-tenant", "Globex")],
        Some("two-headers"),
    ),
    (
        "GET",
        None,
        "/api/x",
        &[("x-version", "V3"), ("x-tenant", "other")],
        Some("one-header"),
    ),
    ("GET", None, "/api/x", &[("x-version", "v4")], Some("api")),
    // Two points (methods + hosts) beat one (headers).
    (
        "GET",
        Some("example.com"),
        "/api",
        &[("x-version", "v2")],
        Some("get-host"),
    ),
    // Regex paths before prefix paths, however long the prefix.
    (
        "GET",
        None,
        "/files/special/long/prefix/x",
        &[],
        Some("regex-files"),
    ),
    // Plain hosts before wildcard hosts, however long the wildcard route's path.
    (
        "GET",
        Some("www.example.org"),
        "/api/v1/longer/x",
        &[],
        Some("plain-org"),
    ),
    (
        "GET",
        Some("a.example.org"),
        "/api/v1/longer/x",
        &[],
        Some("wild-org-long"),
    ),
    ("GET", Some("port.test:8000"), "/p", &[], Some("port-host")),
    ("GET", Some("port.test"), "/p", &[], Some("root")),
    ("GET", Some("api.local"), "/t/x", &[], Some("trailing-wild")),
    // An sni-only route never matches plain http.
    ("GET", Some("secure.example.net"), "/", &[], Some("root")),
    ("GET", None, "", &[], None),
];

fn winner(router: &Router, routes: &[Named], case: &Case) -> Option<&'static str> {
    let (method, host, path, pairs, _) = *case;
    let map = headers(pairs);
    let found = router.route(&Request {
        method,
        host,
        path,
        headers: Some(&map),
        sni: None,
    })?;
    Some(routes[found.route].id)
}

fn build(routes: &[Named]) -> Router {
    let specs: Vec<RouteSpec> = routes.iter().map(|r| r.spec.clone()).collect();
    Router::new(&specs).expect("router builds")
}

#[test]
fn precedence_table() {
    let routes = precedence_routes();
    let router = build(&routes);
    for case in PRECEDENCE_CASES {
        assert_eq!(winner(&router, &routes, case), case.4, "{case:?}");
    }
}

/// Deterministic xorshift64*, enough for shuffles.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

#[test]
fn precedence_does_not_depend_on_declaration_order() {
    let mut routes = precedence_routes();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..300 {
        rng.shuffle(&mut routes);
        let router = build(&routes);
        for case in PRECEDENCE_CASES {
            assert_eq!(
                winner(&router, &routes, case),
                case.4,
                "round {round}: {case:?}"
            );
        }
    }
}

#[test]
fn ties_go_to_the_first_declared() {
    let routes = vec![
        route("first", |s| s.paths = owned(&["/same"])),
        route("second", |s| s.paths = owned(&["/same"])),
        route("regex-a", |s| s.paths = owned(&["~/r/\\d+"])),
        route("regex-b", |s| s.paths = owned(&["~/r/.*"])),
        route("regex-c", |s| {
            s.paths = owned(&["~/r/.*"]);
            s.regex_priority = -1;
        }),
        route("multi", |s| s.paths = owned(&["/m", "/m"])),
    ];
    let router = build(&routes);
    let id = |path| router.find("GET", None, path).map(|m| routes[m.route].id);
    assert_eq!(id("/same/x"), Some("first"));
    assert_eq!(id("/r/1"), Some("regex-a"));
    assert_eq!(id("/r/x"), Some("regex-b"));
    let m = router.find("GET", None, "/m").expect("routed");
    assert_eq!(m.path_index, Some(0));
}

#[test]
fn regex_captures_and_strip_length() {
    let routes = precedence_routes();
    let router = build(&routes);
    let path = "/api/v1/users/42/orders";
    let found = router.find("GET", None, path).expect("routed");
    assert_eq!(routes[found.route].id, "regex-user-id");
    assert_eq!(found.matched_path_len, "/api/v1/users/42".len());
    assert_eq!(router.named_captures(&found, path), vec![("id", "42")]);
    let captures = router.captures(&found, path).expect("captures");
    assert_eq!(captures.name("id").map(|m| m.as_str()), Some("42"));
    assert_eq!(
        upstream_path(
            path,
            Some("a=1"),
            found.matched_path_len,
            true,
            None,
            Default::default()
        ),
        "/orders?a=1"
    );

    let python = Router::new(&[RouteSpec {
        paths: owned(&["~/v(?P<major>\\d+)/"]),
        ..RouteSpec::default()
    }])
    .expect("router builds");
    let found = python.find("GET", None, "/v3/x").expect("routed");
    assert_eq!(python.named_captures(&found, "/v3/x"), vec![("major", "3")]);
    let prefix = build(&routes).find("GET", None, "/apix").expect("routed");
    assert!(router.captures(&prefix, "/apix").is_none());
}

#[test]
fn snis_match_only_with_a_server_name() {
    let routes = precedence_routes();
    let router = build(&routes);
    let request = |sni| Request {
        method: "GET",
        host: None,
        path: "/",
        headers: None,
        sni,
    };
    let found = router
        .route(&request(Some("secure.example.com")))
        .expect("routed");
    assert_eq!(routes[found.route].id, "sni");
    let found = router.route(&request(None)).expect("routed");
    assert_eq!(routes[found.route].id, "root");
}

#[test]
fn headers_are_required_when_set() {
    let router = Router::new(&[RouteSpec {
        headers: vec![("x-a".into(), owned(&["1"]))],
        ..RouteSpec::default()
    }])
    .expect("router builds");
    assert!(router.find("GET", None, "/").is_none());
    let map = headers(&[("X-A", "1")]);
    let request = Request {
        method: "GET",
        host: None,
        path: "/",
        headers: Some(&map),
        sni: None,
    };
    assert!(router.route(&request).is_some());
}

#[test]
fn many_routes_same_answers_as_few() {
    let mut specs: Vec<RouteSpec> = (0..5000)
        .map(|i| RouteSpec {
            paths: owned(&[&format!("/svc{i}/v1")]),
            hosts: if i % 7 == 0 {
                owned(&[&format!("h{i}.test")])
            } else {
                Vec::new()
            },
            ..RouteSpec::default()
        })
        .collect();
    specs.push(RouteSpec {
        hosts: owned(&["only.test"]),
        ..RouteSpec::default()
    });
    let router = Router::new(&specs).expect("router builds");
    assert_eq!(router.len(), 5001);
    assert_eq!(
        router.find("GET", None, "/svc123/v1/x").map(|m| m.route),
        Some(123)
    );
    assert_eq!(router.find("GET", None, "/svc14/v1").map(|m| m.route), None);
    assert_eq!(
        router
            .find("GET", Some("h14.test"), "/svc14/v1")
            .map(|m| m.route),
        Some(14)
    );
    assert_eq!(
        router
            .find("GET", Some("ONLY.test:80"), "/z")
            .map(|m| m.route),
        Some(5000)
    );
    assert_eq!(router.find("GET", None, "/svc99999/v1"), None);
}

#[test]
fn protocols_are_checked_after_routing() {
    let https_only = oidc_gateway::router::Protocols {
        http: false,
        https: true,
    };
    assert_eq!(
        protocol_check(https_only, 426, "http", Some("a.test"), "/x"),
        Some(ProtocolRedirect::UpgradeRequired)
    );
    assert_eq!(
        protocol_check(https_only, 307, "http", Some("a.test:8000"), "/x?y=1"),
        Some(ProtocolRedirect::Redirect {
            status: 307,
            location: "https://a.test/x?y=1".into()
        })
    );
    assert_eq!(
        protocol_check(Default::default(), 301, "http", Some("a.test"), "/x"),
        None
    );
}

// ---- through a compiled config --------------------------------------------------

fn compile(yaml: &str) -> CompiledConfig {
    compile_declarative_str(yaml).unwrap_or_else(|e| panic!("{e}"))
}

const TRICKS: &str = r#"_format_version: "3.0"
services:
- name: s
  host: 127.0.0.1
  path: /base
  routes:
  - name: catch-all
    paths: [/]
    strip_path: false
  - name: oidc-route
    paths: [/oidc-route]
    plugins:
    - name: openid-connect
      config:
        auth_methods: [client_credentials]
        issuer: http://127.0.0.1:8080/realms/kong
        consumer_claim: [client_id]
"#;

/// What the proxy does: normalise, route, build the upstream path from the same path.
fn proxy_view(config: &CompiledConfig, raw: &str) -> Option<(String, bool, String)> {
    let path = normalize_path(raw).ok()?;
    let found = config.router.find("GET", Some("gw"), &path)?;
    let route = &config.routes[found.route];
    let service = &config.services[route.service];
    let upstream = upstream_path(
        &path,
        None,
        found.matched_path_len,
        route.strip_path,
        service.path.as_deref(),
        route.path_handling,
    );
    Some((
        route.name.clone().unwrap_or_default(),
        config.route_plugin(found.route, "openid-connect").is_some(),
        upstream,
    ))
}

#[test]
fn encoding_tricks_reach_the_upstream_only_through_the_normalised_route() {
    let config = compile(TRICKS);
    let table = [
        ("/oidc-route/get", "oidc-route", "/base/get"),
        ("//oidc-route/../oidc-route/get", "oidc-route", "/base/get"),
        ("/%6Fidc-route/get", "oidc-route", "/base/get"),
        ("/oidc%2Droute/get", "oidc-route", "/base/get"),
        ("/x/../oidc-route", "oidc-route", "/base"),
        ("/%2e%2e/oidc-route/get", "oidc-route", "/base/get"),
        ("/./oidc-route//get", "oidc-route", "/base/get"),
        ("/public/%2E%2E/oidc-route/get", "oidc-route", "/base/get"),
        ("/oidc-route/../public", "catch-all", "/base/public"),
        ("/oidc-route%2Fget", "oidc-route", "/base/%2Fget"),
        ("/OIDC-route/get", "catch-all", "/base/OIDC-route/get"),
        (
            "/public/%6fidc-route",
            "catch-all",
            "/base/public/oidc-route",
        ),
    ];
    for (raw, want_route, want_upstream) in table {
        let (name, plugin, upstream) = proxy_view(&config, raw).expect("routed");
        assert_eq!(name, want_route, "{raw}");
        assert_eq!(plugin, want_route == "oidc-route", "{raw}");
        assert_eq!(upstream, want_upstream, "{raw}");
        // Nothing reaches the protected prefix upstream without the plugin.
        if !plugin {
            let again = normalize_path(&upstream).expect("normal");
            assert!(
                !again.starts_with("/base/oidc-route"),
                "{raw} -> {upstream}"
            );
        }
    }
    for raw in ["/%", "/oidc-route/%zz", "/%6"] {
        assert!(normalize_path(raw).is_err(), "{raw}");
    }
}

#[test]
fn yaml_routes_use_every_field() {
    let config = compile(
        r#"_format_version: "3.0"
services:
- name: s
  host: 127.0.0.1
  path: /s
  routes:
  - name: v1
    paths: [/fv1]
    strip_path: false
    path_handling: v1
  - name: users
    paths: ["~/users/(?<id>\\d+)$"]
    regex_priority: 10
  - name: users-low
    paths: ["~/users/"]
  - name: tenant
    paths: [/t]
    headers:
      X-Tenant: [acme, "~*^beta-"]
  - name: secure
    paths: [/secure]
    protocols: [https]
    https_redirect_status_code: 308
  - name: tls
    protocols: [https]
    snis: [api.example.com]
"#,
    );
    let name = |m: oidc_gateway::router::RouteMatch| config.routes[m.route].name.clone();
    let v1 = config.router.find("GET", None, "/fv1req").expect("routed");
    assert_eq!(name(v1).as_deref(), Some("v1"));
    let route = &config.routes[v1.route];
    assert_eq!(
        upstream_path(
            "/fv1req",
            None,
            v1.matched_path_len,
            route.strip_path,
            Some("/s"),
            route.path_handling
        ),
        "/sfv1req"
    );
    let users = config.router.find("GET", None, "/users/7").expect("routed");
    assert_eq!(name(users).as_deref(), Some("users"));
    // Kong's defaults.
    let defaults = &config.routes[users.route];
    assert_eq!(defaults.path_handling, PathHandling::V0);
    assert_eq!(defaults.protocols, Protocols::default());
    assert_eq!(defaults.https_redirect_status_code, 426);
    assert!(defaults.strip_path && !defaults.preserve_host);
    assert_eq!(config.routes[v1.route].path_handling, PathHandling::V1);
    let low = config
        .router
        .find("GET", None, "/users/7/x")
        .expect("routed");
    assert_eq!(name(low).as_deref(), Some("users-low"));
    assert!(config.router.find("GET", None, "/t").is_none());
    let map = headers(&[("x-tenant", "Beta-2")]);
    let tenant = config
        .router
        .route(&Request {
            method: "GET",
            host: None,
            path: "/t",
            headers: Some(&map),
            sni: None,
        })
        .expect("routed");
    assert_eq!(name(tenant).as_deref(), Some("tenant"));
    let secure = config.router.find("GET", None, "/secure").expect("routed");
    let route = &config.routes[secure.route];
    assert_eq!(route.https_redirect_status_code, 308);
    assert_eq!(
        protocol_check(
            route.protocols,
            route.https_redirect_status_code,
            "http",
            Some("gw:8000"),
            "/secure?a=1"
        ),
        Some(ProtocolRedirect::Redirect {
            status: 308,
            location: "https://gw/secure?a=1".into()
        })
    );
    assert!(config.router.find("GET", None, "/other").is_none());
}

#[test]
fn regexes_without_a_literal_start_still_match() {
    let routes = vec![
        route("alternation", |s| s.paths = owned(&["~/(?:alpha|beta)/x"])),
        route("optional", |s| s.paths = owned(&["~/ab*c"])),
        route("flags", |s| s.paths = owned(&["~(?i)/CASE"])),
        route("class", |s| s.paths = owned(&["~[/]k\\d"])),
        route("top-alternation", |s| s.paths = owned(&["~/one|/two"])),
    ];
    let router = build(&routes);
    let id = |path| router.find("GET", None, path).map(|m| routes[m.route].id);
    assert_eq!(id("/beta/x"), Some("alternation"));
    assert_eq!(id("/ac"), Some("optional"));
    assert_eq!(id("/abbbc/d"), Some("optional"));
    assert_eq!(id("/case"), Some("flags"));
    assert_eq!(id("/k1"), Some("class"));
    assert_eq!(id("/two/x"), Some("top-alternation"));
    assert_eq!(id("/x/two"), None);
}

#[test]
fn paths_count_as_a_field() {
    // Host + path against host + method: two fields each; the longer path wins, so the
    // route with the path (and its plugins) is not bypassed by a method-only sibling.
    let routes = [
        route("host-method", |s| {
            s.hosts = owned(&["a.test"]);
            s.methods = owned(&["GET"]);
        }),
        route("host-path", |s| {
            s.hosts = owned(&["a.test"]);
            s.paths = owned(&["/api"]);
        }),
    ];
    for order in [[0, 1], [1, 0]] {
        let shuffled: Vec<Named> = order.iter().map(|&i| routes[i].clone()).collect();
        let router = build(&shuffled);
        let found = router
            .find("GET", Some("a.test"), "/api/x")
            .expect("routed");
        assert_eq!(shuffled[found.route].id, "host-path");
        let found = router
            .find("GET", Some("a.test"), "/other")
            .expect("routed");
        assert_eq!(shuffled[found.route].id, "host-method");
    }
}
