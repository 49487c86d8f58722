//! End-to-end: Kong's basic-auth plugin in front of the real httpbin: `Authorization` and
//! `Proxy-Authorization`, Kong's 401s with `WWW-Authenticate: Basic realm="..."`,
//! `hide_credentials`, `anonymous`, and the logical OR with key-auth.

mod support;

use support::http::{self, basic, Response};
use support::stack::{assert_kong_error, echoed};
use support::*;

const BOB_ID: &str = "3b0f3c55-9d0e-4a53-8f36-2c9d7f1a6b21";
const ANONYMOUS_ID: &str = "5c2e7d1a-8b4f-4e6a-9c3d-1f0a2b3c4d55";

fn route(name: &str, plugins: &str) -> String {
    format!("  - name: {name}\n    paths: [/{name}]\n    plugins:\n{plugins}")
}

fn start() -> (Gateway, Httpbin) {
    let httpbin = Httpbin::start();
    let routes = [
        route("plain", "    - name: basic-auth\n"),
        route(
            "hidden",
            "    - name: basic-auth\n      config: {hide_credentials: true, realm: test-realm}\n",
        ),
        route(
            "anon",
            &format!("    - name: basic-auth\n      config: {{anonymous: {ANONYMOUS_ID}}}\n"),
        ),
        route(
            "either",
            "    - name: basic-auth\n      config: {anonymous: anonymous}\n    - name: key-auth\n      config: {anonymous: anonymous}\n",
        ),
        route(
            "both",
            "    - name: basic-auth\n    - name: key-auth\n",
        ),
    ]
    .concat();
    let yaml = format!(
        r#"_format_version: "3.0"
services:
- name: httpbin
  url: http://127.0.0.1:{port}
  routes:
{routes}consumers:
- username: bob
  id: {BOB_ID}
  basicauth_credentials:
  - username: bob
    password: kong
  - username: user321
    password: "password:123"
  keyauth_credentials:
  - key: bob-key
- username: anonymous
  id: {ANONYMOUS_ID}
"#,
        port = httpbin.port(),
    );
    (Gateway::start(&yaml), httpbin)
}

fn header<'a>(echo: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    echo["headers"][name].as_str()
}

/// A refusal the gateway answered by itself: nothing was proxied for it.
fn assert_refused(response: &Response, realm: &str) {
    assert_kong_error(response, 401, "Unauthorized");
    assert_eq!(
        response.header("WWW-Authenticate"),
        Some(format!("Basic realm=\"{realm}\"").as_str())
    );
    assert!(response.header("X-Kong-Response-Latency").is_some());
    assert!(
        response.header("X-Kong-Upstream-Latency").is_none(),
        "the request reached the upstream"
    );
}

#[test]
fn valid_credentials_authenticate_their_consumer() {
    let (gateway, _httpbin) = start();
    let authorization = basic("bob", "kong");
    let echo = echoed(&http::get(
        &gateway.url("/plain/anything"),
        &[
            ("Authorization", &authorization),
            ("X-Credential-Identifier", "forged"),
        ],
    ));
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("bob"));
    assert_eq!(header(&echo, "X-Consumer-Id"), Some(BOB_ID));
    assert_eq!(header(&echo, "X-Credential-Identifier"), Some("bob"));
    assert_eq!(header(&echo, "X-Anonymous-Consumer"), None);
    assert_eq!(header(&echo, "Authorization"), Some(authorization.as_str()));

    // A password with a colon; Proxy-Authorization.
    let echo = echoed(&http::get(
        &gateway.url("/plain/anything"),
        &[("Authorization", &basic("user321", "password:123"))],
    ));
    assert_eq!(header(&echo, "X-Credential-Identifier"), Some("user321"));
    let echo = echoed(&http::get(
        &gateway.url("/plain/anything"),
        &[("Proxy-Authorization", &basic("bob", "kong"))],
    ));
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("bob"));
    // Proxy-Authorization is tried first; a wrong one falls back to Authorization.
    let echo = echoed(&http::get(
        &gateway.url("/plain/anything"),
        &[
            ("Proxy-Authorization", "Basic bm9ib2R5Og=="),
            ("Authorization", &basic("bob", "kong")),
        ],
    ));
    assert_eq!(header(&echo, "X-Credential-Identifier"), Some("bob"));
}

