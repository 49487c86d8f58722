//! `upstreams` / `targets` in the declarative config: Kong's defaults, exact error paths,
//! and a service whose host names an upstream.

use std::net::SocketAddr;
use std::time::Duration;

use oidc_gateway::balancer::{Algorithm, HashSource, ProbeType};
use oidc_gateway::config::{compile_declarative_str, CompiledConfig, ConfigErrors, ServiceTarget};

fn compile(yaml: &str) -> CompiledConfig {
    match compile_declarative_str(yaml) {
        Ok(config) => config,
        Err(errors) => panic!("config rejected:\n{errors}"),
    }
}

fn errors_of(yaml: &str) -> ConfigErrors {
    match compile_declarative_str(yaml) {
        Ok(_) => panic!("config unexpectedly valid:\n{yaml}"),
        Err(errors) => errors,
    }
}

#[track_caller]
fn assert_error(errors: &ConfigErrors, path: &str, message: &str) {
    assert!(
        errors
            .iter()
            .any(|e| e.path == path && e.message.starts_with(message)),
        "no error `{path}: {message}...` in:\n{errors}"
    );
}

/// A document with one upstream whose body (indented 2) is `upstream`.
fn with_upstream(upstream: &str) -> String {
    format!("_format_version: \"3.0\"\nupstreams:\n- name: up.internal\n{upstream}")
}

#[test]
fn defaults_follow_kong() {
    let config = compile(&with_upstream("  targets:\n  - target: 127.0.0.1\n"));
    let up = &config.upstreams[0];
    let s = up.settings();
    assert_eq!(up.name(), "up.internal");
    assert_eq!(up.host_header(), None);
    assert_eq!(s.algorithm, Algorithm::RoundRobin);
    assert_eq!(s.hash_on, HashSource::None);
    assert_eq!(s.hash_fallback, HashSource::None);
    assert_eq!(s.slots, 10_000);
    let a = &s.healthchecks.active;
    assert_eq!(a.probe, ProbeType::Http);
    assert_eq!(a.timeout, Duration::from_secs(1));
    assert_eq!(a.concurrency, 10);
    assert_eq!(a.http_path, "/");
    assert!(a.https_verify_certificate);
    assert_eq!(a.healthy_interval, Duration::ZERO);
    assert_eq!(a.unhealthy_interval, Duration::ZERO);
    assert_eq!(a.thresholds.healthy_statuses, vec![200, 302]);
    assert_eq!(
        a.thresholds.unhealthy_statuses,
        vec![429, 404, 500, 501, 502, 503, 504, 505]
    );
    assert_eq!(
        (
            a.thresholds.successes,
            a.thresholds.tcp_failures,
            a.thresholds.timeouts,
            a.thresholds.http_failures
        ),
        (0, 0, 0, 0)
    );
    let p = &s.healthchecks.passive;
    let mut healthy: Vec<u16> = (200..=208).collect();
    healthy.push(226);
    healthy.extend(300..=308);
    assert_eq!(p.healthy_statuses, healthy);
    assert_eq!(p.unhealthy_statuses, vec![429, 500, 503]);
    assert_eq!(s.healthchecks.threshold, 0.0);
    assert!(!up.has_active_checks());
    let t = &up.targets()[0];
    assert_eq!(
        (t.host.as_str(), t.port, t.weight),
        ("127.0.0.1", 8000, 100)
    );
    assert_eq!(t.address, "127.0.0.1:8000".parse::<SocketAddr>().unwrap());
}

