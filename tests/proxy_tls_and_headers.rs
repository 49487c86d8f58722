//! Proxy behaviour against real upstream processes: https services (TLS, `tls_verify`,
//! `ca_certificates`, SNI) and Kong's response headers (`X-Kong-Request-Id` both ways,
//! `X-Kong-Upstream-Latency`, `X-Kong-Proxy-Latency`, `X-Kong-Response-Latency`).

mod support;

use support::echo_process::{self_signed_localhost, EchoProcess};
use support::{http, Gateway};

fn indent(text: &str, spaces: usize) -> String {
    let pad = " ".repeat(spaces);
    text.lines()
        .map(|l| format!("{pad}{l}\n"))
        .collect::<String>()
}

#[test]
fn https_service_is_reached_over_tls_and_verified_when_asked() {
    let dir = support::temp_dir("tls-upstream");
    let tls = self_signed_localhost(&dir);
    let upstream = EchoProcess::start_tls("tls-echo", tls.clone());
    let pem = std::fs::read_to_string(&tls.cert).expect("read cert");
    let ca_id = "6a3b5b4e-4c3e-4d4e-9f5a-0b1c2d3e4f50";
    let yaml = format!(
        r#"_format_version: "3.0"
ca_certificates:
- id: {ca_id}
  cert: |
{pem}services:
- name: unverified
  url: https://localhost:{port}/base
  routes:
  - name: unverified
    paths: [/unverified]
- name: untrusted
  url: https://localhost:{port}
  tls_verify: true
  routes:
  - name: untrusted
    paths: [/untrusted]
- name: trusted
  url: https://localhost:{port}
  tls_verify: true
  ca_certificates: [{ca_id}]
  routes:
  - name: trusted
    paths: [/trusted]
"#,
        pem = indent(&pem, 4),
        port = upstream.port(),
    );
    let gateway = Gateway::start(&yaml);

    let response = http::get(&gateway.url("/unverified/x?y=1"), &[]);
    assert_eq!(response.status, 200, "{}", response.text());
    let echo = response.json();
    assert_eq!(echo["name"], "tls-echo");
    assert_eq!(echo["path"], "/base/x?y=1");

    let response = http::get(&gateway.url("/untrusted/x"), &[]);
    assert_eq!(
        response.status,
        502,
        "a self-signed certificate is refused with tls_verify: {}",
        response.text()
    );

    let response = http::get(&gateway.url("/trusted/x"), &[]);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json()["headers"]["host"],
        format!("localhost:{}", upstream.port())
    );
    support::remove_temp_dir(&dir);
}

#[test]
fn kong_headers_on_proxied_and_gateway_answers() {
    let upstream = EchoProcess::start("plain-echo");
    let yaml = format!(
        "_format_version: \"3.0\"\nservices:\n- name: echo\n  url: http://127.0.0.1:{}\n  routes:\n  - name: plain\n    paths: [/plain]\n",
        upstream.port()
    );
    let gateway = Gateway::start(&yaml);

    let response = http::get(&gateway.url("/plain/get"), &[]);
    assert_eq!(response.status, 200, "{}", response.text());
    let id = response
        .header("x-kong-request-id")
        .expect("X-Kong-Request-Id on the response")
        .to_owned();
    assert_eq!(id.len(), 32, "{id}");
    assert_eq!(
        response.json()["headers"]["x-kong-request-id"],
        id.as_str(),
        "the upstream saw the same request id"
    );
    for name in ["x-kong-upstream-latency", "x-kong-proxy-latency"] {
        let value = response.header(name).unwrap_or_else(|| panic!("{name}"));
        assert!(value.parse::<u64>().is_ok(), "{name}: {value}");
    }
    assert!(response
        .header("via")
        .is_some_and(|v| v.contains("oidc-gateway")));

    let second = http::get(&gateway.url("/plain/get"), &[]);
    assert_ne!(second.header("x-kong-request-id"), Some(id.as_str()));

    let not_found = http::get(&gateway.url("/nowhere"), &[]);
    assert_eq!(not_found.status, 404);
    assert_eq!(
        not_found.header("x-kong-request-id").map(str::len),
        Some(32)
    );
    assert!(not_found
        .header("x-kong-response-latency")
        .is_some_and(|v| v.parse::<u64>().is_ok()));
}

#[test]
fn kongs_headers_settings_choose_what_is_added() {
    let upstream = EchoProcess::start("plain-echo");
    let yaml = format!(
        "_format_version: \"3.0\"\nservices:\n- name: echo\n  url: http://127.0.0.1:{}\n  routes:\n  - name: plain\n    paths: [/plain]\n",
        upstream.port()
    );
    // Kong's tokens, case-insensitive; the upstream request id off.
    let gateway = Gateway::start_with_env(
        &yaml,
        &[
            ("GATEWAY_HEADERS", "server,X-Kong-Upstream-Status"),
            ("GATEWAY_HEADERS_UPSTREAM", "off"),
        ],
    );
    let response = http::get(&gateway.url("/plain/get"), &[]);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("x-kong-upstream-status"), Some("200"));
    for name in [
        "via",
        "x-kong-request-id",
        "x-kong-upstream-latency",
        "x-kong-proxy-latency",
    ] {
        assert_eq!(response.header(name), None, "{name} is not enabled");
    }
    assert!(
        response.json()["headers"]
            .get("x-kong-request-id")
            .is_none(),
        "headers_upstream off: {}",
        response.text()
    );
    let not_found = http::get(&gateway.url("/nowhere"), &[]);
    assert_eq!(not_found.status, 404);
    assert!(not_found
        .header("server")
        .is_some_and(|v| v.starts_with("oidc-gateway/")));
    assert_eq!(not_found.header("x-kong-response-latency"), None);
    drop(gateway);

    // `off`: nothing at all, not even Server on the gateway's own answers.
    let gateway = Gateway::start_with_env(&yaml, &[("GATEWAY_HEADERS", "off")]);
    let not_found = http::get(&gateway.url("/nowhere"), &[]);
    assert_eq!(not_found.status, 404);
    assert_eq!(not_found.header("server"), None);
    assert_eq!(not_found.header("x-kong-request-id"), None);
    let response = http::get(&gateway.url("/plain/get"), &[]);
    assert!(
        response.json()["headers"]["x-kong-request-id"].is_string(),
        "headers_upstream stays at Kong's default"
    );
}
