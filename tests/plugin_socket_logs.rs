//! End-to-end: the tcp-log, udp-log, syslog and statsd plugins of the real binary, with the
//! real httpbin upstream and real socket servers (Python: TCP, TLS with a test CA's
//! certificate, UDP, a Unix datagram socket standing for the syslog daemon's /dev/log): the
//! exact entries for an authenticated, a refused, an upstream-error and an upstream-answered
//! request, route-level instances taking over from global ones, Kong's statsd names in both
//! the scoped and the dogstatsd-tagged shapes, no credential anywhere, and a TCP log server
//! down while requests keep flowing (none fails, every entry arrives after it is back).
//!
//! Needs `tests/setup.sh` first.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use support::pki::{KeyType, Pki};
use support::socket_collector::SocketCollector;
use support::*;

/// What no entry may contain: the key, the other credentials the client sent.
const SECRETS: [&str; 4] = [
    "alice-secret-key",
    "wrong-key-value",
    "session=s3ss10n",
    "query-api-key",
];

struct Ports {
    tcp: u16,
    tls: u16,
    udp: u16,
    statsd: u16,
    statsd_tcp: u16,
    dead: u16,
}

fn config(httpbin: &Httpbin, ports: &Ports) -> String {
    format!(
        r#"_format_version: "3.0"
services:
- name: httpbin
  url: http://127.0.0.1:{httpbin}
  routes:
  - name: open
    paths: [/open]
  - name: keyed
    paths: [/keyed]
    plugins:
    - name: key-auth
      config: {{key_names: [x-telco-key]}}
    - name: tcp-log
      config: {{host: 127.0.0.1, port: {tls}, tls: true, tls_sni: logs.test}}
  - name: tagged
    paths: [/tagged]
    plugins:
    - name: statsd
      config:
        port: {statsd_tcp}
        host: 127.0.0.1
        use_tcp: true
        tag_style: dogstatsd
        queue: {{max_coalescing_delay: 0.1}}
- name: broken
  url: http://127.0.0.1:{dead}
  retries: 1
  routes:
  - name: broken-route
    paths: [/broken]
consumers:
- username: alice
  custom_id: alice-cid
  keyauth_credentials:
  - key: alice-secret-key
plugins:
- name: tcp-log
  config: {{host: 127.0.0.1, port: {tcp}, custom_fields_by_lua: {{}}}}
- name: udp-log
  config: {{host: 127.0.0.1, port: {udp}}}
- name: syslog
  config:
    facility: local0
    log_level: info
    successful_severity: info
    client_errors_severity: warning
    server_errors_severity: err
- name: statsd
  config:
    host: 127.0.0.1
    port: {statsd}
    udp_packet_size: 1000
    queue: {{max_coalescing_delay: 0.1}}
"#,
        httpbin = httpbin.port(),
        tcp = ports.tcp,
        tls = ports.tls,
        udp = ports.udp,
        statsd = ports.statsd,
        statsd_tcp = ports.statsd_tcp,
        dead = ports.dead,
    )
}

fn entry_for<'a>(entries: &'a [Value], uri_start: &str) -> &'a Value {
    entries
        .iter()
        .find(|e| {
            e["request"]["uri"]
                .as_str()
                .is_some_and(|u| u.starts_with(uri_start))
        })
        .unwrap_or_else(|| panic!("no entry for {uri_start}: {entries:#?}"))
}

fn statuses(entries: &[Value]) -> BTreeSet<u64> {
    entries
        .iter()
        .filter_map(|e| e["response"]["status"].as_u64())
        .collect()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap_or_default()
        .trim()
        .replace('.', "_")
}