#[test]
fn refusals_are_kongs() {
    let (gateway, _httpbin) = start();
    let get = |headers: &[(&str, &str)]| http::get(&gateway.url("/plain/get"), headers);
    assert_refused(&get(&[]), "service");
    for value in [
        "foobar",
        "Basic a29uZw==",
        "Basic Ym9i",
        "Basic adXNlcjEyMzpwYXNzd29yZDEyMw==",
        "Bearer abc",
        "Basic",
    ] {
        assert_refused(&get(&[("Authorization", value)]), "service");
    }
    assert_refused(
        &get(&[("Authorization", &basic("bob", "wrong"))]),
        "service",
    );
    assert_refused(
        &get(&[("Authorization", &basic("nobody", "kong"))]),
        "service",
    );
    assert_refused(&get(&[("Proxy-Authorization", "foobar")]), "service");
    assert_refused(&http::get(&gateway.url("/hidden/get"), &[]), "test-realm");
    // Both plugins without anonymous: both must pass (Kong's logical AND).
    let response = http::get(
        &gateway.url("/both/get"),
        &[("Authorization", &basic("bob", "kong"))],
    );
    assert_kong_error(&response, 401, "No API key found in request");
    let echo = echoed(&http::get(
        &gateway.url("/both/anything"),
        &[
            ("Authorization", &basic("bob", "kong")),
            ("apikey", "bob-key"),
        ],
    ));
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("bob"));
    assert!(!gateway.logs().contains("a29uZw"));
}

#[test]
fn hide_credentials_removes_the_header() {
    let (gateway, _httpbin) = start();
    let echo = echoed(&http::get(
        &gateway.url("/hidden/anything"),
        &[("Authorization", &basic("bob", "kong"))],
    ));
    assert_eq!(header(&echo, "Authorization"), None);
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("bob"));
    let echo = echoed(&http::get(
        &gateway.url("/hidden/anything"),
        &[("Proxy-Authorization", &basic("bob", "kong"))],
    ));
    assert_eq!(header(&echo, "Proxy-Authorization"), None);
}

#[test]
fn anonymous_and_the_logical_or() {
    let (gateway, _httpbin) = start();
    let echo = echoed(&http::get(&gateway.url("/anon/anything"), &[]));
    assert_eq!(header(&echo, "X-Anonymous-Consumer"), Some("true"));
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("anonymous"));
    assert_eq!(header(&echo, "X-Credential-Identifier"), None);
    let echo = echoed(&http::get(
        &gateway.url("/anon/anything"),
        &[("Authorization", &basic("bob", "wrong"))],
    ));
    assert_eq!(header(&echo, "X-Consumer-Id"), Some(ANONYMOUS_ID));

    // key-auth (1250) runs before basic-auth (1100); either credential is enough.
    let echo = echoed(&http::get(
        &gateway.url("/either/anything"),
        &[("Authorization", &basic("bob", "kong"))],
    ));
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("bob"));
    assert_eq!(header(&echo, "X-Credential-Identifier"), Some("bob"));
    assert_eq!(header(&echo, "X-Anonymous-Consumer"), None);
    let echo = echoed(&http::get(
        &gateway.url("/either/anything"),
        &[("apikey", "bob-key")],
    ));
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("bob"));
    assert_eq!(header(&echo, "X-Anonymous-Consumer"), None);
    let echo = echoed(&http::get(&gateway.url("/either/anything"), &[]));
    assert_eq!(header(&echo, "X-Anonymous-Consumer"), Some("true"));
}
