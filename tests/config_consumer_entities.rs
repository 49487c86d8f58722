//! Consumer-side entities and the plugin chain's compiled form: credentials nested and at the
//! top level, acls, consumer groups and memberships, plugin scopes and Kong's precedence,
//! Kong 2 files, decK placeholders and env vault references, and their errors at exact paths.

use oidc_gateway::config::{compile_declarative_str, CompiledConfig, ConfigErrors};

fn compile(yaml: &str) -> CompiledConfig {
    match compile_declarative_str(yaml) {
        Ok(config) => config,
        Err(errors) => panic!("config rejected:\n{errors}"),
    }
}

fn errors(yaml: &str) -> ConfigErrors {
    match compile_declarative_str(yaml) {
        Ok(_) => panic!("config accepted"),
        Err(errors) => errors,
    }
}

fn assert_error(errors: &ConfigErrors, path: &str, message: &str) {
    assert!(
        errors
            .iter()
            .any(|e| e.path == path && e.message.contains(message)),
        "no error `{path}: {message}...` in:\n{errors}"
    );
}

const OIDC: &str = "{auth_methods: [bearer], issuer: 'http://127.0.0.1:8080/realms/kong', consumer_optional: true}";

#[test]
fn credentials_acls_and_groups_compile_nested_and_top_level() {
    let config = compile(
        r#"_format_version: "3.0"
consumer_groups:
- name: gold
- name: bronze
consumers:
- username: alice
  custom_id: a-1
  groups:
  - name: gold
    tags: [from-deck]
  keyauth_credentials:
  - key: alice-key
  basicauth_credentials:
  - username: alice
    password: correct horse
  jwt_secrets:
  - key: alice-iss
    secret: shh
  hmacauth_credentials:
  - username: alice-hmac
    secret: hush
  acls:
  - group: admins
  - group: admins
- username: bob
keyauth_credentials:
- key: bob-key
  consumer: bob
  ttl: 3600
acls:
- group: readers
  consumer: {username: bob}
consumer_group_consumers:
- consumer: bob
  consumer_group: bronze
"#,
    );
    let alice = &config.consumers.list[0];
    let bob = &config.consumers.list[1];
    assert_eq!(alice.acls, ["admins"]);
    assert_eq!(bob.acls, ["readers"]);
    let group_names = |c: &oidc_gateway::config::Consumer| -> Vec<String> {
        c.groups
            .iter()
            .map(|g| config.consumer_groups[*g].name.clone())
            .collect()
    };
    assert_eq!(group_names(alice), ["gold"]);
    assert_eq!(group_names(bob), ["bronze"]);
    let credentials = &config.credentials;
    assert_eq!(credentials.key_auth["alice-key"].consumer, 0);
    assert_eq!(credentials.key_auth["bob-key"].consumer, 1);
    assert!(credentials.key_auth["bob-key"].expires_at.is_some());
    assert!(credentials.key_auth["alice-key"].expires_at.is_none());
    assert_eq!(credentials.jwt["alice-iss"].algorithm, "HS256");
    assert_eq!(credentials.jwt["alice-iss"].secret.expose(), b"shh");
    assert_eq!(credentials.hmac_auth["alice-hmac"].consumer, 0);
    let basic = &credentials.basic_auth["alice"];
    assert_eq!(basic.consumer, 0);
    // Only a salted hash is kept, and Debug shows no secret at all.
    let debug = format!("{credentials:?}");
    for secret in ["correct horse", "shh", "hush"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[test]
fn consumer_entity_mistakes_are_named_at_their_paths() {
    let e = errors(
        r#"_format_version: "3.0"
consumers:
- username: alice
  keyauth_credentials:
  - key: same
  - key: same
  jwt_secrets:
  - key: k
    algorithm: RS256
  - key: k2
    algorithm: none
  groups:
  - name: platinum
  basicauth_credentials:
  - username: alice
    password: hunter2
    consumer: alice
keyauth_credentials:
- key: orphan
- key: ghost
  consumer: nobody
acls:
- consumer: alice
  group: ""
"#,
    );
    assert_error(
        &e,
        "consumers[0].keyauth_credentials[1].key",
        "duplicate key 'same'",
    );
    assert_error(
        &e,
        "consumers[0].jwt_secrets[0].rsa_public_key",
        "required for algorithm RS256",
    );
    assert_error(
        &e,
        "consumers[0].jwt_secrets[1].algorithm",
        "unsupported value 'none'",
    );
    assert_error(
        &e,
        "consumers[0].groups[0]",
        "no consumer_group named 'platinum'",
    );
    assert_error(
        &e,
        "consumers[0].basicauth_credentials[0].consumer",
        "not allowed in an entity nested in a consumer",
    );
    assert_error(&e, "keyauth_credentials[0].consumer", "missing field");
    assert_error(
        &e,
        "keyauth_credentials[1].consumer",
        "no consumer 'nobody'",
    );
    assert_error(&e, "acls[0].group", "must not be empty");
    assert!(!e.to_string().contains("hunter2"), "{e}");
}

#[test]
fn plugin_scopes_compile_into_slots_with_kong_precedence() {
    let config = compile(&format!(
        r#"_format_version: "3.0"
services:
- name: s1
  host: 127.0.0.1
  plugins:
  - name: openid-connect
    config: {OIDC}
  routes:
  - name: r1
    paths: [/r1]
    plugins:
    - name: openid-connect
      config: {OIDC}
  - name: r2
    paths: [/r2]
- name: s2
  host: 127.0.0.1
  routes:
  - name: r3
    paths: [/r3]
plugins:
- name: openid-connect
  config: {OIDC}
- name: openid-connect
  route: r3
  service: s2
  config: {OIDC}
"#
    ));
    let path = |route: usize| {
        config
            .route_plugin(route, "openid-connect")
            .map(|p| p.path.as_str())
    };
    assert_eq!(path(0), Some("services[0].routes[0].plugins[0]"));
    assert_eq!(path(1), Some("services[0].plugins[0]"));
    assert_eq!(path(2), Some("plugins[1]"), "route+service beats global");
    assert_eq!(config.global_plugins.len(), 1);
    assert_eq!(config.plugins.len(), 4);
    // Generated plugin ids are UUID-shaped and stable.
    let again = compile_declarative_str(&format!(
        "_format_version: \"3.0\"\nplugins:\n- name: openid-connect\n  config: {OIDC}\n"
    ))
    .unwrap();
    assert_eq!(again.plugins[0].id.len(), 36);
}

#[test]
fn plugin_scope_mistakes_are_named() {
    let e = errors(&format!(
        r#"_format_version: "3.0"
consumer_groups:
- name: gold
  plugins:
  - name: openid-connect
    config: {OIDC}
consumers:
- username: alice
services:
- name: s1
  host: 127.0.0.1
  routes:
  - name: r1
    paths: [/r1]
    plugins:
    - name: openid-connect
      route: r1
      config: {OIDC}
plugins:
- name: openid-connect
  consumer_group: gold
  config: {OIDC}
- name: openid-connect
  ordering: {{before: {{access: [acl]}}}}
  config: {OIDC}
- name: openid-connect
  protocols: [http, smtp]
  service: s1
  config: {OIDC}
- name: openid-connect
  consumer: nobody
  config: {OIDC}
"#
    ));
    assert_error(
        &e,
        "consumer_groups[0].plugins[0]",
        "authentication plugins cannot be scoped to a consumer or consumer group",
    );
    assert_error(
        &e,
        "services[0].routes[0].plugins[0].route",
        "not allowed in a plugin nested in that entity",
    );
    assert_error(
        &e,
        "plugins[0].consumer_group",
        "authentication plugins cannot be scoped",
    );
    assert_error(&e, "plugins[1].ordering", "Kong Enterprise");
    assert_error(&e, "plugins[2].protocols[1]", "unsupported value 'smtp'");
    assert_error(&e, "plugins[3].consumer", "no consumer 'nobody'");
}

#[test]
fn kong_2_files_get_regex_paths_and_comments_are_ignored() {
    let config = compile(
        r#"_format_version: "2.1"
_transform: true
services:
- name: api
  _comment: "a note"
  url: http://127.0.0.1:9080/
  protocol: ws
  routes:
  - name: items
    paths: [/items/\d+$]
  - name: plain
    paths: [/auth/v1/verify]
"#,
    );
    assert_eq!(
        config.services[0].protocol, "http",
        "url overwrites protocol"
    );
    let found = config
        .router
        .find("GET", None, "/items/42")
        .expect("regex route");
    assert_eq!(config.routes[found.route].name.as_deref(), Some("items"));
    assert!(config.router.find("GET", None, "/items/abc").is_none());
    let found = config
        .router
        .find("GET", None, "/auth/v1/verify/x")
        .expect("prefix route");
    assert_eq!(config.routes[found.route].name.as_deref(), Some("plain"));
}

#[test]
fn deck_placeholders_and_env_vault_references_come_from_the_environment() {
    // Names unique to this test: the process environment is shared by the test threads.
    std::env::set_var("DECK_CHAIN_TEST_HOST", "127.0.0.1");
    std::env::set_var("CHAIN_TEST_KEY", "from-env");
    std::env::set_var("TEAM_CHAIN_TEST_OTHER", "from-prefix");
    let config = compile(
        r#"_format_version: "3.0"
vaults:
- name: env
  prefix: team
  config: {prefix: TEAM_}
services:
- name: api
  host: ${{ env "DECK_CHAIN_TEST_HOST" }}
consumers:
- username: alice
  keyauth_credentials:
  - key: "{vault://env/chain-test-key}"
  - key: "{vault://team/chain_test_other}"
"#,
    );
    assert_eq!(config.services[0].host, "127.0.0.1");
    assert!(config.credentials.key_auth.contains_key("from-env"));
    assert!(config.credentials.key_auth.contains_key("from-prefix"));

    let e = errors(
        r#"_format_version: "3.0"
vaults:
- name: hcv
  prefix: vault
services:
- name: api
  host: ${{ env "DECK_CHAIN_TEST_MISSING" }}
"#,
    );
    assert_error(&e, "document", "DECK_CHAIN_TEST_MISSING");
    let e = errors(
        r#"_format_version: "3.0"
vaults:
- name: hcv
  prefix: vault
consumers:
- username: alice
  keyauth_credentials:
  - key: "{vault://aws/x}"
"#,
    );
    assert_error(&e, "vaults[0].name", "unsupported vault 'hcv'");
    assert_error(
        &e,
        "consumers[0].keyauth_credentials[0].key",
        "unsupported vault 'aws'",
    );
}
