//! The openid-connect fields that change what the implemented methods do but are not
//! implemented: each is refused by name, with its reason, when it is not at Kong's default.
//!
//! The fields that have no effect here (authorization code, session, logout, other grants,
//! features that are off) are accepted with any well-typed value: see the comments above
//! their groups in [`OpenIdConnectConfig`]. A value that would matter because its method is
//! enabled is already refused, since `auth_methods` refuses that method.

use super::errors::{join, ConfigErrors};
use super::openid_connect::{
    AuthMethod, ClusterCacheStrategy, KongNumber, OpenIdConnectConfig, ParamType, PopMode,
};
use super::plugin::{auth_method_name, check_secret_auth_method, SUPPORTED_METHODS};

/// How a refused value appears in its message: a value from a fixed set (a boolean, an enum,
/// a number) is shown; anything typed freely (URLs, header names, proxy credentials, keys)
/// may be a secret and is shown as `...`.
enum Shown {
    Value(String),
    Hidden,
}

/// A field refused when set to anything but Kong's default.
struct Unsupported {
    field: &'static str,
    /// The methods the field changes; empty: all of them. With none of these enabled the
    /// field has no effect and is accepted.
    only_with: &'static [AuthMethod],
    /// The value, when it is not Kong's default.
    set: fn(&OpenIdConnectConfig) -> Option<Shown>,
    reason: &'static str,
}

const NO_PROXY: &str = "calls to the IdP through a proxy are not implemented";
const UPSTREAM: &str = "only the access token (upstream_access_token_header) and claims \
                        (upstream_headers_claims) are passed upstream";
const DOWNSTREAM: &str = "headers on the response to the client are not implemented";
const TOKEN_ARGS: &str = "extra arguments and headers for the token endpoint are not implemented";
const INTROSPECTION_ARGS: &str =
    "extra arguments and headers for the introspection endpoint are not implemented";
const REDIRECTS: &str =
    "redirecting failed requests is not implemented: they are answered with their status";
const LOGOUT: &str = "logout is not implemented";

