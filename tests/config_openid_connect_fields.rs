//! Every Kong openid-connect field parses: a Konnect export with every field at its default
//! loads, fields without effect here are accepted, and each unimplemented field that changes
//! behaviour is refused at its exact path with its reason, without echoing free-form values.

use oidc_gateway::config::openid_connect::{OpenIdConnectConfig, TokenEndpointAuthMethod};
use oidc_gateway::config::{compile_declarative_str, ConfigErrors};

const KONG_DEFAULTS: &str = include_str!("fixtures/openid_connect_kong_defaults.yaml");

const PLUGIN: &str = "services[0].routes[0].plugins[0]";

/// A service and route with one openid-connect plugin: every implemented method enabled (so
/// that each refusal applies) plus `extra`, indented 8 spaces.
fn with_fields(extra: &str) -> String {
    format!(
        r#"_format_version: "3.0"
services:
- name: s
  host: 127.0.0.1
  routes:
  - name: r
    paths: [/r]
    plugins:
    - name: openid-connect
      config:
        issuer: http://127.0.0.1:8080/realms/kong
        auth_methods: [bearer, introspection, client_credentials]
        client_id: [gateway]
        client_secret: [gateway-secret]
{extra}"#
    )
}

fn errors_of(yaml: &str) -> ConfigErrors {
    match compile_declarative_str(yaml) {
        Ok(_) => panic!("config unexpectedly valid:\n{yaml}"),
        Err(errors) => errors,
    }
}

fn loads(yaml: &str) -> OpenIdConnectConfig {
    let config = compile_declarative_str(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let plugin = config
        .route_plugin(0, "openid-connect")
        .expect("the route has the plugin");
    plugin
        .openid_connect()
        .expect("openid-connect")
        .as_ref()
        .clone()
}

/// Asserts that the only error is at `field` (under the plugin's config), with `message`.
#[track_caller]
fn assert_refused(extra: &str, field: &str, message: &str) {
    let e = errors_of(&with_fields(extra));
    let path = format!("{PLUGIN}.config.{field}");
    assert!(
        e.len() == 1 && e.iter().all(|x| x.path == path && x.message == message),
        "expected only `{path}: {message}`, got:\n{e}"
    );
}

#[test]
fn a_konnect_export_with_every_field_at_its_default_loads() {
    let yaml = format!(
        "{KONG_DEFAULTS}\nservices:\n- name: s\n  host: 127.0.0.1\n  routes:\n  - name: r\n    paths: [/r]\n"
    );
    let c = loads(&yaml);
    assert_eq!(c.issuer, "http://127.0.0.1:8080/realms/kong");
    assert!(c.consumer_claim.is_empty());
    assert_eq!(c.verify_nonce, Some(true));
    assert_eq!(c.session_cookie_name.as_deref(), Some("session"));
    assert!(c.cluster_cache_redis.is_some() && c.session_redis_port.is_some());
    assert_eq!(
        c.token_auth_method(),
        TokenEndpointAuthMethod::ClientSecretBasic
    );
}

#[test]
fn fields_without_effect_accept_any_well_typed_value() {
    // Authorization code, session, logout and other-grant fields: their methods are off.
    let c = loads(&with_fields(
        r#"        verify_nonce: false
        authorization_cookie_http_only: false
        redirect_uri: [https://example.com/cb]
        response_mode: form_post
        session_secret: some-session-secret
        session_storage: redis
        session_cookie_same_site: Strict
        redis: {host: redis.example.com, port: 6380}
        logout_methods: [GET]
        login_action: redirect
        password_param_type: [header]
        userinfo_endpoint: https://example.com/userinfo
        dpop_proof_lifetime: 60
        cluster_cache_items: [introspection, tokens]
        ignore_signature: [password, session]
        keepalive: false
"#,
    ));
    assert_eq!(c.verify_nonce, Some(false));
    assert_eq!(c.session_storage.as_deref(), Some("redis"));
}

#[test]
fn refused_fields_at_kong_defaults_are_accepted() {
    loads(&with_fields(
        r#"        using_pseudo_issuer: false
        proof_of_possession_dpop: "off"
        proof_of_possession_mtls: "off"
        cluster_cache_strategy: "off"
        client_jwk: []
        http_version: 1.1
        rediscovery_lifetime: 30
        expose_error_code: true
        introspection_accept: application/json
        introspection_token_param_name: token
        principals: {enabled: false, directory: default}
        token_exchange: {cache: {enabled: true}, request: {empty_scopes: false}}
        audience: []
        consumer_groups_claim: null
"#,
    ));
}

#[test]
fn each_unimplemented_field_is_refused_by_name_with_its_reason() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "using_pseudo_issuer: true",
            "using_pseudo_issuer",
            "unsupported value 'true': discovery is always used: the issuer must serve \
             /.well-known/openid-configuration",
        ),
        (
            "proof_of_possession_dpop: strict",
            "proof_of_possession_dpop",
            "unsupported value 'strict': DPoP-bound tokens (RFC 9449) are not implemented",
        ),
        (
            "proof_of_possession_mtls: optional",
            "proof_of_possession_mtls",
            "unsupported value 'optional': certificate-bound tokens (RFC 8705) are not \
             implemented",
        ),
        (
            "cluster_cache_strategy: redis",
            "cluster_cache_strategy",
            "unsupported value 'redis': not implemented yet: caches are per gateway node",
        ),
        (
            "client_jwk: [{kty: RSA, kid: k1}]",
            "client_jwk",
            "unsupported value '...': private_key_jwt client authentication is not implemented",
        ),
        (
            "token_exchange: {subject_token_issuers: [{issuer: https://other.example.com}]}",
            "token_exchange",
            "unsupported value '...': token exchange is not implemented",
        ),
        (
            "http_version: 1.0",
            "http_version",
            "unsupported value '1.0': calls to the IdP use HTTP/1.1",
        ),
        (
            "rediscovery_lifetime: 5",
            "rediscovery_lifetime",
            "unsupported value '5': not configurable per plugin: discovery is refreshed on \
             the gateway's schedule",
        ),
        (
            "expose_error_code: false",
            "expose_error_code",
            "unsupported value 'false': the RFC 6750 error code is always sent in \
             WWW-Authenticate",
        ),
        (
            "principals: {enabled: true}",
            "principals",
            "unsupported value 'enabled': Kong Identity principals are not implemented",
        ),
        (
            "audience: [api://x]",
            "audience",
            "unsupported value '...': no audience parameter is sent to the token endpoint",
        ),
        (
            "upstream_introspection_header: x-introspection",
            "upstream_introspection_header",
            "unsupported value '...': only the access token (upstream_access_token_header) \
             and claims (upstream_headers_claims) are passed upstream",
        ),
        (
            "consumer_groups_claim: [groups]",
            "consumer_groups_claim",
            "unsupported value '...': consumer group mapping is not implemented",
        ),
        (
            "unauthorized_redirect_uri: [https://example.com/login]",
            "unauthorized_redirect_uri",
            "unsupported value '...': redirecting failed requests is not implemented: they \
             are answered with their status",
        ),
        (
            "logout_uri_suffix: /logout",
            "logout_uri_suffix",
            "unsupported value '...': logout is not implemented",
        ),
        (
            "ignore_signature: [password, introspection]",
            "ignore_signature[1]",
            "unsupported value 'introspection': signatures are always verified",
        ),
        (
            "bearer_token_param_type: [header, cookie]",
            "bearer_token_param_type[1]",
            "unsupported value 'cookie': reading the bearer token from a cookie is not \
             implemented",
        ),
        (
            "client_auth: [private_key_jwt]",
            "client_auth[0]",
            "unsupported value 'private_key_jwt': only client_secret_basic and \
             client_secret_post are implemented",
        ),
        (
            "login_methods: [bearer]\n        login_action: response",
            "login_action",
            "unsupported value 'response': login responses and redirects are not implemented \
             (login_methods names an enabled method)",
        ),
    ];
    for (yaml, field, message) in cases {
        assert_refused(&format!("        {yaml}\n"), field, message);
    }
}

