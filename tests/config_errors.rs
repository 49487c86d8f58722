//! Declarative config errors: each problem is reported with its exact Kong/deck path,
//! all problems are reported together, and secret values are never echoed.

use oidc_gateway::config::{compile_declarative_str, ConfigErrors};

fn errors_of(yaml: &str) -> ConfigErrors {
    match compile_declarative_str(yaml) {
        Ok(_) => panic!("config unexpectedly valid:\n{yaml}"),
        Err(errors) => errors,
    }
}

/// Asserts an error at exactly `path` whose message starts with `message`.
#[track_caller]
fn assert_error(errors: &ConfigErrors, path: &str, message: &str) {
    assert!(
        errors
            .iter()
            .any(|e| e.path == path && e.message.starts_with(message)),
        "no error `{path}: {message}...` in:\n{errors}"
    );
}

/// A valid service + route whose plugin config is `config` (indented 8 spaces).
fn with_plugin_config(config: &str) -> String {
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
{config}"#
    )
}

const GOOD_CONFIG: &str = r#"        auth_methods: [client_credentials]
        issuer: http://127.0.0.1:8080/realms/kong
        consumer_claim: [client_id]
"#;

const PLUGIN: &str = "services[0].routes[0].plugins[0]";

#[test]
fn good_plugin_config_is_accepted() {
    if let Err(e) = compile_declarative_str(&with_plugin_config(GOOD_CONFIG)) {
        panic!("{e}");
    }
}

#[test]
fn format_version_and_top_level_keys() {
    let e = errors_of("services: []\n");
    assert_error(&e, "_format_version", "missing field");
    let e = errors_of("_format_version: \"2.0\"\n");
    assert_error(&e, "_format_version", "unsupported value");
    let e = errors_of("_format_version: \"3.0\"\nupstreamz: []\n_transform: yes please\n");
    assert_error(&e, "upstreamz", "unknown field");
    assert_error(&e, "_transform", "invalid type");
    let e = errors_of("- a\n- b\n");
    assert_error(&e, "document", "expected a mapping");
    let e = errors_of("_format_version: \"3.0\"\nservices: {a: 1}\n");
    assert_error(&e, "services", "invalid type: expected a sequence");
}

#[test]
fn yaml_syntax_error_is_short() {
    let e = errors_of("_format_version: \"3.0\"\nservices:\n  - name: [unclosed\n");
    assert_eq!(e.len(), 1);
    assert_error(&e, "document", "invalid YAML at line");
}

#[test]
fn service_errors() {
    let e = errors_of(
        r#"_format_version: "3.0"
services:
- name: a
  host: 127.0.0.1
  colour: blue
- name: b
  url: http://127.0.0.1:9080/x
  host: 127.0.0.1
- name: c
  protocol: grpc
  host: 127.0.0.1
- name: d
  host: 127.0.0.1
  path: anything
- name: e
  host: no-such-host.invalid
- name: f
- name: g
  host: 127.0.0.1
  port: 70000
- name: h
  url: http://user:pass@127.0.0.1/
- name: i
  host: 127.0.0.1
  connect_timeout: 0
- name: j
  host: 127.0.0.1
- name: j
  host: 127.0.0.1
"#,
    );
    assert_error(&e, "services[0].colour", "unknown field");
    // Kong's `url` shorthand overwrites host: not an error.
    assert!(!e.to_string().contains("services[1]"), "{e}");
    assert_error(&e, "services[2].protocol", "unsupported value 'grpc'");
    assert_error(&e, "services[3].path", "invalid value: must start with '/'");
    // A name that does not resolve is no config error (Kong's: a 503 at request time).
    assert!(!e.iter().any(|e| e.path == "services[4].host"), "{e}");
    assert_error(&e, "services[5].host", "missing field");
    assert_error(&e, "services[6].port", "invalid value");
    assert_error(&e, "services[7].url", "invalid value: credentials");
    assert_error(&e, "services[8].connect_timeout", "invalid value");
    assert_error(
        &e,
        "services[10].name",
        "duplicate name 'j' (also at services[9].name)",
    );
    assert!(!e.to_string().contains("pass@"), "{e}");
}

