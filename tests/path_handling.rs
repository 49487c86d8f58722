//! Kong's `path_handling` table, row by row: every row of Kong's own fixture
//! (`spec/fixtures/router_path_handling_tests.lua`, 113 rows, 212 cases once expanded),
//! routed through the router (prefix paths, the same paths as regexes, and host-only
//! routes) and rewritten by `upstream_path` as the proxy does.

use oidc_gateway::router::{normalize_path, RouteSpec, Router};
use oidc_gateway::upstream_request::{upstream_path, PathHandling};

const F: &[bool] = &[false];
const T: &[bool] = &[true];
const FT: &[bool] = &[false, true];
const V0_: &[PathHandling] = &[PathHandling::V0];
const V1_: &[PathHandling] = &[PathHandling::V1];
const BOTH: &[PathHandling] = &[PathHandling::V0, PathHandling::V1];

/// (service path, route path (`None`: the route matches on its host only),
/// strip_path values, path_handling values, request path, upstream path).
type Row = (
    &'static str,
    Option<&'static str>,
    &'static [bool],
    &'static [PathHandling],
    &'static str,
    &'static str,
);

/// Kong's fixture, in its order (rows 1-113).
const KONG_TABLE: &[Row] = &[
    ("/", Some("/"), FT, BOTH, "/", "/"),
    ("/", Some("/"), FT, BOTH, "/route", "/route"),
    ("/", Some("/"), FT, BOTH, "/route/", "/route/"),
    ("/", Some("/"), FT, BOTH, "/routereq", "/routereq"),
    ("/", Some("/"), FT, BOTH, "/route/req", "/route/req"),
    ("/", Some("/route"), F, BOTH, "/route", "/route"),
    ("/", Some("/route"), F, BOTH, "/route/", "/route/"),
    ("/", Some("/route"), F, BOTH, "/routereq", "/routereq"),
    ("/", Some("/route"), T, BOTH, "/route", "/"),
    ("/", Some("/route"), T, BOTH, "/route/", "/"),
    ("/", Some("/route"), T, BOTH, "/routereq", "/req"),
    ("/", Some("/route/"), F, BOTH, "/route/", "/route/"),
    ("/", Some("/route/"), F, BOTH, "/route/req", "/route/req"),
    ("/", Some("/route/"), T, BOTH, "/route/", "/"),
    ("/", Some("/route/"), T, BOTH, "/route/req", "/req"),
    ("/srv", Some("/rou"), F, V0_, "/roureq", "/srv/roureq"),
    ("/srv", Some("/rou"), F, V1_, "/roureq", "/srvroureq"),
    ("/srv", Some("/rou"), T, V0_, "/roureq", "/srv/req"),
    ("/srv", Some("/rou"), T, V1_, "/roureq", "/srvreq"),
    ("/srv/", Some("/rou"), F, BOTH, "/rou", "/srv/rou"),
    ("/srv/", Some("/rou"), T, V0_, "/rou", "/srv"),
    ("/srv/", Some("/rou"), T, V1_, "/rou", "/srv/"),
    ("/service", Some("/"), FT, BOTH, "/", "/service"),
    ("/service", Some("/"), FT, V0_, "/route", "/service/route"),
    ("/service", Some("/"), FT, V1_, "/route", "/serviceroute"),
    ("/service", Some("/"), FT, V0_, "/route/", "/service/route/"),
    ("/service", Some("/"), FT, V1_, "/route/", "/serviceroute/"),
    (
        "/service",
        Some("/"),
        FT,
        V0_,
        "/routereq",
        "/service/routereq",
    ),
    (
        "/service",
        Some("/"),
        FT,
        V1_,
        "/routereq",
        "/serviceroutereq",
    ),
    (
        "/service",
        Some("/"),
        FT,
        V0_,
        "/route/req",
        "/service/route/req",
    ),
    (
        "/service",
        Some("/"),
        FT,
        V1_,
        "/route/req",
        "/serviceroute/req",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V0_,
        "/route",
        "/service/route",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V1_,
        "/route",
        "/serviceroute",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V0_,
        "/route/",
        "/service/route/",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V1_,
        "/route/",
        "/serviceroute/",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V0_,
        "/routereq",
        "/service/routereq",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V1_,
        "/routereq",
        "/serviceroutereq",
    ),
    ("/service", Some("/route"), T, BOTH, "/route", "/service"),
    ("/service", Some("/route"), T, BOTH, "/route/", "/service/"),
    (
        "/service",
        Some("/route"),
        T,
        V0_,
        "/routereq",
        "/service/req",
    ),
    (
        "/service",
        Some("/route"),
        T,
        V1_,
        "/routereq",
        "/servicereq",
    ),
    (
        "/service",
        Some("/route/"),
        F,
        V0_,
        "/route/",
        "/service/route/",
    ),
    (
        "/service",
        Some("/route/"),
        F,
        V1_,
        "/route/",
        "/serviceroute/",
    ),
    (
        "/service",
        Some("/route/"),
        F,
        V0_,
        "/route/req",
        "/service/route/req",
    ),
    (
        "/service",
        Some("/route/"),
        F,
        V1_,
        "/route/req",
        "/serviceroute/req",
    ),
    ("/service", Some("/route/"), T, V0_, "/route/", "/service/"),
    ("/service", Some("/route/"), T, V1_, "/route/", "/service"),
    (
        "/service",
        Some("/route/"),
        T,
        V0_,
        "/route/req",
        "/service/req",
    ),
    (
        "/service",
        Some("/route/"),
        T,
        V1_,
        "/route/req",
        "/servicereq",
    ),
    (
        "/service/",
        Some("/"),
        FT,
        V0_,
        "/route/",
        "/service/route/",
    ),
    (
        "/service/",
        Some("/"),
        FT,
        V1_,
        "/route/",
        "/service/route/",
    ),
    ("/service/", Some("/"), FT, BOTH, "/", "/service/"),
    ("/service/", Some("/"), FT, BOTH, "/route", "/service/route"),
    (
        "/service/",
        Some("/"),
        FT,
        BOTH,
        "/routereq",
        "/service/routereq",
    ),
    (
        "/service/",
        Some("/"),
        FT,
        BOTH,
        "/route/req",
        "/service/route/req",
    ),
    (
        "/service/",
        Some("/route"),
        F,
        BOTH,
        "/route",
        "/service/route",
    ),
    (
        "/service/",
        Some("/route"),
        F,
        BOTH,
        "/route/",
        "/service/route/",
    ),
    (
        "/service/",
        Some("/route"),
        F,
        BOTH,
        "/routereq",
        "/service/routereq",
    ),
    ("/service/", Some("/route"), T, V0_, "/route", "/service"),
    ("/service/", Some("/route"), T, V1_, "/route", "/service/"),
    ("/service/", Some("/route"), T, BOTH, "/route/", "/service/"),
    (
        "/service/",
        Some("/route"),
        T,
        BOTH,
        "/routereq",
        "/service/req",
    ),
    (
        "/service/",
        Some("/route/"),
        F,
        BOTH,
        "/route/",
        "/service/route/",
    ),
    (
        "/service/",
        Some("/route/"),
        F,
        BOTH,
        "/route/req",
        "/service/route/req",
    ),
    (
        "/service/",
        Some("/route/"),
        T,
        BOTH,
        "/route/",
        "/service/",
    ),
    (
        "/service/",
        Some("/route/"),
        T,
        BOTH,
        "/route/req",
        "/service/req",
    ),
    ("/", None, FT, BOTH, "/", "/"),
    ("/", None, FT, BOTH, "/route", "/route"),
    ("/", None, FT, BOTH, "/route/", "/route/"),
    ("/service", None, FT, BOTH, "/", "/service"),
    ("/service", None, FT, V0_, "/route", "/service/route"),
    ("/service", None, FT, V1_, "/route", "/serviceroute"),
    ("/service", None, FT, V0_, "/route/", "/service/route/"),
    ("/service", None, FT, V1_, "/route/", "/serviceroute/"),
    ("/service/", None, FT, BOTH, "/", "/service/"),
    ("/service/", None, FT, BOTH, "/route", "/service/route"),
    ("/service/", None, FT, BOTH, "/route/", "/service/route/"),
    (
        "/service",
        Some("/route"),
        T,
        V0_,
        "/route./req",
        "/service/req",
    ),
    (
        "/service",
        Some("/route"),
        T,
        V1_,
        "/route./req",
        "/servicereq",
    ),
    (
        "/service/",
        Some("/route"),
        T,
        BOTH,
        "/route./req",
        "/service/req",
    ),
    (
        "/service",
        Some("/route"),
        T,
        V0_,
        "/route%2E/req",
        "/service/req",
    ),
    (
        "/service",
        Some("/route"),
        T,
        V1_,
        "/route%2E/req",
        "/servicereq",
    ),
    (
        "/service/",
        Some("/route"),
        T,
        BOTH,
        "/route%2E/req",
        "/service/req",
    ),
    (
        "/service",
        Some("/route"),
        T,
        V0_,
        "/route%2e/req",
        "/service/req",
    ),
    (
        "/service",
        Some("/route"),
        T,
        V1_,
        "/route%2e/req",
        "/servicereq",
    ),
    (
        "/service/",
        Some("/route"),
        T,
        BOTH,
        "/route%2e/req",
        "/service/req",
    ),
    (
        "/service",
        Some("/route"),
        T,
        V0_,
        "/route../req",
        "/service/req",
    ),
    (
        "/service",
        Some("/route"),
        T,
        V1_,
        "/route../req",
        "/servicereq",
    ),
    (
        "/service/",
        Some("/route"),
        T,
        BOTH,
        "/route../req",
        "/service/req",
    ),
    (
        "/service",
        Some("/route"),
        T,
        V0_,
        "/route%2E%2E/req",
        "/service/req",
    ),
    (
        "/service",
        Some("/route"),
        T,
        V1_,
        "/route%2E%2E/req",
        "/servicereq",
    ),
    (
        "/service/",
        Some("/route"),
        T,
        BOTH,
        "/route%2E%2E/req",
        "/service/req",
    ),
    (
        "/service",
        Some("/route"),
        T,
        V0_,
        "/route%2e%2E/req",
        "/service/req",
    ),
    (
        "/service",
        Some("/route"),
        T,
        V1_,
        "/route%2e%2E/req",
        "/servicereq",
    ),
    (
        "/service/",
        Some("/route"),
        T,
        BOTH,
        "/route%2e%2E/req",
        "/service/req",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V0_,
        "/route./req",
        "/service/route./req",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V1_,
        "/route./req",
        "/serviceroute./req",
    ),
    (
        "/service/",
        Some("/route"),
        F,
        BOTH,
        "/route./req",
        "/service/route./req",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V0_,
        "/route%2E/req",
        "/service/route./req",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V1_,
        "/route%2E/req",
        "/serviceroute./req",
    ),
    (
        "/service/",
        Some("/route"),
        F,
        BOTH,
        "/route%2E/req",
        "/service/route./req",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V0_,
        "/route%2e/req",
        "/service/route./req",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V1_,
        "/route%2e/req",
        "/serviceroute./req",
    ),
    (
        "/service/",
        Some("/route"),
        F,
        BOTH,
        "/route%2e/req",
        "/service/route./req",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V0_,
        "/route../req",
        "/service/route../req",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V1_,
        "/route../req",
        "/serviceroute../req",
    ),
    (
        "/service/",
        Some("/route"),
        F,
        BOTH,
        "/route../req",
        "/service/route../req",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V0_,
        "/route%2E%2E/req",
        "/service/route../req",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V1_,
        "/route%2E%2E/req",
        "/serviceroute../req",
    ),
    (
        "/service/",
        Some("/route"),
        F,
        BOTH,
        "/route%2E%2E/req",
        "/service/route../req",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V0_,
        "/route%2e%2E/req",
        "/service/route../req",
    ),
    (
        "/service",
        Some("/route"),
        F,
        V1_,
        "/route%2e%2E/req",
        "/serviceroute../req",
    ),
    (
        "/service/",
        Some("/route"),
        F,
        BOTH,
        "/route%2e%2E/req",
        "/service/route../req",
    ),
];

