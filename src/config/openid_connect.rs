//! The `openid-connect` plugin's configuration: Kong's field names, types and defaults.
//!
//! Every field of Kong's openid-connect schema is here, so that real decK files (Konnect
//! exports list them all, with their defaults) parse; a field that is not Kong's is an
//! "unknown field" error at its exact path. The fields this data plane implements come first;
//! the others are `Option`s (absent or `null`: Kong's default) that `plugin` and
//! `openid_connect_fields` accept as having no effect or refuse by name.

use std::fmt;

use serde::{Deserialize, Deserializer};
use serde_yaml::Mapping;

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
    /// Kong reads a bearer token from `bearer_token_cookie_name`; refused here.
    Cookie,
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

/// Kong's `proof_of_possession_dpop` and `proof_of_possession_mtls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PopMode {
    Off,
    Optional,
    Strict,
}

/// Kong's `cluster_cache_strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterCacheStrategy {
    Off,
    Redis,
}

/// A Kong `number` field (integer or not, e.g. `http_version: 1.1`), comparable and hashable
/// so that the config can key the plugin registry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KongNumber(pub f64);

impl Eq for KongNumber {}

impl std::hash::Hash for KongNumber {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

impl<'de> Deserialize<'de> for KongNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        f64::deserialize(deserializer).map(KongNumber)
    }
}