#[test]
fn tls_service_errors() {
    let e = errors_of(
        r#"_format_version: "3.0"
ca_certificates:
- id: 6a3b5b4e-4c3e-4d4e-9f5a-0b1c2d3e4f50
  cert: not a certificate
- cert: "-----BEGIN CERTIFICATE-----"
services:
- name: a
  url: https://127.0.0.1
  tls_verify_depth: 2
  client_certificate: {id: 6a3b5b4e-4c3e-4d4e-9f5a-0b1c2d3e4f51}
- name: b
  url: https://127.0.0.1
  ca_certificates: [6a3b5b4e-4c3e-4d4e-9f5a-0b1c2d3e4f59]
- name: c
  url: http://127.0.0.1
  tls_verify: true
"#,
    );
    assert_error(
        &e,
        "ca_certificates[0].cert",
        "invalid value: expected one or more PEM",
    );
    assert_error(&e, "ca_certificates[1].id", "missing field");
    assert_error(&e, "services[0].tls_verify_depth", "unsupported field");
    assert_error(&e, "services[0].client_certificate", "unsupported field");
    assert_error(
        &e,
        "services[1].ca_certificates[0]",
        "no ca_certificate with id",
    );
    assert_error(
        &e,
        "services[2].tls_verify",
        "only allowed when protocol is https",
    );
}

#[test]
fn route_errors() {
    let e = errors_of(
        r#"_format_version: "3.0"
services:
- name: s
  host: 127.0.0.1
  routes:
  - name: regex
    paths: ["~/users/(\\d+"]
  - name: relative
    paths: [users]
  - name: nothing
    strip_path: false
  - name: bad-host
    hosts: ["*.a.*"]
  - name: bad-method
    methods: [get]
  - name: bad-protocol
    paths: [/p]
    protocols: [grpc]
  - name: regex
    paths: [/dup]
    path_handling: v2
  - name: nested-with-service
    service: s
    paths: [/n]
routes:
- name: orphan
  paths: [/o]
- name: dangling
  service: nope
  paths: [/d]
- name: by-map
  service: {name: s}
  paths: [/m]
"#,
    );
    assert_error(&e, "services[0].routes[0].paths[0]", "invalid regex: ");
    assert_error(
        &e,
        "services[0].routes[1].paths[0]",
        "invalid value: must start with '/'",
    );
    assert_error(
        &e,
        "services[0].routes[2]",
        "must set at least one of 'paths', 'hosts', 'methods'",
    );
    assert_error(&e, "services[0].routes[3].hosts[0]", "invalid value");
    assert_error(&e, "services[0].routes[4].methods[0]", "invalid value");
    assert_error(
        &e,
        "services[0].routes[5].protocols[0]",
        "unsupported value 'grpc'",
    );
    assert_error(&e, "services[0].routes[6].path_handling", "invalid value");
    assert_error(&e, "services[0].routes[7].service", "not allowed");
    // Kong allows a route without a service (answered 503 once routed).
    assert!(!e.iter().any(|x| x.path.starts_with("routes[0]")), "{e}");
    assert_error(&e, "routes[1].service", "no service 'nope'");
    assert!(!e.iter().any(|x| x.path.starts_with("routes[2]")), "{e}");
}

#[test]
fn duplicate_route_names_name_both_places() {
    let e = errors_of(
        r#"_format_version: "3.0"
services:
- name: s
  host: 127.0.0.1
  routes:
  - name: r
    paths: [/a]
routes:
- name: r
  service: s
  paths: [/b]
"#,
    );
    assert_error(
        &e,
        "routes[0].name",
        "duplicate name 'r' (also at services[0].routes[0].name)",
    );
}

#[test]
fn consumer_errors() {
    let e = errors_of(
        r#"_format_version: "3.0"
consumers:
- username: kong_id
- tags: [x]
- username: kong_id
- custom_id: c1
- custom_id: c1
  username: other
- username: u
  id: not-a-uuid
- username: v
  id: 11111111-2222-4333-8444-555555555555
- username: w
  id: 11111111-2222-4333-8444-555555555555
"#,
    );
    assert_error(
        &e,
        "consumers[1]",
        "must set at least one of 'username', 'custom_id'",
    );
    assert_error(
        &e,
        "consumers[2].username",
        "duplicate username 'kong_id' (also at consumers[0].username)",
    );
    assert_error(
        &e,
        "consumers[4].custom_id",
        "duplicate custom_id 'c1' (also at consumers[3].custom_id)",
    );
    assert_error(&e, "consumers[5].id", "invalid value: expected a UUID");
    assert_error(&e, "consumers[7].id", "duplicate id");
}

