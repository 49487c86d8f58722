//! Run-time DNS against a real DNS server on loopback (dnsmasq) that the tests change while
//! the gateway runs: addresses added and removed under load, a TTL that expires, the server
//! down (stale answers, then 503), a name that appears later, SRV with weighted targets, and
//! `-t` on a name that does not resolve, IdP URLs by name. Echo servers listen on 127.0.0.x
//! addresses.

mod mint;
mod stub_idp;
mod support;

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use support::dnsmasq::Dnsmasq;
use support::echo_process::EchoProcess;
use support::wrk::Wrk;
use support::{http, Gateway};

/// A service on `host:port` with route `/dns`.
fn config(host: &str, port: u16) -> String {
    format!(
        "_format_version: \"3.0\"\nservices:\n- name: svc\n  host: {host}\n  port: {port}\n  retries: 2\n  connect_timeout: 1000\n  routes:\n  - name: dns\n    paths: [/dns]\n"
    )
}

/// The gateway pointed at `dns` with short negative and error TTLs.
fn gateway(yaml: &str, dns: &Dnsmasq, extra: &[(&str, &str)]) -> Gateway {
    let address = dns.address();
    let mut env = vec![
        ("GATEWAY_DNS_RESOLVER", address.as_str()),
        ("GATEWAY_DNS_NOT_FOUND_TTL", "1"),
        ("GATEWAY_DNS_ERROR_TTL", "1"),
        ("RUST_LOG", "info"),
    ];
    env.extend_from_slice(extra);
    Gateway::start_with_env(yaml, &env)
}

fn served_by(gateway: &Gateway) -> Option<String> {
    let response = http::get(&gateway.url("/dns/x"), &[]);
    (response.status == 200)
        .then(|| response.header("x-upstream-name").map(str::to_owned))
        .flatten()
}

fn counts(gateway: &Gateway, n: usize) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for _ in 0..n {
        let who = served_by(gateway).unwrap_or_else(|| "failed".to_owned());
        *seen.entry(who).or_insert(0) += 1;
    }
    seen
}

/// Polls (every 100 ms, at most `limit`) until `check` holds; returns how long it took.
fn within(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    support::poll(limit, Duration::from_millis(100), || {
        check().then(|| start.elapsed())
    })
}

#[test]
fn addresses_added_and_removed_under_load_lose_no_request() {
    let port = support::ports::free_port();
    let a = EchoProcess::start_at("a", "127.0.0.2", port);
    let b = EchoProcess::start_at("b", "127.0.0.3", port);
    let mut dns = Dnsmasq::start("127.0.0.2 pool.test\n", 1, &[]);
    let gateway = gateway(&config("pool.test", port), &dns, &[]);
    assert_eq!(counts(&gateway, 10).get("a"), Some(&10));

    let dir = support::temp_dir("dns-wrk");
    let wrk = Wrk::start(&dir, &gateway.url("/dns/load"), 2, 8, 7);
    std::thread::sleep(Duration::from_secs(1));
    dns.set_hosts("127.0.0.2 pool.test\n127.0.0.3 pool.test\n");
    let both = within(Duration::from_secs(4), || counts(&gateway, 6).len() == 2);
    assert!(both.is_some(), "the added address never got traffic");
    dns.set_hosts("127.0.0.3 pool.test\n");
    let only_b = within(Duration::from_secs(4), || {
        counts(&gateway, 6).get("b") == Some(&6)
    });
    assert!(only_b.is_some(), "the removed address still gets traffic");
    let summary = wrk.finish(Duration::from_secs(20));
    summary.assert_no_failures();
    // `a` still answers: nothing went there since its record went away.
    assert_eq!(counts(&gateway, 10).get("b"), Some(&10));
    drop((a, b));
    support::remove_temp_dir(&dir);
}

