//! End-to-end: Kong's key-auth plugin in front of the real httpbin: keys from a header, the
//! query string and form / JSON / multipart bodies, `hide_credentials`, `key_names`, Kong's
//! refusals (status, message, `WWW-Authenticate`), `anonymous`, `run_on_preflight` and `ttl`.

mod support;

use std::time::Duration;

use support::http::{self, Response};
use support::stack::{assert_kong_error, echoed};
use support::*;

const KEY: &str = "kong-key-0123456789";
const CREDENTIAL_ID: &str = "8a3c5f5e-6d5c-4c2e-9f53-0c9b6d1e2a01";
const BOB_ID: &str = "0d4bd4f6-5d6c-4ea3-9a4a-0c1f4b2b7e11";
const ANONYMOUS_ID: &str = "6e9b4b0a-1c7e-4c79-8d1b-5f7c2d8e9a33";

fn route(name: &str, config: &str) -> String {
    format!("  - name: {name}\n    paths: [/{name}]\n    plugins:\n    - name: key-auth\n{config}")
}

fn start() -> (Gateway, Httpbin) {
    let httpbin = Httpbin::start();
    let routes = [
        route("plain", ""),
        route(
            "hidden",
            "      config: {hide_credentials: true, key_in_body: true, realm: kong}\n",
        ),
        route("body", "      config: {key_in_body: true}\n"),
        route(
            "anon",
            &format!("      config: {{anonymous: {ANONYMOUS_ID}}}\n"),
        ),
        route("anon-by-name", "      config: {anonymous: anonymous}\n"),
        route(
            "anon-missing",
            "      config: {anonymous: no-such-consumer}\n",
        ),
        route(
            "names",
            "      config: {key_names: [api_key, x-second], key_in_query: false}\n",
        ),
        route("preflight", "      config: {run_on_preflight: false}\n"),
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
  custom_id: bob-custom
  keyauth_credentials:
  - id: {CREDENTIAL_ID}
    key: {KEY}
  - key: short-lived-key
    ttl: 1
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
fn assert_refused(response: &Response, message: &str, challenge: &str) {
    assert_kong_error(response, 401, message);
    assert_eq!(response.header("WWW-Authenticate"), Some(challenge));
    assert!(response.header("X-Kong-Response-Latency").is_some());
    assert!(
        response.header("X-Kong-Upstream-Latency").is_none(),
        "the request reached the upstream"
    );
}

fn post(gateway: &Gateway, path: &str, content_type: &str, body: &str) -> Response {
    http::request(
        "POST",
        &gateway.url(path),
        &[("Content-Type", content_type)],
        Some(body.as_bytes()),
    )
    .expect("request")
}

#[test]
fn a_valid_key_authenticates_its_consumer() {
    let (gateway, _httpbin) = start();
    let echo = echoed(&http::get(
        &gateway.url("/plain/anything"),
        &[
            ("apikey", KEY),
            ("X-Consumer-Username", "forged"),
            ("X-Anonymous-Consumer", "true"),
        ],
    ));
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("bob"));
    assert_eq!(header(&echo, "X-Consumer-Id"), Some(BOB_ID));
    assert_eq!(header(&echo, "X-Consumer-Custom-Id"), Some("bob-custom"));
    assert_eq!(
        header(&echo, "X-Credential-Identifier"),
        Some(CREDENTIAL_ID)
    );
    assert_eq!(header(&echo, "X-Anonymous-Consumer"), None);
    assert_eq!(
        header(&echo, "Apikey"),
        Some(KEY),
        "hide_credentials is off"
    );

    let echo = echoed(&http::get(
        &gateway.url(&format!("/plain/anything?a=1&apikey={KEY}")),
        &[],
    ));
    assert_eq!(
        header(&echo, "X-Credential-Identifier"),
        Some(CREDENTIAL_ID)
    );
    assert_eq!(echo["args"]["apikey"], KEY);
    assert!(!gateway.logs().contains(KEY), "the key reached the log");
}

#[test]
fn refusals_are_kongs() {
    let (gateway, _httpbin) = start();
    let get = |path: &str, headers: &[(&str, &str)]| http::get(&gateway.url(path), headers);
    assert_refused(
        &get("/plain/get", &[]),
        "No API key found in request",
        "Key",
    );
    assert_refused(
        &get("/plain/get?apikey=", &[]),
        "No API key found in request",
        "Key",
    );
    assert_refused(
        &get("/plain/get?apikey", &[]),
        "No API key found in request",
        "Key",
    );
    assert_refused(
        &get("/plain/get", &[("apikey", "nope")]),
        "Unauthorized",
        "Key",
    );
    assert_refused(
        &get("/plain/get", &[("apikey", KEY), ("apikey", KEY)]),
        "Duplicate API key found",
        "Key",
    );
    assert_refused(
        &get(&format!("/plain/get?apikey={KEY}&apikey={KEY}"), &[]),
        "Duplicate API key found",
        "Key",
    );
    // The header wins over the query string; an invalid header key is not rescued by it.
    assert_refused(
        &get(&format!("/plain/get?apikey={KEY}"), &[("apikey", "nope")]),
        "Unauthorized",
        "Key",
    );
    // key_in_body is off by default.
    assert_refused(
        &post(
            &gateway,
            "/plain/post",
            "application/x-www-form-urlencoded",
            &format!("apikey={KEY}"),
        ),
        "No API key found in request",
        "Key",
    );
    assert_refused(
        &get("/hidden/get", &[]),
        "No API key found in request",
        "Key realm=\"kong\"",
    );
    assert_refused(
        &post(
            &gateway,
            "/hidden/post",
            "text/plain",
            &format!("apikey={KEY}"),
        ),
        "No API key found in request",
        "Key realm=\"kong\"",
    );
    assert_refused(
        &post(
            &gateway,
            "/hidden/post",
            "application/json",
            &format!(r#"{{"apikey":["{KEY}"]}}"#),
        ),
        "Duplicate API key found",
        "Key realm=\"kong\"",
    );
}

#[test]
fn keys_in_bodies_are_read_and_the_body_still_reaches_the_upstream() {
    let (gateway, _httpbin) = start();
    let form = format!("note=hello&apikey={KEY}");
    let echo = echoed(&post(
        &gateway,
        "/body/post",
        "application/x-www-form-urlencoded",
        &form,
    ));
    assert_eq!(
        header(&echo, "X-Credential-Identifier"),
        Some(CREDENTIAL_ID)
    );
    assert_eq!(
        echo["form"],
        serde_json::json!({"note": "hello", "apikey": KEY})
    );

    let json = format!(r#"{{"note":"hello","apikey":"{KEY}"}}"#);
    let echo = echoed(&post(&gateway, "/body/post", "application/json", &json));
    assert_eq!(
        header(&echo, "X-Credential-Identifier"),
        Some(CREDENTIAL_ID)
    );
    assert_eq!(
        echo["json"],
        serde_json::json!({"note": "hello", "apikey": KEY})
    );
}

fn multipart(fields: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--b0undary\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str("--b0undary--\r\n");
    body
}

#[test]
fn hide_credentials_removes_the_key_from_header_query_and_body() {
    let (gateway, _httpbin) = start();
    let echo = echoed(&http::get(
        &gateway.url(&format!("/hidden/anything?c=3&apikey={KEY}&a=1")),
        &[],
    ));
    assert_eq!(echo["args"], serde_json::json!({"c": "3", "a": "1"}));
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("bob"));

    let echo = echoed(&http::get(
        &gateway.url("/hidden/anything"),
        &[("apikey", KEY)],
    ));
    assert_eq!(header(&echo, "Apikey"), None);
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("bob"));

    let form = format!("apikey={KEY}&note=hello");
    let echo = echoed(&post(
        &gateway,
        "/hidden/post",
        "application/x-www-form-urlencoded",
        &form,
    ));
    assert_eq!(echo["form"], serde_json::json!({"note": "hello"}));
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("bob"));

    let json = format!(r#"{{"z":[1,2],"apikey":"{KEY}","note":"hello"}}"#);
    let echo = echoed(&post(
        &gateway,
        "/hidden/post",
        "application/json; charset=utf-8",
        &json,
    ));
    assert_eq!(
        echo["json"],
        serde_json::json!({"z": [1, 2], "note": "hello"})
    );

    let body = multipart(&[("note", "hello"), ("apikey", KEY)]);
    let echo = echoed(&post(
        &gateway,
        "/hidden/post",
        "multipart/form-data; boundary=b0undary",
        &body,
    ));
    assert_eq!(echo["form"], serde_json::json!({"note": "hello"}));
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("bob"));

    // A key from the header also leaves the body without its field (Kong: key_in_body).
    let json = r#"{"apikey":"other","note":"hello"}"#;
    let response = http::request(
        "POST",
        &gateway.url("/hidden/post"),
        &[("Content-Type", "application/json"), ("apikey", KEY)],
        Some(json.as_bytes()),
    )
    .expect("request");
    let echo = echoed(&response);
    assert_eq!(echo["json"], serde_json::json!({"note": "hello"}));
    assert_eq!(header(&echo, "Apikey"), None);
}