#[test]
fn unknown_plugin() {
    let e = errors_of(
        r#"_format_version: "3.0"
plugins:
- name: openid-connect
  config: {auth_methods: [client_credentials], issuer: "http://127.0.0.1/", consumer_optional: true}
- name: canary
  config: {percentage: 5}
- name: pre-function
  config: {access: ["kong.log.err('x')"]}
- name: my-company-auth
- name: zipkin
"#,
    );
    assert_eq!(e.len(), 4, "{e}");
    assert_error(
        &e,
        "plugins[1].name",
        "plugin 'canary' is a Kong Enterprise plugin",
    );
    assert_error(
        &e,
        "plugins[2].name",
        "plugin 'pre-function' is a serverless Lua plugin",
    );
    assert_error(
        &e,
        "plugins[3].name",
        "plugin 'my-company-auth' is a custom or third-party plugin",
    );
    assert_error(
        &e,
        "plugins[4].name",
        "plugin 'zipkin' is a Kong bundled open-source plugin not implemented",
    );
}

#[test]
fn plugin_config_parse_errors() {
    let e = errors_of(&with_plugin_config(
        "        auth_methods: [client_credentials]\n",
    ));
    assert_error(&e, &format!("{PLUGIN}.config.issuer"), "missing field");

    let e = errors_of(&with_plugin_config(
        "        issuer: http://127.0.0.1/\n        auth_methods: [client_credentials, magic]\n",
    ));
    assert_error(
        &e,
        &format!("{PLUGIN}.config.auth_methods[1]"),
        "unknown variant 'magic'",
    );

    let e = errors_of(&with_plugin_config(&format!(
        "{GOOD_CONFIG}        colour: blue\n"
    )));
    assert_error(&e, &format!("{PLUGIN}.config.colour"), "unknown field");

    let e = errors_of(&format!(
        "{}    - name: openid-connect\n      confg: {{}}\n",
        with_plugin_config(GOOD_CONFIG)
    ));
    assert_error(
        &e,
        "services[0].routes[0].plugins[1].confg",
        "unknown field",
    );
}

#[test]
fn plugin_config_semantic_errors() {
    let e = errors_of(&with_plugin_config(
        r#"        auth_methods: [client_credentials, session]
        issuer: ftp://127.0.0.1/
        token_endpoint: not a url
        extra_jwks_uris: ["http://127.0.0.1/certs", "file:///etc/passwd"]
        token_endpoint_auth_method: private_key_jwt
        client_credentials_param_type: []
        consumer_by: []
        verify_signature: false
        verify_claims: false
        cache_ttl_min: 60
        cache_ttl_max: 10
        timeout: 0
        leeway: 100000
        cache_ttl_neg: 9999999
        upstream_access_token_header: "bad header:bearer"
"#,
    ));
    let at = |f: &str| format!("{PLUGIN}.config.{f}");
    assert_error(
        &e,
        &at("auth_methods[1]"),
        "unsupported value 'session': only bearer, introspection and client_credentials are implemented",
    );
    assert_error(&e, &at("issuer"), "invalid value");
    assert_error(&e, &at("token_endpoint"), "invalid value");
    assert_error(&e, &at("extra_jwks_uris[1]"), "invalid value");
    assert_error(
        &e,
        &at("token_endpoint_auth_method"),
        "unsupported value 'private_key_jwt'",
    );
    assert_error(
        &e,
        &at("client_credentials_param_type"),
        "must not be empty",
    );
    assert_error(&e, &at("consumer_by"), "must not be empty");
    assert_error(&e, &at("verify_signature"), "unsupported value 'false'");
    assert_error(&e, &at("verify_claims"), "unsupported value 'false'");
    assert_error(
        &e,
        &at("cache_ttl_min"),
        "must not be greater than cache_ttl_max",
    );
    assert!(!e.iter().any(|x| x.path == at("consumer_claim")), "{e}");
    assert_error(&e, &at("timeout"), "invalid value");
    assert_error(&e, &at("leeway"), "invalid value");
    assert_error(&e, &at("cache_ttl_neg"), "invalid value");
    assert_error(&e, &at("upstream_access_token_header"), "invalid value");
    assert!(!e.iter().any(|x| x.path == at("extra_jwks_uris[0]")), "{e}");
}

#[test]
fn auth_methods_must_be_given_and_non_empty() {
    let e = errors_of(&with_plugin_config(
        "        issuer: http://127.0.0.1/\n        consumer_claim: [client_id]\n",
    ));
    assert_error(
        &e,
        &format!("{PLUGIN}.config.auth_methods"),
        "missing field",
    );
    let e = errors_of(&with_plugin_config(
        "        issuer: http://127.0.0.1/\n        consumer_claim: [client_id]\n        auth_methods: []\n",
    ));
    assert_error(
        &e,
        &format!("{PLUGIN}.config.auth_methods"),
        "must not be empty",
    );
}

