//! The access log of the real binary: one JSON object per request with the expected fields,
//! and, after traffic carrying Basic credentials, a bearer token and credentials in a query
//! string, a gateway log (access and error lines) holding none of them.
//!
//! Needs `tests/setup.sh` first.

mod support;

use std::time::Duration;

use support::stack::{echoed, upstream_token};
use support::*;

/// The access lines (JSON objects) in the gateway log, once `expected` of them are written.
fn access_lines(gateway: &Gateway, expected: usize) -> Vec<serde_json::Value> {
    let read = || -> Vec<serde_json::Value> {
        gateway
            .logs()
            .lines()
            .filter(|line| line.starts_with('{'))
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("access line is not JSON ({e}): {line}"))
            })
            .collect()
    };
    poll(Duration::from_secs(5), Duration::from_millis(20), || {
        let lines = read();
        (lines.len() >= expected).then_some(lines)
    })
    .unwrap_or_else(|| panic!("expected {expected} access lines, log has {:?}", read()))
}

#[test]
fn json_access_lines_and_no_secret_anywhere_in_the_log() {
    let mut s = Stack::start(StackOptions::default());
    let basic = http::basic(KONG_ID, KONG_SECRET);

    let first = s.get("/oidc-route/get", &[("Authorization", &basic)]);
    let token = upstream_token(&echoed(&first));
    s.must_not_log(&token);
    let request_id = first.header("x-kong-request-id").unwrap_or("").to_owned();

    // Credentials in the query string, with a marker that must not be logged either.
    let marker = "query-marker-5b1e";
    s.must_not_log(marker);
    let query = format!("client_id={KONG_ID}&client_secret={KONG_SECRET}&note={marker}");
    s.must_not_log(&query);
    let by_query = s.get(&format!("/oidc-route/get?{query}"), &[]);
    assert_eq!(by_query.status, 200, "{}", by_query.text());

    // A bearer token on a client_credentials-only route, and a wrong secret: both refused.
    let bearer = format!("Bearer {token}");
    let refused = s.get("/oidc-route/get", &[("Authorization", &bearer)]);
    assert_eq!(refused.status, 401, "{}", refused.text());
    let wrong_secret = "wrong-secret-9c4d7e";
    s.must_not_log(wrong_secret);
    s.must_not_log(&http::basic(KONG_ID, wrong_secret)[6..]);
    let wrong = s.get_as("/oidc-route/get", KONG_ID, wrong_secret);
    assert_eq!(wrong.status, 401, "{}", wrong.text());

    let lines = access_lines(&s.gateway, 4);
    assert_eq!(lines.len(), 4, "{lines:#?}");
    for line in &lines {
        for field in [
            "time",
            "request_id",
            "method",
            "path",
            "latencies",
            "bytes_sent",
            "tries",
        ] {
            assert!(line.get(field).is_some(), "no {field}: {line}");
        }
        assert_eq!(line["client_ip"], "127.0.0.1", "{line}");
        assert_eq!(line["method"], "GET", "{line}");
        assert_eq!(line["path"], "/oidc-route/get", "the path only: {line}");
        assert_eq!(line["route"], "oidc-route", "{line}");
        assert_eq!(line["service"], "httpbin-service", "{line}");
        let id = line["request_id"].as_str().unwrap_or("");
        assert!(
            id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{line}"
        );
        let time = line["time"].as_str().unwrap_or("");
        assert!(
            time.len() == 24 && time.ends_with('Z') && time.contains('T'),
            "{line}"
        );
        assert!(line["latencies"]["request"].as_u64().is_some(), "{line}");
        assert!(line["latencies"]["kong"].as_u64().is_some(), "{line}");
    }
    for ok in &lines[..2] {
        assert_eq!(ok["status"], 200, "{ok}");
        assert_eq!(ok["upstream_status"], 200, "{ok}");
        assert_eq!(ok["source"], "service", "{ok}");
        assert_eq!(ok["consumer"], KONG_ID, "{ok}");
        assert_eq!(ok["tries"], 1, "{ok}");
        assert!(ok["latencies"]["upstream"].as_u64().is_some(), "{ok}");
        assert!(ok["bytes_sent"].as_u64().unwrap_or(0) > 0, "{ok}");
    }
    assert_eq!(lines[0]["request_id"], request_id.as_str());
    for refused in &lines[2..] {
        assert_eq!(refused["status"], 401, "{refused}");
        assert_eq!(refused["source"], "kong", "{refused}");
        assert_eq!(refused["consumer"], serde_json::Value::Null, "{refused}");
        assert_eq!(refused["tries"], 0, "{refused}");
    }
    // The whole log: no secret, Basic value, token, query or marker (also checked on drop).
    s.assert_logs_clean();
    assert!(
        !s.gateway.logs().contains("?client_id"),
        "a query string was logged"
    );
}

