//! Valid declarative configs: the workshop reference, Kong defaults, the url shorthand,
//! disabled entities, plugin precedence and routing through a compiled config.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use oidc_gateway::config::openid_connect::{AuthMethod, ConsumerBy};
use oidc_gateway::config::{
    compile_declarative_str, load_declarative_file, CompiledConfig, ServiceTarget,
};

const REFERENCE: &str = r#"
_format_version: "3.0"
_konnect:
  control_plane_name: kong-workshop
_info:
  select_tags:
  - httpbin-service-route
services:
- name: httpbin-service
  host: 127.0.0.1
  port: 9080
  routes:
  - name: oidc-route
    paths:
    - /oidc-route
    plugins:
    - name: openid-connect
      instance_name: openid-connect1
      config:
        auth_methods: ["client_credentials"]
        issuer: http://127.0.0.1:8080/realms/kong
        token_endpoint: http://127.0.0.1:8080/realms/kong/protocol/openid-connect/token
        extra_jwks_uris: ["http://127.0.0.1:8080/realms/kong/protocol/openid-connect/certs"]
        consumer_optional: false
        consumer_claim: ["client_id"]
        consumer_by: ["username"]
consumers:
- username: kong_id
"#;

fn compile(yaml: &str) -> CompiledConfig {
    match compile_declarative_str(yaml) {
        Ok(config) => config,
        Err(errors) => panic!("config rejected:\n{errors}"),
    }
}

fn is_uuid_shaped(id: &str) -> bool {
    let lens: Vec<usize> = id.split('-').map(str::len).collect();
    lens == [8, 4, 4, 4, 12] && id.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

/// `(oidc plugin path)` of the route that `path` routes to.
fn plugin_for(config: &CompiledConfig, path: &str) -> Option<String> {
    let found = config.router.find("GET", Some("gw.test"), path)?;
    config
        .route_plugin(found.route, "openid-connect")
        .map(|p| p.path.clone())
}

const OIDC: &str = "{auth_methods: [client_credentials], issuer: 'http://127.0.0.1:8080/realms/kong', consumer_claim: [client_id]}";

#[test]
fn reference_config_loads_with_kong_defaults() {
    let config = compile(REFERENCE);
    assert_eq!(config.services.len(), 1);
    let service = &config.services[0];
    assert_eq!(service.name.as_deref(), Some("httpbin-service"));
    assert_eq!(service.protocol, "http");
    assert_eq!(service.host, "127.0.0.1");
    assert_eq!(service.port, 9080);
    assert_eq!(
        service.target,
        ServiceTarget::Address("127.0.0.1:9080".parse::<SocketAddr>().unwrap())
    );
    assert_eq!(service.path, None);
    assert_eq!(service.connect_timeout, Duration::from_millis(60_000));
    assert_eq!(service.read_timeout, Duration::from_millis(60_000));
    assert_eq!(service.write_timeout, Duration::from_millis(60_000));
    assert_eq!(service.retries, 5);
    assert!(is_uuid_shaped(&service.id), "{}", service.id);

    assert_eq!(config.routes.len(), 1);
    let route = &config.routes[0];
    assert_eq!(route.name.as_deref(), Some("oidc-route"));
    assert_eq!(route.service, Some(0));
    assert!(route.strip_path);
    assert!(!route.preserve_host);
    assert!(is_uuid_shaped(&route.id), "{}", route.id);
    let plugin = config
        .route_plugin(0, "openid-connect")
        .expect("route has the plugin");
    assert_eq!(plugin.path, "services[0].routes[0].plugins[0]");
    let oidc = plugin.openid_connect().expect("openid-connect config");
    assert_eq!(oidc.issuer, "http://127.0.0.1:8080/realms/kong");
    assert_eq!(oidc.auth_methods, vec![AuthMethod::ClientCredentials]);
    assert_eq!(oidc.consumer_claim, vec!["client_id".to_owned()]);
    assert_eq!(oidc.consumer_by, vec![ConsumerBy::Username]);
    assert_eq!(oidc.extra_jwks_uris.len(), 1);
    assert!(!oidc.consumer_optional);
    assert_eq!(oidc.timeout, 10_000);

    let found = config
        .router
        .find("GET", Some("localhost:8000"), "/oidc-route/get")
        .expect("routed");
    assert_eq!(
        (found.route, found.matched_path_len),
        (0, "/oidc-route".len())
    );
    assert!(config.router.find("GET", None, "/other").is_none());

    let consumer = config
        .consumers
        .find(ConsumerBy::Username, "kong_id")
        .expect("consumer");
    assert_eq!(consumer.username.as_deref(), Some("kong_id"));
    assert!(is_uuid_shaped(&consumer.id));
    assert!(config
        .consumers
        .find(ConsumerBy::Id, &consumer.id)
        .is_some());
    assert!(config
        .consumers
        .find(ConsumerBy::CustomId, "kong_id")
        .is_none());
}

#[test]
fn generated_ids_are_stable_across_loads() {
    let a = compile(REFERENCE);
    let b = compile(REFERENCE);
    assert_eq!(a.consumers.list[0].id, b.consumers.list[0].id);
    assert_eq!(a.services[0].id, b.services[0].id);
    assert_eq!(a.routes[0].id, b.routes[0].id);
    assert_ne!(a.services[0].id, a.routes[0].id);
}

#[test]
fn given_ids_are_kept() {
    let config = compile(
        r#"_format_version: "3.0"
consumers:
- id: 0F6A8B5E-1C2D-4E3F-8A9B-0C1D2E3F4A5B
  custom_id: app-1
"#,
    );
    let consumer = config
        .consumers
        .find(ConsumerBy::CustomId, "app-1")
        .expect("consumer");
    assert_eq!(consumer.id, "0f6a8b5e-1c2d-4e3f-8a9b-0c1d2e3f4a5b");
    assert_eq!(consumer.username, None);
}

#[test]
fn shipped_conf_kong_yaml_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("conf/kong.yaml");
    if !path.exists() {
        return; // the lead's file; absent in a partial checkout
    }
    if let Err(errors) = load_declarative_file(&path) {
        panic!("{errors}");
    }
}