impl fmt::Display for KongNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
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

    // Implemented beside the fields above: `client_auth[0]` is how the gateway authenticates to
    // the token and introspection endpoints when their own `*_auth_method` is not set.
    /// Client authentication per client_id entry; only the client-secret methods.
    pub client_auth: Option<Vec<TokenEndpointAuthMethod>>,

    // Authorization code flow and login. No effect: they are read only by the
    // `authorization_code` flow (and login, which follows it), and `authorization_code` in
    // auth_methods is refused, so any well-typed value is accepted. `login_action` is the
    // exception, checked in `openid_connect_fields`: Kong also applies it to `login_methods`.
    /// Kong default: none.
    pub authorization_cookie_domain: Option<String>,
    /// Kong default: true.
    pub authorization_cookie_http_only: Option<bool>,
    /// Kong default: `authorization`.
    pub authorization_cookie_name: Option<String>,
    /// Kong default: `/`.
    pub authorization_cookie_path: Option<String>,
    /// Kong default: `Default`.
    pub authorization_cookie_same_site: Option<String>,
    /// Kong default: none (from the request scheme).
    pub authorization_cookie_secure: Option<bool>,
    /// Kong default: discovered.
    pub authorization_endpoint: Option<String>,
    /// Kong default: none.
    pub authorization_query_args_client: Option<Vec<String>>,
    /// Kong default: none.
    pub authorization_query_args_names: Option<Vec<String>>,
    /// Kong default: none.
    pub authorization_query_args_values: Option<Vec<String>>,
    /// Kong default: 600 (seconds).
    pub authorization_rolling_timeout: Option<KongNumber>,
    /// Kong default: the request URI.
    pub redirect_uri: Option<Vec<String>>,
    /// Kong default: `query`.
    pub response_mode: Option<String>,
    /// Kong default: `[code]`.
    pub response_type: Option<Vec<String>>,
    /// Kong default: true; only ID tokens of the authorization code flow carry a nonce.
    pub verify_nonce: Option<bool>,
    /// Kong default: none; sent to the authorization endpoint, checked on its ID token.
    pub max_age: Option<KongNumber>,
    /// Kong default: none; the `hd` claim of ID tokens.
    pub domains: Option<Vec<String>>,
    /// Kong default: false.
    pub preserve_query_args: Option<bool>,
    /// Kong default: from discovery (PKCE).
    pub require_proof_key_for_code_exchange: Option<bool>,
    /// Kong default: from discovery.
    pub require_pushed_authorization_requests: Option<bool>,
    /// Kong default: from discovery.
    pub require_signed_request_object: Option<bool>,
    /// Kong default: discovered.
    pub pushed_authorization_request_endpoint: Option<String>,
    /// Kong default: none.
    pub pushed_authorization_request_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    /// Kong default: `[authorization_code]`.
    pub login_methods: Option<Vec<AuthMethod>>,
    /// Kong default: `upstream`.
    pub login_action: Option<String>,
    /// Kong default: `fragment`.
    pub login_redirect_mode: Option<String>,
    /// Kong default: none.
    pub login_redirect_uri: Option<Vec<String>>,
    /// Kong default: `[id_token]`.
    pub login_tokens: Option<Vec<String>>,

    // Sessions. No effect: only the `session` method (and the authorization code flow that
    // starts one) reads or writes a session, and both are refused. `redis` is the session
    // store's Redis; the `session_redis_*` and `session_cookie_renew/maxsize`,
    // `session_strategy`, `session_compressor` fields are the older Kong 3.x names.
    /// Kong default: 86400.
    pub session_absolute_timeout: Option<KongNumber>,
    /// Kong default: `default`.
    pub session_audience: Option<String>,
    /// Kong default: none.
    pub session_bind: Option<Vec<String>>,
    /// Kong default: `none`.
    pub session_compressor: Option<String>,
    /// Kong default: none.
    pub session_cookie_domain: Option<String>,
    /// Kong default: true.
    pub session_cookie_http_only: Option<bool>,
    /// Kong default: 4000.
    pub session_cookie_maxsize: Option<KongNumber>,
    /// Kong default: `session`.
    pub session_cookie_name: Option<String>,
    /// Kong default: `/`.
    pub session_cookie_path: Option<String>,
    /// Kong default: 600.
    pub session_cookie_renew: Option<KongNumber>,
    /// Kong default: `Lax`.
    pub session_cookie_same_site: Option<String>,
    /// Kong default: none.
    pub session_cookie_secure: Option<bool>,
    /// Kong default: false.
    pub session_enforce_same_subject: Option<bool>,
    /// Kong default: false.
    pub session_hash_storage_key: Option<bool>,
    /// Kong default: false.
    pub session_hash_subject: Option<bool>,
    /// Kong default: 900.
    pub session_idling_timeout: Option<KongNumber>,
    /// Kong default: `127.0.0.1`.
    pub session_memcached_host: Option<String>,
    /// Kong default: 11211.
    pub session_memcached_port: Option<KongNumber>,
    /// Kong default: none.
    pub session_memcached_prefix: Option<String>,
    /// Kong default: none.
    pub session_memcached_socket: Option<String>,
    /// Kong default: false.
    pub session_memcached_ssl: Option<bool>,
    /// Kong default: false.
    pub session_memcached_ssl_verify: Option<bool>,
    /// Kong default: 5.
    pub session_redis_cluster_max_redirections: Option<KongNumber>,
    /// Kong default: none.
    pub session_redis_cluster_nodes: Option<Vec<Mapping>>,
    /// Kong default: 2000.
    pub session_redis_connect_timeout: Option<KongNumber>,
    /// Kong default: `127.0.0.1`.
    pub session_redis_host: Option<String>,
    /// Kong default: none.
    pub session_redis_password: Option<String>,
    /// Kong default: 6379.
    pub session_redis_port: Option<KongNumber>,
    /// Kong default: none.
    pub session_redis_prefix: Option<String>,
    /// Kong default: 2000.
    pub session_redis_read_timeout: Option<KongNumber>,
    /// Kong default: 2000.
    pub session_redis_send_timeout: Option<KongNumber>,
    /// Kong default: none.
    pub session_redis_server_name: Option<String>,
    /// Kong default: none.
    pub session_redis_socket: Option<String>,
    /// Kong default: false.
    pub session_redis_ssl: Option<bool>,
    /// Kong default: false.
    pub session_redis_ssl_verify: Option<bool>,
    /// Kong default: none.
    pub session_redis_username: Option<String>,
    /// Kong default: false.
    pub session_remember: Option<bool>,
    /// Kong default: 2592000.
    pub session_remember_absolute_timeout: Option<KongNumber>,
    /// Kong default: `remember`.
    pub session_remember_cookie_name: Option<String>,
    /// Kong default: 604800.
    pub session_remember_rolling_timeout: Option<KongNumber>,
    /// Kong default: none.
    pub session_request_headers: Option<Vec<String>>,
    /// Kong default: none.
    pub session_response_headers: Option<Vec<String>>,
    /// Kong default: 3600.
    pub session_rolling_timeout: Option<KongNumber>,
    /// Kong default: none.
    pub session_secret: Option<String>,
    /// Kong default: `cookie`.
    pub session_storage: Option<String>,
    /// Kong default: false.
    pub session_store_metadata: Option<bool>,
    /// Kong default: `default`.
    pub session_strategy: Option<String>,
    /// Kong default: a local Redis; used with `session_storage: redis`.
    pub redis: Option<Mapping>,
    /// Kong default: none.
    pub disable_session: Option<Vec<AuthMethod>>,
    /// Kong default: `sid`.
    pub jwt_session_claim: Option<String>,
    /// Kong default: none.
    pub jwt_session_cookie: Option<String>,
    /// Kong default: false; re-verifies tokens stored in the session.
    pub reverify: Option<bool>,
    /// Kong default: true; refreshes tokens stored in the session.
    pub refresh_tokens: Option<bool>,
    /// Kong default: true.
    pub forbidden_destroy_session: Option<bool>,
    /// Kong default: true.
    pub unauthorized_destroy_session: Option<bool>,
    /// Kong default: none.
    pub upstream_session_id_header: Option<String>,
    /// Kong default: none.
    pub downstream_session_id_header: Option<String>,

    // Logout and revocation. No effect: logout ends a session and revokes its tokens, and
    // nothing triggers it while `logout_uri_suffix`, `logout_query_arg` and `logout_post_arg`
    // are unset (those three are refused when set, see `openid_connect_fields`).
    /// Kong default: `[POST, DELETE]`.
    pub logout_methods: Option<Vec<String>>,
    /// Kong default: none.
    pub logout_redirect_uri: Option<Vec<String>>,
    /// Kong default: false.
    pub logout_revoke: Option<bool>,
    /// Kong default: true.
    pub logout_revoke_access_token: Option<bool>,
    /// Kong default: true.
    pub logout_revoke_refresh_token: Option<bool>,
    /// Kong default: discovered.
    pub end_session_endpoint: Option<String>,
    /// Kong default: discovered.
    pub revocation_endpoint: Option<String>,
    /// Kong default: none.
    pub revocation_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    /// Kong default: `token`.
    pub revocation_token_param_name: Option<String>,
    /// Kong default: discovered.
    pub mtls_revocation_endpoint: Option<String>,

    // Other methods and options that are off. No effect: each is read only by a method that is
    // refused (password, refresh_token, userinfo, token exchange), by a client authentication
    // that is refused (client_secret_jwt, private_key_jwt, tls_client_auth), by a feature that
    // is refused while it is not `off` (DPoP, mTLS proof of possession, the cluster cache), by
    // several client_id entries picked per request (`client_arg`; the first is used), or by a
    // source that is refused (`bearer_token_cookie_name` needs `cookie` in
    // bearer_token_param_type). `keepalive` only tunes connections to the IdP.
    /// Kong default: `[header, query, body]`.
    pub password_param_type: Option<Vec<ParamType>>,
    /// Kong default: none.
    pub refresh_token_param_name: Option<String>,
    /// Kong default: `[header, query, body]`.
    pub refresh_token_param_type: Option<Vec<ParamType>>,
    /// Kong default: `[header, query, body]`; used with `id_token_param_name`.
    pub id_token_param_type: Option<Vec<ParamType>>,
    /// Kong default: discovered.
    pub userinfo_endpoint: Option<String>,
    /// Kong default: `application/json`.
    pub userinfo_accept: Option<String>,
    /// Kong default: none.
    pub userinfo_headers_client: Option<Vec<String>>,
    /// Kong default: none.
    pub userinfo_headers_names: Option<Vec<String>>,
    /// Kong default: none.
    pub userinfo_headers_values: Option<Vec<String>>,
    /// Kong default: none.
    pub userinfo_query_args_client: Option<Vec<String>>,
    /// Kong default: none.
    pub userinfo_query_args_names: Option<Vec<String>>,
    /// Kong default: none.
    pub userinfo_query_args_values: Option<Vec<String>>,
    /// Kong default: true.
    pub cache_user_info: Option<bool>,
    /// Kong default: true.
    pub cache_token_exchange: Option<bool>,
    /// Kong default: false; used with `consumer_groups_claim`.
    pub consumer_groups_optional: Option<bool>,
    /// Kong default: 300.
    pub dpop_proof_lifetime: Option<KongNumber>,
    /// Kong default: false.
    pub dpop_use_nonce: Option<bool>,
    /// Kong default: true.
    pub proof_of_possession_auth_methods_validation: Option<bool>,
    /// Kong default: none.
    pub proof_of_possession_mtls_from_header: Option<Mapping>,
    /// Kong default: a local Redis; used with `cluster_cache_strategy: redis`.
    pub cluster_cache_redis: Option<Mapping>,
    /// Kong default: `[introspection]`.
    pub cluster_cache_items: Option<Vec<String>>,
    /// Kong default: none; for client_secret_jwt and private_key_jwt.
    pub client_alg: Option<Vec<String>>,
    /// Kong default: none; for tls_client_auth.
    pub tls_client_auth_cert_id: Option<String>,
    /// Kong default: true.
    pub tls_client_auth_ssl_verify: Option<bool>,
    /// Kong default: discovered; for tls_client_auth.
    pub mtls_token_endpoint: Option<String>,
    /// Kong default: discovered; for tls_client_auth.
    pub mtls_introspection_endpoint: Option<String>,
    /// Kong default: `client_id`.
    pub client_arg: Option<String>,
    /// Kong default: false; scopes are fixed per plugin here.
    pub token_cache_key_include_scope: Option<bool>,
    /// Kong default: none; used with `token_headers_replay`.
    pub token_headers_grants: Option<Vec<AuthMethod>>,
    /// Kong default: none; used with `token_headers_replay`.
    pub token_headers_prefix: Option<String>,
    /// Kong default: true.
    pub keepalive: Option<bool>,
    /// Kong default: none.
    pub bearer_token_cookie_name: Option<String>,

    // Change what the implemented methods do and are not implemented: refused by
    // `openid_connect_fields` when set to anything but Kong's default (those that change one
    // method only, e.g. `audience` for client_credentials, only while it is enabled), each
    // with its reason.
    /// Kong default: false.
    pub using_pseudo_issuer: Option<bool>,
    /// Kong default: `off`.
    pub proof_of_possession_dpop: Option<PopMode>,
    /// Kong default: `off`.
    pub proof_of_possession_mtls: Option<PopMode>,
    /// Kong default: `off`.
    pub cluster_cache_strategy: Option<ClusterCacheStrategy>,
    /// Kong default: none.
    pub client_jwk: Option<Vec<Mapping>>,
    /// Kong default: none.
    pub token_exchange: Option<Mapping>,
    /// Kong default: none.
    pub token_exchange_endpoint: Option<String>,
    /// Kong default: none.
    pub audience: Option<Vec<String>>,
    /// Kong default: false.
    pub search_user_info: Option<bool>,
    /// Kong default: none.
    pub id_token_param_name: Option<String>,
    /// Kong default: none.
    pub bearer_token_header_name: Option<String>,
    /// Kong default: none.
    pub claims_forbidden: Option<Vec<String>>,
    /// Kong default: false.
    pub introspect_jwt_tokens: Option<bool>,
    /// Kong default: false.
    pub resolve_distributed_claims: Option<bool>,
    /// Kong default: false.
    pub verify_parameters: Option<bool>,
    /// Kong default: discovered.
    pub jwks_endpoint: Option<String>,
    /// Kong default: 30 (seconds).
    pub rediscovery_lifetime: Option<KongNumber>,
    /// Kong default: none.
    pub cache_ttl_resurrect: Option<KongNumber>,
    /// Kong default: true.
    pub expose_error_code: Option<bool>,
    /// Kong default: 1.1.
    pub http_version: Option<KongNumber>,
    /// Kong default: none.
    pub http_proxy: Option<String>,
    /// Kong default: none.
    pub http_proxy_authorization: Option<String>,
    /// Kong default: none.
    pub https_proxy: Option<String>,
    /// Kong default: none.
    pub https_proxy_authorization: Option<String>,
    /// Kong default: none.
    pub no_proxy: Option<String>,
    /// Kong default: none.
    pub unauthorized_redirect_uri: Option<Vec<String>>,
    /// Kong default: none.
    pub forbidden_redirect_uri: Option<Vec<String>>,
    /// Kong default: none.
    pub unexpected_redirect_uri: Option<Vec<String>>,
    /// Kong default: none.
    pub logout_uri_suffix: Option<String>,
    /// Kong default: none.
    pub logout_query_arg: Option<String>,
    /// Kong default: none.
    pub logout_post_arg: Option<String>,
    /// Kong default: none; refused only for implemented methods.
    pub ignore_signature: Option<Vec<AuthMethod>>,
    /// Kong default: none.
    pub consumer_claims: Option<Vec<Vec<String>>>,
    /// Kong default: none.
    pub consumer_groups_claim: Option<Vec<String>>,
    /// Kong default: none.
    pub authenticated_groups_claim: Option<Vec<String>>,
    /// Kong default: `enabled: false`.
    pub principals: Option<Mapping>,
    /// Kong default: none.
    pub upstream_headers: Option<Vec<Mapping>>,
    /// Kong default: none.
    pub upstream_access_token_jwk_header: Option<String>,
    /// Kong default: none.
    pub upstream_id_token_header: Option<String>,
    /// Kong default: none.
    pub upstream_id_token_jwk_header: Option<String>,
    /// Kong default: none.
    pub upstream_introspection_header: Option<String>,
    /// Kong default: none.
    pub upstream_introspection_jwt_header: Option<String>,
    /// Kong default: none.
    pub upstream_refresh_token_header: Option<String>,
    /// Kong default: none.
    pub upstream_user_info_header: Option<String>,
    /// Kong default: none.
    pub upstream_user_info_jwt_header: Option<String>,
    /// Kong default: none.
    pub downstream_headers: Option<Vec<Mapping>>,
    /// Kong default: none.
    pub downstream_headers_claims: Option<Vec<String>>,
    /// Kong default: none.
    pub downstream_headers_names: Option<Vec<String>>,
    /// Kong default: none.
    pub downstream_access_token_header: Option<String>,
    /// Kong default: none.
    pub downstream_access_token_jwk_header: Option<String>,
    /// Kong default: none.
    pub downstream_id_token_header: Option<String>,
    /// Kong default: none.
    pub downstream_id_token_jwk_header: Option<String>,
    /// Kong default: none.
    pub downstream_introspection_header: Option<String>,
    /// Kong default: none.
    pub downstream_introspection_jwt_header: Option<String>,
    /// Kong default: none.
    pub downstream_refresh_token_header: Option<String>,
    /// Kong default: none.
    pub downstream_user_info_header: Option<String>,
    /// Kong default: none.
    pub downstream_user_info_jwt_header: Option<String>,
    /// Kong default: none.
    pub token_post_args_client: Option<Vec<String>>,
    /// Kong default: none.
    pub token_post_args_names: Option<Vec<String>>,
    /// Kong default: none.
    pub token_post_args_values: Option<Vec<String>>,
    /// Kong default: none.
    pub token_headers_client: Option<Vec<String>>,
    /// Kong default: none.
    pub token_headers_names: Option<Vec<String>>,
    /// Kong default: none.
    pub token_headers_values: Option<Vec<String>>,
    /// Kong default: none.
    pub token_headers_replay: Option<Vec<String>>,
    /// Kong default: none.
    pub introspection_headers_client: Option<Vec<String>>,
    /// Kong default: none.
    pub introspection_headers_names: Option<Vec<String>>,
    /// Kong default: none.
    pub introspection_headers_values: Option<Vec<String>>,
    /// Kong default: none.
    pub introspection_post_args_client: Option<Vec<String>>,
    /// Kong default: none.
    pub introspection_post_args_client_headers: Option<Vec<String>>,
    /// Kong default: none.
    pub introspection_post_args_names: Option<Vec<String>>,
    /// Kong default: none.
    pub introspection_post_args_values: Option<Vec<String>>,
    /// Kong default: `token`.
    pub introspection_token_param_name: Option<String>,
    /// Kong default: `application/json`.
    pub introspection_accept: Option<String>,
    /// Kong default: none.
    pub discovery_headers_names: Option<Vec<String>>,
    /// Kong default: none.
    pub discovery_headers_values: Option<Vec<String>>,
}

impl OpenIdConnectConfig {
    /// How the gateway authenticates to the token endpoint: `token_endpoint_auth_method`,
    /// else the first `client_auth`, else Kong's `client_secret_basic`.
    pub fn token_auth_method(&self) -> TokenEndpointAuthMethod {
        self.token_endpoint_auth_method
            .or_else(|| self.first_client_auth())
            .unwrap_or(TokenEndpointAuthMethod::ClientSecretBasic)
    }

    /// How the gateway authenticates to the introspection endpoint:
    /// `introspection_endpoint_auth_method`, else as to the token endpoint.
    pub fn introspection_auth_method(&self) -> TokenEndpointAuthMethod {
        self.introspection_endpoint_auth_method
            .unwrap_or_else(|| self.token_auth_method())
    }

    fn first_client_auth(&self) -> Option<TokenEndpointAuthMethod> {
        self.client_auth.as_ref()?.first().copied()
    }
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
