//! What a verified client token gives the gateway: consumer references, the credential
//! identifier, upstream headers and the claim-policy verdict, all computed once from the claims
//! so a cache hit costs nothing more.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::{HeaderName, HeaderValue};
use serde_json::{Map, Value};

use super::claim_policy::{claim_at, ClaimPolicy};
use super::token_error::TokenError;
use crate::config::openid_connect::OpenIdConnectConfig;

/// A verified token, ready for the upstream request.
#[derive(Debug)]
pub struct Identity {
    /// Values of each configured `consumer_claim`, in order.
    pub consumer_claim_values: Vec<Vec<String>>,
    /// The groups at `authenticated_groups_claim`, for acl.
    pub authenticated_groups: Option<Arc<[String]>>,
    /// `X-Credential-Identifier`, from the first `credential_claim` present.
    pub credential_identifier: Option<HeaderValue>,
    /// `upstream_headers_claims` mapped to `upstream_headers_names`.
    pub upstream_headers: Vec<(HeaderName, HeaderValue)>,
    /// `Err(what)` when the claim policy refuses the token (`scopes`, `roles`, ...).
    pub policy: Result<(), &'static str>,
    /// Not used from here on.
    pub expires_at: Instant,
    /// The signing key (bearer JWTs), to notice when it leaves the key set.
    pub kid: Option<Box<str>>,
    /// The provider key-set generation at which `kid` was last seen in the key set.
    pub confirmed_keys_generation: AtomicU64,
}

/// Builds identities for one plugin configuration.
#[derive(Debug, Clone)]
pub struct IdentityBuilder {
    consumer_claims: Vec<String>,
    credential_claims: Vec<String>,
    upstream_headers: Vec<(String, HeaderName)>,
    policy: ClaimPolicy,
    /// `authenticated_groups_claim` (a path; empty = none).
    groups_claim: Vec<String>,
}

impl IdentityBuilder {
    pub fn from_config(config: &OpenIdConnectConfig) -> Self {
        let upstream_headers = config
            .upstream_headers_claims
            .iter()
            .zip(&config.upstream_headers_names)
            .filter_map(|(claim, name)| {
                let name = HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).ok()?;
                Some((claim.clone(), name))
            })
            .collect();
        Self {
            consumer_claims: config.consumer_claim.clone(),
            credential_claims: config.credential_claim.clone(),
            upstream_headers,
            policy: ClaimPolicy::from_config(config),
            groups_claim: config
                .authenticated_groups_claim
                .clone()
                .unwrap_or_default(),
        }
    }

    /// The top-level claims this builder and its policy read.
    pub fn claim_roots(&self) -> Vec<String> {
        let mut roots: Vec<String> = self
            .consumer_claims
            .iter()
            .chain(&self.credential_claims)
            .chain(self.upstream_headers.iter().map(|(claim, _)| claim))
            .chain(self.groups_claim.first())
            .cloned()
            .chain(self.policy.claim_roots())
            .collect();
        roots.sort();
        roots.dedup();
        roots
    }

    /// The identity of a token with these `claims`, usable until `expires_at`.
    pub fn build(
        &self,
        claims: &Map<String, Value>,
        expires_at: Instant,
        kid: Option<&str>,
        keys_generation: u64,
    ) -> Result<Identity, TokenError> {
        let consumer_claim_values = self
            .consumer_claims
            .iter()
            .map(|name| reference_values(claims.get(name)))
            .collect();
        let credential_identifier = match self
            .credential_claims
            .iter()
            .find_map(|name| claims.get(name).filter(|v| !v.is_null()))
        {
            Some(value) => Some(header_value(value)?),
            None => None,
        };
        let mut upstream_headers = Vec::with_capacity(self.upstream_headers.len());
        for (claim, name) in &self.upstream_headers {
            let path = std::slice::from_ref(claim);
            if let Some(value) = claim_at(claims, path).filter(|v| !v.is_null()) {
                upstream_headers.push((name.clone(), header_value(value)?));
            }
        }
        Ok(Identity {
            authenticated_groups: super::groups_claim::groups_at(claims, &self.groups_claim),
            consumer_claim_values,
            credential_identifier,
            upstream_headers,
            policy: self.policy.check(claims),
            expires_at,
            kid: kid.map(Box::from),
            confirmed_keys_generation: AtomicU64::new(keys_generation),
        })
    }
}

/// A string claim, or the strings of an array claim.
fn reference_values(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// A claim as a header value: strings as they are, numbers and booleans as JSON text,
/// objects and arrays as base64 of their JSON. Control characters (CR, LF, NUL...) refuse
/// the token rather than reach a header.
pub fn header_value(value: &Value) -> Result<HeaderValue, TokenError> {
    let encoded;
    let text = match value {
        Value::String(s) => s.as_str(),
        Value::Object(_) | Value::Array(_) => {
            encoded = STANDARD.encode(value.to_string());
            encoded.as_str()
        }
        other => {
            encoded = other.to_string();
            encoded.as_str()
        }
    };
    if text.chars().any(char::is_control) {
        return Err(TokenError::UnsafeClaim);
    }
    HeaderValue::from_bytes(text.as_bytes()).map_err(|_| TokenError::UnsafeClaim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claims_become_header_values() {
        assert_eq!(
            header_value(&json!("a b")).ok(),
            Some(HeaderValue::from_static("a b"))
        );
        assert_eq!(
            header_value(&json!(12)).ok(),
            Some(HeaderValue::from_static("12"))
        );
        assert_eq!(
            header_value(&json!({"a": 1})).ok(),
            Some(HeaderValue::from_static("eyJhIjoxfQ=="))
        );
        assert_eq!(
            header_value(&json!("x\r\nInjected: 1")),
            Err(TokenError::UnsafeClaim)
        );
        assert_eq!(
            header_value(&json!("nul\u{0}")),
            Err(TokenError::UnsafeClaim)
        );
        assert!(header_value(&json!("Zoë")).is_ok());
    }
}
