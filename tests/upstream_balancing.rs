//! Load balancing through Kong `upstreams` against several real upstream processes on
//! loopback: weighted round-robin, consistent hashing, active and passive health checks
//! under load (a killed target stops getting traffic, no GET fails thanks to retries, a
//! target that comes back is used again), 503 when no target is healthy, and retries that
//! never repeat a non-idempotent request.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::echo_process::EchoProcess;
use support::{http, Gateway};

/// A service `svc` on upstream `pool` with route `/lb`; `upstream_extra` is indented YAML
/// added to the upstream (algorithm, healthchecks), `targets` are (process, weight).
fn config(upstream_extra: &str, targets: &[(&EchoProcess, u32)], retries: u32) -> String {
    let mut yaml = String::from("_format_version: \"3.0\"\nupstreams:\n- name: pool\n");
    yaml.push_str(upstream_extra);
    yaml.push_str("  targets:\n");
    for (process, weight) in targets {
        yaml.push_str(&format!(
            "  - target: 127.0.0.1:{}\n    weight: {weight}\n",
            process.port()
        ));
    }
    yaml.push_str(&format!(
        "services:\n- name: svc\n  host: pool\n  retries: {retries}\n  connect_timeout: 1000\n  routes:\n  - name: lb\n    paths: [/lb]\n"
    ));
    yaml
}

/// The name of the echo process that answered.
fn served_by(response: &http::Response) -> String {
    assert_eq!(response.status, 200, "{}", response.text());
    response
        .header("x-upstream-name")
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no X-Upstream-Name: {}", response.text()))
}

fn counts(gateway: &Gateway, n: usize, headers: &[(&str, &str)]) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for _ in 0..n {
        *seen
            .entry(served_by(&http::get(&gateway.url("/lb/x"), headers)))
            .or_insert(0) += 1;
    }
    seen
}

#[test]
fn weighted_round_robin_follows_weights_and_skips_weight_zero() {
    let a = EchoProcess::start("a");
    let b = EchoProcess::start("b");
    let off = EchoProcess::start("off");
    let gateway = Gateway::start(&config("", &[(&a, 100), (&b, 50), (&off, 0)], 5));
    let seen = counts(&gateway, 300, &[]);
    assert_eq!(seen.get("off"), None, "{seen:?}");
    assert_eq!(
        seen.get("a"),
        Some(&200),
        "weights 100:50 over 300 picks: {seen:?}"
    );
    assert_eq!(seen.get("b"), Some(&100), "{seen:?}");
}

#[test]
fn consistent_hashing_keeps_each_key_on_one_target() {
    let procs: Vec<EchoProcess> = ["h1", "h2", "h3"]
        .iter()
        .map(|n| EchoProcess::start(n))
        .collect();
    let targets: Vec<(&EchoProcess, u32)> = procs.iter().map(|p| (p, 100)).collect();
    let extra = "  algorithm: consistent-hashing\n  hash_on: header\n  hash_on_header: X-User\n";
    let gateway = Gateway::start(&config(extra, &targets, 5));
    let mut owners = HashMap::new();
    for user in 0..30 {
        let key = format!("user-{user}");
        let seen = counts(&gateway, 5, &[("X-User", &key)]);
        assert_eq!(seen.len(), 1, "{key} moved between targets: {seen:?}");
        owners.insert(key, seen.into_keys().next().unwrap_or_default());
    }
    let distinct: std::collections::HashSet<_> = owners.values().collect();
    assert!(distinct.len() >= 2, "30 keys all on one target: {owners:?}");
}