#[test]
fn method_specific_fields_are_refused_only_with_their_method() {
    // The audience and token endpoint arguments only change client_credentials; the
    // introspection arguments only change introspection.
    let bearer_only = r#"_format_version: "3.0"
services:
- name: s
  host: 127.0.0.1
  routes:
  - name: r
    paths: [/r]
    plugins:
    - name: openid-connect
      config:
        issuer: http://127.0.0.1:8080/realms/kong
        auth_methods: [bearer]
        audience: [api://x]
        token_post_args_names: [resource]
        token_post_args_values: [https://api.example.com]
        introspection_post_args_names: [resource]
        upstream_introspection_header: x-introspection
"#;
    loads(bearer_only);
}

#[test]
fn client_auth_sets_how_the_gateway_authenticates_to_the_idp() {
    let c = loads(&with_fields("        client_auth: [client_secret_post]\n"));
    assert_eq!(
        c.token_auth_method(),
        TokenEndpointAuthMethod::ClientSecretPost
    );
    assert_eq!(
        c.introspection_auth_method(),
        TokenEndpointAuthMethod::ClientSecretPost
    );
    let c = loads(&with_fields(
        "        client_auth: [client_secret_post]\n        introspection_endpoint_auth_method: client_secret_basic\n",
    ));
    assert_eq!(
        c.introspection_auth_method(),
        TokenEndpointAuthMethod::ClientSecretBasic
    );
}

#[test]
fn new_fields_are_type_checked() {
    let e = errors_of(&with_fields("        verify_nonce: maybe\n"));
    let path = format!("{PLUGIN}.config.verify_nonce");
    assert!(
        e.iter()
            .any(|x| x.path == path && x.message.starts_with("invalid type")),
        "{e}"
    );
    let e = errors_of(&with_fields(
        "        proof_of_possession_dpop: sometimes\n",
    ));
    let path = format!("{PLUGIN}.config.proof_of_possession_dpop");
    assert!(e.iter().any(|x| x.path == path), "{e}");
    let e = errors_of(&with_fields("        not_a_kong_field: 1\n"));
    let path = format!("{PLUGIN}.config.not_a_kong_field");
    assert!(
        e.iter()
            .any(|x| x.path == path && x.message == "unknown field"),
        "{e}"
    );
}

#[test]
fn refused_values_are_never_echoed() {
    let e = errors_of(&with_fields(
        r#"        http_proxy: http://user:pr0xy-pass@proxy.example.com:3128
        https_proxy_authorization: Basic c2VjcmV0LXByb3h5
        client_jwk: [{kty: oct, k: s3cr3t-jwk-key}]
        token_post_args_values: [s3cr3t-post-arg]
        introspection_headers_values: [s3cr3t-header]
        jwks_endpoint: https://keys.example.com/s3cr3t-path
        login_methods: [client_credentials]
        login_action: s3cr3t-action
        session_secret: s3cr3t-session
"#,
    ));
    assert!(e.len() >= 7, "{e}");
    let text = e.to_string();
    for secret in [
        "pr0xy",
        "c2VjcmV0",
        "s3cr3t",
        "proxy.example.com",
        "keys.example.com",
    ] {
        assert!(!text.contains(secret), "{secret} echoed in:\n{text}");
    }
}
