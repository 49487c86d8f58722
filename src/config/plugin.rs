//! The `openid-connect` plugin's schema: its `config` is deserialized into
//! [`OpenIdConnectConfig`] and then checked for what this data plane implements.

use serde_yaml::{Mapping, Value};

use super::errors::{deserialize_at, join, ConfigErrors};
use super::openid_connect::{AuthMethod, OpenIdConnectConfig, TokenEndpointAuthMethod};

/// Parses and checks an `openid-connect` plugin's `config` (at `path`, the plugin's path).
pub fn openid_connect_config(
    config: Option<Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<OpenIdConnectConfig> {
    let config_path = join(path, "config");
    let config = config.unwrap_or_else(|| Value::Mapping(Mapping::new()));
    let has_auth_methods = matches!(&config, Value::Mapping(m) if m.contains_key("auth_methods"));
    let before = errors.len();
    let parsed: OpenIdConnectConfig = deserialize_at(config, &config_path, errors)?;
    if !has_auth_methods {
        errors.push(
            join(&config_path, "auth_methods"),
            "missing field: Kong's default enables every method and only bearer, \
             introspection and client_credentials are implemented; set auth_methods, \
             e.g. [client_credentials]",
        );
    }
    check_openid_connect(&parsed, &config_path, has_auth_methods, errors);
    (errors.len() == before).then_some(parsed)
}

fn check_openid_connect(
    c: &OpenIdConnectConfig,
    path: &str,
    check_auth_methods: bool,
    errors: &mut ConfigErrors,
) {
    let at = |field: &str| join(path, field);
    check_http_url(&c.issuer, at("issuer"), errors);
    if let Some(endpoint) = &c.token_endpoint {
        check_http_url(endpoint, at("token_endpoint"), errors);
    }
    for (i, uri) in c.extra_jwks_uris.iter().enumerate() {
        check_http_url(uri, at(&format!("extra_jwks_uris[{i}]")), errors);
    }
    if check_auth_methods {
        if c.auth_methods.is_empty() {
            errors.push(at("auth_methods"), "must not be empty");
        }
        for (i, method) in c.auth_methods.iter().enumerate() {
            if !SUPPORTED_METHODS.contains(method) {
                errors.push(
                    at(&format!("auth_methods[{i}]")),
                    format!(
                        "unsupported value '{}': only bearer, introspection and \
                         client_credentials are implemented",
                        auth_method_name(*method)
                    ),
                );
            }
        }
    }
    super::token_policy::check(c, path, errors);
    super::openid_connect_fields::check(c, path, errors);
    if let Some(method) = c.token_endpoint_auth_method {
        check_secret_auth_method(method, at("token_endpoint_auth_method"), errors);
    }
    if c.client_credentials_param_type.is_empty() {
        errors.push(at("client_credentials_param_type"), "must not be empty");
    }
    if c.consumer_by.is_empty() {
        errors.push(at("consumer_by"), "must not be empty");
    }
    if !c.verify_signature {
        errors.push(
            at("verify_signature"),
            "unsupported value 'false': signatures are always verified",
        );
    }
    if !c.verify_claims {
        errors.push(
            at("verify_claims"),
            "unsupported value 'false': claims are always verified",
        );
    }
    if let (Some(min), Some(max)) = (c.cache_ttl_min, c.cache_ttl_max) {
        if min > max {
            errors.push(
                at("cache_ttl_min"),
                "must not be greater than cache_ttl_max",
            );
        }
    }
    if c.timeout == 0 || c.timeout > MAX_TIMEOUT_MS {
        errors.push(at("timeout"), "invalid value: expected 1..=2147483646 (ms)");
    }
    for (field, value) in [
        ("leeway", Some(c.leeway)),
        ("cache_ttl_neg", c.cache_ttl_neg),
    ] {
        if value.is_some_and(|seconds| seconds > MAX_SECONDS) {
            errors.push(at(field), "invalid value: expected at most 86400 (seconds)");
        }
    }
    if let Some(setting) = &c.upstream_access_token_header {
        if !is_valid_upstream_header(setting) {
            errors.push(
                at("upstream_access_token_header"),
                "invalid value: expected a header name, optionally followed by ':' and a scheme",
            );
        }
    }
    // Kong: without consumer_claim no consumer is mapped and the request proceeds (the
    // credential is `credential_claim`); consumer_optional only matters with a claim.
    for (i, claim) in c.consumer_claim.iter().enumerate() {
        if claim.is_empty() {
            errors.push(at(&format!("consumer_claim[{i}]")), "must not be empty");
        }
    }
}

/// The methods this data plane serves.
pub(super) const SUPPORTED_METHODS: [AuthMethod; 3] = [
    AuthMethod::Bearer,
    AuthMethod::Introspection,
    AuthMethod::ClientCredentials,
];

/// Kong's largest timeout, in milliseconds.
const MAX_TIMEOUT_MS: u64 = (1 << 31) - 2;
/// Largest leeway or negative-cache TTL accepted, in seconds (a day).
const MAX_SECONDS: u64 = 24 * 3600;

/// `name` or `name:scheme`, with a valid header name and a token-character scheme.
fn is_valid_upstream_header(setting: &str) -> bool {
    let (name, scheme) = match setting.split_once(':') {
        Some((name, scheme)) => (name.trim(), Some(scheme.trim())),
        None => (setting.trim(), None),
    };
    let name_ok = http::HeaderName::from_bytes(name.as_bytes()).is_ok();
    let scheme_ok = scheme.is_none_or(|s| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
    });
    name_ok && scheme_ok
}

