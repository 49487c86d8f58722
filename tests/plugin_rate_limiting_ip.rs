//! End-to-end: rate-limiting's `local` policy (Kong's headers, the 429 with Retry-After,
//! counting by consumer, header and ip, nothing of a refused request reaching the upstream)
//! and ip-restriction on the client address that Kong's trusted_ips / real_ip_header rules
//! give, against the real httpbin.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use support::http;
use support::sink::Sink;
use support::stack::{assert_kong_error, echoed};
use support::*;

/// Windows are hours: wait past an hour's last seconds so one test stays in one window.
fn same_window_for_a_while() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let left = 3600 - now % 3600;
    if left < 20 {
        std::thread::sleep(std::time::Duration::from_secs(left + 1));
    }
}

fn config(httpbin: u16, sink: u16) -> String {
    format!(
        r#"_format_version: "3.0"
consumers:
- username: alice
  keyauth_credentials: [{{key: alice-key}}]
- username: bob
  keyauth_credentials: [{{key: bob-key}}]
services:
- name: httpbin
  url: http://127.0.0.1:{httpbin}
  routes:
  - name: by-consumer
    paths: [/by-consumer]
    plugins:
    - name: key-auth
    - name: rate-limiting
      config: {{hour: 2, day: 100}}
  - name: by-header
    paths: [/by-header]
    plugins:
    - name: rate-limiting
      config: {{hour: 1, limit_by: header, header_name: X-Tenant, hide_client_headers: true, error_code: 503, error_message: slow down}}
  - name: denied
    paths: [/denied]
    plugins:
    - name: ip-restriction
      config: {{deny: [127.0.0.0/8, "::1"]}}
  - name: allowed
    paths: [/allowed]
    plugins:
    - name: ip-restriction
      config: {{allow: [127.0.0.1/32]}}
  - name: outsiders
    paths: [/outsiders]
    plugins:
    - name: ip-restriction
      config: {{allow: [10.0.0.0/8], status: 401, message: not from here}}
  - name: forwarded
    paths: [/forwarded]
    plugins:
    - name: ip-restriction
      config: {{deny: [203.0.113.0/24]}}
- name: sink
  url: http://127.0.0.1:{sink}
  routes:
  - name: by-ip
    paths: [/by-ip]
    plugins:
    - name: rate-limiting
      config: {{hour: 1, limit_by: ip}}
"#
    )
}

fn start(env: &[(&str, &str)]) -> (Gateway, Httpbin, Sink) {
    let httpbin = Httpbin::start();
    let sink = Sink::start();
    let gateway = Gateway::start_with_env(&config(httpbin.port(), sink.port()), env);
    (gateway, httpbin, sink)
}

#[test]
fn limits_per_consumer_with_kongs_headers() {
    same_window_for_a_while();
    let (gateway, _httpbin, _sink) = start(&[]);
    let get = |key: &str| http::get(&gateway.url("/by-consumer/get"), &[("apikey", key)]);
    let first = get("alice-key");
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.header("X-RateLimit-Limit-Hour"), Some("2"));
    assert_eq!(first.header("X-RateLimit-Remaining-Hour"), Some("1"));
    assert_eq!(first.header("X-RateLimit-Limit-Day"), Some("100"));
    assert_eq!(first.header("X-RateLimit-Remaining-Day"), Some("99"));
    assert_eq!(first.header("RateLimit-Limit"), Some("2"));
    assert_eq!(first.header("RateLimit-Remaining"), Some("1"));
    let reset: u64 = first.header("RateLimit-Reset").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&reset), "{reset}");
    assert_eq!(get("alice-key").header("RateLimit-Remaining"), Some("0"));

    let refused = get("alice-key");
    assert_kong_error(&refused, 429, "API rate limit exceeded");
    assert_eq!(refused.header("X-RateLimit-Remaining-Hour"), Some("0"));
    // The day period did not stop it, so it is not counted there either.
    assert_eq!(refused.header("X-RateLimit-Remaining-Day"), Some("98"));
    let retry: u64 = refused.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry));

    // Another consumer has its own count; refused requests did not count.
    let bob = get("bob-key");
    assert_eq!(bob.status, 200);
    assert_eq!(bob.header("X-RateLimit-Remaining-Hour"), Some("1"));
    assert_eq!(
        get("alice-key").header("X-RateLimit-Remaining-Day"),
        Some("98")
    );
    // Authentication runs first: no key, no count.
    assert_eq!(http::get(&gateway.url("/by-consumer/get"), &[]).status, 401);
}

