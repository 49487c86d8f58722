//! Config of the bearer and introspection methods and the claim policy: accepted examples,
//! and each mistake reported at its exact path.

use oidc_gateway::config::{compile_declarative_str, ConfigErrors};

fn compile(config: &str) -> Result<(), ConfigErrors> {
    let yaml = format!(
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
        consumer_claim: [client_id]
{config}consumers:
- username: kong_id
"#
    );
    compile_declarative_str(&yaml).map(|_| ())
}

#[track_caller]
fn assert_error(config: &str, field: &str, message: &str) {
    let path = format!("services[0].routes[0].plugins[0].config.{field}");
    match compile(config) {
        Ok(()) => panic!("config unexpectedly valid:\n{config}"),
        Err(errors) => assert!(
            errors
                .iter()
                .any(|e| e.path == path && e.message.starts_with(message)),
            "no error `{path}: {message}...` in:\n{errors}"
        ),
    }
}

#[test]
fn every_new_field_is_accepted() {
    let config = r#"        auth_methods: [bearer, introspection]
        bearer_token_param_type: [header]
        client_id: [kong_id]
        client_secret: [s3cret]
        introspection_endpoint: http://127.0.0.1:8080/realms/kong/protocol/openid-connect/token/introspect
        introspection_endpoint_auth_method: client_secret_post
        introspection_hint: access_token
        introspection_check_active: false
        cache_introspection: false
        issuers_allowed: [http://127.0.0.1:8080/realms/kong]
        scopes_required: ["openid email", admin]
        scopes_claim: [scope]
        audience_required: [account]
        audience_claim: [aud]
        roles_required: [offline_access]
        roles_claim: [realm_access, roles]
        groups_required: [ops]
        groups_claim: [groups]
        upstream_headers_claims: [preferred_username, realm_access]
        upstream_headers_names: [x-user, x-roles]
        anonymous: kong_id
        credential_claim: [sub]
        by_username_ignore_case: true
        run_on_preflight: false
        display_errors: true
        enable_hs_signatures: false
"#;
    if let Err(e) = compile(config) {
        panic!("{e}");
    }
}

#[test]
fn mistakes_are_reported_at_their_paths() {
    assert_error(
        "        auth_methods: [introspection]\n",
        "client_id",
        "required with auth_methods introspection",
    );
    assert_error(
        "        auth_methods: [introspection]\n        client_id: [a]\n",
        "client_secret",
        "required with auth_methods introspection",
    );
    assert_error(
        "        auth_methods: [bearer]\n        bearer_token_param_type: []\n",
        "bearer_token_param_type",
        "must not be empty",
    );
    assert_error(
        "        auth_methods: [bearer]\n        bearer_token_param_type: [cookie]\n",
        "bearer_token_param_type[0]",
        "unsupported value 'cookie'",
    );
    assert_error(
        "        auth_methods: [bearer]\n        bearer_token_param_type: [fragment]\n",
        "bearer_token_param_type[0]",
        "unknown variant",
    );
    assert_error(
        "        auth_methods: [bearer]\n        enable_hs_signatures: true\n",
        "client_secret",
        "required with enable_hs_signatures",
    );
    assert_error(
        "        auth_methods: [bearer]\n        enable_hs_signatures: true\n        client_secret: [short-secret]\n",
        "client_secret[0]",
        "too short for enable_hs_signatures",
    );
    assert_error(
        "        auth_methods: [bearer]\n        introspection_endpoint: ftp://x/\n",
        "introspection_endpoint",
        "invalid value",
    );
    assert_error(
        "        auth_methods: [bearer]\n        introspection_endpoint_auth_method: private_key_jwt\n",
        "introspection_endpoint_auth_method",
        "unsupported value 'private_key_jwt'",
    );
    assert_error(
        "        auth_methods: [bearer]\n        scopes_required: [openid, \" \"]\n",
        "scopes_required[1]",
        "must not be empty",
    );
    assert_error(
        "        auth_methods: [bearer]\n        roles_claim: []\n",
        "roles_claim",
        "must not be empty",
    );
    assert_error(
        "        auth_methods: [bearer]\n        groups_claim: [a, \"\"]\n",
        "groups_claim[1]",
        "must not be empty",
    );
    assert_error(
        "        auth_methods: [client_credentials]\n        scopes_required: [openid]\n",
        "scopes_required",
        "not enforced for client_credentials",
    );
    assert_error(
        "        auth_methods: [bearer, client_credentials]\n        roles_required: [admin]\n",
        "roles_required",
        "not enforced for client_credentials",
    );
    assert_error(
        "        auth_methods: [bearer]\n        upstream_headers_claims: [a, b]\n        upstream_headers_names: [x-a]\n",
        "upstream_headers_names",
        "must have as many entries as upstream_headers_claims",
    );
    for bad in ["\"bad header\"", "Host", "X-Consumer-Id", "content-length"] {
        assert_error(
            &format!(
                "        auth_methods: [bearer]\n        upstream_headers_claims: [a]\n        upstream_headers_names: [{bad}]\n"
            ),
            "upstream_headers_names[0]",
            "invalid value",
        );
    }
    assert_error(
        "        auth_methods: [bearer]\n        issuers_allowed: [not-a-url]\n",
        "issuers_allowed[0]",
        "invalid value",
    );
    assert_error(
        "        auth_methods: [bearer]\n        scopes_required: openid\n",
        "scopes_required",
        "invalid type",
    );
}

#[test]
fn the_client_secret_is_never_echoed() {
    let config = "        auth_methods: [introspection]\n        client_id: [a, b]\n        client_secret: [hunter2-secret]\n";
    match compile(config) {
        Ok(()) => panic!("valid"),
        Err(errors) => {
            assert!(!errors.to_string().contains("hunter2"), "{errors}");
            assert!(errors
                .iter()
                .any(|e| e.path.ends_with("config.client_secret")));
        }
    }
}