/// Requests in a loop from `threads` threads until `stop`; counts non-200 answers.
struct Load {
    stop: Arc<AtomicBool>,
    failures: Arc<AtomicUsize>,
    done: Arc<AtomicUsize>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    fn start(url: String, threads: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let failures = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let handles = (0..threads)
            .map(|_| {
                let (stop, failures, done, url) =
                    (stop.clone(), failures.clone(), done.clone(), url.clone());
                std::thread::spawn(move || {
                    // Bounded: at most 20 s or 20,000 requests per thread.
                    let deadline = Instant::now() + Duration::from_secs(20);
                    for _ in 0..20_000 {
                        if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
                            break;
                        }
                        match http::request("GET", &url, &[], None) {
                            Ok(r) if r.status == 200 => {}
                            Ok(r) => {
                                eprintln!("load: {} {}", r.status, r.text());
                                failures.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => {
                                eprintln!("load: {e}");
                                failures.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        Load {
            stop,
            failures,
            done,
            threads: handles,
        }
    }

    /// Stops the load; returns (requests, failures).
    fn finish(self) -> (usize, usize) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
        (
            self.done.load(Ordering::Relaxed),
            self.failures.load(Ordering::Relaxed),
        )
    }
}

const HEALTHCHECKS: &str = "  healthchecks:
    active:
      type: http
      http_path: /health
      timeout: 1
      healthy: {interval: 0.2, successes: 1}
      unhealthy: {interval: 0.2, tcp_failures: 1, http_failures: 1, timeouts: 1}
    passive:
      unhealthy: {tcp_failures: 1}
";

#[test]
fn killed_target_is_avoided_without_failed_gets_and_used_again_when_back() {
    let a = EchoProcess::start("a");
    let mut b = EchoProcess::start("b");
    let gateway = Gateway::start(&config(HEALTHCHECKS, &[(&a, 100), (&b, 100)], 5));
    let before = counts(&gateway, 20, &[]);
    assert_eq!(before.get("b"), Some(&10), "both targets used: {before:?}");

    let load = Load::start(gateway.url("/lb/x"), 4);
    std::thread::sleep(Duration::from_millis(500));
    b.kill();
    // Within the health-check interval (0.2 s) plus a margin, b is out of the rotation.
    std::thread::sleep(Duration::from_millis(800));
    let (requests, failures) = load.finish();
    assert!(requests > 50, "the load ran: {requests}");
    assert_eq!(
        failures, 0,
        "{failures} of {requests} GETs failed while b died"
    );
    let after_kill = counts(&gateway, 20, &[]);
    assert_eq!(after_kill.get("a"), Some(&20), "{after_kill:?}");
    let logs = gateway.logs();
    let last_lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains(r#""route":"lb""#))
        .rev()
        .take(20)
        .collect();
    assert_eq!(last_lines.len(), 20, "JSON access lines of route lb");
    assert!(
        last_lines.iter().all(|l| l.contains(r#""tries":1,"#)),
        "after the health check, no request tries b first:\n{}",
        last_lines.join("\n")
    );

    b.restart();
    let back = support::poll(Duration::from_secs(5), Duration::from_millis(100), || {
        let seen = counts(&gateway, 4, &[]);
        seen.contains_key("b").then_some(seen)
    });
    assert!(
        back.is_some(),
        "b is used again once its health check passes"
    );
}

#[test]
fn no_healthy_target_answers_503_like_kong() {
    let mut only = EchoProcess::start("only");
    let gateway = Gateway::start(&config(HEALTHCHECKS, &[(&only, 100)], 1));
    assert_eq!(http::get(&gateway.url("/lb/x"), &[]).status, 200);
    only.kill();
    let answer = support::poll(Duration::from_secs(5), Duration::from_millis(100), || {
        let r = http::get(&gateway.url("/lb/x"), &[]);
        (r.status == 503).then_some(r)
    })
    .expect("503 once the only target is unhealthy");
    assert_eq!(
        answer.json()["message"],
        "failure to get a peer from the ring-balancer"
    );
}

#[test]
fn only_idempotent_requests_are_retried_after_reaching_an_upstream() {
    let a = EchoProcess::start("a");
    let b = EchoProcess::start("b");
    let gateway = Gateway::start(&config("", &[(&a, 100), (&b, 100)], 3));
    let hits = |p: &EchoProcess| -> u64 {
        http::get(&format!("http://127.0.0.1:{}/_hits", p.port()), &[]).json()["reset"]
            .as_u64()
            .unwrap_or(0)
    };

    let post = http::request("POST", &gateway.url("/lb/reset"), &[], Some(b"x=1")).expect("POST");
    assert_eq!(post.status, 502, "{}", post.text());
    assert_eq!(
        hits(&a) + hits(&b),
        1,
        "a POST reached an upstream once, never again"
    );

    let get = http::get(&gateway.url("/lb/reset"), &[]);
    assert_eq!(get.status, 502, "{}", get.text());
    assert_eq!(
        hits(&a) + hits(&b),
        1 + 4,
        "a GET is tried once plus the service's 3 retries"
    );
}

#[test]
fn host_header_and_hash_cookie() {
    let a = EchoProcess::start("a");
    let b = EchoProcess::start("b");
    let yaml = format!(
        r#"_format_version: "3.0"
upstreams:
- name: named
  host_header: api.internal
  targets: [{{target: "127.0.0.1:{a}"}}]
- name: plain
  targets: [{{target: "127.0.0.1:{a}"}}]
- name: sticky
  algorithm: consistent-hashing
  hash_on: cookie
  hash_on_cookie: lb-key
  targets: [{{target: "127.0.0.1:{a}"}}, {{target: "127.0.0.1:{b}"}}]
services:
- {{name: named, host: named, routes: [{{name: named, paths: [/named]}}]}}
- {{name: plain, host: plain, routes: [{{name: plain, paths: [/plain]}}]}}
- {{name: sticky, host: sticky, routes: [{{name: sticky, paths: [/sticky]}}]}}
"#,
        a = a.port(),
        b = b.port()
    );
    let gateway = Gateway::start(&yaml);
    let named = http::get(&gateway.url("/named/x"), &[]);
    assert_eq!(
        named.json()["headers"]["host"],
        "api.internal",
        "upstream host_header"
    );
    let plain = http::get(&gateway.url("/plain/x"), &[]);
    assert_eq!(
        plain.json()["headers"]["host"],
        format!("127.0.0.1:{}", a.port()),
        "without host_header, the target's host and port"
    );

    let first = http::get(&gateway.url("/sticky/x"), &[]);
    let set_cookie = first
        .header("set-cookie")
        .expect("a generated hash cookie")
        .to_owned();
    assert!(set_cookie.starts_with("lb-key="), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
    let owner = served_by(&first);
    for _ in 0..10 {
        let again = http::get(&gateway.url("/sticky/x"), &[("Cookie", &cookie)]);
        assert_eq!(served_by(&again), owner, "the cookie keeps the target");
        assert_eq!(
            again.header("set-cookie"),
            None,
            "no new cookie when one was sent"
        );
    }
}

#[test]
fn clients_that_abort_uploads_do_not_make_targets_unhealthy() {
    use std::io::Write;
    let only = EchoProcess::start("only");
    let extra = "  healthchecks:\n    passive:\n      unhealthy: {tcp_failures: 1, timeouts: 1}\n";
    let gateway = Gateway::start(&config(extra, &[(&only, 100)], 5));
    for _ in 0..3 {
        let mut stream =
            std::net::TcpStream::connect(("127.0.0.1", gateway.port())).expect("connect");
        stream
            .write_all(
                b"PUT /lb/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial",
            )
            .expect("write");
        std::thread::sleep(Duration::from_millis(100));
        drop(stream);
    }
    std::thread::sleep(Duration::from_millis(200));
    let response = http::get(&gateway.url("/lb/x"), &[]);
    assert_eq!(
        response.status,
        200,
        "a client's broken upload is not the target's failure: {}",
        response.text()
    );
}
