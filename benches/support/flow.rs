//! The client_credentials flow and provider settings the benchmarks share (no IdP is called).

use std::sync::Arc;
use std::time::Duration;

use oidc_gateway::config::openid_connect::TokenEndpointAuthMethod;
use oidc_gateway::oidc::client_credentials::{ClientCredentialsFlow, FlowSettings};
use oidc_gateway::oidc::provider::{Provider, ProviderSettings};
use oidc_gateway::oidc::token_cache::CacheLimits;

/// The issuer every benchmark uses (the demo's realm).
pub const ISSUER: &str = "http://127.0.0.1:8080/realms/kong";

/// Provider settings for `ISSUER`.
pub fn bench_provider_settings() -> ProviderSettings {
    ProviderSettings {
        issuer: ISSUER.into(),
        token_endpoint: None,
        extra_jwks_uris: Vec::new(),
        timeout: Duration::from_secs(1),
        ssl_verify: false,
        min_refetch_interval: Duration::from_secs(5),
    }
}

/// A client_credentials flow with Kong's defaults and a cache of `max_entries`.
pub fn bench_flow(max_entries: usize) -> ClientCredentialsFlow {
    let settings = FlowSettings {
        auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
        scopes: vec!["openid".into()],
        timeout: Duration::from_secs(1),
        leeway_seconds: 0,
        cache_tokens: true,
        ttl_min: None,
        ttl_max: None,
        negative_ttl: Duration::from_secs(5),
        upstream_scheme: Some("Bearer".into()),
        consumer_claims: vec!["client_id".into()],
        groups_claim: Vec::new(),
        cache_limits: CacheLimits { max_entries },
    };
    let provider = Provider::new(bench_provider_settings(), reqwest::Client::new());
    ClientCredentialsFlow::new(settings, Arc::new(provider), None)
}
