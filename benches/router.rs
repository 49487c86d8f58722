//! Criterion benchmarks of route matching at 10, 1,000 and 10,000 routes (prefix paths
//! `/svc{i:05}/v1`, some with hosts or methods, 1% regex paths): hits and misses, plus
//! path normalisation. Names are zero-padded so request paths have the same length at
//! every size: the figures then show the cost of the number of routes alone.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};
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

const SIZES: [usize; 3] = [10, 1_000, 10_000];
const CASES: [&str; 5] = ["prefix_hit", "host_hit", "regex_hit", "miss", "near_miss"];

/// The request paths and hosts of each case at size `n`, in `CASES` order.
fn cases(n: usize) -> Vec<(&'static str, String, String)> {
    let host_route = n / 2 - n / 2 % 10 + 3;
    let regex_route = n / 2 - n / 2 % 100 + 7;
    vec![
        (
            "prefix_hit",
            "gw.local".to_owned(),
            format!("/svc{:05}/v1/users/42", plain(n)),
        ),
        (
            "host_hit",
            format!("h{host_route}.example.com"),
            format!("/svc{host_route:05}/v1/x"),
        ),
        (
            "regex_hit",
            "gw.local".to_owned(),
            format!("/svc{regex_route:05}/items/42"),
        ),
        ("miss", "gw.local".to_owned(), "/nothing/here".to_owned()),
        // An existing service, a version it does not have: the deepest walk that misses.
        (
            "near_miss",
            "gw.local".to_owned(),
            format!("/svc{:05}/v2/x", plain(n)),
        ),
    ]
}

fn request<'a>(host: &'a str, path: &'a str, headers: &'a HeaderMap) -> Request<'a> {
    Request {
        method: "GET",
        host: Some(host),
        path,
        headers: Some(headers),
        sni: None,
        local_port: None,
    }
}

fn routing(c: &mut Criterion) {
    let headers = HeaderMap::new();
    let mut group = c.benchmark_group("router");
    for n in SIZES {
        let router = Router::new(&specs(n)).expect("router builds");
        for (name, host, path) in cases(n) {
            let req = request(&host, &path, &headers);
            let hit = router.route(&req).is_some();
            assert_eq!(hit, name.ends_with("hit"), "{name} at {n}");
            group.bench_function(format!("{name}/{n}"), |b| {
                b.iter(|| black_box(router.route(black_box(&req))))
            });
        }
    }
    group.finish();
}

/// The 10,000 / 10 ratio measured robustly on a shared machine: rounds that time every
/// size back to back, so load changes hit all sizes alike; medians over the rounds.
fn interleaved_ratios(rounds: usize, iterations: u32) {
    let headers = HeaderMap::new();
    let routers: Vec<Router> = SIZES
        .iter()
        .map(|&n| Router::new(&specs(n)).expect("router builds"))
        .collect();
    let inputs: Vec<Vec<(&str, String, String)>> = SIZES.iter().map(|&n| cases(n)).collect();
    // samples[case][size] = ns per lookup, one per round.
    let mut samples = vec![vec![Vec::with_capacity(rounds); SIZES.len()]; CASES.len()];
    for _ in 0..rounds {
        for (case, per_case) in samples.iter_mut().enumerate() {
            for (size, router) in routers.iter().enumerate() {
                let (_, host, path) = &inputs[size][case];
                let req = request(host, path, &headers);
                let start = Instant::now();
                for _ in 0..iterations {
                    black_box(router.route(black_box(&req)));
                }
                let ns = start.elapsed().as_nanos() as f64 / f64::from(iterations);
                per_case[size].push(ns);
            }
        }
    }
    println!("\ninterleaved medians over {rounds} rounds (ns per lookup):");
    println!(
        "{:<12} {:>8} {:>8} {:>8} {:>10}",
        "case", "10", "1000", "10000", "10000/10"
    );
    for (case, per_case) in samples.iter_mut().enumerate() {
        let medians: Vec<f64> = per_case
            .iter_mut()
            .map(|v| {
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            })
            .collect();
        println!(
            "{:<12} {:>8.1} {:>8.1} {:>8.1} {:>9.2}x",
            CASES[case],
            medians[0],
            medians[1],
            medians[2],
            medians[2] / medians[0]
        );
    }
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

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo bench` passes `--bench`; without it (`cargo test`) this is a smoke pass.
    if std::env::args().any(|a| a == "--bench") {
        interleaved_ratios(31, 20_000);
    } else {
        interleaved_ratios(1, 10);
    }
}
