//! End-to-end: Kong's multi-authentication pattern: an authentication plugin with
//! `anonymous`, and a request-termination scoped to the anonymous consumer that answers 401
//! to whoever did not authenticate. (hmac-auth is the authentication plugin here; with a
//! second one, e.g. key-auth, each would carry the same `anonymous`.)

mod support;

use support::hmac::{credential, http_date, mac, signed_get_headers};
use support::http;
use support::sink::Sink;
use support::stack::{assert_kong_error, echoed};
use support::*;

fn start() -> (Gateway, Httpbin, Sink) {
    let httpbin = Httpbin::start();
    let sink = Sink::start();
    let yaml = format!(
        r#"_format_version: "3.0"
services:
- name: httpbin
  url: http://127.0.0.1:{port}
  routes:
  - name: multi
    paths: [/multi]
    plugins:
    - name: hmac-auth
      config: {{anonymous: anonymous}}
  - name: open
    paths: [/open]
- name: sink
  url: http://127.0.0.1:{sink}
  routes:
  - name: sink
    paths: [/sink]
    plugins:
    - name: hmac-auth
      config: {{anonymous: anonymous}}
consumers:
- username: alice
  hmacauth_credentials: [{{username: alice-hmac, secret: alice-secret}}]
- username: anonymous
plugins:
- name: request-termination
  consumer: anonymous
  config: {{status_code: 401}}
"#,
        port = httpbin.port(),
        sink = sink.port(),
    );
    (Gateway::start(&yaml), httpbin, sink)
}

#[test]
fn authenticated_requests_pass_and_the_anonymous_consumer_is_terminated() {
    let (gateway, _httpbin, sink) = start();
    let signed = signed_get_headers("alice-hmac", "alice-secret", "/multi/get");
    let headers: Vec<(&str, &str)> = signed
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let echo = echoed(&http::get(&gateway.url("/multi/get"), &headers));
    assert_eq!(echo["headers"]["X-Consumer-Username"], "alice");
    assert_eq!(echo["headers"]["X-Credential-Identifier"], "alice-hmac");

    // No credential, or one that fails: anonymous, then request-termination's 401.
    let date = http_date(0);
    let wrong = credential(
        "alice-hmac",
        "hmac-sha256",
        "date",
        &mac("hmac-sha256", "nope", &date),
    );
    for path in ["/multi/get", "/sink/get"] {
        let refused = http::get(&gateway.url(path), &[]);
        assert_kong_error(&refused, 401, "Unauthorized");
        assert_eq!(refused.header("WWW-Authenticate"), None);
        let refused = http::get(
            &gateway.url(path),
            &[("Date", &date), ("Authorization", &wrong)],
        );
        assert_kong_error(&refused, 401, "Unauthorized");
    }
    assert_eq!(
        sink.connections(),
        0,
        "the anonymous consumer reached the upstream"
    );

    // A route without the authentication plugin never sees the anonymous consumer.
    let echo = echoed(&http::get(&gateway.url("/open/get"), &[]));
    assert_eq!(
        echo["headers"]["X-Consumer-Username"],
        serde_json::Value::Null
    );
}