#[test]
fn header_identifier_custom_error_and_hidden_headers() {
    same_window_for_a_while();
    let (gateway, _httpbin, _sink) = start(&[]);
    let get = |tenant: Option<&str>| {
        let headers: Vec<(&str, &str)> = tenant.map(|t| ("X-Tenant", t)).into_iter().collect();
        http::get(&gateway.url("/by-header/get"), &headers)
    };
    let first = get(Some("t1"));
    assert_eq!(first.status, 200);
    assert_eq!(first.header("RateLimit-Limit"), None);
    assert_eq!(first.header("X-RateLimit-Limit-Hour"), None);
    let refused = get(Some("t1"));
    assert_kong_error(&refused, 503, "slow down");
    assert_eq!(refused.header("Retry-After"), None);
    assert_eq!(get(Some("t2")).status, 200);
    // Without the header, the client address is counted.
    assert_eq!(get(None).status, 200);
    assert_eq!(get(None).status, 503);
}

#[test]
fn refused_requests_never_reach_the_upstream() {
    same_window_for_a_while();
    let (gateway, _httpbin, sink) = start(&[]);
    let first = http::get(&gateway.url("/by-ip/x"), &[]);
    assert_ne!(first.status, 429);
    let connections = sink.connections();
    assert!(connections >= 1);
    for _ in 0..5 {
        assert_kong_error(
            &http::get(&gateway.url("/by-ip/x"), &[]),
            429,
            "API rate limit exceeded",
        );
    }
    assert_eq!(sink.connections(), connections);
}

#[test]
fn ip_restriction_allow_deny_status_and_message() {
    let (gateway, _httpbin, _sink) = start(&[]);
    assert_kong_error(
        &http::get(&gateway.url("/denied/get"), &[]),
        403,
        "IP address not allowed: 127.0.0.1",
    );
    assert_eq!(http::get(&gateway.url("/allowed/get"), &[]).status, 200);
    assert_kong_error(
        &http::get(&gateway.url("/outsiders/get"), &[]),
        401,
        "not from here",
    );
    // Without trusted_ips a client's forwarding headers change nothing.
    let spoofed = http::get(
        &gateway.url("/outsiders/get"),
        &[("X-Real-IP", "10.1.2.3"), ("X-Forwarded-For", "10.1.2.3")],
    );
    assert_kong_error(&spoofed, 401, "not from here");
    let echo = echoed(&http::get(
        &gateway.url("/allowed/anything?show_env=1"),
        &[("X-Real-IP", "10.1.2.3")],
    ));
    assert_eq!(echo["headers"]["X-Real-Ip"], "127.0.0.1");
}

#[test]
fn trusted_proxies_forward_the_client_address() {
    let (gateway, _httpbin, _sink) = start(&[
        ("GATEWAY_TRUSTED_IPS", "127.0.0.1, ::1"),
        ("GATEWAY_REAL_IP_HEADER", "X-Forwarded-For"),
        ("GATEWAY_REAL_IP_RECURSIVE", "on"),
    ]);
    let forwarded = |xff: &str| {
        http::get(
            &gateway.url("/forwarded/anything?show_env=1"),
            &[("X-Forwarded-For", xff)],
        )
    };
    assert_kong_error(
        &forwarded("203.0.113.9"),
        403,
        "IP address not allowed: 203.0.113.9",
    );
    // Recursive: trusted hops on the right are skipped.
    assert_kong_error(
        &forwarded("203.0.113.9, 127.0.0.1"),
        403,
        "IP address not allowed: 203.0.113.9",
    );
    let passed = forwarded("198.51.100.4");
    assert_eq!(passed.status, 200);
    let echo = echoed(&passed);
    assert_eq!(echo["headers"]["X-Real-Ip"], "198.51.100.4");
    assert_eq!(
        echo["headers"]["X-Forwarded-For"],
        "198.51.100.4, 198.51.100.4"
    );
    // Not an address: the peer stays the client.
    for bad in ["not-an-ip", "999.1.1.1", "[::1", ""] {
        let response = forwarded(bad);
        assert_eq!(response.status, 200, "{bad}");
        assert_eq!(
            echoed(&response)["headers"]["X-Real-Ip"],
            "127.0.0.1",
            "{bad}"
        );
    }
    // rate-limiting by ip counts the forwarded client.
    same_window_for_a_while();
    let by_ip = |xff: &str| http::get(&gateway.url("/by-ip/x"), &[("X-Forwarded-For", xff)]);
    assert_ne!(by_ip("198.51.100.1").status, 429);
    assert_eq!(by_ip("198.51.100.1").status, 429);
    assert_ne!(by_ip("198.51.100.2").status, 429);
}
