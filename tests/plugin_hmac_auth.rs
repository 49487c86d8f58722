//! End-to-end: hmac-auth against the real httpbin: signed requests (Authorization and
//! Proxy-Authorization, each algorithm, request-line and @request-target), the consumer
//! headers, hide_credentials, enforce_headers and algorithms, the body digest, anonymous,
//! and each refusal's status, message and challenge, none of which reaches the upstream.

mod support;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use support::hmac::{credential, http_date, mac};
use support::http::{self, Response};
use support::sink::Sink;
use support::stack::{assert_kong_error, echoed};
use support::*;

const SECRET: &str = "alice-secret";
const NOT_VALID: &str = "HMAC signature cannot be verified";
const NOT_SAME: &str = "HMAC signature does not match";
const DATE_REQUIRED: &str = "HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication";

fn start() -> (Gateway, Httpbin, Sink) {
    let httpbin = Httpbin::start();
    let sink = Sink::start();
    let yaml = format!(
        r#"_format_version: "3.0"
services:
- name: httpbin
  url: http://127.0.0.1:{port}
  routes:
  - name: hmac
    paths: [/hmac]
    plugins:
    - name: hmac-auth
      config: {{realm: test-realm}}
  - name: strict
    paths: [/strict]
    plugins:
    - name: hmac-auth
      config:
        hide_credentials: true
        enforce_headers: [date, request-line]
        algorithms: [hmac-sha256, hmac-sha512]
  - name: body
    paths: [/body]
    plugins:
    - name: hmac-auth
      config: {{validate_request_body: true}}
  - name: anon
    paths: [/anon]
    plugins:
    - name: hmac-auth
      config: {{anonymous: guest}}
- name: sink
  url: http://127.0.0.1:{sink}
  routes:
  - name: sink
    paths: [/sink]
    plugins:
    - name: hmac-auth
      config: {{validate_request_body: true}}
consumers:
- username: alice
  custom_id: alice-custom
  hmacauth_credentials:
  - username: alice-hmac
    secret: {SECRET}
- username: guest
"#,
        port = httpbin.port(),
        sink = sink.port(),
    );
    (Gateway::start(&yaml), httpbin, sink)
}

/// A request signed over `date` and the request line, as Kong's docs show.
fn signed_get(gateway: &Gateway, path: &str, algorithm: &str, extra: &[(&str, &str)]) -> Response {
    let date = http_date(0);
    let signing = format!("date: {date}\nGET {path} HTTP/1.1");
    let auth = credential(
        "alice-hmac",
        algorithm,
        "date request-line",
        &mac(algorithm, SECRET, &signing),
    );
    let mut headers = vec![("Date", date.as_str()), ("Authorization", auth.as_str())];
    headers.extend_from_slice(extra);
    http::get(&gateway.url(path), &headers)
}

fn header<'a>(echo: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    echo["headers"][name].as_str()
}

#[test]
fn signed_requests_pass_with_the_consumer_headers() {
    let (gateway, _httpbin, _sink) = start();
    for algorithm in ["hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"] {
        let response = signed_get(
            &gateway,
            "/hmac/get?a=1&b=x%20y",
            algorithm,
            &[
                ("X-Consumer-Username", "forged"),
                ("X-Anonymous-Consumer", "true"),
            ],
        );
        let echo = echoed(&response);
        assert_eq!(
            header(&echo, "X-Consumer-Username"),
            Some("alice"),
            "{algorithm}"
        );
        assert_eq!(header(&echo, "X-Consumer-Custom-Id"), Some("alice-custom"));
        assert_eq!(header(&echo, "X-Credential-Identifier"), Some("alice-hmac"));
        assert!(header(&echo, "X-Consumer-Id").is_some());
        assert_eq!(header(&echo, "X-Anonymous-Consumer"), None);
        assert!(
            header(&echo, "Authorization").is_some_and(|v| v.starts_with("hmac username=")),
            "hide_credentials is off by default"
        );
        assert_eq!(echo["args"], serde_json::json!({"a": "1", "b": "x y"}));
    }

    // Proxy-Authorization, X-Date and @request-target, with an unrelated Authorization.
    let date = http_date(-60);
    let path = "/hmac/anything/p";
    let signing = format!("x-date: {date}\n@request-target: get {path}");
    let auth = credential(
        "alice-hmac",
        "hmac-sha256",
        "x-date @request-target",
        &mac("hmac-sha256", SECRET, &signing),
    );
    let response = http::get(
        &gateway.url(path),
        &[
            ("X-Date", &date),
            ("Proxy-Authorization", &auth),
            ("Authorization", "hello"),
        ],
    );
    let echo = echoed(&response);
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("alice"));
    assert_eq!(header(&echo, "Authorization"), Some("hello"));

    // A header named but absent is signed as `name:`; a malformed X-Date with a good Date
    // still passes the clock check.
    let date = http_date(0);
    let signing = format!("date: {date}\nx-missing:");
    let auth = credential(
        "alice-hmac",
        "hmac-sha1",
        "date x-missing",
        &mac("hmac-sha1", SECRET, &signing),
    );
    let response = http::get(
        &gateway.url("/hmac/get"),
        &[
            ("Date", &date),
            ("X-Date", "wrong date"),
            ("Authorization", &auth),
        ],
    );
    assert_eq!(
        echoed(&response)["headers"]["X-Credential-Identifier"],
        "alice-hmac"
    );
}