#[test]
fn key_names_are_tried_in_order_and_underscores_match_dashes() {
    let (gateway, _httpbin) = start();
    for name in ["api_key", "api-key", "x-second"] {
        let echo = echoed(&http::get(&gateway.url("/names/anything"), &[(name, KEY)]));
        assert_eq!(
            header(&echo, "X-Credential-Identifier"),
            Some(CREDENTIAL_ID),
            "{name}"
        );
    }
    // key_in_query: false.
    assert_refused(
        &http::get(&gateway.url(&format!("/names/get?api_key={KEY}")), &[]),
        "No API key found in request",
        "Key",
    );
}

#[test]
fn anonymous_stands_in_for_a_failed_authentication() {
    let (gateway, _httpbin) = start();
    for path in ["/anon/anything", "/anon-by-name/anything"] {
        let echo = echoed(&http::get(&gateway.url(path), &[("apikey", "nope")]));
        assert_eq!(
            header(&echo, "X-Anonymous-Consumer"),
            Some("true"),
            "{path}"
        );
        assert_eq!(header(&echo, "X-Consumer-Username"), Some("anonymous"));
        assert_eq!(header(&echo, "X-Consumer-Id"), Some(ANONYMOUS_ID));
        assert_eq!(header(&echo, "X-Credential-Identifier"), None);
    }
    let echo = echoed(&http::get(
        &gateway.url("/anon/anything"),
        &[("apikey", KEY)],
    ));
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("bob"));
    assert_eq!(header(&echo, "X-Anonymous-Consumer"), None);

    let response = http::get(&gateway.url("/anon-missing/get"), &[]);
    assert_kong_error(&response, 500, "An unexpected error occurred");
}

#[test]
fn preflight_requests_pass_when_run_on_preflight_is_off() {
    let (gateway, _httpbin) = start();
    let response =
        http::request("OPTIONS", &gateway.url("/preflight/anything"), &[], None).expect("request");
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.header("X-Kong-Upstream-Latency").is_some());
    assert_refused(
        &http::get(&gateway.url("/preflight/get"), &[]),
        "No API key found in request",
        "Key",
    );
    // run_on_preflight defaults to true.
    let response =
        http::request("OPTIONS", &gateway.url("/plain/anything"), &[], None).expect("request");
    assert_refused(&response, "No API key found in request", "Key");
}

#[test]
fn a_credential_past_its_ttl_is_refused() {
    let (gateway, _httpbin) = start();
    let fresh = http::get(&gateway.url("/plain/get"), &[("apikey", "short-lived-key")]);
    assert!(
        matches!(fresh.status, 200 | 401),
        "unexpected {}",
        fresh.status
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_refused(
        &http::get(&gateway.url("/plain/get"), &[("apikey", "short-lived-key")]),
        "Unauthorized",
        "Key",
    );
}
