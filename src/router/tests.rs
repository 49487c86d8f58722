//! Unit tests of the router's basic matching and precedence.

use super::*;

fn spec(methods: &[&str], hosts: &[&str], paths: &[&str]) -> RouteSpec {
    let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    RouteSpec {
        methods: owned(methods),
        hosts: owned(hosts),
        paths: owned(paths),
        ..RouteSpec::default()
    }
}

#[test]
fn plain_prefixes_match_like_kong() {
    let router = Router::new(&[spec(&[], &[], &["/oidc-route"])]).unwrap();
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
    let router = Router::new(&routes).unwrap();
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
        // One field each and no plain host: the path decides (Kong counts paths).
        ("GET", Some("api.local"), "/api", Some((1, 4))),
        ("GET", Some("api.local"), "/zzz", Some((0, 1))),
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
    let router = Router::new(&[spec(&[], &["a.test"], &["/"])]).unwrap();
    assert_eq!(router.find("GET", None, "/"), None);
    assert_eq!(router.find("GET", Some("b.test"), "/"), None);
    assert!(router.find("GET", Some("A.TEST"), "/").is_some());
    assert!(router.find("GET", Some("[::1]:80"), "/").is_none());
}

#[test]
fn empty_router_finds_nothing() {
    let router = Router::new(&[]).unwrap();
    assert!(router.is_empty());
    assert_eq!(router.find("GET", Some("x"), "/"), None);
}
