//! Target selection through the public `Balancer` API: weights, consistent hashing,
//! least connections, exclusions, passive health and the upstream threshold.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use oidc_gateway::balancer::{
    Algorithm, Balancer, BalancerSettings, HashInput, HashSource, PassiveOutcome, TargetInfo,
};

fn target(i: u8, weight: u32) -> TargetInfo {
    let address = SocketAddr::from(([10, 0, 0, i], 8000));
    TargetInfo {
        address,
        host: format!("t{i}.internal"),
        port: 8000,
        weight,
        dns: None,
    }
}

fn settings(weights: &[u32]) -> BalancerSettings {
    let targets = weights
        .iter()
        .enumerate()
        .map(|(i, w)| target(i as u8 + 1, *w))
        .collect();
    BalancerSettings::new("up.internal", targets)
}

fn input<'a>(headers: &'a http::HeaderMap, ip: Option<IpAddr>) -> HashInput<'a> {
    HashInput {
        consumer_id: None,
        client_ip: ip,
        headers,
        path: "/",
        query: None,
    }
}

fn counts(balancer: &Balancer, picks: usize) -> HashMap<usize, usize> {
    let headers = http::HeaderMap::new();
    let mut counts = HashMap::new();
    for _ in 0..picks {
        let pick = balancer
            .select(&input(&headers, None), &[])
            .expect("a target");
        *counts.entry(pick.target).or_default() += 1;
    }
    counts
}

#[test]
fn round_robin_follows_weights_and_skips_weight_zero() {
    let balancer = Balancer::new(settings(&[100, 50, 0]));
    let counts = counts(&balancer, 300);
    assert_eq!(counts.get(&0), Some(&200));
    assert_eq!(counts.get(&1), Some(&100));
    assert_eq!(counts.get(&2), None);
}

#[test]
fn all_weights_zero_means_no_peer() {
    let balancer = Balancer::new(settings(&[0, 0]));
    let headers = http::HeaderMap::new();
    assert!(balancer.select(&input(&headers, None), &[]).is_none());
}

#[test]
fn pick_carries_the_target() {
    let balancer = Balancer::new(settings(&[1]));
    let headers = http::HeaderMap::new();
    let pick = balancer.select(&input(&headers, None), &[]).unwrap();
    assert_eq!(pick.target, 0);
    assert_eq!(pick.address, "10.0.0.1:8000".parse().unwrap());
    assert_eq!((pick.host.as_str(), pick.port), ("t1.internal", 8000));
    assert!(pick.lease.is_none() && pick.set_cookie.is_none());
}

#[test]
fn excluded_targets_are_not_picked() {
    let balancer = Balancer::new(settings(&[100, 100, 100]));
    let headers = http::HeaderMap::new();
    for _ in 0..20 {
        let pick = balancer.select(&input(&headers, None), &[0, 2]).unwrap();
        assert_eq!(pick.target, 1);
    }
    assert!(balancer
        .select(&input(&headers, None), &[0, 1, 2])
        .is_none());
}

fn hashing(weights: &[u32]) -> BalancerSettings {
    let mut s = settings(weights);
    s.algorithm = Algorithm::ConsistentHashing;
    s.hash_on = HashSource::Header("x-user".into());
    s.hash_fallback = HashSource::Ip;
    s
}

fn user(name: &str) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    headers.insert("x-user", name.parse().unwrap());
    headers
}

#[test]
fn consistent_hashing_keeps_a_key_on_its_target() {
    let balancer = Balancer::new(hashing(&[100, 100, 100, 100]));
    let headers = user("alice");
    let first = balancer.select(&input(&headers, None), &[]).unwrap().target;
    for _ in 0..1000 {
        assert_eq!(
            balancer.select(&input(&headers, None), &[]).unwrap().target,
            first
        );
    }
    // The fallback (client ip) is used when the header is missing, and is stable too.
    let none = http::HeaderMap::new();
    let ip: Option<IpAddr> = "192.0.2.9".parse().ok();
    let by_ip = balancer.select(&input(&none, ip), &[]).unwrap().target;
    for _ in 0..100 {
        assert_eq!(
            balancer.select(&input(&none, ip), &[]).unwrap().target,
            by_ip
        );
    }
}

#[test]
fn removing_a_target_moves_only_its_keys() {
    let before = Balancer::new(hashing(&[100, 100, 100, 100]));
    // The same targets without the last one.
    let after = Balancer::new(hashing(&[100, 100, 100]));
    let mut moved = 0;
    let mut on_removed = 0;
    for i in 0..2000 {
        let headers = user(&format!("user-{i}"));
        let a = before.select(&input(&headers, None), &[]).unwrap().target;
        let b = after.select(&input(&headers, None), &[]).unwrap().target;
        if a == 3 {
            on_removed += 1;
        } else if a != b {
            moved += 1;
        }
    }
    assert!(on_removed > 300 && on_removed < 700, "{on_removed}");
    assert_eq!(moved, 0, "keys of other targets moved");
}

#[test]
fn an_unhealthy_target_moves_only_its_keys_and_they_come_back() {
    let mut s = hashing(&[100, 100, 100]);
    s.healthchecks.passive.tcp_failures = 1;
    s.healthchecks.active.thresholds.successes = 1;
    let balancer = Balancer::new(s);
    let keys: Vec<http::HeaderMap> = (0..300).map(|i| user(&format!("k{i}"))).collect();
    let before: Vec<usize> = keys
        .iter()
        .map(|h| balancer.select(&input(h, None), &[]).unwrap().target)
        .collect();
    balancer.report(1, PassiveOutcome::TcpFailure);
    assert!(!balancer.is_healthy(1));
    for (h, &was) in keys.iter().zip(&before) {
        let now = balancer.select(&input(h, None), &[]).unwrap().target;
        if was == 1 {
            assert_ne!(now, 1);
        } else {
            assert_eq!(now, was);
        }
    }
}

