//! The OpenID Connect core: Pingora-free, clock passed in.

pub mod cache_key;
pub mod claims;
pub mod client_credentials;
pub mod credentials;
pub mod flow_error;
pub mod http_fetch;
pub mod idp_error;
pub mod jwks;
pub mod jwt;
pub mod provider;
pub mod secret;
pub mod token_cache;
pub mod token_endpoint;
