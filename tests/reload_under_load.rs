//! SIGHUP reload with the real binary: ten reloads under wrk load lose no request and each
//! new config is served; a bad file in between is rejected with every error and its path while
//! the old config keeps serving; a reload keeps the openid-connect token cache (real IdP).

mod support;

use std::process::Command;
use std::time::Duration;

use support::echo_process::EchoProcess;
use support::http;
use support::stack::{echoed, upstream_token};
use support::wrk::Wrk;
use support::{Gateway, Stack, StackOptions, KONG_ID, KONG_SECRET};

const WAIT: Duration = Duration::from_secs(5);

fn hangup(pid: u32) {
    let status = Command::new("kill")
        .arg("-HUP")
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -HUP {pid} failed");
}

/// Route `/` to the echo server under `/gen-N`, so the upstream path tells the generation.
fn generation(upstream_port: u16, gen: u32) -> String {
    format!(
        r#"_format_version: "3.0"
services:
- name: echo
  url: http://127.0.0.1:{upstream_port}/gen-{gen}
  routes:
  - name: all
    paths: ["/"]
"#
    )
}

/// Two errors: a number for a URL and a path without its leading `/`.
const BAD: &str = r#"_format_version: "3.0"
services:
- name: echo
  url: 42
  routes:
  - name: all
    paths: ["all"]
"#;

fn served_generation(gateway: &Gateway) -> String {
    let resp = http::get(&gateway.url("/probe"), &[]);
    assert_eq!(resp.status, 200, "probe: {}", resp.text());
    resp.json()["path"].as_str().unwrap_or_default().to_owned()
}

fn wait_for_generation(gateway: &Gateway, gen: u32) {
    let wanted = format!("/gen-{gen}/probe");
    let mut last = String::new();
    let seen = support::poll(WAIT, Duration::from_millis(20), || {
        last = served_generation(gateway);
        (last == wanted).then_some(())
    });
    assert!(
        seen.is_some(),
        "after reload {gen}: upstream saw {last}, wanted {wanted}"
    );
}

fn count(logs: &str, needle: &str) -> usize {
    logs.matches(needle).count()
}

#[test]
fn ten_reloads_under_wrk_load_lose_nothing_and_a_bad_file_is_rejected() {
    let upstream = EchoProcess::start("reload-upstream");
    let mut gateway =
        Gateway::start_with_env(&generation(upstream.port(), 0), &[("RUST_LOG", "info")]);
    wait_for_generation(&gateway, 0);
    let file = gateway.declarative_config();
    let dir = file.parent().expect("config folder").to_owned();

    let mut wrk = Wrk::start(&dir, &gateway.url("/load"), 2, 16, 12);
    std::thread::sleep(Duration::from_millis(500));
    for gen in 1..=10 {
        if gen == 5 {
            std::fs::write(&file, BAD).expect("write bad config");
            hangup(gateway.pid());
            let rejected = support::poll(WAIT, Duration::from_millis(20), || {
                gateway
                    .logs()
                    .contains("configuration reload rejected: 2 error(s)")
                    .then_some(())
            });
            assert!(
                rejected.is_some(),
                "no rejection logged:\n{}",
                gateway.logs()
            );
            let logs = gateway.logs();
            for error in [
                "configuration reload rejected: services[0].url: invalid type",
                "configuration reload rejected: services[0].routes[0].paths[0]: invalid value",
            ] {
                assert!(logs.contains(error), "missing {error:?} in:\n{logs}");
            }
            assert_eq!(served_generation(&gateway), "/gen-4/probe");
        }
        std::fs::write(&file, generation(upstream.port(), gen)).expect("write config");
        hangup(gateway.pid());
        wait_for_generation(&gateway, gen);
    }
    assert!(
        wrk.is_running(),
        "the reloads outlasted the load: raise wrk's duration"
    );
    let summary = wrk.finish(Duration::from_secs(30));
    assert!(gateway.is_running(), "the gateway died");
    summary.assert_no_failures();
    let logs = gateway.logs();
    assert_eq!(count(&logs, "configuration reloaded (hash "), 10, "{logs}");
    assert_eq!(count(&logs, "configuration reload rejected: 2 error(s)"), 1);
    eprintln!(
        "10 reloads + 1 rejected under load: {} requests, 0 errors",
        summary.requests
    );
}