#[test]
fn entries_on_every_socket_plugin_for_known_traffic() {
    let httpbin = Httpbin::start();
    let dir = temp_dir("socket-logs");
    let pki = Pki::new(&dir);
    let leaf = pki.leaf("logs", "logs.test", &["logs.test"], KeyType::Ec);
    let ports = Ports {
        tcp: ports::free_port(),
        tls: ports::free_port(),
        udp: ports::free_port(),
        statsd: ports::free_port(),
        statsd_tcp: ports::free_port(),
        dead: ports::free_port(),
    };
    let syslog_socket = dir.join("dev-log.sock");
    let collector = SocketCollector::start(
        &dir.join("received.jsonl"),
        &[
            format!("tcp:{}", ports.tcp),
            format!(
                "tls:{}:{}:{}",
                ports.tls,
                leaf.cert.display(),
                leaf.key.display()
            ),
            format!("udp:{}", ports.udp),
            format!("statsd@udp:{}", ports.statsd),
            format!("statsd-tcp@tcp:{}", ports.statsd_tcp),
            format!("syslog@unix:{}", syslog_socket.display()),
        ],
    );
    let socket = syslog_socket.display().to_string();
    let gateway = Gateway::start_with_env(
        &config(&httpbin, &ports),
        &[("GATEWAY_SYSLOG_SOCKET", socket.as_str())],
    );

    let ok = http::get(
        &gateway.url("/keyed/get?keep=1&apikey=query-api-key"),
        &[
            ("X-Telco-Key", "alice-secret-key"),
            ("Cookie", "session=s3ss10n"),
        ],
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    let refused = http::get(
        &gateway.url("/keyed/get"),
        &[("X-Telco-Key", "wrong-key-value")],
    );
    assert_eq!(refused.status, 401, "{}", refused.text());
    let broken = http::get(&gateway.url("/broken/get"), &[]);
    assert_eq!(broken.status, 502, "{}", broken.text());
    let teapot = http::get(&gateway.url("/open/status/418"), &[]);
    assert_eq!(teapot.status, 418, "{}", teapot.text());
    let tagged = http::get(&gateway.url("/tagged/get"), &[]);
    assert_eq!(tagged.status, 200, "{}", tagged.text());

    // tcp-log: the keyed route's own instance (TLS) takes over from the global one.
    let wait = Duration::from_secs(10);
    let tls = collector.entries("tls", 2, wait);
    assert_eq!(statuses(&tls), BTreeSet::from([200, 401]), "{tls:#?}");
    let ok_entry = entry_for(&tls, "/keyed/get?keep=1");
    assert_eq!(ok_entry["consumer"]["username"], "alice");
    assert_eq!(ok_entry["route"]["name"], "keyed");
    assert_eq!(ok_entry["request"]["headers"]["x-telco-key"], "REDACTED");
    let tcp = collector.entries("tcp", 3, wait);
    assert_eq!(tcp.len(), 3, "{tcp:#?}");
    assert_eq!(statuses(&tcp), BTreeSet::from([200, 418, 502]));
    assert_eq!(entry_for(&tcp, "/broken/get")["source"], "kong");
    assert_eq!(
        entry_for(&tcp, "/open/status/418")["upstream_status"],
        "418"
    );
    assert_eq!(collector.connections("tcp"), 1, "one kept-alive connection");

    // udp-log: one datagram, one whole log object, per request.
    let udp = collector.entries("udp", 5, wait);
    assert_eq!(udp.len(), 5, "{udp:#?}");
    assert_eq!(statuses(&udp), BTreeSet::from([200, 401, 418, 502]));

    // syslog: local0 (16), severity by status class, libc's framing.
    let syslog = collector.texts("syslog", 5, wait);
    assert_eq!(syslog.len(), 5, "{syslog:#?}");
    let pid = gateway.pid();
    let mut priorities = BTreeSet::new();
    for message in &syslog {
        let (head, json) = message
            .split_once(&format!(" kong[{pid}]: "))
            .unwrap_or_else(|| panic!("not libc's framing: {message}"));
        let entry: Value = serde_json::from_str(json).expect("a JSON log object");
        let status = entry["response"]["status"].as_u64().unwrap();
        let priority: u64 = head[1..head.find('>').unwrap()].parse().unwrap();
        let expected = 16 * 8
            + match status {
                500.. => 3,
                400..=499 => 4,
                _ => 6,
            };
        assert_eq!(priority, expected, "{message}");
        priorities.insert(priority);
    }
    assert_eq!(priorities, BTreeSet::from([131, 132, 134]));

    // statsd, scoped names (udp_packet_size: lines packed into datagrams).
    let statsd_lines = || -> Vec<String> {
        collector
            .texts("statsd", 0, Duration::ZERO)
            .iter()
            .flat_map(|datagram| datagram.lines().map(str::to_owned).collect::<Vec<_>>())
            .collect()
    };
    let statsd = poll(wait, Duration::from_millis(100), || {
        let lines = statsd_lines();
        (lines
            .iter()
            .filter(|l| l.ends_with(".request.count:1|c") && l.starts_with("kong.service."))
            .count()
            >= 4)
            .then_some(lines)
    })
    .unwrap_or_else(statsd_lines);
    let has = |line: &str| statsd.iter().any(|l| l == line);
    let has_start = |start: &str| statsd.iter().any(|l| l.starts_with(start));
    for line in [
        "kong.service.httpbin.request.count:1|c",
        "kong.service.httpbin.status.200:1|c",
        "kong.service.httpbin.status.401:1|c",
        "kong.service.httpbin.status.418:1|c",
        "kong.service.broken.status.502:1|c",
        "kong.service.httpbin.user.alice-cid.request.count:1|c",
        "kong.service.httpbin.user.uniques:alice-cid|s",
        "kong.service.httpbin.user.alice-cid.status.200:1|c",
    ] {
        assert!(has(line), "no {line} in {statsd:#?}");
    }
    for start in [
        "kong.service.httpbin.latency:",
        "kong.service.httpbin.upstream_latency:",
        "kong.service.httpbin.kong_latency:",
        "kong.service.httpbin.request.size:",
        "kong.service.httpbin.response.size:",
    ] {
        assert!(has_start(start), "no {start} in {statsd:#?}");
    }
    let workspace = ok_entry["workspace"].as_str().expect("workspace id");
    assert!(
        has(&format!(
            "kong.service.httpbin.workspace.{workspace}.status.200:1|c"
        )),
        "{statsd:#?}"
    );
    assert!(
        statsd
            .iter()
            .any(|l| l.starts_with("kong.route.") && l.ends_with(".user.alice-cid.status.200:1|c")),
        "{statsd:#?}"
    );
    assert_eq!(
        statsd
            .iter()
            .filter(|l| l.starts_with("kong.service.httpbin.request.count"))
            .count(),
        3,
        "the tagged route's own instance takes over: {statsd:#?}"
    );

    // statsd over TCP in dogstatsd style: only the plain metrics, tagged.
    let tagged_lines = collector.texts("statsd-tcp", 6, wait);
    let node = hostname();
    let tags =
        format!("|#service:httpbin,route:tagged,workspace:{workspace},node:{node},status:200");
    assert!(
        tagged_lines.contains(&format!("kong.request.count:1|c{tags}")),
        "{tagged_lines:#?}"
    );
    let names: BTreeSet<&str> = tagged_lines
        .iter()
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "kong.kong_latency",
            "kong.latency",
            "kong.request.count",
            "kong.request.size",
            "kong.response.size",
            "kong.upstream_latency",
        ]),
        "{tagged_lines:#?}"
    );

    let everything = std::fs::read_to_string(dir.join("received.jsonl")).unwrap();
    for secret in SECRETS {
        assert!(
            !everything.contains(secret),
            "{secret} reached a log server"
        );
    }
    assert!(!gateway.logs().contains("panicked"));
    remove_temp_dir(&dir);
}