/// The refused fields, in Kong's schema order within each group.
const UNSUPPORTED: &[Unsupported] = &[
    // Discovery and keys.
    Unsupported {
        field: "using_pseudo_issuer",
        only_with: &[],
        set: |c| on(c.using_pseudo_issuer),
        reason: "discovery is always used: the issuer must serve \
                 /.well-known/openid-configuration",
    },
    Unsupported {
        field: "jwks_endpoint",
        only_with: &[],
        set: |c| given(&c.jwks_endpoint),
        reason: "keys come from the discovered jwks_uri (add others with extra_jwks_uris)",
    },
    Unsupported {
        field: "verify_parameters",
        only_with: &[],
        set: |c| on(c.verify_parameters),
        reason: "checking the configuration against discovery is not implemented",
    },
    Unsupported {
        field: "rediscovery_lifetime",
        only_with: &[],
        set: |c| number(c.rediscovery_lifetime, 30.0),
        reason: "not configurable per plugin: discovery is refreshed on the gateway's schedule",
    },
    Unsupported {
        field: "discovery_headers_names",
        only_with: &[],
        set: |c| given(&c.discovery_headers_names),
        reason: "extra headers for the discovery endpoint are not implemented",
    },
    Unsupported {
        field: "discovery_headers_values",
        only_with: &[],
        set: |c| given(&c.discovery_headers_values),
        reason: "extra headers for the discovery endpoint are not implemented",
    },
    // Proof of possession.
    Unsupported {
        field: "proof_of_possession_dpop",
        only_with: &[],
        set: |c| pop(c.proof_of_possession_dpop),
        reason: "DPoP-bound tokens (RFC 9449) are not implemented",
    },
    Unsupported {
        field: "proof_of_possession_mtls",
        only_with: &[],
        set: |c| pop(c.proof_of_possession_mtls),
        reason: "certificate-bound tokens (RFC 8705) are not implemented",
    },
    // Caches and calls to the IdP.
    Unsupported {
        field: "cluster_cache_strategy",
        only_with: &[],
        set: |c| {
            (c.cluster_cache_strategy == Some(ClusterCacheStrategy::Redis))
                .then(|| Shown::Value("redis".into()))
        },
        reason: "not implemented yet: caches are per gateway node",
    },
    Unsupported {
        field: "cache_ttl_resurrect",
        only_with: &[],
        set: |c| c.cache_ttl_resurrect.map(|n| Shown::Value(n.to_string())),
        reason: "serving expired cache entries while the IdP is unreachable is not implemented",
    },
    Unsupported {
        field: "http_version",
        only_with: &[],
        set: |c| {
            c.http_version
                .filter(|n| n.0 != 1.1)
                .map(|n| Shown::Value(format!("{:.1}", n.0)))
        },
        reason: "calls to the IdP use HTTP/1.1",
    },
    Unsupported {
        field: "http_proxy",
        only_with: &[],
        set: |c| given(&c.http_proxy),
        reason: NO_PROXY,
    },
    Unsupported {
        field: "http_proxy_authorization",
        only_with: &[],
        set: |c| given(&c.http_proxy_authorization),
        reason: NO_PROXY,
    },
    Unsupported {
        field: "https_proxy",
        only_with: &[],
        set: |c| given(&c.https_proxy),
        reason: NO_PROXY,
    },
    Unsupported {
        field: "https_proxy_authorization",
        only_with: &[],
        set: |c| given(&c.https_proxy_authorization),
        reason: NO_PROXY,
    },
    Unsupported {
        field: "no_proxy",
        only_with: &[],
        set: |c| given(&c.no_proxy),
        reason: NO_PROXY,
    },
    // Client authentication and extra request parameters.
    Unsupported {
        field: "client_jwk",
        only_with: &[],
        set: |c| given(&c.client_jwk),
        reason: "private_key_jwt client authentication is not implemented",
    },
    Unsupported {
        field: "audience",
        only_with: &[AuthMethod::ClientCredentials],
        set: |c| given(&c.audience),
        reason: "no audience parameter is sent to the token endpoint",
    },
    Unsupported {
        field: "token_post_args_client",
        only_with: &[AuthMethod::ClientCredentials],
        set: |c| given(&c.token_post_args_client),
        reason: TOKEN_ARGS,
    },
    Unsupported {
        field: "token_post_args_names",
        only_with: &[AuthMethod::ClientCredentials],
        set: |c| given(&c.token_post_args_names),
        reason: TOKEN_ARGS,
    },
    Unsupported {
        field: "token_post_args_values",
        only_with: &[AuthMethod::ClientCredentials],
        set: |c| given(&c.token_post_args_values),
        reason: TOKEN_ARGS,
    },
    Unsupported {
        field: "token_headers_client",
        only_with: &[AuthMethod::ClientCredentials],
        set: |c| given(&c.token_headers_client),
        reason: TOKEN_ARGS,
    },
    Unsupported {
        field: "token_headers_names",
        only_with: &[AuthMethod::ClientCredentials],
        set: |c| given(&c.token_headers_names),
        reason: TOKEN_ARGS,
    },
    Unsupported {
        field: "token_headers_values",
        only_with: &[AuthMethod::ClientCredentials],
        set: |c| given(&c.token_headers_values),
        reason: TOKEN_ARGS,
    },
    Unsupported {
        field: "token_headers_replay",
        only_with: &[AuthMethod::ClientCredentials],
        set: |c| given(&c.token_headers_replay),
        reason: "replaying token endpoint response headers to the client is not implemented",
    },
    Unsupported {
        field: "token_exchange_endpoint",
        only_with: &[],
        set: |c| given(&c.token_exchange_endpoint),
        reason: "token exchange is not implemented",
    },
    Unsupported {
        field: "token_exchange",
        only_with: &[],
        set: token_exchange,
        reason: "token exchange is not implemented",
    },
    // Introspection.
    Unsupported {
        field: "introspection_token_param_name",
        only_with: &[AuthMethod::Introspection],
        set: |c| differs(&c.introspection_token_param_name, "token"),
        reason: "the token is sent as RFC 7662's 'token' parameter",
    },
    Unsupported {
        field: "introspection_accept",
        only_with: &[AuthMethod::Introspection],
        set: |c| differs(&c.introspection_accept, "application/json"),
        reason: "only JSON introspection responses (application/json) are implemented",
    },
    Unsupported {
        field: "introspect_jwt_tokens",
        only_with: &[],
        set: |c| on(c.introspect_jwt_tokens),
        reason: "JWT bearer tokens are verified locally, never introspected",
    },
    Unsupported {
        field: "introspection_headers_client",
        only_with: &[AuthMethod::Introspection],
        set: |c| given(&c.introspection_headers_client),
        reason: INTROSPECTION_ARGS,
    },
    Unsupported {
        field: "introspection_headers_names",
        only_with: &[AuthMethod::Introspection],
        set: |c| given(&c.introspection_headers_names),
        reason: INTROSPECTION_ARGS,
    },
    Unsupported {
        field: "introspection_headers_values",
        only_with: &[AuthMethod::Introspection],
        set: |c| given(&c.introspection_headers_values),
        reason: INTROSPECTION_ARGS,
    },
    Unsupported {
        field: "introspection_post_args_client",
        only_with: &[AuthMethod::Introspection],
        set: |c| given(&c.introspection_post_args_client),
        reason: INTROSPECTION_ARGS,
    },
    Unsupported {
        field: "introspection_post_args_client_headers",
        only_with: &[AuthMethod::Introspection],
        set: |c| given(&c.introspection_post_args_client_headers),
        reason: INTROSPECTION_ARGS,
    },
    Unsupported {
        field: "introspection_post_args_names",
        only_with: &[AuthMethod::Introspection],
        set: |c| given(&c.introspection_post_args_names),
        reason: INTROSPECTION_ARGS,
    },
    Unsupported {
        field: "introspection_post_args_values",
        only_with: &[AuthMethod::Introspection],
        set: |c| given(&c.introspection_post_args_values),
        reason: INTROSPECTION_ARGS,
    },
    // Token verification and claims.
    Unsupported {
        field: "bearer_token_header_name",
        only_with: &[],
        set: |c| given(&c.bearer_token_header_name),
        reason: "a custom bearer token header is not implemented",
    },
    Unsupported {
        field: "id_token_param_name",
        only_with: &[],
        set: |c| given(&c.id_token_param_name),
        reason: "ID tokens sent by the client are not read or verified",
    },
    Unsupported {
        field: "claims_forbidden",
        only_with: &[],
        set: |c| given(&c.claims_forbidden),
        reason: "not implemented: tokens carrying these claims would be accepted",
    },
    Unsupported {
        field: "resolve_distributed_claims",
        only_with: &[],
        set: |c| on(c.resolve_distributed_claims),
        reason: "distributed claims are not resolved",
    },
    Unsupported {
        field: "search_user_info",
        only_with: &[],
        set: |c| on(c.search_user_info),
        reason: "the userinfo endpoint is never called",
    },
    // Consumers and groups.
    Unsupported {
        field: "consumer_claims",
        only_with: &[],
        set: |c| given(&c.consumer_claims),
        reason: "not implemented yet: use consumer_claim",
    },
    Unsupported {
        field: "consumer_groups_claim",
        only_with: &[],
        set: |c| given(&c.consumer_groups_claim),
        reason: "consumer group mapping is not implemented",
    },
    Unsupported {
        field: "authenticated_groups_claim",
        only_with: &[],
        set: |c| given(&c.authenticated_groups_claim),
        reason: "authenticated groups (for the acl plugin) are not implemented",
    },
    Unsupported {
        field: "principals",
        only_with: &[],
        set: principals,
        reason: "Kong Identity principals are not implemented",
    },
    // Responses.
    Unsupported {
        field: "expose_error_code",
        only_with: &[],
        set: |c| off(c.expose_error_code),
        reason: "the RFC 6750 error code is always sent in WWW-Authenticate",
    },
    Unsupported {
        field: "unauthorized_redirect_uri",
        only_with: &[],
        set: |c| given(&c.unauthorized_redirect_uri),
        reason: REDIRECTS,
    },
    Unsupported {
        field: "forbidden_redirect_uri",
        only_with: &[],
        set: |c| given(&c.forbidden_redirect_uri),
        reason: REDIRECTS,
    },
    Unsupported {
        field: "unexpected_redirect_uri",
        only_with: &[],
        set: |c| given(&c.unexpected_redirect_uri),
        reason: REDIRECTS,
    },
    Unsupported {
        field: "logout_uri_suffix",
        only_with: &[],
        set: |c| given(&c.logout_uri_suffix),
        reason: LOGOUT,
    },
    Unsupported {
        field: "logout_query_arg",
        only_with: &[],
        set: |c| given(&c.logout_query_arg),
        reason: LOGOUT,
    },
    Unsupported {
        field: "logout_post_arg",
        only_with: &[],
        set: |c| given(&c.logout_post_arg),
        reason: LOGOUT,
    },
    // Upstream and downstream headers.
    Unsupported {
        field: "upstream_headers",
        only_with: &[],
        set: |c| given(&c.upstream_headers),
        reason: "not implemented yet: use upstream_headers_claims and upstream_headers_names",
    },
    Unsupported {
        field: "upstream_access_token_jwk_header",
        only_with: &[],
        set: |c| given(&c.upstream_access_token_jwk_header),
        reason: UPSTREAM,
    },
    Unsupported {
        field: "upstream_id_token_header",
        only_with: &[AuthMethod::ClientCredentials],
        set: |c| given(&c.upstream_id_token_header),
        reason: UPSTREAM,
    },
    Unsupported {
        field: "upstream_id_token_jwk_header",
        only_with: &[AuthMethod::ClientCredentials],
        set: |c| given(&c.upstream_id_token_jwk_header),
        reason: UPSTREAM,
    },
    Unsupported {
        field: "upstream_introspection_header",
        only_with: &[AuthMethod::Introspection],
        set: |c| given(&c.upstream_introspection_header),
        reason: UPSTREAM,
    },
    Unsupported {
        field: "upstream_introspection_jwt_header",
        only_with: &[AuthMethod::Introspection],
        set: |c| given(&c.upstream_introspection_jwt_header),
        reason: UPSTREAM,
    },
    Unsupported {
        field: "upstream_refresh_token_header",
        only_with: &[AuthMethod::ClientCredentials],
        set: |c| given(&c.upstream_refresh_token_header),
        reason: UPSTREAM,
    },
    Unsupported {
        field: "upstream_user_info_header",
        only_with: &[],
        set: |c| given(&c.upstream_user_info_header),
        reason: UPSTREAM,
    },
    Unsupported {
        field: "upstream_user_info_jwt_header",
        only_with: &[],
        set: |c| given(&c.upstream_user_info_jwt_header),
        reason: UPSTREAM,
    },
    Unsupported {
        field: "downstream_headers",
        only_with: &[],
        set: |c| given(&c.downstream_headers),
        reason: DOWNSTREAM,
    },
    Unsupported {
        field: "downstream_headers_claims",
        only_with: &[],
        set: |c| given(&c.downstream_headers_claims),
        reason: DOWNSTREAM,
    },
    Unsupported {
        field: "downstream_headers_names",
        only_with: &[],
        set: |c| given(&c.downstream_headers_names),
        reason: DOWNSTREAM,
    },
    Unsupported {
        field: "downstream_access_token_header",
        only_with: &[],
        set: |c| given(&c.downstream_access_token_header),
        reason: DOWNSTREAM,
    },
    Unsupported {
        field: "downstream_access_token_jwk_header",
        only_with: &[],
        set: |c| given(&c.downstream_access_token_jwk_header),
        reason: DOWNSTREAM,
    },
    Unsupported {
        field: "downstream_id_token_header",
        only_with: &[AuthMethod::ClientCredentials],
        set: |c| given(&c.downstream_id_token_header),
        reason: DOWNSTREAM,
    },
    Unsupported {
        field: "downstream_id_token_jwk_header",
        only_with: &[AuthMethod::ClientCredentials],
        set: |c| given(&c.downstream_id_token_jwk_header),
        reason: DOWNSTREAM,
    },
    Unsupported {
        field: "downstream_introspection_header",
        only_with: &[AuthMethod::Introspection],
        set: |c| given(&c.downstream_introspection_header),
        reason: DOWNSTREAM,
    },
    Unsupported {
        field: "downstream_introspection_jwt_header",
        only_with: &[AuthMethod::Introspection],
        set: |c| given(&c.downstream_introspection_jwt_header),
        reason: DOWNSTREAM,
    },
    Unsupported {
        field: "downstream_refresh_token_header",
        only_with: &[AuthMethod::ClientCredentials],
        set: |c| given(&c.downstream_refresh_token_header),
        reason: DOWNSTREAM,
    },
    Unsupported {
        field: "downstream_user_info_header",
        only_with: &[],
        set: |c| given(&c.downstream_user_info_header),
        reason: DOWNSTREAM,
    },
    Unsupported {
        field: "downstream_user_info_jwt_header",
        only_with: &[],
        set: |c| given(&c.downstream_user_info_jwt_header),
        reason: DOWNSTREAM,
    },
];