#[test]
fn a_service_whose_host_names_an_upstream_uses_it() {
    let config = compile(
        r#"_format_version: "3.0"
services:
- name: via-upstream
  host: Up.Internal
  routes: [{paths: [/a]}]
- name: direct
  host: 127.0.0.1
  port: 9000
upstreams:
- name: up.internal
  algorithm: least-connections
  host_header: backend.example
  healthchecks:
    active:
      type: tcp
      healthy: {interval: 0.5, successes: 2}
      unhealthy: {interval: 0.25, tcp_failures: 3}
    threshold: 50
  targets:
  - target: 127.0.0.1:9001
    weight: 10
  - target: localhost:9002
- name: other
targets:
- target: "[::1]:9003"
  upstream: up.internal
- target: 127.0.0.2
  upstream: {name: other}
"#,
    );
    assert_eq!(config.services[0].target, ServiceTarget::Upstream(0));
    assert_eq!(
        config.services[1].target,
        ServiceTarget::Address("127.0.0.1:9000".parse().unwrap())
    );
    let up = &config.upstreams[0];
    assert_eq!(up.host_header(), Some("backend.example"));
    assert_eq!(up.settings().algorithm, Algorithm::LeastConnections);
    assert!(up.has_active_checks());
    let a = &up.settings().healthchecks.active;
    assert_eq!(a.healthy_interval, Duration::from_millis(500));
    assert_eq!(a.unhealthy_interval, Duration::from_millis(250));
    assert_eq!(a.probe, ProbeType::Tcp);
    let hosts: Vec<(&str, u16, u32)> = up
        .settings()
        .targets
        .iter()
        .map(|t| (t.host.as_str(), t.port, t.weight))
        .collect();
    assert_eq!(
        hosts,
        vec![
            ("127.0.0.1", 9001, 10),
            ("localhost", 9002, 100),
            ("::1", 9003, 100)
        ]
    );
    // `localhost` is resolved at run time (the DNS refresher), not by the compiler.
    assert_eq!(
        up.settings().targets[1].dns.as_ref().map(|n| n.name()),
        Some("localhost")
    );
    assert!(up.settings().targets[0].dns.is_none());
    assert_eq!(config.upstreams[1].settings().targets[0].port, 8000);
}

#[test]
fn hashing_settings() {
    let config = compile(&with_upstream(
        "  hash_on: header\n  hash_on_header: X-User\n  hash_fallback: ip\n  slots: 100\n",
    ));
    let s = config.upstreams[0].settings();
    // hash_on without an algorithm means consistent hashing.
    assert_eq!(s.algorithm, Algorithm::ConsistentHashing);
    assert_eq!(s.hash_on, HashSource::Header("x-user".into()));
    assert_eq!(s.hash_fallback, HashSource::Ip);
    assert_eq!(s.slots, 100);
    let config = compile(&with_upstream(
        "  algorithm: consistent-hashing\n  hash_on: cookie\n  hash_on_cookie: sticky\n",
    ));
    assert_eq!(
        config.upstreams[0].settings().hash_on,
        HashSource::Cookie {
            name: "sticky".into(),
            path: "/".into()
        }
    );
}

#[test]
fn upstream_errors_name_their_exact_path() {
    let e = errors_of(&with_upstream(
        r#"  algorithm: latency
  slots: 5
  hash_on: uri_capture
  hash_fallback: bogus
  healthchecks:
    threshold: 101
    active:
      type: grpc
      timeout: -1
      concurrency: 0
      http_path: nope
      headers: {"bad header": [x]}
      healthy: {interval: -0.5, http_statuses: [200, 1000], successes: 256}
      unhealthy: {interval: 70000, tcp_failures: 300}
    passive:
      unhealthy: {http_statuses: [99], timeouts: 1000}
  targets:
  - target: 127.0.0.1:80
  - target: 127.0.0.1:80
  - target: "a b"
  - target: 127.0.0.1:81
    weight: 70000
  - weight: 1
  - target: 127.0.0.1:82
    surprise: 1
"#,
    ));
    let base = "upstreams[0]";
    for (path, message) in [
        ("algorithm", "unsupported value 'latency'"),
        ("slots", "invalid value: expected 10..=65536"),
        ("hash_on", "unsupported value 'uri_capture'"),
        ("hash_fallback", "invalid value"),
        ("healthchecks.threshold", "invalid value"),
        ("healthchecks.active.type", "unsupported value"),
        ("healthchecks.active.timeout", "invalid value"),
        ("healthchecks.active.concurrency", "invalid value"),
        ("healthchecks.active.http_path", "invalid value"),
        ("healthchecks.active.headers.bad header", "invalid value"),
        ("healthchecks.active.healthy.interval", "invalid value"),
        (
            "healthchecks.active.healthy.http_statuses[1]",
            "invalid value",
        ),
        ("healthchecks.active.healthy.successes", "invalid value"),
        ("healthchecks.active.unhealthy.interval", "invalid value"),
        (
            "healthchecks.active.unhealthy.tcp_failures",
            "invalid value",
        ),
        (
            "healthchecks.passive.unhealthy.http_statuses[0]",
            "invalid value",
        ),
        ("healthchecks.passive.unhealthy.timeouts", "invalid value"),
        ("targets[1].target", "duplicate target '127.0.0.1:80'"),
        ("targets[2].target", "invalid value"),
        ("targets[3].weight", "invalid value: expected 0..=65535"),
        ("targets[4].target", "missing field"),
        ("targets[5].surprise", "unknown field"),
    ] {
        assert_error(&e, &format!("{base}.{path}"), message);
    }
}

