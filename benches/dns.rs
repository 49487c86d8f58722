//! Criterion benchmarks of the DNS cache on the request path: a service host's pick (the
//! lock-free load of the current answer plus the round-robin turn), alone and with 8
//! threads picking from the same name, and a balancer pick over a name's addresses.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use http::HeaderMap;
use oidc_gateway::balancer::{Balancer, BalancerSettings, HashInput, TargetInfo};
use oidc_gateway::dns::{Address, Answer, AnswerState, DnsName};

fn resolved(addresses: u8) -> Arc<DnsName> {
    let name = Arc::new(DnsName::new("pool.bench".to_owned()));
    let list = (0..addresses)
        .map(|i| Address {
            ip: [10, 0, 0, i + 1].into(),
            port: None,
            weight: 1,
        })
        .collect();
    name.publish(Answer::new(AnswerState::Fresh, list));
    name
}

fn cached_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("dns");
    let name = resolved(4);
    group.bench_function("cached_pick", |b| {
        b.iter(|| black_box(name.pick(black_box(8080))))
    });
    group.bench_function("cached_pick_8_threads", |b| {
        // Each of 8 threads makes `iterations` picks: the time is one thread's per pick
        // while 7 others pick from the same name.
        b.iter_custom(|iterations| {
            let start = std::time::Instant::now();
            std::thread::scope(|scope| {
                for _ in 0..8 {
                    let name = Arc::clone(&name);
                    scope.spawn(move || {
                        for _ in 0..iterations {
                            black_box(name.pick(8080));
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    let settings = BalancerSettings::new(
        "pool",
        vec![TargetInfo {
            address: "0.0.0.0:8080".parse().expect("address"),
            host: "pool.bench".to_owned(),
            port: 8080,
            weight: 100,
            dns: Some(Arc::clone(&name)),
        }],
    );
    let balancer = Balancer::new(settings);
    let headers = HeaderMap::new();
    let input = HashInput {
        consumer_id: None,
        client_ip: None,
        headers: &headers,
        path: "/",
        query: None,
    };
    group.bench_function("balancer_pick_named_target", |b| {
        b.iter(|| black_box(balancer.select(black_box(&input), &[])))
    });
    group.finish();
}

fn quick() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! { name = benches; config = quick(); targets = cached_lookup }
criterion_main!(benches);