#[test]
fn a_reload_keeps_the_token_cache_and_requests_in_flight_keep_their_config() {
    let mut s = Stack::start(StackOptions::default());
    let first = s.get_as("/oidc-route/get", KONG_ID, KONG_SECRET);
    let token = upstream_token(&echoed(&first));
    s.must_not_log(&token);
    std::thread::sleep(Duration::from_millis(300));
    let before = s.idp.stats();
    assert_eq!(before.for_client(KONG_ID), 1, "{before:?}");

    // Same plugin configs, another document (new hash): a real reload.
    let file = s.gateway.declarative_config();
    let mut yaml = std::fs::read_to_string(&file).expect("read config");
    yaml.push_str("# reloaded\n");
    std::fs::write(&file, yaml).expect("write config");
    hangup(s.gateway.pid());
    let reloaded = support::poll(WAIT, Duration::from_millis(20), || {
        s.gateway
            .logs()
            .contains("configuration reloaded (hash ")
            .then_some(())
    });
    assert!(
        reloaded.is_some(),
        "no reload logged:\n{}",
        s.gateway.logs()
    );

    let second = s.get_as("/oidc-route/get", KONG_ID, KONG_SECRET);
    assert_eq!(upstream_token(&echoed(&second)), token, "token not reused");
    let after = s.idp.stats();
    assert_eq!(
        after.for_client(KONG_ID),
        1,
        "a second token request: {after:?}"
    );
    assert_eq!(after.jwks_requests, before.jwks_requests, "{after:?}");
    assert_eq!(after.discovery_requests, before.discovery_requests);

    // A request in flight (httpbin answers after 2 s) while its route is removed by a reload.
    let slow_url = s.gateway.url("/oidc-route/delay/2");
    let auth = http::basic(KONG_ID, KONG_SECRET);
    let in_flight = std::thread::spawn(move || http::get(&slow_url, &[("Authorization", &auth)]));
    std::thread::sleep(Duration::from_millis(500));
    let renamed = std::fs::read_to_string(&file)
        .expect("read config")
        .replace("- /oidc-route", "- /renamed-route");
    std::fs::write(&file, renamed).expect("write config");
    hangup(s.gateway.pid());
    let reloaded = support::poll(WAIT, Duration::from_millis(20), || {
        (count(&s.gateway.logs(), "configuration reloaded (hash ") == 2).then_some(())
    });
    assert!(
        reloaded.is_some(),
        "no second reload:\n{}",
        s.gateway.logs()
    );
    assert_eq!(
        s.get_as("/oidc-route/get", KONG_ID, KONG_SECRET).status,
        404
    );
    let moved = s.get_as("/renamed-route/get", KONG_ID, KONG_SECRET);
    assert_eq!(upstream_token(&echoed(&moved)), token, "token not reused");
    let slow = in_flight.join().expect("in-flight request thread");
    assert_eq!(
        slow.status,
        200,
        "the pinned config answered: {}",
        slow.text()
    );
    assert_eq!(s.idp.stats().for_client(KONG_ID), 1);

    // A changed plugin config brings a new provider: it gets discovery and keys right after
    // the reload (not at the next periodic refresh), and readiness does not drop meanwhile.
    let status = s.gateway.status_url("/status/ready");
    assert_eq!(http::get(&status, &[]).status, 200);
    let before = s.idp.stats();
    let retimed = std::fs::read_to_string(&file)
        .expect("read config")
        .replace(
            "consumer_optional: false",
            "consumer_optional: false\n        timeout: 9000",
        );
    std::fs::write(&file, retimed).expect("write config");
    hangup(s.gateway.pid());
    let refetched = support::poll(WAIT, Duration::from_millis(20), || {
        assert_eq!(
            http::get(&status, &[]).status,
            200,
            "not ready after a reload"
        );
        let now = s.idp.stats();
        (now.discovery_requests > before.discovery_requests).then_some(())
    });
    assert!(
        refetched.is_some(),
        "the new provider was not refreshed after the reload:\n{}",
        s.gateway.logs()
    );
    s.assert_logs_clean();
}