#[test]
fn refusals_have_kongs_status_message_and_challenge_and_never_reach_the_upstream() {
    let (gateway, _httpbin, sink) = start();
    let date = http_date(0);
    let good_sig = mac("hmac-sha256", SECRET, &format!("date: {date}"));
    let good = credential("alice-hmac", "hmac-sha256", "date", &good_sig);
    let check = |path: &str, headers: &[(&str, &str)], message: &str, challenge: &str| {
        let response = http::get(&gateway.url(path), headers);
        assert_kong_error(&response, 401, message);
        assert_eq!(
            response.header("WWW-Authenticate"),
            Some(challenge),
            "{message}"
        );
    };
    for (path, challenge) in [
        ("/hmac/get", "hmac realm=\"test-realm\""),
        ("/sink/get", "hmac"),
    ] {
        check(path, &[], "Unauthorized", challenge);
        check(path, &[("Date", &date)], "Unauthorized", challenge);
        check(path, &[("Authorization", &good)], DATE_REQUIRED, challenge);
        check(
            path,
            &[("Authorization", &good), ("Date", "wrong date")],
            DATE_REQUIRED,
            challenge,
        );
        let old = http_date(-3600);
        check(
            path,
            &[("Authorization", &good), ("Date", &old)],
            DATE_REQUIRED,
            challenge,
        );
        check(
            path,
            &[("Authorization", "hmac username"), ("Date", &date)],
            NOT_VALID,
            challenge,
        );
        check(
            path,
            &[("Authorization", "Basic YTpi"), ("Date", &date)],
            NOT_VALID,
            challenge,
        );
        let nobody = credential("nobody", "hmac-sha256", "date", &good_sig);
        check(
            path,
            &[("Authorization", &nobody), ("Date", &date)],
            NOT_VALID,
            challenge,
        );
        let md5 = credential("alice-hmac", "hmac-md5", "date", &good_sig);
        check(
            path,
            &[("Authorization", &md5), ("Date", &date)],
            NOT_VALID,
            challenge,
        );
        check(
            path,
            &[
                ("Authorization", &good),
                ("Authorization", &good),
                ("Date", &date),
            ],
            NOT_VALID,
            challenge,
        );
        let wrong = credential(
            "alice-hmac",
            "hmac-sha256",
            "date",
            &mac("hmac-sha256", "other", &format!("date: {date}")),
        );
        check(
            path,
            &[("Authorization", &wrong), ("Date", &date)],
            NOT_SAME,
            challenge,
        );
        let garbled = credential(
            "alice-hmac",
            "hmac-sha256",
            "date",
            "not really a base64 encoded value!!!",
        );
        check(
            path,
            &[("Authorization", &garbled), ("Date", &date)],
            NOT_SAME,
            challenge,
        );
        // Signed with one algorithm, claimed as another.
        let swapped = credential("alice-hmac", "hmac-sha512", "date", &good_sig);
        check(
            path,
            &[("Authorization", &swapped), ("Date", &date)],
            NOT_SAME,
            challenge,
        );
    }
    // The signed request line covers the query: a changed query does not match.
    let signing = format!("date: {date}\nGET /sink/get HTTP/1.1");
    let auth = credential(
        "alice-hmac",
        "hmac-sha256",
        "date request-line",
        &mac("hmac-sha256", SECRET, &signing),
    );
    check(
        "/sink/get?extra=1",
        &[("Authorization", &auth), ("Date", &date)],
        NOT_SAME,
        "hmac",
    );
    // The body digest (validate_request_body): a body without a Digest, a tampered body.
    let response = http::request(
        "POST",
        &gateway.url("/sink/post"),
        &[("Authorization", &good), ("Date", &date)],
        Some(b"payload"),
    )
    .unwrap();
    assert_kong_error(&response, 401, NOT_SAME);
    assert_eq!(
        sink.connections(),
        0,
        "a refused request reached the upstream"
    );

    // enforce_headers and algorithms of the strict route; its challenge has no realm.
    let sha1 = mac(
        "hmac-sha1",
        SECRET,
        &format!("date: {date}\nGET /strict/get HTTP/1.1"),
    );
    let sha1 = credential("alice-hmac", "hmac-sha1", "date request-line", &sha1);
    check(
        "/strict/get",
        &[("Authorization", &sha1), ("Date", &date)],
        NOT_VALID,
        "hmac",
    );
    check(
        "/strict/get",
        &[("Authorization", &good), ("Date", &date)],
        NOT_VALID,
        "hmac",
    );
    assert!(
        !gateway.logs().contains(&good_sig),
        "a signature reached the log"
    );
}

