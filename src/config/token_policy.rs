//! Checks of the `openid-connect` fields for bearer tokens, introspection and claim policy.

use super::errors::{join, ConfigErrors};
use super::openid_connect::{AuthMethod, OpenIdConnectConfig};
use super::plugin::{check_http_url, check_secret_auth_method};

/// Longest header name accepted in `upstream_headers_names`.
const MAX_HEADER_NAME: usize = 256;

/// Checks the bearer/introspection/claim-policy fields of `c` (at `path`, the config's path).
pub(super) fn check(c: &OpenIdConnectConfig, path: &str, errors: &mut ConfigErrors) {
    let at = |field: &str| join(path, field);
    let uses = |m: AuthMethod| c.auth_methods.contains(&m);
    let token_methods = uses(AuthMethod::Bearer) || uses(AuthMethod::Introspection);
    if token_methods && c.bearer_token_param_type.is_empty() {
        errors.push(at("bearer_token_param_type"), "must not be empty");
    }
    if c.enable_hs_signatures {
        // HS tokens are verified with the client secrets (OIDC Core 10.1): they must exist
        // and be long enough for HS256 at least (RFC 7518 3.2).
        if c.client_secret.is_empty() {
            errors.push(
                at("client_secret"),
                "required with enable_hs_signatures: HS256/384/512 tokens are verified with it",
            );
        }
        for (i, secret) in c.client_secret.iter().enumerate() {
            if secret.len() < 32 {
                errors.push(
                    at(&format!("client_secret[{i}]")),
                    "too short for enable_hs_signatures: at least 32 bytes (RFC 7518 3.2)",
                );
            }
        }
    }
    if let Some(endpoint) = &c.introspection_endpoint {
        check_http_url(endpoint, at("introspection_endpoint"), errors);
    }
    if let Some(method) = c.introspection_endpoint_auth_method {
        check_secret_auth_method(method, at("introspection_endpoint_auth_method"), errors);
    }
    if uses(AuthMethod::Introspection) {
        if c.client_id.first().is_none_or(String::is_empty) {
            errors.push(at("client_id"), "required with auth_methods introspection");
        }
        if c.client_secret.first().is_none_or(String::is_empty) {
            errors.push(
                at("client_secret"),
                "required with auth_methods introspection",
            );
        }
    }
    // Kong: a client_id may come without a secret (bearer-only plugins, `none` client auth).
    if !c.client_secret.is_empty() && c.client_id.len() != c.client_secret.len() {
        errors.push(
            at("client_secret"),
            "must have as many entries as client_id",
        );
    }
    for (i, issuer) in c.issuers_allowed.iter().enumerate() {
        check_http_url(issuer, at(&format!("issuers_allowed[{i}]")), errors);
    }
    let policies = [
        (
            "scopes_required",
            &c.scopes_required,
            "scopes_claim",
            &c.scopes_claim,
        ),
        (
            "audience_required",
            &c.audience_required,
            "audience_claim",
            &c.audience_claim,
        ),
        (
            "roles_required",
            &c.roles_required,
            "roles_claim",
            &c.roles_claim,
        ),
        (
            "groups_required",
            &c.groups_required,
            "groups_claim",
            &c.groups_claim,
        ),
    ];
    for (required_name, required, claim_name, claim) in policies {
        for (i, entry) in required.iter().enumerate() {
            if entry.split(' ').all(str::is_empty) {
                errors.push(at(&format!("{required_name}[{i}]")), "must not be empty");
            }
        }
        check_claim_path(claim, &at(claim_name), errors);
        if !required.is_empty() && uses(AuthMethod::ClientCredentials) {
            errors.push(
                at(required_name),
                "not enforced for client_credentials: use it on a plugin whose auth_methods \
                 are bearer and/or introspection only",
            );
        }
    }
    check_claim_path(&c.credential_claim, &at("credential_claim"), errors);
    check_upstream_headers(c, path, errors);
}

/// A claim path: at least one segment, none empty.
fn check_claim_path(claim: &[String], path: &str, errors: &mut ConfigErrors) {
    if claim.is_empty() {
        errors.push(path.to_owned(), "must not be empty");
    }
    for (i, segment) in claim.iter().enumerate() {
        if segment.is_empty() {
            errors.push(format!("{path}[{i}]"), "must not be empty");
        }
    }
}

fn check_upstream_headers(c: &OpenIdConnectConfig, path: &str, errors: &mut ConfigErrors) {
    let at = |field: &str| join(path, field);
    if c.upstream_headers_claims.len() != c.upstream_headers_names.len() {
        errors.push(
            at("upstream_headers_names"),
            "must have as many entries as upstream_headers_claims",
        );
    }
    for (i, claim) in c.upstream_headers_claims.iter().enumerate() {
        if claim.is_empty() {
            errors.push(
                at(&format!("upstream_headers_claims[{i}]")),
                "must not be empty",
            );
        }
    }
    for (i, name) in c.upstream_headers_names.iter().enumerate() {
        let valid = name.len() <= MAX_HEADER_NAME
            && http::HeaderName::from_bytes(name.as_bytes()).is_ok()
            && !is_reserved_header(name);
        if !valid {
            errors.push(
                at(&format!("upstream_headers_names[{i}]")),
                "invalid value: expected a header name (not Host, Content-Length, \
                 Transfer-Encoding, Connection or an X-Consumer-* header)",
            );
        }
    }
}

/// Headers a claim must never set upstream.
fn is_reserved_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "host" | "content-length" | "transfer-encoding" | "connection" | "upgrade" | "te"
    ) || name.starts_with("x-consumer-")
        || name == "x-credential-identifier"
        || name == "x-anonymous-consumer"
}