#[test]
fn a_name_that_appears_later_works_without_reload_and_ttls_expire() {
    let port = support::ports::free_port();
    let _a = EchoProcess::start_at("a", "127.0.0.2", port);
    let _b = EchoProcess::start_at("b", "127.0.0.3", port);
    let mut dns = Dnsmasq::start("", 1, &[]);
    let gateway = gateway(&config("late.test", port), &dns, &[]);
    let response = http::get(&gateway.url("/dns/x"), &[]);
    assert_eq!(response.status, 503, "{}", response.text());
    assert_eq!(response.json()["message"], "name resolution failed");
    assert!(response
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json")));

    dns.set_hosts("127.0.0.2 late.test\n");
    let appeared = within(Duration::from_secs(5), || {
        served_by(&gateway).as_deref() == Some("a")
    });
    assert!(appeared.is_some(), "the name never started working");

    // The record's TTL (1 s) expires: the new address is used without a reload.
    dns.set_hosts("127.0.0.3 late.test\n");
    let moved = within(Duration::from_secs(5), || {
        served_by(&gateway).as_deref() == Some("b")
    });
    assert!(moved.is_some(), "the expired record was never refreshed");
}

#[test]
fn a_dns_server_down_serves_stale_answers_then_503() {
    let port = support::ports::free_port();
    let _a = EchoProcess::start_at("a", "127.0.0.2", port);
    let mut dns = Dnsmasq::start("127.0.0.2 stale.test\n", 1, &[]);
    let gateway = gateway(
        &config("stale.test", port),
        &dns,
        &[("GATEWAY_DNS_STALE_TTL", "4")],
    );
    assert_eq!(served_by(&gateway).as_deref(), Some("a"));
    dns.stop();
    let stopped = Instant::now();
    // Past the record's TTL, within dns_stale_ttl: the last answer is served.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(served_by(&gateway).as_deref(), Some("a"), "no stale answer");
    let failed = within(Duration::from_secs(20), || {
        http::get(&gateway.url("/dns/x"), &[]).status == 503
    });
    assert!(failed.is_some(), "stale answers were served forever");
    assert!(stopped.elapsed() >= Duration::from_secs(4));
    let response = http::get(&gateway.url("/dns/x"), &[]);
    assert_eq!(response.json()["message"], "name resolution failed");

    dns.restart();
    let back = within(Duration::from_secs(8), || {
        served_by(&gateway).as_deref() == Some("a")
    });
    assert!(back.is_some(), "the name never resolved again");
}

#[test]
fn srv_records_give_weighted_targets_with_their_ports() {
    let a = EchoProcess::start_at("a", "127.0.0.2", support::ports::free_port());
    let b = EchoProcess::start_at("b", "127.0.0.3", support::ports::free_port());
    let srv_a = format!("svc.test,a.test,{},0,30", a.port());
    let srv_b = format!("svc.test,b.test,{},0,10", b.port());
    let dns = Dnsmasq::start(
        "127.0.0.2 a.test\n127.0.0.3 b.test\n",
        30,
        &[&srv_a, &srv_b],
    );
    let gateway = gateway(&config("svc.test", 1), &dns, &[]);
    let seen = counts(&gateway, 80);
    assert_eq!(seen.get("failed"), None, "{seen:?}");
    assert_eq!(seen.get("a"), Some(&60), "weights 30:10 over 80: {seen:?}");
    assert_eq!(seen.get("b"), Some(&20), "{seen:?}");
}

#[test]
fn check_mode_warns_about_a_name_that_does_not_resolve() {
    let dns = Dnsmasq::start("", 1, &[]);
    let dir = support::temp_dir("dns-check");
    let file = dir.join("kong.yaml");
    std::fs::write(&file, config("missing.test", 80)).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_oidc-gateway"))
        .arg("--declarative-config")
        .arg(&file)
        .arg("-t")
        .env("GATEWAY_DNS_RESOLVER", dns.address())
        .output()
        .expect("run oidc-gateway -t");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert_eq!(stdout.trim(), "ok");
    assert!(
        stderr.contains("warning: host 'missing.test' does not resolve"),
        "{stderr}"
    );
    support::remove_temp_dir(&dir);
}

#[test]
fn upstream_targets_by_name_follow_dns_and_health_follows_each_address() {
    let port = support::ports::free_port();
    let a = EchoProcess::start_at("a", "127.0.0.2", port);
    let mut b = EchoProcess::start_at("b", "127.0.0.3", port);
    let c = EchoProcess::start_at("c", "127.0.0.4", port);
    let mut dns = Dnsmasq::start("127.0.0.2 pool.test\n127.0.0.3 pool.test\n", 1, &[]);
    let yaml = format!(
        "_format_version: \"3.0\"\nplugins:\n- name: prometheus\n  config: {{upstream_health_metrics: true}}\nupstreams:\n- name: pool\n  healthchecks:\n    passive:\n      unhealthy:\n        tcp_failures: 1\n  targets:\n  - target: pool.test:{port}\n{}",
        config("pool", 80).trim_start_matches("_format_version: \"3.0\"\n")
    );
    let gateway = gateway(&yaml, &dns, &[]);
    let seen = counts(&gateway, 20);
    assert_eq!(
        (seen.get("a"), seen.get("b")),
        (Some(&10), Some(&10)),
        "{seen:?}"
    );

    // b goes away: its address turns unhealthy, retries keep every request answered.
    b.kill();
    let seen = counts(&gateway, 20);
    assert_eq!(seen.get("a"), Some(&20), "{seen:?}");

    // A third address appears: it gets traffic, b's address stays unhealthy.
    dns.set_hosts("127.0.0.2 pool.test\n127.0.0.3 pool.test\n127.0.0.4 pool.test\n");
    let added = within(Duration::from_secs(5), || {
        counts(&gateway, 4).contains_key("c")
    });
    assert!(added.is_some(), "the new address never got traffic");
    let seen = counts(&gateway, 20);
    assert_eq!(
        (seen.get("a"), seen.get("c")),
        (Some(&10), Some(&10)),
        "{seen:?}"
    );
    let metrics = http::get(&gateway.status_url("/metrics"), &[]).text();
    let unhealthy =
        format!("address=\"127.0.0.3:{port}\",state=\"unhealthy\",subsystem=\"http\"}} 1");
    assert!(metrics.contains(&unhealthy), "{metrics}");
    drop((a, c));
}

#[test]
fn idp_urls_resolve_through_the_gateway_dns() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let stub = rt.block_on(stub_idp::StubIdp::start());
    let upstream = rt.block_on(stub_idp::upstream::EchoUpstream::start());
    // Only this DNS server knows `idp.test`: the token and JWKS URLs must go through it.
    let dns = Dnsmasq::start("127.0.0.1 idp.test\n", 30, &[]);
    let issuer = stub.issuer();
    let by_name = format!("http://idp.test:{}{}", stub.port(), stub_idp::REALM);
    let yaml = format!(
        r#"_format_version: "3.0"
services:
- name: echo
  host: 127.0.0.1
  port: {}
  routes:
  - name: oidc
    paths: [/oidc]
    plugins:
    - name: openid-connect
      config:
        auth_methods: ["client_credentials"]
        issuer: {issuer}
        token_endpoint: {by_name}/protocol/openid-connect/token
        extra_jwks_uris: ["{by_name}/protocol/openid-connect/certs"]
        consumer_optional: true
"#,
        upstream.port()
    );
    let gateway = gateway(&yaml, &dns, &[]);
    let authorization = http::basic(stub_idp::CLIENT_ID, stub_idp::CLIENT_SECRET);
    let ok = within(Duration::from_secs(8), || {
        http::get(
            &gateway.url("/oidc/get"),
            &[("Authorization", &authorization)],
        )
        .status
            == 200
    });
    assert!(ok.is_some(), "no token through idp.test");
    assert!(stub.count(stub_idp::Endpoint::Token) >= 1);
}
