//! End-to-end: the opentelemetry plugin of the real binary with the real httpbin upstream
//! (which echoes the trace headers it received) and a real OTLP/HTTP receiver decoding with
//! the official opentelemetry-proto package (PyPI): the `kong` and `kong.balancer` spans of
//! an answered, a refused and a failing request with Kong's attributes, kinds, parents and
//! statuses, W3C traceparent continued from the caller and announced upstream, b3 on a route
//! that asks for it, the trace id in a response header, a caller's "not sampled" respected,
//! the resource attributes and export headers, and propagation only at Kong's default
//! `tracing_instrumentations = off`.
//!
//! Needs `tests/setup.sh` first.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use support::log_collector::OtlpCollector;
use support::*;

const CALLER_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const CALLER_SPAN: &str = "b7ad6b7169203331";

fn config(httpbin: &Httpbin, collector: &OtlpCollector, dead: u16) -> String {
    let endpoint = format!("http://127.0.0.1:{}/v1/traces", collector.port());
    format!(
        r#"_format_version: "3.0"
services:
- name: httpbin
  url: http://127.0.0.1:{httpbin}
  routes:
  - name: traced
    paths: [/traced]
  - name: keyed
    paths: [/keyed]
    plugins:
    - name: key-auth
  - name: b3
    paths: [/b3]
    plugins:
    - name: opentelemetry
      config:
        traces_endpoint: {endpoint}
        propagation: {{extract: [b3], inject: [b3]}}
        queue: {{max_coalescing_delay: 0.2}}
- name: broken
  url: http://127.0.0.1:{dead}
  retries: 1
  routes:
  - name: broken-route
    paths: [/broken]
plugins:
- name: opentelemetry
  config:
    traces_endpoint: {endpoint}
    headers: {{X-Otel-Token: t0ken}}
    resource_attributes: {{service.name: edge-gw, deployment.environment: test}}
    http_response_header_for_traceid: x-trace-id
    queue: {{max_coalescing_delay: 0.2}}
"#,
        httpbin = httpbin.port()
    )
}

fn spans_of<'a>(spans: &'a [Value], trace_id: &str) -> Vec<&'a Value> {
    spans.iter().filter(|s| s["trace_id"] == trace_id).collect()
}

fn named<'a>(spans: &[&'a Value], name: &str) -> Vec<&'a Value> {
    spans
        .iter()
        .copied()
        .filter(|s| s["name"] == name)
        .collect()
}

/// The upstream's view of the request's trace header (httpbin echoes headers).
fn upstream_header(response: &http::Response, name: &str) -> String {
    response.json()["headers"][name]
        .as_str()
        .unwrap_or_else(|| panic!("the upstream got no {name}: {}", response.text()))
        .to_owned()
}