#[test]
fn hash_rules() {
    let cases = [
        ("  hash_on: header\n", "hash_on_header", "missing field"),
        (
            "  hash_on: ip\n  hash_fallback: header\n",
            "hash_fallback_header",
            "missing field",
        ),
        ("  hash_on: cookie\n", "hash_on_cookie", "missing field"),
        (
            "  hash_on: cookie\n  hash_on_cookie: c\n  hash_fallback: ip\n",
            "hash_fallback",
            "invalid value: must be 'none' when hash_on is 'cookie'",
        ),
        (
            "  hash_on: ip\n  hash_fallback: cookie\n  hash_on_cookie: c\n",
            "hash_fallback",
            "invalid value: 'cookie' is only allowed as hash_on",
        ),
        (
            "  hash_fallback: ip\n",
            "hash_fallback",
            "invalid value: must be 'none' when hash_on is 'none'",
        ),
        (
            "  hash_on: ip\n  hash_fallback: ip\n",
            "hash_fallback",
            "invalid value: must differ",
        ),
        (
            "  hash_on: header\n  hash_on_header: a\n  hash_fallback: header\n  hash_fallback_header: A\n",
            "hash_fallback_header",
            "invalid value: must differ",
        ),
        ("  hash_on: query_arg\n", "hash_on_query_arg", "missing field"),
        (
            "  hash_on: cookie\n  hash_on_cookie: c\n  hash_on_cookie_path: x\n",
            "hash_on_cookie_path",
            "invalid value",
        ),
        (
            "  hash_on: cookie\n  hash_on_cookie: c\n  hash_on_cookie_path: \"/a\\r\\nX-Evil: 1\"\n",
            "hash_on_cookie_path",
            "invalid value",
        ),
        ("  algorithm: sticky-sessions\n", "algorithm", "unsupported value"),
        ("  algorithm: random\n", "algorithm", "invalid value"),
    ];
    for (body, field, message) in cases {
        let e = errors_of(&with_upstream(body));
        assert_error(&e, &format!("upstreams[0].{field}"), message);
    }
}

#[test]
fn entity_errors() {
    let e = errors_of(
        r#"_format_version: "3.0"
upstreams:
- name: a
- name: A
- name: "not a host"
- {}
- name: b
  targets:
  - target: 127.0.0.1
    upstream: a
targets:
- target: 127.0.0.1
- target: 127.0.0.1
  upstream: nope
- target: name.invalid
  upstream: a
"#,
    );
    assert_error(&e, "upstreams[1].name", "duplicate name");
    assert_error(
        &e,
        "upstreams[2].name",
        "invalid value: expected a host name",
    );
    assert_error(&e, "upstreams[3].name", "missing field");
    assert_error(
        &e,
        "upstreams[4].targets[0].upstream",
        "not allowed in a target nested in an upstream",
    );
    assert_error(&e, "targets[0].upstream", "missing field");
    assert_error(&e, "targets[1].upstream", "no upstream 'nope'");
    // A target name that does not resolve is no config error: it resolves at run time.
    assert!(!e.iter().any(|e| e.path == "targets[2].target"), "{e}");
}

#[test]
fn a_service_on_a_broken_upstream_gets_no_lookup_error() {
    let e = errors_of(
        r#"_format_version: "3.0"
services:
- name: s
  host: broken.pool
upstreams:
- name: broken.pool
  slots: 1
"#,
    );
    assert_error(&e, "upstreams[0].slots", "invalid value");
    assert_eq!(e.len(), 1, "{e}");
}
