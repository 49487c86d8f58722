//! Memory at scale (TEST-ONLY PATH): the process RSS with 100,000 and 1,000,000 cached
//! credentials in the gateway's real token cache, and the bytes each credential costs.
//!
//! Filling a million credentials through the IdP would take the better part of an hour, so this
//! benchmark fills the real `ClientCredentialsFlow` cache through its test-only door
//! (`insert_for_tests`): the real cache key derivation (salted SHA-256 of issuer, client id and
//! secret), the real slot, and a `CachedToken` shaped like one from the IdP (a Keycloak-like
//! RS256 JWT of the real length, its kid, the consumer claim value). The load kit's 100,000-
//! client row measures the same thing through the real IdP and the running gateway.
//!
//! Run: cargo bench --bench cache_memory   (CACHE_MEMORY_COUNTS=100000,1000000 by default;
//! under `cargo test` it fills 1,000 as a smoke test)

#[path = "support/flow.rs"]
mod flow;
#[path = "../tests/mint/mod.rs"]
mod mint;

use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use flow::{bench_flow, ISSUER};
use http::HeaderValue;
use oidc_gateway::oidc::client_credentials::Now;
use oidc_gateway::oidc::secret::ClientCredentials;
use oidc_gateway::oidc::token_cache::{CachedToken, Lookup};

/// The gateway binary's allocator (src/main.rs), so the figures are the gateway's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The resident set size of this process in bytes, from /proc/self/status.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .expect("VmRSS")
        * 1024
}

/// Client `n`'s credentials, as the load kit's IdP clients: `load-<n>` and a 32-character secret.
fn credentials(n: usize) -> ClientCredentials {
    ClientCredentials::new(&format!("load-{n}"), &format!("loadsecret-{n:022}"))
}

/// A cached token like the IdP's for client `n`: its own allocation of a real-length JWT.
fn cached_token(template: &str, n: usize, now: Now) -> CachedToken {
    // The template's last 12 signature characters are replaced by the number, so every entry is
    // a distinct string of the template's length.
    let cut = template.len() - 12;
    let access_token = format!("{}{n:012}", &template[..cut]);
    // As the flow builds it (the allocation size matters: format! may reserve more).
    let scheme = "Bearer";
    let value = format!("{scheme} {access_token}");
    CachedToken {
        upstream_value: HeaderValue::try_from(value).expect("header value"),
        kid: Some("qQX0VN7qgLLP9dNQiII2XsEmiBEAxEpSsEipTqwfYJg".into()),
        consumer_claim_values: vec![vec![format!("load-{n}")]],
        authenticated_groups: None,
        stale_at: now.monotonic + Duration::from_secs(3000),
        expires_at: now.monotonic + Duration::from_secs(3300),
        confirmed_keys_generation: AtomicU64::new(0),
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this as a smoke test.
    let smoke = !std::env::args().any(|arg| arg == "--bench");
    let default_counts = if smoke { "1000" } else { "100000,1000000" };
    let counts: Vec<usize> = std::env::var("CACHE_MEMORY_COUNTS")
        .unwrap_or_else(|_| default_counts.into())
        .split(',')
        .map(|c| c.trim().parse().expect("CACHE_MEMORY_COUNTS: numbers"))
        .collect();
    let largest = counts.iter().copied().max().unwrap_or(0);
    let key = mint::SigningKey::generate("k1", 2048);
    let claims = mint::keycloak_claims(ISSUER, "load-1000000", mint::unix_now(), 3600);
    let template = key.token(&claims);
    let now = Now::current();

    let flow = bench_flow(largest.max(1) * 2);
    let base = rss_bytes();
    println!(
        "cache_memory: test-only fill of the real token cache; JWT {} bytes; RSS before {:.1} MiB",
        template.len(),
        base as f64 / 1048576.0
    );
    println!("| cached credentials | RSS MiB | RSS growth MiB | bytes per credential | fill s |");
    println!("|---:|---:|---:|---:|---:|");
    let started = Instant::now();
    let mut filled = 0;
    for count in counts {
        while filled < count {
            filled += 1;
            flow.insert_for_tests(
                &credentials(filled),
                cached_token(&template, filled, now),
                now,
            );
        }
        assert_eq!(flow.cache().len(), count, "every credential has a slot");
        // A lookup still hits: the entries are real cache entries.
        let (_, lookup) = flow.lookup(&credentials(count), now);
        assert!(matches!(lookup, Lookup::Fresh(_)), "cache hit expected");
        let rss = rss_bytes();
        let growth = rss.saturating_sub(base);
        println!(
            "| {count} | {:.1} | {:.1} | {:.0} | {:.1} |",
            rss as f64 / 1048576.0,
            growth as f64 / 1048576.0,
            growth as f64 / count as f64,
            started.elapsed().as_secs_f64()
        );
    }
}
