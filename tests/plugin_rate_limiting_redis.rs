//! End-to-end: rate-limiting's `redis` policy against a real redis-server: two gateway
//! processes share one limit under Kong's key format; Redis going away lets requests pass
//! (`fault_tolerant`, counted in `/metrics`) or refuses them (500) without it; counting
//! resumes when Redis is back.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use support::http;
use support::redis::Redis;
use support::stack::assert_kong_error;
use support::*;

const PASSWORD: &str = "redis-test-password";

fn same_window_for_a_while() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let left = 3600 - now % 3600;
    if left < 30 {
        std::thread::sleep(std::time::Duration::from_secs(left + 1));
    }
}

fn config(httpbin: u16, redis: u16) -> String {
    format!(
        r#"_format_version: "3.0"
services:
- name: httpbin
  url: http://127.0.0.1:{httpbin}
  routes:
  - name: shared
    id: 5d0c8a66-9a0a-4c38-8f3c-7b0e1e2a9f01
    paths: [/shared]
    plugins:
    - name: rate-limiting
      config:
        hour: 3
        limit_by: ip
        policy: redis
        redis: {{host: 127.0.0.1, port: {redis}, password: {PASSWORD}, timeout: 200}}
  - name: strict
    paths: [/strict]
    plugins:
    - name: rate-limiting
      config: {{hour: 100, policy: redis, fault_tolerant: false, redis_host: 127.0.0.1, redis_port: {redis}, redis_password: {PASSWORD}, redis_timeout: 200}}
"#
    )
}

fn metric(gateway: &Gateway, name: &str) -> u64 {
    let text = http::get(&gateway.status_url("/metrics"), &[]).text();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} missing from /metrics"))
}

#[test]
fn two_gateways_share_one_limit_in_kongs_keys() {
    same_window_for_a_while();
    let httpbin = Httpbin::start();
    let redis = Redis::start(PASSWORD);
    let yaml = config(httpbin.port(), redis.port());
    let one = Gateway::start(&yaml);
    let two = Gateway::start(&yaml);
    let get = |gateway: &Gateway| http::get(&gateway.url("/shared/get"), &[]);
    let first = get(&one);
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.header("X-RateLimit-Remaining-Hour"), Some("2"));
    assert_eq!(get(&two).header("X-RateLimit-Remaining-Hour"), Some("1"));
    assert_eq!(get(&one).header("X-RateLimit-Remaining-Hour"), Some("0"));
    let refused = get(&two);
    assert_kong_error(&refused, 429, "API rate limit exceeded");
    assert!(refused.header("Retry-After").is_some());

    // Kong's key: ratelimit:<route_id>:<service_id>:<identifier>:<window start ms>:<period>.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let key = format!(
        "ratelimit:5d0c8a66-9a0a-4c38-8f3c-7b0e1e2a9f01:00000000-0000-0000-0000-000000000000:127.0.0.1:{}:hour",
        (now - now % 3600) * 1000
    );
    // Kong's realtime redis policy counts refused requests too.
    assert_eq!(redis.cli(&["GET", &key]), "4");
    let ttl: u64 = redis.cli(&["TTL", &key]).parse().unwrap();
    assert!((3000..=3600).contains(&ttl), "{ttl}");
    assert!(!one.logs().contains(PASSWORD) && !two.logs().contains(PASSWORD));
}

#[test]
fn redis_down_is_fault_tolerant_and_counting_resumes() {
    same_window_for_a_while();
    let httpbin = Httpbin::start();
    let mut redis = Redis::start(PASSWORD);
    let gateway = Gateway::start(&config(httpbin.port(), redis.port()));
    assert_eq!(http::get(&gateway.url("/shared/get"), &[]).status, 200);
    assert_eq!(http::get(&gateway.url("/strict/get"), &[]).status, 200);

    redis.stop();
    let before = metric(&gateway, "oidc_gateway_redis_failures_total");
    for _ in 0..10 {
        let passed = http::get(&gateway.url("/shared/get"), &[]);
        assert_eq!(passed.status, 200);
        assert_eq!(passed.header("X-RateLimit-Limit-Hour"), None);
    }
    let strict = http::get(&gateway.url("/strict/get"), &[]);
    assert_kong_error(&strict, 500, "An unexpected error occurred");
    assert!(metric(&gateway, "oidc_gateway_redis_failures_total") >= before + 10);

    // Back (empty): the gateway reconnects by itself and counts again.
    redis.restart();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let response = http::get(&gateway.url("/shared/get"), &[]);
        if response.header("X-RateLimit-Remaining-Hour").is_some() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no counting after Redis came back"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(!gateway.logs().contains(PASSWORD));
}