#[test]
fn text_access_lines_when_asked() {
    let closed = ports::free_port();
    let gateway = Gateway::start_with_env(
        &format!(
            "_format_version: \"3.0\"\nservices:\n- name: svc\n  url: http://127.0.0.1:{closed}\n  routes:\n  - name: r\n    paths: [/r]\n"
        ),
        &[("GATEWAY_LOG_FORMAT", "text")],
    );
    assert_eq!(
        http::get(&gateway.url("/nothing?secret=1"), &[]).status,
        404
    );
    assert_eq!(http::get(&gateway.url("/r/x"), &[]).status, 502);
    let lines = poll(Duration::from_secs(5), Duration::from_millis(20), || {
        let logs = gateway.logs();
        let lines: Vec<String> = logs
            .lines()
            .filter(|l| l.starts_with("GET "))
            .map(str::to_owned)
            .collect();
        (lines.len() >= 2).then_some(lines)
    })
    .unwrap_or_else(|| panic!("no text access lines: {}", gateway.logs()));
    assert!(
        lines[0].starts_with("GET /nothing route=- service=- consumer=- status=404 tries=0 "),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("GET /r/x route=r service=svc consumer=- status=502 tries="),
        "{}",
        lines[1]
    );
    assert!(!gateway.logs().contains("secret=1"));
    assert!(!gateway.logs().lines().any(|l| l.starts_with('{')));
}

/// Sends `request_line` as is (a path with `"` or `\\` that a client library would encode)
/// and returns the status code.
fn raw_status(port: u16, request_line: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "{request_line}\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

#[test]
fn access_log_ignores_log_level_and_stays_json_with_hostile_paths() {
    let closed = ports::free_port();
    let gateway = Gateway::start_with_env(
        &format!(
            "_format_version: \"3.0\"\nservices:\n- name: svc\n  url: http://127.0.0.1:{closed}\n  retries: 1\n  routes:\n  - name: r\n    paths: [/r]\n"
        ),
        &[("RUST_LOG", ""), ("GATEWAY_LOG_LEVEL", "warn")],
    );
    // Pingora logs a failed proxy attempt at warn and error: with the query, by default.
    let code = "SECRETCODE123";
    assert_eq!(
        http::get(&gateway.url(&format!("/r/cb?code={code}&state=s")), &[]).status,
        502
    );
    // A scrubbed value next to a quote and a backslash must not break the JSON escapes.
    assert_eq!(
        raw_status(gateway.port(), r#"GET /nothing/password=x"y\z HTTP/1.1"#),
        404
    );
    let lines = access_lines(&gateway, 2);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(lines[0]["path"], "/r/cb", "{}", lines[0]);
    assert_eq!(lines[0]["status"], 502, "{}", lines[0]);
    assert_eq!(
        lines[1]["path"], "/nothing/password=[redacted]\"y\\z",
        "{}",
        lines[1]
    );
    let logs = gateway.logs();
    assert!(
        logs.lines().any(|line| line.contains("WARN")),
        "Pingora's warnings are expected in this log: {logs}"
    );
    assert!(!logs.contains(code), "the query reached the log: {logs}");
    assert!(!logs.contains("x\\\"y"), "{logs}");
    assert!(
        !logs.lines().any(|line| line.contains(" INFO ")),
        "log_level warn hides info lines other than the access log: {logs}"
    );
}

#[test]
fn access_log_off_writes_no_access_line() {
    let gateway = Gateway::start_with_env(
        "_format_version: \"3.0\"\n",
        &[("RUST_LOG", ""), ("GATEWAY_ACCESS_LOG", "off")],
    );
    for _ in 0..3 {
        assert_eq!(http::get(&gateway.url("/nothing"), &[]).status, 404);
    }
    // The gateway's own start-up line shows the log is written; no access line is.
    let logs = gateway.logs();
    assert!(logs.contains("listening on"), "{logs}");
    assert!(!logs.contains("/nothing"), "{logs}");
}
