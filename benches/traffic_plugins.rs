//! Criterion benchmarks of the traffic plugins' pure cores: rate-limiting's decision and
//! headers for two periods, its local counters among 10,000 live identifiers (one thread, and
//! eight threads at once on one shared store), the client address behind trusted proxies,
//! and ip-restriction's range check. `baseline_dashmap_get` (one lookup in a 10,000-entry
//! sharded map) is the yardstick each figure is read against in the same run.

use std::hint::black_box;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use dashmap::DashMap;
use http::HeaderMap;
use oidc_gateway::client_ip::cidr::{any_contains, IpCidr};
use oidc_gateway::client_ip::ClientIpSettings;
use oidc_gateway::plugin::rate_limiting::counters::{CounterKey, LocalCounters};
use oidc_gateway::plugin::rate_limiting::windows::{decide, Period, Usage};

const IDENTIFIERS: usize = 10_000;
const NOW: u64 = 1_796_354_717;

fn keys_for(scope: &Arc<str>, identifier: usize) -> [(CounterKey, u64); 2] {
    let key = |period: Period| CounterKey {
        scope: scope.clone(),
        identifier: format!("consumer-{identifier:05}"),
        period,
        window: period.window_start(NOW),
    };
    [
        (key(Period::Minute), u64::MAX),
        (key(Period::Hour), u64::MAX),
    ]
}

fn traffic(c: &mut Criterion) {
    let mut group = c.benchmark_group("traffic");

    let baseline: DashMap<String, u64> = (0..IDENTIFIERS)
        .map(|i| (format!("consumer-{i:05}"), 0))
        .collect();
    let mut i = 0usize;
    group.bench_function("baseline_dashmap_get", |b| {
        b.iter(|| {
            i = (i + 1) % IDENTIFIERS;
            black_box(baseline.get(&format!("consumer-{i:05}")).map(|v| *v))
        })
    });

    let usages = [
        Usage {
            period: Period::Minute,
            limit: 100,
            used: 42,
        },
        Usage {
            period: Period::Hour,
            limit: 1000,
            used: 420,
        },
    ];
    group.bench_function("rate_limit_decide_two_periods", |b| {
        b.iter(|| black_box(decide(black_box(&usages), NOW, true)))
    });

    let counters = Arc::new(LocalCounters::default());
    let scope: Arc<str> = Arc::from("00000000-0000-0000-0000-000000000000:svc");
    for id in 0..IDENTIFIERS {
        counters.try_count(&keys_for(&scope, id), NOW);
    }
    let mut i = 0usize;
    group.bench_function("rate_limit_local_count_10k_identifiers", |b| {
        b.iter(|| {
            i = (i + 1) % IDENTIFIERS;
            black_box(counters.try_count(&keys_for(&scope, i), NOW))
        })
    });

    // Eight threads counting different identifiers in one store: wall time per count of all
    // of them together. With no lock serialising the store it falls below the one-thread
    // figure by the number of cores (a global lock would keep it at or above it).
    group.bench_function("rate_limit_local_count_8_threads", |b| {
        b.iter_custom(|iters| {
            let per_thread = iters.div_ceil(8);
            let started = Instant::now();
            let threads: Vec<_> = (0..8)
                .map(|t| {
                    let (counters, scope) = (counters.clone(), scope.clone());
                    std::thread::spawn(move || {
                        for n in 0..per_thread {
                            let id = (t * 1250 + n as usize) % IDENTIFIERS;
                            black_box(counters.try_count(&keys_for(&scope, id), NOW));
                        }
                    })
                })
                .collect();
            for thread in threads {
                let _ = thread.join();
            }
            started.elapsed()
        })
    });

    let trusted: Vec<String> = ["10.0.0.0/8", "192.168.0.0/16", "127.0.0.1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let settings =
        ClientIpSettings::new(&trusted, Some("X-Forwarded-For"), true).unwrap_or_default();
    let mut headers = HeaderMap::new();
    headers.insert("x-forwarded-for", "203.0.113.7, 10.1.2.3".parse().unwrap());
    let peer: IpAddr = "10.0.0.1".parse().unwrap();
    group.bench_function("client_ip_trusted_recursive", |b| {
        b.iter(|| black_box(settings.client_ip(black_box(peer), &headers)))
    });

    let ranges: Vec<IpCidr> = [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "2001:db8::/32",
    ]
    .iter()
    .filter_map(|r| r.parse().ok())
    .collect();
    let client: IpAddr = "203.0.113.7".parse().unwrap();
    group.bench_function("ip_restriction_four_ranges", |b| {
        b.iter(|| black_box(any_contains(&ranges, black_box(client))))
    });
    group.finish();
}

criterion_group!(benches, traffic);
criterion_main!(benches);