#[test]
fn consumer_claim_is_optional() {
    // Kong: without consumer_claim no consumer is mapped (consumer_optional or not).
    for optional in ["true", "false"] {
        let yaml = with_plugin_config(&format!(
            "        issuer: http://127.0.0.1/\n        auth_methods: [client_credentials]\n        consumer_optional: {optional}\n"
        ));
        if let Err(e) = compile_declarative_str(&yaml) {
            panic!("{e}");
        }
    }
}

#[test]
fn secrets_are_never_echoed() {
    let e = errors_of(&with_plugin_config(&format!(
        "{GOOD_CONFIG}        cache_tokens_salt: [s3cr3t-salt-value]\n"
    )));
    assert_error(
        &e,
        &format!("{PLUGIN}.config.cache_tokens_salt"),
        "invalid type",
    );
    assert!(!e.to_string().contains("s3cr3t"), "{e}");

    let e = errors_of(&with_plugin_config(&format!(
        "{GOOD_CONFIG}        client_secret: {{hunter2-secret: 1}}\n"
    )));
    assert_error(
        &e,
        &format!("{PLUGIN}.config.client_secret"),
        "invalid type",
    );
    assert!(!e.to_string().contains("hunter2"), "{e}");

    let e = errors_of(&with_plugin_config(&format!(
        "{GOOD_CONFIG}        timeout: \"hunter2\"\n"
    )));
    assert_error(
        &e,
        &format!("{PLUGIN}.config.timeout"),
        "invalid type: expected u64, found string",
    );
    assert!(!e.to_string().contains("hunter2"), "{e}");
}

#[test]
fn consumer_scoped_openid_connect_is_refused() {
    let e = errors_of(
        r#"_format_version: "3.0"
consumers:
- username: kong_id
  plugins:
  - name: openid-connect
    config: {auth_methods: [client_credentials], issuer: "http://127.0.0.1/", consumer_optional: true}
plugins:
- name: openid-connect
  consumer: kong_id
  config: {auth_methods: [client_credentials], issuer: "http://127.0.0.1/", consumer_optional: true}
"#,
    );
    assert_error(
        &e,
        "consumers[0].plugins[0]",
        "authentication plugins cannot be scoped to a consumer",
    );
    assert_error(
        &e,
        "plugins[0].consumer",
        "authentication plugins cannot be scoped to a consumer",
    );
}

#[test]
fn two_openid_connect_plugins_on_one_entity() {
    let e = errors_of(
        r#"_format_version: "3.0"
services:
- name: s
  host: 127.0.0.1
  routes:
  - name: r
    paths: [/r]
    plugins:
    - name: openid-connect
      config: {auth_methods: [client_credentials], issuer: "http://127.0.0.1/", consumer_optional: true}
plugins:
- name: openid-connect
  route: r
  enabled: false
  config: {auth_methods: [client_credentials], issuer: "http://127.0.0.1/", consumer_optional: true}
- name: openid-connect
  config: {auth_methods: [client_credentials], issuer: "http://127.0.0.1/", consumer_optional: true}
- name: openid-connect
  config: {auth_methods: [client_credentials], issuer: "http://127.0.0.1/", consumer_optional: true}
- name: openid-connect
  route: nope
  config: {auth_methods: [client_credentials], issuer: "http://127.0.0.1/", consumer_optional: true}
"#,
    );
    assert_error(&e, "plugins[0]", "duplicate openid-connect plugin on the same entity (also at services[0].routes[0].plugins[0])");
    assert_error(
        &e,
        "plugins[2]",
        "duplicate openid-connect plugin on the same entity (also at plugins[1])",
    );
    assert_error(&e, "plugins[3].route", "no route 'nope'");
}

#[test]
fn every_problem_is_reported_at_once() {
    let e = errors_of(
        r#"_format_version: "3.0"
services:
- name: s
  host: 127.0.0.1
  port: not-a-port
  routes:
  - name: r
    paths: [/r]
    plugins:
    - name: openid-connect
      config: {auth_methods: [session], issuer: "http://127.0.0.1/", consumer_claim: [client_id]}
- name: t
  host: 127.0.0.1
  routes:
  - paths: [nope]
consumers:
- username: kong_id
- tags: []
- username: kong_id
plugins:
- name: zipkin
"#,
    );
    assert_error(&e, "services[0].port", "invalid type");
    assert_error(
        &e,
        "services[0].routes[0].plugins[0].config.auth_methods[0]",
        "unsupported value 'session'",
    );
    assert_error(&e, "services[1].routes[0].paths[0]", "invalid value");
    assert_error(&e, "consumers[1]", "must set at least one");
    assert_error(&e, "consumers[2].username", "duplicate username");
    assert_error(
        &e,
        "plugins[0].name",
        "plugin 'zipkin' is a Kong bundled open-source plugin",
    );
    assert_eq!(e.len(), 6, "{e}");
    assert_eq!(e.to_string().lines().count(), 6);
}

