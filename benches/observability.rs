//! Criterion benchmarks of what observability adds to every request: counting it on its
//! route (counter table and three histograms), building its JSON access line, and the
//! logger's scrubbing of that line.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{criterion_group, criterion_main, Criterion};
use oidc_gateway::access_log::json_line;
use oidc_gateway::config::compiled::Consumer;
use oidc_gateway::finished_request::FinishedRequest;
use oidc_gateway::metrics::{RequestOutcome, ResponseSource, RouteMetrics};

fn observability(c: &mut Criterion) {
    let route = RouteMetrics::new("httpbin-service".into(), "oidc-route".into());
    let outcome = RequestOutcome {
        status: 200,
        source: ResponseSource::Service,
        consumer: Some(3),
        request: Duration::from_micros(1800),
        upstream: Some(Duration::from_micros(1500)),
        gateway: Duration::from_micros(300),
    };
    c.bench_function("metrics: count one request on its route", |b| {
        b.iter(|| route.record(black_box(&outcome)))
    });

    let consumer = Consumer {
        id: "8c4d1e0a-6f47-5b7e-9a3c-2f1d0e9b8a7c".into(),
        username: Some("kong_id".into()),
        custom_id: None,
        groups: Vec::new(),
        acls: Vec::new(),
    };
    let request = FinishedRequest {
        started_at: SystemTime::now(),
        request_id: "61f3d104f8b6eba2e6586cc94f339775",
        client_ip: Some([127, 0, 0, 1].into()),
        method: "GET",
        path: "/oidc-route/get",
        route: None,
        service: None,
        consumer: Some(&consumer),
        status: 200,
        upstream_status: Some(200),
        source: ResponseSource::Service,
        tries: 1,
        request_latency: Duration::from_micros(1800),
        upstream_latency: Some(Duration::from_micros(1500)),
        gateway_latency: Duration::from_micros(300),
        bytes_sent: 1636,
    };
    c.bench_function("access log: JSON line", |b| {
        b.iter(|| json_line(black_box(&request)))
    });
    c.bench_function("access log: RFC 3339 time", |b| {
        b.iter(|| oidc_gateway::access_log::rfc3339(black_box(request.started_at)))
    });
    let line = json_line(&request);
    c.bench_function("access log: scrub the JSON line", |b| {
        b.iter(|| oidc_gateway::logging::scrub(black_box(&line)).len())
    });
}

criterion_group!(benches, observability);
criterion_main!(benches);
