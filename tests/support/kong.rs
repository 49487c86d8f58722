//! Kong declarative configs for the tests: the workshop's reference config pointed at the test IdP and httpbin.

use super::{Httpbin, RealIdp};

/// Consumers in every test config: the clients the gateway should let through.
pub const CONSUMERS: [&str; 3] = [super::KONG_ID, super::POST_ID, super::WEIRD_ID];

fn plugin(idp: &RealIdp, auth_method: Option<&str>) -> String {
    let method = auth_method
        .map(|m| format!("\n        token_endpoint_auth_method: {m}"))
        .unwrap_or_default();
    format!(
        r#"    plugins:
    - name: openid-connect
      config:
        auth_methods: ["client_credentials"]
        issuer: {issuer}
        token_endpoint: {token}
        extra_jwks_uris: ["{jwks}"]
        consumer_optional: false
        consumer_claim: ["client_id"]
        consumer_by: ["username"]{method}
"#,
        issuer = idp.issuer(),
        token = idp.token_endpoint(),
        jwks = idp.jwks_uri(),
    )
}

/// Service httpbin with routes `/oidc-route` (default client auth: client_secret_basic) and
/// `/post-route` (`token_endpoint_auth_method: client_secret_post`); consumers kong_id,
/// post_id, weird_id plus `extra_consumers`. nobody_id is deliberately not a consumer.
pub fn config(idp: &RealIdp, httpbin: &Httpbin, extra_consumers: &[&str]) -> String {
    let mut yaml = format!(
        r#"_format_version: "3.0"
services:
- name: httpbin-service
  host: 127.0.0.1
  port: {port}
  routes:
  - name: oidc-route
    paths:
    - /oidc-route
{basic}  - name: post-route
    paths:
    - /post-route
{post}consumers:
"#,
        port = httpbin.port(),
        basic = plugin(idp, None),
        post = plugin(idp, Some("client_secret_post")),
    );
    for name in CONSUMERS.iter().chain(extra_consumers) {
        yaml.push_str(&format!("- username: {name}\n"));
    }
    yaml
}
