//! Criterion benchmarks of the request hot path: a token-cache hit, one full RS256
//! verification with a pre-parsed key, and the bare signature check it is built on; the
//! bearer method's cache hit and cold verification; plus the crypto alternatives the
//! README's choice of library rests on.

#[path = "support/flow.rs"]
mod flow;
#[path = "../tests/mint/mod.rs"]
mod mint;

use std::hint::black_box;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::signature::{RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use flow::{bench_flow, bench_provider_settings, ISSUER};
use http::HeaderValue;
use oidc_gateway::config::openid_connect::OpenIdConnectConfig;
use oidc_gateway::oidc::bearer::{BearerSettings, BearerVerifier};
use oidc_gateway::oidc::bearer_token;
use oidc_gateway::oidc::client_credentials::Now;
use oidc_gateway::oidc::credentials::from_authorization_header;
use oidc_gateway::oidc::identity::IdentityBuilder;
use oidc_gateway::oidc::jwks::parse_jwks;
use oidc_gateway::oidc::jwt::{verify, Expectations};
use oidc_gateway::oidc::provider::Provider;
use oidc_gateway::oidc::token_cache::{CachedToken, Lookup};

const SECRET: &str = "RVXO9SOJskjw4LeVupjRbIMJIAyyil8j";

fn cache_hit(c: &mut Criterion) {
    let flow = bench_flow(1_000_000);
    let header = format!("Basic {}", STANDARD.encode(format!("kong_id:{SECRET}")));
    let now = Now::current();
    // A cache with 1,000 other clients besides the one looked up.
    for n in 0..1000 {
        let other = format!("Basic {}", STANDARD.encode(format!("client{n}:{SECRET}")));
        let creds = from_authorization_header(other.as_bytes())
            .ok()
            .flatten()
            .expect("creds");
        flow.insert_for_tests(&creds, token(now), now);
    }
    let creds = from_authorization_header(header.as_bytes())
        .ok()
        .flatten()
        .expect("creds");
    flow.insert_for_tests(&creds, token(now), now);
    c.benchmark_group("hot_path")
        .bench_function("cache_hit", |b| {
            b.iter(|| {
                let creds = from_authorization_header(black_box(header.as_bytes()))
                    .ok()
                    .flatten()
                    .expect("creds");
                let (_, lookup) = flow.lookup(&creds, now);
                assert!(matches!(lookup, Lookup::Fresh(_)));
                black_box(lookup)
            })
        });
}

fn token(now: Now) -> CachedToken {
    CachedToken {
        upstream_value: HeaderValue::from_static("Bearer eyJ.eyJ.sig"),
        kid: None,
        consumer_claim_values: vec![vec!["kong_id".into()]],
        authenticated_groups: None,
        stale_at: now.monotonic + Duration::from_secs(3600),
        expires_at: now.monotonic + Duration::from_secs(3700),
        confirmed_keys_generation: AtomicU64::new(0),
    }
}

struct Signed {
    token: String,
    key: mint::SigningKey,
}

fn signed() -> Signed {
    let key = mint::SigningKey::generate("k1", 2048);
    let token = key.token(&mint::keycloak_claims(
        ISSUER,
        "kong_id",
        mint::unix_now(),
        3600,
    ));
    Signed { token, key }
}

fn verification(c: &mut Criterion) {
    let Signed { token, key } = signed();
    let keys = parse_jwks(mint::jwks(&[&key]).as_bytes())
        .expect("jwks")
        .keys;
    let expect = Expectations {
        issuer: ISSUER,
        leeway_seconds: 0,
    };
    let wanted = vec!["client_id".to_owned()];
    let now = mint::unix_now();
    let (message, signature_b64) = token.rsplit_once('.').expect("jws");
    let signature = URL_SAFE_NO_PAD.decode(signature_b64).expect("b64");
    let (n, e) = key.components();
    let parsed = RsaPublicKeyComponents { n: &n, e: &e }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .expect("key");

    let mut group = c.benchmark_group("hot_path");
    group.bench_function("verify_rs256", |b| {
        b.iter(|| verify(black_box(&token), &keys, &expect, now, &wanted).expect("valid"))
    });
    group.bench_function("crypto_baseline", |b| {
        b.iter(|| {
            parsed
                .verify_sig(black_box(message.as_bytes()), black_box(&signature))
                .expect("valid")
        })
    });
    group.finish();

    let mut alternatives = c.benchmark_group("crypto_choice");
    alternatives.bench_function("aws_lc_key_parsed_per_call", |b| {
        b.iter(|| {
            RsaPublicKeyComponents { n: &n, e: &e }
                .verify(
                    &RSA_PKCS1_2048_8192_SHA256,
                    black_box(message.as_bytes()),
                    &signature,
                )
                .expect("valid")
        })
    });
    alternatives.bench_function("ring_verify", |b| {
        b.iter(|| {
            ring::signature::RsaPublicKeyComponents { n: &n, e: &e }
                .verify(
                    &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                    black_box(message.as_bytes()),
                    &signature,
                )
                .expect("valid")
        })
    });
    let decoding = jsonwebtoken::DecodingKey::from_rsa_raw_components(&n, &e);
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.validate_aud = false;
    alternatives.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &decoding, &validation)
                .expect("valid")
        })
    });
    alternatives.finish();
}