#[test]
fn spans_propagation_and_export_as_kong_makes_them() {
    let httpbin = Httpbin::start();
    let collector = OtlpCollector::start();
    let dead = ports::free_port();
    let gateway = Gateway::start_with_env(
        &config(&httpbin, &collector, dead),
        &[
            ("GATEWAY_TRACING_INSTRUMENTATIONS", "all"),
            ("GATEWAY_TRACING_SAMPLING_RATE", "1"),
        ],
    );

    // A caller's sampled trace is continued; the upstream's parent is the balancer span.
    let traceparent = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    let continued = http::get(
        &gateway.url("/traced/anything?token=query-secret"),
        &[("traceparent", traceparent.as_str())],
    );
    assert_eq!(continued.status, 200, "{}", continued.text());
    assert_eq!(continued.header("x-trace-id"), Some(CALLER_TRACE));
    let upstream = upstream_header(&continued, "Traceparent");
    let parts: Vec<&str> = upstream.split('-').collect();
    assert_eq!(parts.len(), 4, "{upstream}");
    assert_eq!((parts[0], parts[1], parts[3]), ("00", CALLER_TRACE, "01"));
    let announced = parts[2].to_owned();
    assert_ne!(announced, CALLER_SPAN);

    // A new trace.
    let fresh = http::get(&gateway.url("/traced/get"), &[]);
    assert_eq!(fresh.status, 200);
    let fresh_trace = fresh
        .header("x-trace-id")
        .expect("trace id header")
        .to_owned();
    assert_eq!(fresh_trace.len(), 32);
    assert!(upstream_header(&fresh, "Traceparent").contains(&fresh_trace));

    // Refused before the plugin's access phase: still traced, as Kong's root span is.
    let refused = http::get(&gateway.url("/keyed/get"), &[]);
    assert_eq!(refused.status, 401);
    let refused_trace = refused
        .header("x-trace-id")
        .expect("trace id on a refusal")
        .to_owned();

    // Both attempts fail.
    let broken = http::get(&gateway.url("/broken/get"), &[]);
    assert_eq!(broken.status, 502);
    let broken_trace = broken.header("x-trace-id").expect("trace id").to_owned();

    // The caller said "not sampled": propagated as such, nothing exported.
    let unsampled_trace = "1bf7651916cd43dd8448eb211c80319d";
    let unsampled = http::get(
        &gateway.url("/traced/get"),
        &[(
            "traceparent",
            &format!("00-{unsampled_trace}-{CALLER_SPAN}-00"),
        )],
    );
    assert!(upstream_header(&unsampled, "Traceparent").ends_with("-00"));

    // b3 on the route that asks for it.
    let b3 = http::get(
        &gateway.url("/b3/get"),
        &[
            ("X-B3-TraceId", CALLER_TRACE),
            ("X-B3-SpanId", CALLER_SPAN),
            ("X-B3-Sampled", "1"),
        ],
    );
    assert_eq!(b3.status, 200, "{}", b3.text());
    assert_eq!(upstream_header(&b3, "X-B3-Traceid"), CALLER_TRACE);
    assert_ne!(upstream_header(&b3, "X-B3-Spanid"), CALLER_SPAN);

    // continued: kong + balancer; fresh: 2; refused: 1; broken: 1 + 2; b3: 2.
    let spans = collector.spans(10, Duration::from_secs(10));
    let continued_spans = spans_of(&spans, CALLER_TRACE);
    let root = named(&continued_spans, "kong");
    let root = root
        .iter()
        .find(|s| s["parent_span_id"] == CALLER_SPAN)
        .unwrap_or_else(|| panic!("no kong span under the caller's: {spans:#?}"));
    assert_eq!(root["kind"], 2, "SERVER");
    let attributes = &root["attributes"];
    assert_eq!(attributes["http.method"], "GET");
    assert_eq!(attributes["http.status_code"], 200);
    assert_eq!(attributes["http.scheme"], "http");
    assert_eq!(attributes["http.flavor"], "1.1");
    assert_eq!(
        attributes["kong.request.id"],
        continued.header("x-kong-request-id").unwrap()
    );
    let url = attributes["http.url"].as_str().unwrap();
    assert!(url.contains("/traced/anything?token=REDACTED"), "{url}");
    let balancer = named(&continued_spans, "kong.balancer");
    let balancer = balancer
        .iter()
        .find(|s| s["parent_span_id"] == root["span_id"])
        .expect("a balancer span under the kong span");
    assert_eq!(
        balancer["span_id"],
        announced.as_str(),
        "the upstream's parent"
    );
    assert_eq!(balancer["kind"], 3, "CLIENT");
    assert_eq!(balancer["attributes"]["try_count"], 1);
    assert_eq!(balancer["attributes"]["net.peer.ip"], "127.0.0.1");
    assert_eq!(balancer["status_code"], 0);
    assert!(balancer["start"].as_u64() >= root["start"].as_u64());
    assert!(balancer["end"].as_u64() <= root["end"].as_u64());

    let refused_spans = spans_of(&spans, &refused_trace);
    assert_eq!(refused_spans.len(), 1, "{refused_spans:#?}");
    assert_eq!(refused_spans[0]["attributes"]["http.status_code"], 401);

    let broken_spans = spans_of(&spans, &broken_trace);
    let attempts = named(&broken_spans, "kong.balancer");
    assert_eq!(attempts.len(), 2, "{broken_spans:#?}");
    assert!(
        attempts.iter().all(|s| s["status_code"] == 2),
        "ERROR: {attempts:#?}"
    );
    let tries: BTreeSet<i64> = attempts
        .iter()
        .filter_map(|s| s["attributes"]["try_count"].as_i64())
        .collect();
    assert_eq!(tries, BTreeSet::from([1, 2]));

    assert!(spans_of(&spans, unsampled_trace).is_empty(), "not sampled");
    assert_eq!(spans_of(&spans, &fresh_trace).len(), 2);

    for request in collector.received() {
        assert!(request.get("error").is_none(), "{request}");
        assert_eq!(request["path"], "/v1/traces");
        assert_eq!(request["content_type"], "application/x-protobuf");
        let resource = &request["resources"][0];
        assert_eq!(resource["scopes"][0]["name"], "kong-internal");
        if request["headers"]["x-otel-token"] == "t0ken" {
            assert_eq!(resource["attributes"]["service.name"], "edge-gw");
            assert_eq!(resource["attributes"]["deployment.environment"], "test");
        } else {
            // The b3 route's own instance: Kong's defaults.
            assert_eq!(resource["attributes"]["service.name"], "kong");
        }
        assert!(resource["attributes"]["service.instance.id"].is_string());
    }
    assert!(!collector
        .received()
        .iter()
        .any(|r| r.to_string().contains("query-secret")));
}

#[test]
fn kongs_default_instrumentations_propagate_only() {
    let httpbin = Httpbin::start();
    let collector = OtlpCollector::start();
    let gateway = Gateway::start(&config(&httpbin, &collector, ports::free_port()));
    let traceparent = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    let response = http::get(
        &gateway.url("/traced/get"),
        &[("traceparent", traceparent.as_str())],
    );
    assert_eq!(response.status, 200);
    let upstream = upstream_header(&response, "Traceparent");
    assert!(
        upstream.starts_with(&format!("00-{CALLER_TRACE}-")),
        "{upstream}"
    );
    assert!(
        !upstream.contains(CALLER_SPAN),
        "a span of ours is the parent: {upstream}"
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert!(collector.received().is_empty(), "nothing is exported");
}
