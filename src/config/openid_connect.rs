//! The `openid-connect` plugin's configuration: Kong's field names, types and defaults.
//!
//! Only the fields this data plane implements are accepted; any other Kong field is an
//! "unknown field" error at its exact path, so nothing is silently ignored.

use serde::Deserialize;

/// Authentication methods of Kong's `auth_methods`. `bearer`, `introspection` and
/// `client_credentials` are served; the others parse so that the error can say "unsupported"
/// instead of "unknown".
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

/// Where client credentials (`client_credentials_param_type`) or a bearer token
/// (`bearer_token_param_type`) may be read from.
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
    /// Kong default: every method. `bearer`, `introspection` and `client_credentials` are
    /// implemented; they are tried in that fixed order.
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
    /// Where a bearer token may be read from. Kong default: `[header, query, body]`.
    #[serde(default = "default_param_types")]
    pub bearer_token_param_type: Vec<ParamType>,
    /// Accept HS256/384/512 bearer tokens signed with a `client_secret`. Kong default: false.
    #[serde(default)]
    pub enable_hs_signatures: bool,
    /// The gateway's client id(s) at the IdP; the first authenticates introspection calls.
    #[serde(default)]
    pub client_id: Vec<String>,
    /// The gateway's client secret(s), paired with `client_id`.
    #[serde(default)]
    pub client_secret: Vec<String>,
    /// RFC 7662 endpoint; discovered from the issuer when absent.
    #[serde(default)]
    pub introspection_endpoint: Option<String>,
    /// How the gateway authenticates to the introspection endpoint. Kong default: as
    /// `token_endpoint_auth_method`, else `client_secret_basic`.
    #[serde(default)]
    pub introspection_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    /// `token_type_hint` sent with introspection. Kong default: `access_token`.
    #[serde(default = "default_introspection_hint")]
    pub introspection_hint: Option<String>,
    /// Require `"active": true` in the introspection result. Kong default: true.
    #[serde(default = "default_true")]
    pub introspection_check_active: bool,
    /// Cache introspection results. Kong default: true.
    #[serde(default = "default_true")]
    pub cache_introspection: bool,
    /// Issuers a token's `iss` may name; the configured issuer when empty.
    #[serde(default)]
    pub issuers_allowed: Vec<String>,
    /// Required scopes: any one entry, each a space-separated set that must all be present.
    #[serde(default)]
    pub scopes_required: Vec<String>,
    /// Path of the scopes claim. Kong default: `[scope]`.
    #[serde(default = "default_scopes_claim")]
    pub scopes_claim: Vec<String>,
    /// Required audiences (same OR/AND rules as `scopes_required`).
    #[serde(default)]
    pub audience_required: Vec<String>,
    /// Path of the audience claim. Kong default: `[aud]`.
    #[serde(default = "default_audience_claim")]
    pub audience_claim: Vec<String>,
    /// Required roles (same OR/AND rules as `scopes_required`).
    #[serde(default)]
    pub roles_required: Vec<String>,
    /// Path of the roles claim. Kong default: `[roles]`.
    #[serde(default = "default_roles_claim")]
    pub roles_claim: Vec<String>,
    /// Required groups (same OR/AND rules as `scopes_required`).
    #[serde(default)]
    pub groups_required: Vec<String>,
    /// Path of the groups claim. Kong default: `[groups]`.
    #[serde(default = "default_groups_claim")]
    pub groups_claim: Vec<String>,
    /// Claims copied to upstream headers (objects and arrays as base64 JSON).
    #[serde(default)]
    pub upstream_headers_claims: Vec<String>,
    /// Header names for `upstream_headers_claims`, position by position.
    #[serde(default)]
    pub upstream_headers_names: Vec<String>,
    /// Consumer (id or username) used when authentication fails; none by default.
    #[serde(default)]
    pub anonymous: Option<String>,
    /// Claims whose value becomes `X-Credential-Identifier`. Kong default: `[sub]`.
    #[serde(default = "default_credential_claim")]
    pub credential_claim: Vec<String>,
    /// Match `consumer_by: username` case-insensitively. Kong default: false.
    #[serde(default)]
    pub by_username_ignore_case: bool,
    /// Authenticate CORS preflight requests too. Kong default: true.
    #[serde(default = "default_true")]
    pub run_on_preflight: bool,
    /// Add the reason to error messages. Kong default: false.
    #[serde(default)]
    pub display_errors: bool,
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

fn default_introspection_hint() -> Option<String> {
    Some("access_token".to_owned())
}

fn default_scopes_claim() -> Vec<String> {
    vec!["scope".to_owned()]
}

fn default_audience_claim() -> Vec<String> {
    vec!["aud".to_owned()]
}

fn default_roles_claim() -> Vec<String> {
    vec!["roles".to_owned()]
}

fn default_groups_claim() -> Vec<String> {
    vec!["groups".to_owned()]
}

fn default_credential_claim() -> Vec<String> {
    vec!["sub".to_owned()]
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