/// The provider both benchmarked flows use (never contacted: keys are set directly).
fn bearer_verifier() -> BearerVerifier {
    let provider = bench_provider_settings();
    let config: OpenIdConnectConfig = serde_json::from_value(serde_json::json!({
        "issuer": ISSUER,
        "auth_methods": ["bearer"],
        "consumer_claim": ["client_id"],
        "scopes_required": ["openid email"],
    }))
    .expect("config");
    BearerVerifier::new(
        BearerSettings {
            issuers_allowed: Vec::new(),
            leeway_seconds: 0,
            ttl_max: None,
            cache_max_entries: 1_000_000,
            hs_secrets: Vec::new(),
        },
        IdentityBuilder::from_config(&config),
        Arc::new(Provider::new(provider, reqwest::Client::new())),
    )
}

/// The bearer method: a repeated token (header parse, salted SHA-256, lookup) and a cold
/// token (signature, strict claim parse, claim policy and identity headers).
fn bearer(c: &mut Criterion) {
    let Signed { token, key } = signed();
    let keys = parse_jwks(mint::jwks(&[&key]).as_bytes())
        .expect("jwks")
        .keys;
    let verifier = bearer_verifier();
    let now = Now::current();
    for n in 0..1000 {
        let other = key.token(&mint::keycloak_claims(
            ISSUER,
            &format!("client{n}"),
            mint::unix_now(),
            3600,
        ));
        let identity = verifier.verify_with(&other, &keys, now).expect("valid");
        let cache_key = verifier.cache().key(&other);
        verifier
            .cache()
            .insert(cache_key, Arc::new(identity), now.monotonic);
    }
    let identity = verifier.verify_with(&token, &keys, now).expect("valid");
    verifier.cache().insert(
        verifier.cache().key(&token),
        Arc::new(identity),
        now.monotonic,
    );
    let header = format!("Bearer {token}");
    let mut group = c.benchmark_group("hot_path");
    group.bench_function("bearer_cache_hit", |b| {
        b.iter(|| {
            let token = bearer_token::from_authorization_header(black_box(header.as_bytes()))
                .ok()
                .flatten()
                .expect("bearer");
            let (_, cached) = verifier.cached(token, now);
            black_box(cached.expect("cached"))
        })
    });
    group.bench_function("bearer_verify_rs256", |b| {
        b.iter(|| {
            verifier
                .verify_with(black_box(&token), &keys, now)
                .expect("valid")
        })
    });
    group.finish();
}

fn quick() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! { name = benches; config = quick(); targets = cache_hit, verification, bearer }
criterion_main!(benches);