/// Refuses the unimplemented fields of `c` (at `path`, the config's path) that are set.
pub(super) fn check(c: &OpenIdConnectConfig, path: &str, errors: &mut ConfigErrors) {
    let applies = |rule: &Unsupported| {
        rule.only_with.is_empty() || rule.only_with.iter().any(|m| c.auth_methods.contains(m))
    };
    for rule in UNSUPPORTED.iter().filter(|rule| applies(rule)) {
        if let Some(shown) = (rule.set)(c) {
            let value = match shown {
                Shown::Value(value) => value,
                Shown::Hidden => "...".to_owned(),
            };
            errors.push(
                join(path, rule.field),
                format!("unsupported value '{value}': {}", rule.reason),
            );
        }
    }
    check_login_action(c, path, errors);
    check_ignore_signature(c, path, errors);
    check_cookie_sources(c, path, errors);
    for (i, method) in c.client_auth.iter().flatten().enumerate() {
        check_secret_auth_method(*method, join(path, &format!("client_auth[{i}]")), errors);
    }
}

/// Kong applies `login_action` to every method in `login_methods` (default
/// `[authorization_code]`): a response or redirect instead of proxying matters only when an
/// implemented, enabled method is among them.
fn check_login_action(c: &OpenIdConnectConfig, path: &str, errors: &mut ConfigErrors) {
    let Some(action) = c.login_action.as_deref() else {
        return;
    };
    if action == "upstream" {
        return;
    }
    let login_methods = c
        .login_methods
        .as_deref()
        .unwrap_or(&[AuthMethod::AuthorizationCode]);
    let applies = login_methods
        .iter()
        .any(|m| SUPPORTED_METHODS.contains(m) && c.auth_methods.contains(m));
    if applies {
        let shown = if matches!(action, "response" | "redirect") {
            action
        } else {
            "..."
        };
        errors.push(
            join(path, "login_action"),
            format!(
                "unsupported value '{shown}': login responses and redirects are not \
                 implemented (login_methods names an enabled method)"
            ),
        );
    }
}

