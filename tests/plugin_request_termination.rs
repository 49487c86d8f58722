//! End-to-end: request-termination: Kong's default messages, a custom message, a raw body
//! with its content type, a bodyless 204, the echo (credentials redacted) and the trigger;
//! nothing reaches the upstream of a terminated request.

mod support;

use support::http::{self, Response};
use support::sink::Sink;
use support::stack::{assert_kong_error, echoed};
use support::*;

fn start() -> (Gateway, Httpbin, Sink) {
    let httpbin = Httpbin::start();
    let sink = Sink::start();
    let route = |name: &str, config: &str| {
        format!("  - name: {name}\n    paths: [/{name}]\n    plugins:\n    - name: request-termination\n      config: {config}\n")
    };
    let routes: String = [
        route("default", "{}"),
        route("notfound", "{status_code: 404}"),
        route("custom", "{status_code: 418, message: I'm a teapot}"),
        route("nomessage", "{status_code: 418}"),
        route("html", "{body: '<html><body><h1>Down for maintenance</h1></body></html>', content_type: text/html}"),
        route("nocontent", "{status_code: 204}"),
        route("echo", "{status_code: 404, echo: true}"),
    ]
    .concat();
    let yaml = format!(
        r#"_format_version: "3.0"
services:
- name: sink
  url: http://127.0.0.1:{sink}
  routes:
{routes}- name: httpbin
  url: http://127.0.0.1:{port}
  routes:
  - name: trigger
    paths: [/trigger]
    plugins:
    - name: request-termination
      config: {{trigger: X-Stop, status_code: 403, message: Stopped}}
"#,
        port = httpbin.port(),
        sink = sink.port(),
    );
    (Gateway::start(&yaml), httpbin, sink)
}

#[test]
fn configured_answers_and_nothing_reaches_the_upstream() {
    let (gateway, _httpbin, sink) = start();
    let get = |path: &str| http::get(&gateway.url(path), &[]);
    let default = get("/default/x");
    assert_kong_error(&default, 503, "Service unavailable");
    assert_eq!(
        default.header("Content-Type"),
        Some("application/json; charset=utf-8")
    );
    assert_kong_error(&get("/notfound"), 404, "Not found");
    assert_kong_error(&get("/custom"), 418, "I'm a teapot");
    let bare = get("/nomessage");
    assert_eq!((bare.status, bare.body.len()), (418, 0));

    let html = get("/html");
    assert_eq!(html.status, 503);
    assert_eq!(html.header("Content-Type"), Some("text/html"));
    assert_eq!(
        html.text(),
        "<html><body><h1>Down for maintenance</h1></body></html>"
    );

    let none = get("/nocontent");
    assert_eq!(none.status, 204);
    assert_eq!(none.header("Content-Length"), None);

    let head = http::request("HEAD", &gateway.url("/custom"), &[], None).unwrap();
    assert_eq!((head.status, head.body.len()), (418, 0));
    assert_eq!(
        sink.connections(),
        0,
        "a terminated request reached the upstream"
    );
}

#[test]
fn echo_shows_the_request_without_its_credentials() {
    let (gateway, _httpbin, sink) = start();
    let response = http::request(
        "POST",
        &gateway.url("/echo/status/200?hello=there&flag&a=1&a=2"),
        &[
            ("Authorization", "Bearer very-secret"),
            ("Cookie", "session=also-secret"),
            ("X-Note", "hi"),
        ],
        Some(b"cool body"),
    )
    .unwrap();
    assert_eq!(response.status, 404);
    assert_eq!(
        response.header("Content-Type"),
        Some("application/json; charset=utf-8")
    );
    let echo: serde_json::Value = response.json();
    assert_eq!(echo["message"], "Not found");
    let request = &echo["request"];
    assert_eq!(request["method"], "POST");
    assert_eq!(request["path"], "/echo/status/200");
    assert_eq!(request["scheme"], "http");
    assert_eq!(request["host"], "127.0.0.1");
    assert_eq!(request["port"], gateway.port());
    assert_eq!(request["raw_body"], "cool body");
    assert_eq!(
        request["query"],
        serde_json::json!({"hello": "there", "flag": true, "a": ["1", "2"]})
    );
    assert_eq!(request["headers"]["x-note"], "hi");
    assert_eq!(request["headers"]["content-length"], "9");
    assert_eq!(request["headers"]["authorization"], "[redacted]");
    assert_eq!(request["headers"]["cookie"], "[redacted]");
    assert!(!response.text().contains("secret"));
    assert_eq!(sink.connections(), 0);
}

#[test]
fn trigger_terminates_only_when_present() {
    let (gateway, _httpbin, _sink) = start();
    let passed: Response = http::get(&gateway.url("/trigger/get"), &[]);
    assert_eq!(
        echoed(&passed)["url"].as_str().map(|u| u.ends_with("/get")),
        Some(true)
    );
    assert_kong_error(
        &http::get(&gateway.url("/trigger/get"), &[("x-stop", "")]),
        403,
        "Stopped",
    );
    assert_kong_error(
        &http::get(&gateway.url("/trigger/get"), &[("X-STOP", "1")]),
        403,
        "Stopped",
    );
    assert_kong_error(
        &http::get(&gateway.url("/trigger/get?X-Stop"), &[]),
        403,
        "Stopped",
    );
    // Query names are exact (Kong's get_query is case-sensitive).
    assert_eq!(
        http::get(&gateway.url("/trigger/get?x-stop=1"), &[]).status,
        200
    );
}
