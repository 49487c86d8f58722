//! Builds the gateway's OIDC core (`Provider` + `ClientCredentialsFlow`) against a stub IdP.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oidc_gateway::config::openid_connect::TokenEndpointAuthMethod;
use oidc_gateway::oidc::client_credentials::{ClientCredentialsFlow, FlowSettings};
use oidc_gateway::oidc::provider::{Provider, ProviderSettings};
use oidc_gateway::oidc::secret::ClientCredentials;
use oidc_gateway::oidc::token_cache::{CacheLimits, CachedToken};

use super::StubIdp;

/// The knobs the fault tests turn; everything else is the plugin's usual setting.
#[derive(Debug, Clone)]
pub struct Knobs {
    /// Per IdP call (token endpoint, discovery, JWKS).
    pub timeout: Duration,
    pub negative_ttl: Duration,
    pub min_refetch_interval: Duration,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(2),
            negative_ttl: Duration::from_secs(1),
            min_refetch_interval: Duration::from_millis(500),
        }
    }
}

/// A flow with the stub's issuer, token endpoint and JWKS (as in conf/kong.yaml).
pub fn build(stub: &StubIdp, knobs: &Knobs) -> Arc<ClientCredentialsFlow> {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(1))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("reqwest client");
    let provider = Provider::new(
        ProviderSettings {
            issuer: stub.issuer(),
            token_endpoint: Some(stub.token_endpoint()),
            extra_jwks_uris: vec![stub.jwks_uri()],
            timeout: knobs.timeout,
            ssl_verify: false,
            min_refetch_interval: knobs.min_refetch_interval,
        },
        client,
    );
    let settings = FlowSettings {
        auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
        scopes: vec!["openid".to_owned()],
        timeout: knobs.timeout,
        leeway_seconds: 5,
        cache_tokens: true,
        ttl_min: None,
        ttl_max: None,
        negative_ttl: knobs.negative_ttl,
        upstream_scheme: Some("Bearer".to_owned()),
        consumer_claims: vec!["client_id".to_owned()],
        groups_claim: Vec::new(),
        cache_limits: CacheLimits { max_entries: 1000 },
    };
    Arc::new(ClientCredentialsFlow::new(
        settings,
        Arc::new(provider),
        Some("fault-tests"),
    ))
}

pub fn credentials(id: &str, secret: &str) -> ClientCredentials {
    ClientCredentials::new(id, secret)
}

/// The JWT inside a cached token's `Bearer <jwt>` value.
pub fn jwt(token: &CachedToken) -> String {
    let value = token.upstream_value.to_str().expect("ascii header");
    value.strip_prefix("Bearer ").unwrap_or(value).to_owned()
}

/// A part of a JWT (0 = header, 1 = claims) as JSON.
pub fn jwt_part(jwt: &str, index: usize) -> serde_json::Value {
    let part = jwt.split('.').nth(index).expect("JWT part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

/// `kid` of a cached token's JWT header.
pub fn kid_of(token: &CachedToken) -> String {
    jwt_part(&jwt(token), 0)["kid"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// `jti` of a cached token's JWT.
pub fn jti_of(token: &CachedToken) -> String {
    jwt_part(&jwt(token), 1)["jti"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