#[test]
fn a_tcp_log_server_down_under_traffic_costs_no_request_and_gets_every_entry_after() {
    let httpbin = Httpbin::start();
    let dir = temp_dir("tcp-log-down");
    let log_port = ports::free_port();
    let yaml = format!(
        r#"_format_version: "3.0"
services:
- name: httpbin
  url: http://127.0.0.1:{}
  routes:
  - name: open
    paths: [/open]
plugins:
- name: tcp-log
  config: {{host: 127.0.0.1, port: {log_port}, timeout: 500}}
"#,
        httpbin.port()
    );
    let gateway = Gateway::start(&yaml);
    let started = std::time::Instant::now();
    let mut sent = 0;
    // The log server is down for the first three seconds of traffic.
    while started.elapsed() < Duration::from_secs(3) || sent < 200 {
        let response = http::get(&gateway.url(&format!("/open/anything/{sent}")), &[]);
        assert_eq!(
            response.status, 200,
            "request {sent} failed while the log server was down"
        );
        sent += 1;
        if sent > 3000 {
            break;
        }
    }
    let metrics = http::get(&gateway.status_url("/metrics"), &[]).text();
    assert!(
        metrics.contains(&format!(
            "oidc_gateway_log_queue_entries{{server=\"tcp://127.0.0.1:{log_port}\"}}"
        )),
        "{metrics}"
    );
    let collector =
        SocketCollector::start(&dir.join("received.jsonl"), &[format!("tcp:{log_port}")]);
    let entries = collector.entries("tcp", sent, Duration::from_secs(30));
    let uris: BTreeSet<String> = entries
        .iter()
        .filter_map(|e| e["request"]["uri"].as_str().map(str::to_owned))
        .collect();
    for n in 0..sent {
        assert!(
            uris.contains(&format!("/open/anything/{n}")),
            "entry {n} of {sent} was not delivered ({} were)",
            uris.len()
        );
    }
    assert!(
        gateway.logs().contains("failed to connect to 127.0.0.1:"),
        "Kong's message is logged"
    );
    remove_temp_dir(&dir);
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn queue_gauges(metrics: &str) -> Vec<(String, f64)> {
    metrics
        .lines()
        .filter(|l| l.starts_with("oidc_gateway_log_queue_entries{"))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

#[test]
fn every_log_server_down_for_30_s_under_load_costs_no_request_and_memory_stays_bounded() {
    let httpbin = Httpbin::start();
    let dir = temp_dir("log-servers-down");
    let (http_port, tcp_port, udp_port, statsd_port) = (
        ports::free_port(),
        ports::free_port(),
        ports::free_port(),
        ports::free_port(),
    );
    let syslog_socket = dir.join("dev-log.sock");
    let yaml = format!(
        r#"_format_version: "3.0"
services:
- name: httpbin
  url: http://127.0.0.1:{}
  routes:
  - name: open
    paths: [/open]
plugins:
- name: http-log
  config:
    http_endpoint: http://127.0.0.1:{http_port}/logs
    timeout: 500
    queue: {{max_entries: 1000, max_batch_size: 50, max_retry_delay: 1}}
- name: tcp-log
  config: {{host: 127.0.0.1, port: {tcp_port}, timeout: 500}}
- name: udp-log
  config: {{host: 127.0.0.1, port: {udp_port}}}
- name: syslog
  config: {{}}
- name: statsd
  config:
    host: 127.0.0.1
    port: {statsd_port}
    metrics: [{{name: request_count, stat_type: counter, sample_rate: 1}}]
    queue: {{max_entries: 1000, max_batch_size: 50, max_retry_delay: 1}}
"#,
        httpbin.port()
    );
    let socket = syslog_socket.display().to_string();
    let gateway = Gateway::start_with_env(&yaml, &[("GATEWAY_SYSLOG_SOCKET", socket.as_str())]);
    let warm = http::get(&gateway.url("/open/anything/warm"), &[]);
    assert_eq!(warm.status, 200);

    // Every log server is down for 30 s of load.
    let wrk = support::wrk::Wrk::start(&dir, &gateway.url("/open/anything/load"), 2, 8, 30);
    std::thread::sleep(Duration::from_secs(5));
    let rss_early = rss_kib(gateway.pid());
    let summary = wrk.finish(Duration::from_secs(60));
    summary.assert_no_failures();
    let rss_late = rss_kib(gateway.pid());
    assert!(
        rss_late < rss_early + 96 * 1024,
        "memory grew from {rss_early} to {rss_late} KiB while the log servers were down"
    );
    eprintln!(
        "log servers down: {} requests, RSS {rss_early} KiB after 5 s, {rss_late} KiB after 30 s",
        summary.requests
    );
    let metrics = http::get(&gateway.status_url("/metrics"), &[]).text();
    let gauges = queue_gauges(&metrics);
    assert_eq!(gauges.len(), 5, "{metrics}");
    for (series, waiting) in &gauges {
        let limit = if series.contains("/logs") || series.contains("statsd") {
            1000.0
        } else {
            10_000.0
        };
        assert!(
            *waiting <= limit,
            "{series} holds {waiting} (limit {limit})"
        );
    }
    assert!(
        metrics.contains("outcome=\"dropped\""),
        "full queues drop their oldest entries: {metrics}"
    );

    // Back: the newest entries arrive at each of them.
    let collector = SocketCollector::start(
        &dir.join("received.jsonl"),
        &[
            format!("tcp:{tcp_port}"),
            format!("udp:{udp_port}"),
            format!("statsd@udp:{statsd_port}"),
            format!("syslog@unix:{}", syslog_socket.display()),
        ],
    );
    let http_collector = support::log_collector::HttpCollector::start_on(http_port, 200);
    // A request now and then until its entry shows (UDP may lose some of the backlog's burst).
    let arrived = |via: &str| {
        poll(Duration::from_secs(20), Duration::from_millis(250), || {
            let request = http::get(&gateway.url("/open/anything/after"), &[]);
            assert_eq!(request.status, 200);
            collector
                .texts(via, 0, Duration::ZERO)
                .iter()
                .any(|t| t.contains("/open/anything/after"))
                .then_some(())
        })
        .is_some()
    };
    for via in ["tcp", "udp", "syslog"] {
        assert!(arrived(via), "{via}: no entry after recovery");
    }
    let wait = Duration::from_secs(20);
    let http_entries = poll(wait, Duration::from_millis(200), || {
        let entries = http_collector.entries(0, Duration::ZERO);
        entries
            .iter()
            .any(|e| e["request"]["uri"] == "/open/anything/after")
            .then_some(entries)
    })
    .expect("http-log: the entry after recovery did not arrive");
    let from_the_outage = http_entries
        .iter()
        .filter(|e| e["request"]["uri"] == "/open/anything/load")
        .count();
    assert!(
        (1..=1000 + 50).contains(&from_the_outage),
        "http-log delivers at most its queue and the batch in flight: {from_the_outage}"
    );
    let statsd = collector.texts("statsd", 1, wait);
    assert!(
        statsd
            .iter()
            .any(|l| l == "kong.service.httpbin.request.count:1|c"),
        "{statsd:?}"
    );
    assert!(!gateway.logs().contains("panicked"));
    remove_temp_dir(&dir);
}