#[test]
fn route_matching_field_errors() {
    let e = errors_of(
        r#"_format_version: "3.0"
services:
- name: s
  host: 127.0.0.1
  routes:
  - name: host-header
    headers: {Host: [a.test]}
  - name: bad-header-name
    headers: {"bad name": [a]}
  - name: empty-values
    headers: {x-a: []}
  - name: bad-header-regex
    headers: {x-a: [ok, "~*(s3cr3t"]}
  - name: sni-on-http
    snis: [a.test]
    protocols: [http]
  - name: bad-sni
    snis: ["a.test:443"]
  - name: stream
    paths: [/s]
    sources: [{ip: 10.0.0.1}]
    destinations: [{port: 80}]
  - name: bad-encoding
    paths: ["/a%zz"]
  - name: huge-regex
    paths: ["~/(a{1000}){1000}"]
  - name: secret-regex
    paths: ["~/s3cr3t/(\\d+"]
  - name: bad-redirect
    paths: [/r]
    https_redirect_status_code: 303
  - name: fine
    paths: ["/ok", "~/ok/(?<id>\\d+)"]
    headers: {x-b: ["~*^v\\d$"]}
    path_handling: v1
    regex_priority: -3
"#,
    );
    let r = "services[0].routes";
    assert_error(
        &e,
        &format!("{r}[0].headers.Host"),
        "not allowed: use 'hosts'",
    );
    assert_error(&e, &format!("{r}[1].headers.bad name"), "invalid value");
    assert_error(&e, &format!("{r}[2].headers.x-a"), "must not be empty");
    assert_error(&e, &format!("{r}[3].headers.x-a[1]"), "invalid regex: ");
    assert_error(
        &e,
        &format!("{r}[4].snis"),
        "not allowed unless 'protocols'",
    );
    assert_error(&e, &format!("{r}[5].snis[0]"), "invalid value");
    assert_error(&e, &format!("{r}[6].sources"), "unsupported field");
    assert_error(&e, &format!("{r}[6].destinations"), "unsupported field");
    assert_error(&e, &format!("{r}[7].paths[0]"), "invalid value: malformed");
    assert_error(&e, &format!("{r}[8].paths[0]"), "invalid regex: too large");
    assert_error(&e, &format!("{r}[9].paths[0]"), "invalid regex: ");
    assert_error(
        &e,
        &format!("{r}[10].https_redirect_status_code"),
        "invalid value",
    );
    assert!(
        !e.iter().any(|x| x.path.starts_with(&format!("{r}[11]"))),
        "{e}"
    );
    assert!(!e.to_string().contains("s3cr3t"), "{e}");
    assert_eq!(e.len(), 12, "{e}");
}

#[test]
fn route_headers_must_be_a_map_of_lists() {
    let e = errors_of(
        r#"_format_version: "3.0"
services:
- name: s
  host: 127.0.0.1
  routes:
  - name: r
    headers: [x-a]
"#,
    );
    assert_error(&e, "services[0].routes[0].headers", "invalid type");
}

#[test]
fn route_hosts_with_bad_ports_name_the_host() {
    let e = errors_of(
        r#"_format_version: "3.0"
services:
- name: s
  host: 127.0.0.1
  routes:
  - name: ports
    hosts: ["a.test:0", "a.test:99999", "a.test:", "::1", "a.test:8443", "*.a.test:8080", "[::1]:8080", "api.*:80"]
"#,
    );
    let at = |i: usize| format!("services[0].routes[0].hosts[{i}]");
    assert_error(
        &e,
        &at(0),
        "invalid port: expected a number from 1 to 65535",
    );
    assert_error(&e, &at(1), "invalid port");
    assert_error(&e, &at(2), "invalid port");
    assert_error(&e, &at(3), "invalid value: expected a host name");
    for i in 4..8 {
        assert!(
            !e.iter().any(|x| x.path == at(i)),
            "hosts[{i}] refused: {e}"
        );
    }
    assert_eq!(e.len(), 4, "{e}");
}