const HOST: &str = "localbin.test";

/// The upstream path the proxy builds for `request` on the only route, `spec`.
fn proxied(
    spec: RouteSpec,
    service: &str,
    strip: bool,
    handling: PathHandling,
    request: &str,
) -> Option<String> {
    let router = Router::new(&[spec]).ok()?;
    let path = normalize_path(request).ok()?;
    let found = router.find("GET", Some(HOST), &path)?;
    Some(upstream_path(
        &path,
        None,
        found.matched_path_len,
        strip,
        Some(service),
        handling,
    ))
}

/// Every case of every row, with its row number (1-based, as in Kong's comments).
fn cases() -> Vec<(usize, &'static Row, bool, PathHandling)> {
    let mut out = Vec::new();
    for (i, row) in KONG_TABLE.iter().enumerate() {
        for &strip in row.2 {
            for &handling in row.3 {
                out.push((i + 1, row, strip, handling));
            }
        }
    }
    out
}

#[test]
fn the_table_is_complete() {
    assert_eq!(KONG_TABLE.len(), 113);
    assert_eq!(cases().len(), 212);
}

#[test]
fn prefix_and_host_routes_follow_kongs_table() {
    let mut failures = Vec::new();
    for (row, &(service, route, _, _, request, want), strip, handling) in cases() {
        let spec = RouteSpec {
            hosts: vec![HOST.to_owned()],
            paths: route.map(|p| vec![p.to_owned()]).unwrap_or_default(),
            ..RouteSpec::default()
        };
        let got = proxied(spec, service, strip, handling, request);
        if got.as_deref() != Some(want) {
            failures.push(format!(
                "row {row}: service {service} route {route:?} strip {strip} {handling:?} \
                 request {request}: got {got:?}, want {want}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Kong runs the same rows with each path turned into a regex (`~/[0]?rest`): the
/// matched part is what `strip_path` removes.
#[test]
fn regex_routes_follow_kongs_table() {
    let mut failures = Vec::new();
    for (row, &(service, route, _, _, request, want), strip, handling) in cases() {
        let Some(route) = route else { continue };
        let regex = format!("~/[0]?{}", &route[1..]);
        let spec = RouteSpec {
            hosts: vec![HOST.to_owned()],
            paths: vec![regex.clone()],
            ..RouteSpec::default()
        };
        let got = proxied(spec, service, strip, handling, request);
        if got.as_deref() != Some(want) {
            failures.push(format!(
                "row {row}: service {service} route {regex} strip {strip} {handling:?} \
                 request {request}: got {got:?}, want {want}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The query string is carried over unchanged, whatever the join.
#[test]
fn the_query_follows_the_path() {
    for (_, &(service, route, _, _, request, want), strip, handling) in cases() {
        let matched = route.map_or(0, str::len);
        let Ok(path) = normalize_path(request) else {
            continue;
        };
        if route.is_some_and(|r| !path.starts_with(r)) {
            continue;
        }
        let got = upstream_path(
            &path,
            Some("a=1&b"),
            matched,
            strip,
            Some(service),
            handling,
        );
        assert_eq!(
            got,
            format!("{want}?a=1&b"),
            "{service} {route:?} {request}"
        );
    }
}