/// Skipping signature checks is refused for the implemented methods; for the others it has
/// no effect.
fn check_ignore_signature(c: &OpenIdConnectConfig, path: &str, errors: &mut ConfigErrors) {
    for (i, method) in c.ignore_signature.iter().flatten().enumerate() {
        if SUPPORTED_METHODS.contains(method) {
            errors.push(
                join(path, &format!("ignore_signature[{i}]")),
                format!(
                    "unsupported value '{}': signatures are always verified",
                    auth_method_name(*method)
                ),
            );
        }
    }
}

/// `cookie` as a source of bearer tokens or client credentials.
fn check_cookie_sources(c: &OpenIdConnectConfig, path: &str, errors: &mut ConfigErrors) {
    let lists = [
        (
            "bearer_token_param_type",
            &c.bearer_token_param_type,
            "reading the bearer token from a cookie is not implemented",
        ),
        (
            "client_credentials_param_type",
            &c.client_credentials_param_type,
            "client credentials are read from the header, query or body",
        ),
    ];
    for (field, list, reason) in lists {
        for (i, source) in list.iter().enumerate() {
            if *source == ParamType::Cookie {
                errors.push(
                    join(path, &format!("{field}[{i}]")),
                    format!("unsupported value 'cookie': {reason}"),
                );
            }
        }
    }
}

