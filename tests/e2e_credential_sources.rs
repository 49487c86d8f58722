//! End-to-end: credentials read from the query string or a form body as
//! `client_credentials_param_type` allows, `hide_credentials`, a custom upstream token header
//! and error message, and forged `X-Consumer-*` headers, against the real IdP and httpbin.

mod support;

use support::http::{self, basic, Response};
use support::stack::echoed;
use support::*;

fn plugin(idp: &RealIdp, extra: &str) -> String {
    format!(
        r#"    plugins:
    - name: openid-connect
      config:
        auth_methods: [client_credentials]
        issuer: {issuer}
        token_endpoint: {token}
        extra_jwks_uris: ["{jwks}"]
        consumer_claim: [client_id]
        consumer_by: [username]
{extra}"#,
        issuer = idp.issuer(),
        token = idp.token_endpoint(),
        jwks = idp.jwks_uri(),
    )
}

fn route(name: &str, idp: &RealIdp, extra: &str) -> String {
    format!(
        "  - name: {name}\n    paths: [/{name}]\n{}",
        plugin(idp, extra)
    )
}

fn start() -> (Gateway, Httpbin, RealIdp) {
    let idp = RealIdp::start(IdpOptions::default());
    let httpbin = Httpbin::start();
    let yaml = format!(
        "_format_version: \"3.0\"\nservices:\n- name: httpbin\n  url: http://127.0.0.1:{port}\n  routes:\n{q}{b}{v}{h}{c}consumers:\n- username: kong_id\n",
        port = httpbin.port(),
        q = route("query", &idp, "        client_credentials_param_type: [query]\n        hide_credentials: true\n"),
        b = route("body", &idp, "        client_credentials_param_type: [body]\n"),
        v = route(
            "body-visible",
            &idp,
            "        client_credentials_param_type: [body]\n        hide_credentials: false\n"
        ),
        h = route("header", &idp, "        client_credentials_param_type: [header]\n"),
        c = route(
            "custom",
            &idp,
            "        upstream_access_token_header: x-access-token\n        unauthorized_error_message: Go away\n"
        ),
    );
    (Gateway::start(&yaml), httpbin, idp)
}

fn credentials_query() -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "client_id={}&client_secret={}",
        enc(KONG_ID),
        enc(KONG_SECRET)
    )
}

fn header<'a>(echo: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    echo["headers"][name].as_str()
}

#[test]
fn query_credentials_work_and_are_hidden_from_the_upstream() {
    let (gateway, _httpbin, idp) = start();
    let response = http::get(
        &gateway.url(&format!("/query/get?keep=1&{}", credentials_query())),
        &[],
    );
    let echo = echoed(&response);
    assert_eq!(
        echo["args"],
        serde_json::json!({"keep": "1"}),
        "credentials stripped, other args kept"
    );
    assert!(header(&echo, "Authorization").is_some_and(|v| v.starts_with("Bearer ey")));
    assert_eq!(header(&echo, "X-Consumer-Username"), Some(KONG_ID));
    assert_eq!(idp.stats().for_client(KONG_ID), 1);
}

#[test]
fn form_body_credentials_work_and_the_body_still_reaches_the_upstream() {
    let (gateway, _httpbin, _idp) = start();
    let body = format!("{}&note=hello", credentials_query());
    let response = http::request(
        "POST",
        &gateway.url("/body/post"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(body.as_bytes()),
    )
    .expect("request");
    let echo = echoed(&response);
    assert_eq!(
        echo["form"],
        serde_json::json!({"note": "hello"}),
        "hide_credentials (Kong's default) sends the body without the credentials"
    );
    assert_eq!(header(&echo, "X-Consumer-Username"), Some(KONG_ID));

    let response = http::request(
        "POST",
        &gateway.url("/body-visible/post"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(body.as_bytes()),
    )
    .expect("request");
    let echo = echoed(&response);
    assert_eq!(
        echo["form"]["note"], "hello",
        "the body was replayed: {echo}"
    );
    assert_eq!(
        echo["form"]["client_id"], KONG_ID,
        "hide_credentials: false keeps it"
    );
}

#[test]
fn a_source_not_allowed_is_not_read() {
    let (gateway, _httpbin, idp) = start();
    let response: Response = http::get(
        &gateway.url(&format!("/header/get?{}", credentials_query())),
        &[],
    );
    assert_eq!(response.status, 401);
    let response = http::get(
        &gateway.url("/query/get"),
        &[("Authorization", &basic(KONG_ID, KONG_SECRET))],
    );
    assert_eq!(response.status, 401);
    assert_eq!(idp.stats().token_requests, 0);
}

#[test]
fn forged_consumer_headers_are_replaced() {
    let (gateway, _httpbin, _idp) = start();
    let auth = basic(KONG_ID, KONG_SECRET);
    let response = http::get(
        &gateway.url("/header/get"),
        &[
            ("Authorization", &auth),
            ("X-Consumer-Username", "admin"),
            ("X-Consumer-Custom-ID", "root"),
        ],
    );
    let echo = echoed(&response);
    assert_eq!(header(&echo, "X-Consumer-Username"), Some(KONG_ID));
    assert_eq!(header(&echo, "X-Consumer-Custom-Id"), None);
}

#[test]
fn custom_token_header_and_error_message() {
    let (gateway, _httpbin, _idp) = start();
    let auth = basic(KONG_ID, KONG_SECRET);
    let echo = echoed(&http::get(
        &gateway.url("/custom/get"),
        &[("Authorization", &auth)],
    ));
    assert!(
        header(&echo, "X-Access-Token").is_some_and(|v| v.starts_with("ey")),
        "{echo}"
    );
    let denied = http::get(
        &gateway.url("/custom/get"),
        &[("Authorization", &basic(KONG_ID, "wrong"))],
    );
    assert_eq!(denied.status, 401);
    assert_eq!(denied.json()["message"], "Go away");
}