/// Requires an absolute `http://` or `https://` URL with a host. The value is not echoed.
pub(super) fn check_http_url(value: &str, path: String, errors: &mut ConfigErrors) {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {}
        Ok(_) => errors.push(path, "invalid value: expected an http or https URL"),
        Err(e) => errors.push(path, format!("invalid value: not a URL ({e})")),
    }
}

pub(super) fn auth_method_name(method: AuthMethod) -> &'static str {
    match method {
        AuthMethod::Password => "password",
        AuthMethod::ClientCredentials => "client_credentials",
        AuthMethod::AuthorizationCode => "authorization_code",
        AuthMethod::Bearer => "bearer",
        AuthMethod::Introspection => "introspection",
        AuthMethod::Userinfo => "userinfo",
        AuthMethod::KongOauth2 => "kong_oauth2",
        AuthMethod::RefreshToken => "refresh_token",
        AuthMethod::Session => "session",
    }
}

pub(super) fn token_auth_name(method: TokenEndpointAuthMethod) -> &'static str {
    match method {
        TokenEndpointAuthMethod::ClientSecretBasic => "client_secret_basic",
        TokenEndpointAuthMethod::ClientSecretPost => "client_secret_post",
        TokenEndpointAuthMethod::ClientSecretJwt => "client_secret_jwt",
        TokenEndpointAuthMethod::PrivateKeyJwt => "private_key_jwt",
        TokenEndpointAuthMethod::TlsClientAuth => "tls_client_auth",
        TokenEndpointAuthMethod::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
        TokenEndpointAuthMethod::None => "none",
    }
}

/// Only the client-secret methods are implemented for calls to the IdP.
pub(super) fn check_secret_auth_method(
    method: TokenEndpointAuthMethod,
    path: String,
    errors: &mut ConfigErrors,
) {
    if !matches!(
        method,
        TokenEndpointAuthMethod::ClientSecretBasic | TokenEndpointAuthMethod::ClientSecretPost
    ) {
        errors.push(
            path,
            format!(
                "unsupported value '{}': only client_secret_basic and \
                 client_secret_post are implemented",
                token_auth_name(method)
            ),
        );
    }
}