/// An upstream `pool` with active http checks only (no passive ones) and no retries, so only
/// the active checks of the current snapshot can take a dead target out of the rotation.
fn pool(targets: &[u16]) -> String {
    let mut yaml = String::from(
        "_format_version: \"3.0\"\nupstreams:\n- name: pool\n  healthchecks:\n    active:\n      \
         type: http\n      http_path: /health\n      timeout: 1\n      \
         healthy: {interval: 0.2, successes: 1}\n      \
         unhealthy: {interval: 0.2, tcp_failures: 1, http_failures: 1, timeouts: 1}\n  targets:\n",
    );
    for port in targets {
        yaml.push_str(&format!("  - target: 127.0.0.1:{port}\n"));
    }
    yaml.push_str(
        "services:\n- name: svc\n  host: pool\n  retries: 0\n  connect_timeout: 1000\n  \
         routes:\n  - name: lb\n    paths: [/lb]\n",
    );
    yaml
}

#[test]
fn active_health_checks_follow_the_reloaded_config() {
    let a = EchoProcess::start("a");
    let b = EchoProcess::start("b");
    let dead = support::ports::free_port();
    let gateway = Gateway::start_with_env(&pool(&[a.port(), b.port()]), &[("RUST_LOG", "info")]);
    let names: Vec<String> = (0..4)
        .map(|_| {
            let resp = http::get(&gateway.url("/lb/x"), &[]);
            assert_eq!(resp.status, 200, "{}", resp.text());
            resp.header("x-upstream-name").unwrap_or("").to_owned()
        })
        .collect();
    assert!(names.iter().any(|n| n == "b"), "{names:?}");

    std::fs::write(gateway.declarative_config(), pool(&[a.port(), dead])).unwrap();
    hangup(gateway.pid());
    // Only the new snapshot's checks can find the dead target: then `a` serves everything.
    let mut streak = 0;
    let settled = support::poll(WAIT, Duration::from_millis(10), || {
        let resp = http::get(&gateway.url("/lb/x"), &[]);
        let by_a = resp.status == 200 && resp.header("x-upstream-name") == Some("a");
        streak = if by_a { streak + 1 } else { 0 };
        (streak >= 20).then_some(())
    });
    assert!(
        settled.is_some(),
        "the dead target stayed in the rotation:\n{}",
        gateway.logs()
    );
    assert!(gateway.logs().contains("configuration reloaded (hash "));
}

#[test]
fn a_sighup_while_the_gateway_starts_neither_kills_it_nor_is_lost() {
    let upstream = EchoProcess::start("early-upstream");
    let dir = support::temp_dir("early-hup");
    let file = dir.join("kong.yaml");
    std::fs::write(&file, generation(upstream.port(), 0)).unwrap();
    let log_path = dir.join("gateway.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let port = support::ports::free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oidc-gateway"));
    cmd.arg("--declarative-config")
        .arg(&file)
        .arg("--proxy-listen")
        .arg(format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log);
    let mut child = support::process::ChildGuard::spawn("oidc-gateway", &mut cmd);
    // The handler is installed before the logger: the first log line means it is in place,
    // and the server is not serving yet.
    let first_line = support::poll(WAIT, Duration::from_millis(1), || {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        (!text.is_empty()).then_some(())
    });
    assert!(first_line.is_some(), "the gateway logged nothing");
    std::fs::write(&file, generation(upstream.port(), 1)).unwrap();
    hangup(child.id().expect("pid"));
    support::ports::wait_accepting(port, Duration::from_secs(20), || child.is_running())
        .unwrap_or_else(|e| {
            panic!(
                "{e}:\n{}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            )
        });
    let url = format!("http://127.0.0.1:{port}/probe");
    let reloaded = support::poll(WAIT, Duration::from_millis(20), || {
        let resp = http::get(&url, &[]);
        (resp.json()["path"] == "/gen-1/probe").then_some(())
    });
    let logs = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(reloaded.is_some(), "the early SIGHUP was lost:\n{logs}");
    assert!(child.is_running());
    assert_eq!(count(&logs, "configuration reloaded (hash "), 1, "{logs}");
    drop(child);
    support::remove_temp_dir(&dir);
}