#[test]
fn hide_credentials_and_the_body_digest() {
    let (gateway, _httpbin, _sink) = start();
    let response = signed_get(&gateway, "/strict/get", "hmac-sha512", &[]);
    let echo = echoed(&response);
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("alice"));
    assert_eq!(
        header(&echo, "Authorization"),
        None,
        "hide_credentials removes it"
    );

    // A signed Digest over the body: the body reaches the upstream unchanged.
    let body = br#"{"a":"apple","b":"ball"}"#;
    let digest = format!(
        "SHA-256={}",
        STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, body).as_ref())
    );
    let date = http_date(0);
    let signing = format!("date: {date}\ndigest: {digest}");
    let auth = credential(
        "alice-hmac",
        "hmac-sha256",
        "date digest",
        &mac("hmac-sha256", SECRET, &signing),
    );
    let post = |body: &[u8], digest: &str| {
        http::request(
            "POST",
            &gateway.url("/body/post"),
            &[
                ("Authorization", &auth),
                ("Date", &date),
                ("Digest", digest),
                ("Content-Type", "application/json"),
            ],
            Some(body),
        )
        .unwrap()
    };
    let echo = echoed(&post(body, &digest));
    assert_eq!(
        echo["data"].as_str(),
        Some(std::str::from_utf8(body).unwrap())
    );
    assert_eq!(header(&echo, "X-Credential-Identifier"), Some("alice-hmac"));
    assert_kong_error(
        &post(br#"{"a":"apples","b":"ball"}"#, &digest),
        401,
        NOT_SAME,
    );

    // No body and no Digest passes; a body larger than the 64 KiB read limit fails.
    let response = signed_get(&gateway, "/body/get", "hmac-sha256", &[]);
    assert_eq!(echoed(&response)["headers"]["X-Consumer-Username"], "alice");
    let big = vec![b'x'; 70 * 1024];
    let big_digest = format!(
        "SHA-256={}",
        STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, &big).as_ref())
    );
    let signing = format!("date: {date}\ndigest: {big_digest}");
    let auth = credential(
        "alice-hmac",
        "hmac-sha256",
        "date digest",
        &mac("hmac-sha256", SECRET, &signing),
    );
    let response = http::request(
        "POST",
        &gateway.url("/body/post"),
        &[
            ("Authorization", &auth),
            ("Date", &date),
            ("Digest", &big_digest),
        ],
        Some(&big),
    )
    .unwrap();
    assert_kong_error(&response, 401, NOT_SAME);
}

#[test]
fn anonymous_stands_in_for_a_failed_authentication() {
    let (gateway, _httpbin, _sink) = start();
    for headers in [
        vec![],
        vec![("Authorization", "hmac username"), ("Date", "wrong")],
    ] {
        let response = http::get(&gateway.url("/anon/get"), &headers);
        let echo = echoed(&response);
        assert_eq!(header(&echo, "X-Consumer-Username"), Some("guest"));
        assert_eq!(header(&echo, "X-Anonymous-Consumer"), Some("true"));
        assert_eq!(header(&echo, "X-Credential-Identifier"), None);
    }
    let response = signed_get(&gateway, "/anon/get", "hmac-sha256", &[]);
    let echo = echoed(&response);
    assert_eq!(header(&echo, "X-Consumer-Username"), Some("alice"));
    assert_eq!(header(&echo, "X-Anonymous-Consumer"), None);
}