#[test]
fn missing_file_is_one_error() {
    let errors = match load_declarative_file(Path::new("/nonexistent/kong.yaml")) {
        Ok(_) => panic!("loaded a missing file"),
        Err(errors) => errors,
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors.0[0].path, "/nonexistent/kong.yaml");
}

#[test]
fn url_shorthand_and_service_defaults() {
    let config = compile(
        r#"_format_version: "3.0"
_transform: true
services:
- name: with-path
  url: http://127.0.0.1:9080/anything
  routes: [{paths: [/a]}]
- name: no-path
  url: http://127.0.0.1
  retries: 2
  connect_timeout: 1500
  routes: [{paths: [/b]}]
- name: localhost
  host: localhost
  path: /base
  routes: [{paths: [/c]}]
"#,
    );
    let s = &config.services;
    assert_eq!(
        (s[0].host.as_str(), s[0].port, s[0].path.as_deref()),
        ("127.0.0.1", 9080, Some("/anything"))
    );
    assert_eq!(
        (s[1].port, s[1].path.as_deref(), s[1].retries),
        (80, None, 2)
    );
    assert_eq!(s[1].connect_timeout, Duration::from_millis(1500));
    assert_eq!(s[1].read_timeout, Duration::from_millis(60_000));
    // A name is resolved at run time, not when the config compiles.
    match &s[2].target {
        ServiceTarget::Name(name) => assert_eq!(name.name(), "localhost"),
        other => panic!("expected a name: {other:?}"),
    }
    assert_eq!(s[2].host, "localhost");
    assert_eq!(s[2].path.as_deref(), Some("/base"));
}

#[test]
fn disabled_services_and_plugins_are_left_out() {
    let config = compile(&format!(
        r#"_format_version: "3.0"
services:
- name: off
  enabled: false
  host: 127.0.0.1
  routes: [{{name: off-route, paths: [/off]}}]
- name: on
  host: 127.0.0.1
  routes:
  - name: on-route
    paths: [/on]
    plugins:
    - {{name: openid-connect, enabled: false, config: {OIDC}}}
routes:
- name: top-off
  service: off
  paths: [/top-off]
- name: top-on
  service: {{name: on}}
  hosts: [gw.test]
"#
    ));
    assert_eq!(config.services.len(), 1);
    assert_eq!(config.services[0].name.as_deref(), Some("on"));
    let names: Vec<_> = config.routes.iter().map(|r| r.name.as_deref()).collect();
    assert_eq!(names, [Some("on-route"), Some("top-on")]);
    assert!(config
        .routes
        .iter()
        .all(|r| r.service == Some(0) && r.plugins.is_empty()));
    let found = config.router.find("GET", None, "/on/x").expect("routed");
    assert_eq!(found.route, 0);
    assert!(config.router.find("GET", None, "/off").is_none());
    assert_eq!(
        config
            .router
            .find("GET", Some("gw.test"), "/off")
            .map(|m| m.route),
        Some(1)
    );
}