#[test]
fn hash_cookie_is_generated_when_missing() {
    let mut s = settings(&[100, 100]);
    s.algorithm = Algorithm::ConsistentHashing;
    s.hash_on = HashSource::Cookie {
        name: "sticky".into(),
        path: "/app".into(),
    };
    let balancer = Balancer::new(s);
    let none = http::HeaderMap::new();
    let pick = balancer.select(&input(&none, None), &[]).unwrap();
    let set = pick.set_cookie.expect("a Set-Cookie value");
    assert!(
        set.starts_with("sticky=") && set.ends_with("; Path=/app"),
        "{set}"
    );
    // Sending the cookie back keeps the target.
    let value = set.trim_start_matches("sticky=").split(';').next().unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::COOKIE,
        format!("sticky={value}").parse().unwrap(),
    );
    for _ in 0..50 {
        let again = balancer.select(&input(&headers, None), &[]).unwrap();
        assert_eq!(again.target, pick.target);
        assert!(again.set_cookie.is_none());
    }
}

#[test]
fn least_connections_prefers_fewer_live_leases() {
    let mut s = settings(&[100, 100]);
    s.algorithm = Algorithm::LeastConnections;
    let balancer = Balancer::new(s);
    let headers = http::HeaderMap::new();
    let first = balancer.select(&input(&headers, None), &[]).unwrap();
    assert!(first.lease.is_some());
    let second = balancer.select(&input(&headers, None), &[]).unwrap();
    assert_ne!(first.target, second.target);
    let busy = second.target;
    // Keep two leases on `busy`; the other target wins while they live.
    let third = balancer.select(&input(&headers, None), &[]).unwrap();
    drop(first);
    let mut held = vec![second, third];
    held.retain(|p| p.target == busy);
    for _ in 0..5 {
        let pick = balancer.select(&input(&headers, None), &[]).unwrap();
        assert_ne!(pick.target, busy);
    }
    drop(held);
}

#[test]
fn passive_failures_mark_unhealthy_and_only_active_successes_heal() {
    let mut s = settings(&[100, 100]);
    s.healthchecks.passive.http_failures = 2;
    s.healthchecks.passive.successes = 1;
    s.healthchecks.active.thresholds.successes = 2;
    let balancer = Balancer::new(s);
    balancer.report(0, PassiveOutcome::Status(500));
    assert!(balancer.is_healthy(0));
    balancer.report(0, PassiveOutcome::Status(200)); // resets the failure count
    balancer.report(0, PassiveOutcome::Status(503));
    balancer.report(0, PassiveOutcome::Status(404)); // in neither list: ignored
    balancer.report(0, PassiveOutcome::Status(429));
    assert!(!balancer.is_healthy(0));
    let headers = http::HeaderMap::new();
    for _ in 0..10 {
        assert_eq!(
            balancer.select(&input(&headers, None), &[]).unwrap().target,
            1
        );
    }
    for _ in 0..5 {
        balancer.report(0, PassiveOutcome::Status(200));
    }
    assert!(!balancer.is_healthy(0), "passive successes must not heal");
    balancer.report(1, PassiveOutcome::Timeout); // timeouts threshold is 0: never counts
    assert!(balancer.is_healthy(1));
    balancer.report(1, PassiveOutcome::Status(500));
    balancer.report(1, PassiveOutcome::Status(500));
    assert!(!balancer.is_healthy(1));
    assert!(balancer.select(&input(&headers, None), &[]).is_none());
}

#[test]
fn threshold_makes_the_whole_upstream_unhealthy() {
    let mut s = settings(&[100, 100, 200]);
    s.healthchecks.passive.tcp_failures = 1;
    s.healthchecks.threshold = 60.0;
    let balancer = Balancer::new(s);
    let headers = http::HeaderMap::new();
    balancer.report(0, PassiveOutcome::TcpFailure); // 75% healthy
    assert!(balancer.select(&input(&headers, None), &[]).is_some());
    balancer.report(1, PassiveOutcome::TcpFailure); // 50% healthy
    assert!(balancer.select(&input(&headers, None), &[]).is_none());
}

#[test]
fn health_carries_over_to_a_reloaded_upstream() {
    let mut s = settings(&[100, 100]);
    s.healthchecks.passive.tcp_failures = 1;
    s.healthchecks.active.unhealthy_interval = std::time::Duration::from_secs(5);
    s.healthchecks.active.thresholds.successes = 1;
    let passive_only = {
        let mut p = s.clone();
        p.healthchecks.active.unhealthy_interval = std::time::Duration::ZERO;
        std::sync::Arc::new(Balancer::new(p))
    };
    let old = std::sync::Arc::new(Balancer::new(s.clone()));
    old.report(1, PassiveOutcome::TcpFailure);
    // The new config reorders the targets and adds one.
    let mut reloaded = s;
    reloaded.targets.reverse();
    reloaded.targets.push(target(9, 100));
    let new = std::sync::Arc::new(Balancer::new(reloaded));
    oidc_gateway::balancer::carry_over_health(&[old], std::slice::from_ref(&new));
    assert!(!new.is_healthy(0), "t2 was unhealthy");
    assert!(new.is_healthy(1) && new.is_healthy(2));
    // Without active checks that heal, a reload re-enables every target.
    oidc_gateway::balancer::carry_over_health(
        std::slice::from_ref(&new),
        std::slice::from_ref(&passive_only),
    );
    assert!(passive_only.is_healthy(0) && passive_only.is_healthy(1));
}

#[test]
fn balancer_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Balancer>();
    check::<oidc_gateway::balancer::Pick>();
}
