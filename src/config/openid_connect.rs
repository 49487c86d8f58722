//! The `openid-connect` plugin's configuration: Kong's field names, types and defaults.
//!
//! Only the fields this data plane implements are accepted; any other Kong field is an
//! "unknown field" error at its exact path, so nothing is silently ignored.

use serde::Deserialize;

/// Authentication methods of Kong's `auth_methods`. Only `client_credentials` is served
/// today; the others parse so that the error can say "unsupported" instead of "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    Password,
    ClientCredentials,
    AuthorizationCode,
    Bearer,
    Introspection,
    Userinfo,
    KongOauth2,
    RefreshToken,
    Session,
}

/// Where client credentials may be read from (`client_credentials_param_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    Header,
    Query,
    Body,
}

/// How the gateway authenticates to the token endpoint (`token_endpoint_auth_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    ClientSecretJwt,
    PrivateKeyJwt,
    TlsClientAuth,
    SelfSignedTlsClientAuth,
    None,
}

/// Which consumer field a claim value is matched against (`consumer_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsumerBy {
    Id,
    Username,
    CustomId,
}

/// `config` of an `openid-connect` plugin entry, as Kong spells it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenIdConnectConfig {
    /// The IdP's issuer URL; discovery is read from `<issuer>/.well-known/openid-configuration`
    /// (or from `issuer` itself when it already ends with that suffix). Required.
    pub issuer: String,
    /// Kong default: every method. Only `client_credentials` is implemented.
    #[serde(default = "default_auth_methods")]
    pub auth_methods: Vec<AuthMethod>,
    /// Token endpoint; discovered from the issuer when absent.
    #[serde(default)]
    pub token_endpoint: Option<String>,
    /// Extra JWKS URIs whose keys are trusted beside the discovered `jwks_uri`.
    #[serde(default)]
    pub extra_jwks_uris: Vec<String>,
    /// Kong default: `[header, query, body]`.
    #[serde(default = "default_param_types")]
    pub client_credentials_param_type: Vec<ParamType>,
    /// Kong default: `client_secret_basic` (when the IdP allows it).
    #[serde(default)]
    pub token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    /// Kong default: `["openid"]`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// IdP request timeout in milliseconds. Kong default: 10000.
    #[serde(default = "default_timeout_ms")]
    pub timeout: u64,
    /// Verify the IdP's TLS certificate. Kong default: true.
    #[serde(default = "default_true")]
    pub ssl_verify: bool,
    /// Cache tokens from the token endpoint. Kong default: true.
    #[serde(default = "default_true")]
    pub cache_tokens: bool,
    /// Salt mixed into the token cache key; a random one is used when absent.
    #[serde(default)]
    pub cache_tokens_salt: Option<String>,
    /// Default cache TTL in seconds when a token has no expiry. Kong default: 3600.
    #[serde(default = "default_cache_ttl")]
    pub cache_ttl: u64,
    /// Lower bound on a cached token's lifetime, in seconds.
    #[serde(default)]
    pub cache_ttl_min: Option<u64>,
    /// Upper bound on a cached token's lifetime, in seconds.
    #[serde(default)]
    pub cache_ttl_max: Option<u64>,
    /// Negative cache TTL in seconds for rejected credentials; our default is 5.
    #[serde(default)]
    pub cache_ttl_neg: Option<u64>,
    /// Clock skew allowance in seconds for exp, nbf and iat. Kong default: 0.
    #[serde(default)]
    pub leeway: u64,
    /// Claims searched, in order, for the consumer reference.
    #[serde(default)]
    pub consumer_claim: Vec<String>,
    /// Kong default: `[username, custom_id]`.
    #[serde(default = "default_consumer_by")]
    pub consumer_by: Vec<ConsumerBy>,
    /// Let requests through without a matching consumer. Kong default: false.
    #[serde(default)]
    pub consumer_optional: bool,
    /// Header (and optional scheme after a colon) carrying the token upstream.
    /// Kong default: `authorization:bearer`.
    #[serde(default = "default_upstream_access_token_header")]
    pub upstream_access_token_header: Option<String>,
    /// Remove the client's credentials before proxying. Kong default: true.
    #[serde(default = "default_true")]
    pub hide_credentials: bool,
    /// Message of 401 responses. Kong default: "Unauthorized".
    #[serde(default)]
    pub unauthorized_error_message: Option<String>,
    /// Message of 403 responses. Kong default: "Forbidden".
    #[serde(default)]
    pub forbidden_error_message: Option<String>,
    /// Verify token signatures. Kong default: true; `false` is refused here.
    #[serde(default = "default_true")]
    pub verify_signature: bool,
    /// Verify the standard claims. Kong default: true; `false` is refused here.
    #[serde(default = "default_true")]
    pub verify_claims: bool,
}

fn default_auth_methods() -> Vec<AuthMethod> {
    use AuthMethod::*;
    vec![
        Password,
        ClientCredentials,
        AuthorizationCode,
        Bearer,
        Introspection,
        Userinfo,
        KongOauth2,
        RefreshToken,
        Session,
    ]
}

fn default_param_types() -> Vec<ParamType> {
    vec![ParamType::Header, ParamType::Query, ParamType::Body]
}

fn default_scopes() -> Vec<String> {
    vec!["openid".to_owned()]
}

fn default_timeout_ms() -> u64 {
    10_000
}

fn default_true() -> bool {
    true
}

fn default_cache_ttl() -> u64 {
    3600
}

fn default_consumer_by() -> Vec<ConsumerBy> {
    vec![ConsumerBy::Username, ConsumerBy::CustomId]
}

fn default_upstream_access_token_header() -> Option<String> {
    Some("authorization:bearer".to_owned())
}
