//! The OpenID Connect core: Pingora-free, clock passed in.

pub mod bearer;
pub mod bearer_token;
pub mod cache_key;
pub mod claim_policy;
pub mod claims;
pub mod client_credentials;
pub mod credentials;
pub mod flow_error;
pub mod groups_claim;
pub mod hs_signature;
pub mod http_fetch;
pub mod identity;
pub mod identity_cache;
pub mod idp_error;
pub mod introspection;
pub mod jwks;
pub mod jwt;
pub mod provider;
pub mod secret;
pub mod strict_json;
pub mod token_cache;
pub mod token_endpoint;
pub mod token_error;