#[test]
fn plugin_precedence_route_then_service_then_global() {
    let config = compile(&format!(
        r#"_format_version: "3.0"
services:
- name: s1
  host: 127.0.0.1
  plugins:
  - {{name: openid-connect, config: {OIDC}}}
  routes:
  - name: r-own
    paths: [/own]
    plugins:
    - {{name: openid-connect, config: {OIDC}}}
  - name: r-service
    paths: [/service]
  - name: r-disabled-own
    paths: [/disabled-own]
    plugins:
    - {{name: openid-connect, enabled: false, config: {OIDC}}}
- name: s2
  id: 5d0c2c1e-1111-4222-8333-444455556666
  host: 127.0.0.1
  routes:
  - name: r-global
    paths: [/global]
  - name: r-top-route
    paths: [/top-route]
- name: s3
  host: 127.0.0.1
  routes:
  - name: r-top-service
    paths: [/top-service]
plugins:
- {{name: openid-connect, config: {OIDC}}}
- {{name: openid-connect, route: r-top-route, config: {OIDC}}}
- {{name: openid-connect, service: {{name: s3}}, config: {OIDC}}}
"#
    ));
    let table = [
        ("/own", Some("services[0].routes[0].plugins[0]")),
        ("/service", Some("services[0].plugins[0]")),
        ("/disabled-own", Some("services[0].plugins[0]")),
        ("/global", Some("plugins[0]")),
        ("/top-route", Some("plugins[1]")),
        ("/top-service", Some("plugins[2]")),
    ];
    for (path, want) in table {
        assert_eq!(plugin_for(&config, path).as_deref(), want, "{path}");
    }
}

#[test]
fn routes_reference_services_by_id_and_plugins_by_route_id() {
    let config = compile(&format!(
        r#"_format_version: "3.0"
services:
- name: s
  id: 5d0c2c1e-1111-4222-8333-444455556666
  host: 127.0.0.1
routes:
- id: 7d0c2c1e-1111-4222-8333-444455556666
  service: {{id: 5d0c2c1e-1111-4222-8333-444455556666}}
  paths: [/x]
- service: 5d0c2c1e-1111-4222-8333-444455556666
  methods: [POST]
plugins:
- {{name: openid-connect, route: {{id: 7d0c2c1e-1111-4222-8333-444455556666}}, config: {OIDC}}}
"#
    ));
    assert_eq!(config.routes.len(), 2);
    assert_eq!(config.routes[0].id, "7d0c2c1e-1111-4222-8333-444455556666");
    assert!(config.route_plugin(0, "openid-connect").is_some());
    assert!(config.route_plugin(1, "openid-connect").is_none());
    assert_eq!(plugin_for(&config, "/x/y").as_deref(), Some("plugins[0]"));
}

#[test]
fn compiled_router_follows_kong_precedence() {
    let config = compile(
        r#"_format_version: "3.0"
services:
- name: s
  host: 127.0.0.1
  routes:
  - {name: root, paths: [/]}
  - {name: api, paths: [/api]}
  - {name: api-v1, paths: [/api/v1]}
  - {name: post-api, paths: [/api], methods: [POST]}
  - {name: host-get, hosts: ["*.example.com"], methods: [GET]}
"#,
    );
    let table: &[(&str, Option<&str>, &str, &str, usize)] = &[
        ("GET", None, "/", "root", 1),
        ("GET", None, "/apix", "api", 4),
        ("GET", None, "/api/v1/x", "api-v1", 7),
        ("POST", None, "/api/v1/x", "post-api", 4),
        ("GET", Some("a.example.com:80"), "/api/v1", "host-get", 0),
        ("POST", Some("a.example.com"), "/api", "post-api", 4),
    ];
    for (method, host, path, want, len) in table {
        let found = config.router.find(method, *host, path).expect("routed");
        let route = &config.routes[found.route];
        assert_eq!(
            route.name.as_deref(),
            Some(*want),
            "{method} {host:?} {path}"
        );
        assert_eq!(found.matched_path_len, *len, "{method} {host:?} {path}");
    }
}

#[test]
fn empty_document_with_version_is_valid() {
    let config = compile("_format_version: \"3.0\"\n");
    assert!(config.routes.is_empty() && config.services.is_empty());
    assert!(config.router.find("GET", None, "/").is_none());
}

#[test]
fn yaml_merge_keys_are_applied() {
    let config = compile(
        r#"_format_version: "3.0"
services:
- &base
  name: a
  host: 127.0.0.1
  port: 9080
  routes: [{paths: [/a]}]
- <<: *base
  name: b
  routes: [{paths: [/b]}]
"#,
    );
    assert_eq!(config.services[1].port, 9080);
    assert_eq!(config.services[1].name.as_deref(), Some("b"));
}
