//! Criterion benchmarks of route matching at 10, 1,000 and 10,000 routes (prefix paths
//! `/svc{i:05}/v1`, some with hosts or methods, 1% regex paths): hits and misses, plus
//! path normalisation. Names are zero-padded so request paths have the same length at
//! every size: the figures then show the cost of the number of routes alone.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use http::HeaderMap;
use oidc_gateway::router::{normalize_path, Request, RouteSpec, Router};

fn specs(n: usize) -> Vec<RouteSpec> {
    (0..n)
        .map(|i| {
            let mut spec = RouteSpec::default();
            if i % 100 == 7 {
                spec.paths = vec![format!("~/svc{i:05}/items/(?<id>\\d+)$")];
            } else {
                spec.paths = vec![format!("/svc{i:05}/v1")];
            }
            if i % 10 == 3 {
                spec.hosts = vec![format!("h{i}.example.com")];
            }
            if i % 20 == 5 {
                spec.methods = vec!["GET".into(), "POST".into()];
            }
            if i % 40 == 9 {
                spec.hosts = vec![format!("*.w{i}.example.com")];
            }
            spec
        })
        .collect()
}

/// A plain-prefix route index near the middle.
fn plain(n: usize) -> usize {
    (n / 2..n)
        .find(|i| i % 100 != 7 && i % 10 != 3 && i % 20 != 5 && i % 40 != 9)
        .unwrap_or(0)
}

fn routing(c: &mut Criterion) {
    let headers = HeaderMap::new();
    let mut group = c.benchmark_group("router");
    for n in [10usize, 1_000, 10_000] {
        let router = Router::new(&specs(n)).expect("router builds");
        let request = |method, host, path| Request {
            method,
            host,
            path,
            headers: Some(&headers),
            sni: None,
        };
        let prefix_hit = format!("/svc{:05}/v1/users/42", plain(n));
        let host_hit = (format!("h{}.example.com", n / 2 - n / 2 % 10 + 3), {
            let i = n / 2 - n / 2 % 10 + 3;
            format!("/svc{i:05}/v1/x")
        });
        let regex_hit = format!("/svc{:05}/items/42", n / 2 - n / 2 % 100 + 7);
        // An existing service, a version it does not have: the deepest walk that misses.
        let near_miss = format!("/svc{:05}/v2/x", plain(n));
        let cases = [
            ("prefix_hit", request("GET", Some("gw.local"), &prefix_hit)),
            (
                "host_hit",
                request("GET", Some(&host_hit.0), host_hit.1.as_str()),
            ),
            ("regex_hit", request("GET", Some("gw.local"), &regex_hit)),
            ("miss", request("GET", Some("gw.local"), "/nothing/here")),
            ("near_miss", request("GET", Some("gw.local"), &near_miss)),
        ];
        for (name, req) in cases {
            let hit = router.route(&req).is_some();
            assert_eq!(hit, name.ends_with("hit"), "{name} at {n}");
            group.bench_function(format!("{name}/{n}"), |b| {
                b.iter(|| black_box(router.route(black_box(&req))))
            });
        }
    }
    group.finish();
}

fn normalisation(c: &mut Criterion) {
    let mut group = c.benchmark_group("normalize");
    for (name, path) in [
        ("plain", "/svc5000/v1/users/42"),
        ("tricky", "//svc5000/./v1/%75sers/../users/42"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(normalize_path(black_box(path))))
        });
    }
    group.finish();
}

fn quick() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! { name = benches; config = quick(); targets = routing, normalisation }
criterion_main!(benches);
