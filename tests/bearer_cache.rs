//! The bearer verifier's cache, in-process against the stub IdP's JWKS: a repeated token is a
//! lookup, an entry never outlives the token's `exp`, a key leaving the JWKS drops its tokens,
//! and the cache is bounded.

mod mint;
mod stub_idp;

use std::sync::Arc;
use std::time::Duration;

use oidc_gateway::config::openid_connect::OpenIdConnectConfig;
use oidc_gateway::oidc::bearer::{BearerSettings, BearerVerifier};
use oidc_gateway::oidc::client_credentials::Now;
use oidc_gateway::oidc::identity::IdentityBuilder;
use oidc_gateway::oidc::jwt::JwtError;
use oidc_gateway::oidc::provider::{Provider, ProviderSettings};
use oidc_gateway::oidc::token_error::TokenError;
use serde_json::json;
use stub_idp::{Endpoint, StubIdp};

async fn verifier(stub: &StubIdp, max_entries: usize) -> BearerVerifier {
    let provider = Provider::new(
        ProviderSettings {
            issuer: stub.issuer(),
            token_endpoint: None,
            extra_jwks_uris: vec![stub.jwks_uri()],
            timeout: Duration::from_secs(1),
            ssl_verify: true,
            min_refetch_interval: Duration::from_millis(1),
        },
        reqwest::Client::new(),
    );
    provider.refresh().await.expect("keys");
    let config: OpenIdConnectConfig = config_for(&stub.issuer());
    BearerVerifier::new(
        BearerSettings {
            issuers_allowed: Vec::new(),
            leeway_seconds: 0,
            ttl_max: None,
            cache_max_entries: max_entries,
            hs_secrets: Vec::new(),
        },
        IdentityBuilder::from_config(&config),
        Arc::new(provider),
    )
}

fn config_for(issuer: &str) -> OpenIdConnectConfig {
    serde_json::from_value(json!({
        "issuer": issuer,
        "auth_methods": ["bearer"],
        "consumer_claim": ["client_id"],
    }))
    .expect("config")
}

#[tokio::test]
async fn a_repeated_token_is_a_cache_hit() {
    let stub = StubIdp::start().await;
    let verifier = verifier(&stub, 100).await;
    let claims = mint::keycloak_claims(&stub.issuer(), "kong_id", mint::unix_now(), 300);
    let token = stub.sign(json!({}), &claims);
    let first = verifier
        .authenticate(&token, Now::current())
        .await
        .expect("valid");
    assert_eq!(
        first.consumer_claim_values,
        vec![vec!["kong_id".to_owned()]]
    );
    let (_, cached) = verifier.cached(&token, Now::current());
    assert!(cached.is_some_and(|c| Arc::ptr_eq(&c, &first)));
    let second = verifier
        .authenticate(&token, Now::current())
        .await
        .expect("valid");
    assert!(
        Arc::ptr_eq(&first, &second),
        "a hit returns the cached identity"
    );
    assert_eq!(verifier.cache().len(), 1);
    // A different token (one byte of signature changed) is not a hit.
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    assert!(verifier.cached(&forged, Now::current()).1.is_none());
    assert!(verifier
        .authenticate(&forged, Now::current())
        .await
        .is_err());
}

#[tokio::test]
async fn a_cached_token_is_never_used_past_its_exp() {
    let stub = StubIdp::start().await;
    let verifier = verifier(&stub, 100).await;
    let claims = mint::keycloak_claims(&stub.issuer(), "kong_id", mint::unix_now(), 2);
    let token = stub.sign(json!({}), &claims);
    verifier
        .authenticate(&token, Now::current())
        .await
        .expect("valid");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(verifier.cached(&token, Now::current()).1.is_none());
    assert_eq!(
        verifier.authenticate(&token, Now::current()).await.err(),
        Some(TokenError::Invalid(JwtError::Expired))
    );
}

#[tokio::test]
async fn tokens_of_a_key_that_left_the_jwks_are_dropped() {
    let stub = StubIdp::start().await;
    let verifier = verifier(&stub, 100).await;
    let claims = mint::keycloak_claims(&stub.issuer(), "kong_id", mint::unix_now(), 300);
    let token = stub.sign(json!({}), &claims);
    verifier
        .authenticate(&token, Now::current())
        .await
        .expect("valid");
    stub.rotate_key(mint::SigningKey::generate("rotated", 2048));
    // An unknown kid (another token) refreshes the keys; the old key is gone.
    let other = stub.sign(json!({}), &claims);
    verifier
        .authenticate(&other, Now::current())
        .await
        .expect("new key");
    assert!(verifier.cached(&token, Now::current()).1.is_none());
    assert!(verifier.authenticate(&token, Now::current()).await.is_err());
}

#[tokio::test]
async fn the_cache_is_bounded() {
    let stub = StubIdp::start().await;
    let verifier = verifier(&stub, 2).await;
    for n in 0..5 {
        let claims = mint::keycloak_claims(&stub.issuer(), &format!("c{n}"), mint::unix_now(), 300);
        let token = stub.sign(json!({}), &claims);
        verifier
            .authenticate(&token, Now::current())
            .await
            .expect("valid");
    }
    assert_eq!(verifier.cache().len(), 2);
    assert_eq!(stub.count(Endpoint::Token), 0);
}