/// Token exchange is configured by its `subject_token_issuers`; exports may carry the
/// `cache` and `request` defaults alone.
fn token_exchange(c: &OpenIdConnectConfig) -> Option<Shown> {
    let issuers = c.token_exchange.as_ref()?.get("subject_token_issuers")?;
    let empty = issuers.as_sequence().is_some_and(Vec::is_empty);
    (!empty).then_some(Shown::Hidden)
}

/// Principals are on with `principals.enabled: true` (Kong default: false).
fn principals(c: &OpenIdConnectConfig) -> Option<Shown> {
    let enabled = c.principals.as_ref()?.get("enabled")?;
    (enabled.as_bool() != Some(false)).then_some(Shown::Value("enabled".into()))
}

/// A value that is empty, or not there at all, is Kong's default "unset".
trait Blank {
    fn is_blank(&self) -> bool;
}

impl Blank for String {
    fn is_blank(&self) -> bool {
        self.is_empty()
    }
}

impl<T> Blank for Vec<T> {
    fn is_blank(&self) -> bool {
        self.is_empty()
    }
}

impl Blank for serde_yaml::Mapping {
    fn is_blank(&self) -> bool {
        self.is_empty()
    }
}

fn given<T: Blank>(value: &Option<T>) -> Option<Shown> {
    value
        .as_ref()
        .filter(|v| !v.is_blank())
        .map(|_| Shown::Hidden)
}

fn differs(value: &Option<String>, default: &str) -> Option<Shown> {
    value
        .as_deref()
        .filter(|v| *v != default)
        .map(|_| Shown::Hidden)
}

fn on(value: Option<bool>) -> Option<Shown> {
    (value == Some(true)).then(|| Shown::Value("true".into()))
}

fn off(value: Option<bool>) -> Option<Shown> {
    (value == Some(false)).then(|| Shown::Value("false".into()))
}

fn number(value: Option<KongNumber>, default: f64) -> Option<Shown> {
    value
        .filter(|n| n.0 != default)
        .map(|n| Shown::Value(n.to_string()))
}

fn pop(value: Option<PopMode>) -> Option<Shown> {
    match value? {
        PopMode::Off => None,
        PopMode::Optional => Some(Shown::Value("optional".into())),
        PopMode::Strict => Some(Shown::Value("strict".into())),
    }
}
