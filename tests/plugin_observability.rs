//! End-to-end: the prometheus, http-log and file-log plugins of the real binary, with the real
//! httpbin upstream, a real HTTP log server (Python's http.server) and the official
//! Prometheus parser (PyPI prometheus_client): the exact entries for an authenticated, a
//! refused, an upstream-error and an upstream-answered request, no credential in any entry,
//! the families a stock Kong Grafana dashboard queries, and a log server down while requests
//! keep flowing (none fails, the queue stays bounded, what it kept is delivered after).
//!
//! Needs `tests/setup.sh` first.

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use support::log_collector::{parse_prometheus, HttpCollector};
use support::*;

/// What no entry may contain: the key, the other credentials the client sent.
const SECRETS: [&str; 4] = [
    "alice-secret-key",
    "wrong-key-value",
    "session=s3ss10n",
    "query-api-key",
];

fn config(httpbin: &Httpbin, collector_port: u16, dead_port: u16, log_path: &str) -> String {
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
- name: broken
  url: http://127.0.0.1:{dead_port}
  retries: 1
  routes:
  - name: broken-route
    paths: [/broken]
consumers:
- username: alice
  keyauth_credentials:
  - key: alice-secret-key
plugins:
- name: prometheus
  config: {{per_consumer: true, status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true}}
- name: http-log
  config:
    http_endpoint: http://127.0.0.1:{collector_port}/logs
    headers: {{X-Log-Token: collector-token}}
    queue: {{max_batch_size: 2, max_coalescing_delay: 0.2}}
- name: file-log
  config: {{path: {log_path}}}
"#,
        httpbin = httpbin.port()
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

fn sample(families: &Value, family: &str, sample: &str, labels: &[(&str, &str)]) -> Option<f64> {
    families[family]["samples"]
        .as_array()?
        .iter()
        .find(|s| s[0] == sample && labels.iter().all(|(k, v)| s[1][*k].as_str() == Some(*v)))
        .and_then(|s| s[2].as_f64())
}

#[test]
fn entries_metrics_and_redaction_for_known_traffic() {
    let httpbin = Httpbin::start();
    let collector = HttpCollector::start();
    let dead_port = ports::free_port();
    let dir = temp_dir("observability");
    let log_path = dir.join("kong-file.log");
    let gateway = Gateway::start(&config(
        &httpbin,
        collector.port(),
        dead_port,
        &log_path.display().to_string(),
    ));
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;

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

    let entries = collector.entries(4, Duration::from_secs(10));
    assert_eq!(entries.len(), 4, "{entries:#?}");
    let received = collector.received();
    for request in &received {
        assert_eq!(request["method"], "POST");
        assert_eq!(request["path"], "/logs");
        assert_eq!(request["headers"]["content-type"], "application/json");
        assert_eq!(request["headers"]["x-log-token"], "collector-token");
    }
    assert!(
        received.len() <= 3,
        "batches of up to two: {}",
        received.len()
    );

    let ok = entry_for(&entries, "/keyed/get");
    assert_eq!(ok["response"]["status"], 200);
    assert_eq!(ok["source"], "upstream");
    assert_eq!(ok["upstream_status"], "200");
    assert_eq!(ok["consumer"]["username"], "alice");
    assert_eq!(
        ok["authenticated_entity"]["consumer_id"],
        ok["consumer"]["id"]
    );
    assert_eq!(ok["route"]["name"], "keyed");
    assert_eq!(ok["service"]["name"], "httpbin");
    assert_eq!(ok["service"]["port"], httpbin.port());
    assert_eq!(ok["request"]["method"], "GET");
    assert_eq!(ok["request"]["headers"]["x-telco-key"], "REDACTED");
    assert_eq!(ok["request"]["headers"]["cookie"], "REDACTED");
    assert_eq!(ok["request"]["querystring"]["keep"], "1");
    assert_eq!(ok["request"]["querystring"]["apikey"], "REDACTED");
    assert_eq!(ok["request"]["uri"], "/keyed/get?keep=1&apikey=REDACTED");
    assert_eq!(
        ok["request"]["url"],
        format!(
            "http://127.0.0.1:{}/keyed/get?keep=1&apikey=REDACTED",
            gateway.port()
        )
    );
    assert_eq!(ok["upstream_uri"], "/get?keep=1&apikey=REDACTED");
    assert_eq!(ok["client_ip"], "127.0.0.1");
    assert_eq!(ok["tries"].as_array().map(Vec::len), Some(1));
    assert_eq!(ok["tries"][0]["port"], httpbin.port());
    assert!(ok["latencies"]["proxy"].as_i64().unwrap_or(-1) >= 0, "{ok}");
    assert!(ok["latencies"]["request"].as_u64().is_some(), "{ok}");
    assert!(ok["request"]["size"].as_u64().unwrap_or(0) > 50, "{ok}");
    assert!(ok["response"]["size"].as_u64().unwrap_or(0) > 100, "{ok}");
    assert!(
        ok["response"]["headers"]["content-type"].is_string(),
        "{ok}"
    );
    let started = ok["started_at"].as_u64().unwrap_or(0);
    assert!(
        started + 1000 >= before && started <= before + 60_000,
        "{started} vs {before}"
    );
    assert_eq!(ok["workspace_name"], "default");

    let refused = entries
        .iter()
        .find(|e| e["response"]["status"] == 401)
        .expect("the 401 entry");
    assert_eq!(refused["source"], "kong");
    assert!(refused.get("consumer").is_none(), "{refused}");
    assert_eq!(refused["upstream_uri"], "");
    assert_eq!(refused["latencies"]["proxy"], -1);
    assert_eq!(refused["request"]["headers"]["x-telco-key"], "REDACTED");

    let broken = entry_for(&entries, "/broken/get");
    assert_eq!(broken["response"]["status"], 502);
    assert_eq!(broken["source"], "kong");
    assert_eq!(broken["upstream_status"], "");
    assert_eq!(
        broken["tries"].as_array().map(Vec::len),
        Some(2),
        "retries: 1 -> two tries: {broken}"
    );
    assert_eq!(broken["service"]["name"], "broken");

    let teapot = entry_for(&entries, "/open/status/418");
    assert_eq!(teapot["response"]["status"], 418);
    assert_eq!(teapot["source"], "upstream");
    assert_eq!(teapot["upstream_uri"], "/status/418");

    // file-log: the same four entries, one JSON line each.
    let lines = poll(Duration::from_secs(5), Duration::from_millis(50), || {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        (text.lines().count() >= 4).then_some(text)
    })
    .expect("four file-log lines");
    let file_entries: Vec<Value> = lines
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(file_entries.len(), 4);
    assert_eq!(
        entry_for(&file_entries, "/broken/get")["response"]["status"],
        502
    );

    let everything = format!("{received:?}{lines}{}", gateway.logs());
    for secret in SECRETS {
        assert!(!everything.contains(secret), "{secret} reached a log");
    }

    // prometheus: the text parses with the official parser and has Kong's series.
    let metrics = http::get(&gateway.status_url("/metrics"), &[]).text();
    let families = parse_prometheus(&metrics);
    let requests = |route: &str, code: &str, source: &str, consumer: &str| {
        sample(
            &families,
            "kong_http_requests",
            "kong_http_requests_total",
            &[
                ("route", route),
                ("code", code),
                ("source", source),
                ("consumer", consumer),
                ("workspace", "default"),
            ],
        )
    };
    assert_eq!(
        requests("keyed", "200", "service", "alice"),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(requests("keyed", "401", "kong", ""), Some(1.0), "{metrics}");
    assert_eq!(
        requests("broken-route", "502", "kong", ""),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        requests("open", "418", "service", ""),
        Some(1.0),
        "{metrics}"
    );
    let bandwidth = |direction: &str| {
        sample(
            &families,
            "kong_bandwidth_bytes",
            "kong_bandwidth_bytes_total",
            &[
                ("route", "keyed"),
                ("direction", direction),
                ("consumer", "alice"),
            ],
        )
        .or_else(|| {
            sample(
                &families,
                "kong_bandwidth_bytes",
                "kong_bandwidth_bytes",
                &[
                    ("route", "keyed"),
                    ("direction", direction),
                    ("consumer", "alice"),
                ],
            )
        })
        .unwrap_or(0.0)
    };
    assert!(bandwidth("ingress") > 50.0, "{metrics}");
    assert!(bandwidth("egress") > 100.0, "{metrics}");
    assert_eq!(
        sample(
            &families,
            "kong_upstream_latency_ms",
            "kong_upstream_latency_ms_count",
            &[("route", "open")]
        ),
        Some(1.0),
        "{metrics}"
    );
    // The series a stock Kong Grafana dashboard (Kong's kong-official.json) queries.
    for name in [
        "kong_http_requests_total",
        "kong_bandwidth_bytes",
        "kong_request_latency_ms_bucket",
        "kong_upstream_latency_ms_bucket",
        "kong_kong_latency_ms_bucket",
        "kong_nginx_connections_total",
        "kong_memory_workers_lua_vms_bytes",
    ] {
        assert!(
            metrics.lines().any(|l| l.starts_with(name)),
            "no {name} series for the dashboard"
        );
    }
    assert!(metrics.contains("oidc_gateway_log_queue_entries_total{server=\"http://127.0.0.1:"));
    remove_temp_dir(&dir);
}

#[test]
fn a_log_server_down_under_load_costs_no_request_and_the_queue_stays_bounded() {
    let httpbin = Httpbin::start();
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
- name: http-log
  config:
    http_endpoint: http://127.0.0.1:{log_port}/down
    timeout: 500
    queue: {{max_entries: 50, initial_retry_delay: 0.05, max_retry_delay: 0.2, max_retry_time: 120}}
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
        if sent > 5000 {
            break;
        }
    }
    let metrics = http::get(&gateway.status_url("/metrics"), &[]).text();
    let waiting: f64 = metrics
        .lines()
        .find(|l| l.starts_with("oidc_gateway_log_queue_entries{"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no queue gauge: {metrics}"));
    assert!(
        waiting <= 50.0,
        "the queue holds at most max_entries: {waiting}"
    );
    let collector = HttpCollector::start_on(log_port, 200);
    // Delivered after recovery: up to max_entries waiting plus the batch being retried.
    let last = format!("/open/anything/{}", sent - 1);
    let entries = poll(Duration::from_secs(15), Duration::from_millis(100), || {
        let entries = collector.entries(0, Duration::ZERO);
        entries
            .iter()
            .any(|e| e["request"]["uri"] == last)
            .then_some(entries)
    })
    .unwrap_or_else(|| panic!("the newest entry ({last}) was not delivered"));
    assert!(
        (50..=51).contains(&entries.len()),
        "{} delivered",
        entries.len()
    );
    let metrics = http::get(&gateway.status_url("/metrics"), &[]).text();
    let dropped: f64 = metrics
        .lines()
        .find(|l| {
            l.starts_with("oidc_gateway_log_queue_entries_total{")
                && l.contains("outcome=\"dropped\"")
        })
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0.0);
    assert!(dropped >= (sent - 51) as f64, "dropped {dropped} of {sent}");
    assert!(
        gateway.logs().contains("queue full, dropping old entries"),
        "Kong's message is logged"
    );
}
