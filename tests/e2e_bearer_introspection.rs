//! End-to-end: the bearer method with the real IdP's (oidc-provider) RS256 JWT access tokens,
//! and the introspection method with its opaque access tokens, through the gateway binary to
//! the real httpbin.
//!
//! Needs `tests/setup.sh` first. Each test starts its own IdP, httpbin and gateway.

mod support;

use support::http::{self, Response};
use support::stack::{assert_kong_error, echoed};
use support::*;

/// A header httpbin echoed back (its names are re-capitalised, so match case-insensitively).
fn echo_header<'a>(echo: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    echo["headers"]
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

fn plugin(idp: &RealIdp, route: &str, config: &str) -> String {
    format!(
        r#"  - name: {route}
    paths:
    - /{route}
    plugins:
    - name: openid-connect
      config:
        issuer: {issuer}
        consumer_claim: [client_id]
        consumer_by: [username]
{config}"#,
        issuer = idp.issuer(),
    )
}

fn kong_yaml(idp: &RealIdp, httpbin: &Httpbin) -> String {
    let introspect = format!("{}/protocol/openid-connect/token/introspect", idp.issuer());
    let routes = [
        plugin(
            idp,
            "bearer-route",
            r#"        auth_methods: [bearer]
        scopes_required: ["openid email"]
        roles_claim: [realm_access, roles]
        roles_required: [offline_access]
        audience_required: [account]
        upstream_headers_claims: [preferred_username]
        upstream_headers_names: [x-user]
"#,
        ),
        plugin(
            idp,
            "admin-route",
            "        auth_methods: [bearer]\n        scopes_required: [admin]\n",
        ),
        plugin(
            idp,
            "introspect-route",
            &format!(
                r#"        auth_methods: [introspection]
        introspection_endpoint: {introspect}
        client_id: [{KONG_ID}]
        client_secret: [{KONG_SECRET}]
        scopes_required: [openid]
        upstream_headers_claims: [client_id]
        upstream_headers_names: [x-introspected-client]
"#
            ),
        ),
        plugin(
            idp,
            "all-route",
            &format!(
                r#"        auth_methods: [bearer, introspection, client_credentials]
        client_id: [{KONG_ID}]
        client_secret: [{KONG_SECRET}]
"#
            ),
        ),
    ];
    format!(
        r#"_format_version: "3.0"
services:
- name: httpbin-service
  host: 127.0.0.1
  port: {port}
  routes:
{routes}consumers:
- username: {KONG_ID}
- username: {POST_ID}
"#,
        port = httpbin.port(),
        routes = routes.concat(),
    )
}

struct Fixture {
    gateway: Gateway,
    _httpbin: Httpbin,
    idp: RealIdp,
}

impl Fixture {
    fn start() -> Fixture {
        let idp = RealIdp::start(IdpOptions::default());
        let httpbin = Httpbin::start();
        let gateway = Gateway::start(&kong_yaml(&idp, &httpbin));
        Fixture {
            gateway,
            _httpbin: httpbin,
            idp,
        }
    }

    /// An access token straight from the IdP (as a client would get one), opaque when asked.
    fn access_token(&self, opaque: bool) -> String {
        let mut body = "grant_type=client_credentials&scope=openid".to_owned();
        if opaque {
            body.push_str("&resource=urn%3Akong%3Aopaque");
        }
        let basic = http::basic(KONG_ID, KONG_SECRET);
        let response = http::request(
            "POST",
            &self.idp.token_endpoint(),
            &[
                ("Authorization", &basic),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(body.as_bytes()),
        )
        .expect("token request");
        assert_eq!(response.status, 200, "{}", response.text());
        let token = response.json()["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(token.matches('.').count() == 2, !opaque, "{token}");
        token
    }

    fn bearer(&self, path: &str, token: &str) -> Response {
        let value = format!("Bearer {token}");
        http::get(&self.gateway.url(path), &[("Authorization", &value)])
    }

    fn assert_logs_clean(&self, tokens: &[String]) {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let mut secrets = tokens.to_vec();
        secrets.push(KONG_SECRET.to_owned());
        support::logscan::assert_clean(&self.gateway.logs(), &secrets);
    }
}

#[test]
fn bearer_jwts_from_the_real_idp_are_verified_locally() {
    let f = Fixture::start();
    let token = f.access_token(false);
    f.idp.reset_stats();
    for _ in 0..3 {
        let echo = echoed(&f.bearer("/bearer-route/get", &token));
        assert_eq!(
            echo_header(&echo, "Authorization"),
            Some(format!("Bearer {token}").as_str())
        );
        assert_eq!(echo_header(&echo, "X-Consumer-Username"), Some(KONG_ID));
        assert_eq!(
            echo_header(&echo, "X-User"),
            Some("service-account-kong_id")
        );
        assert!(echo_header(&echo, "X-Credential-Identifier").is_some());
    }
    let response = f.bearer("/admin-route/get", &token);
    assert_kong_error(&response, 403, "Forbidden");
    assert!(response
        .header("www-authenticate")
        .is_some_and(|v| v.contains(r#"error="insufficient_scope""#)));
    // An opaque token is no JWT: 401 on a bearer-only route, and no IdP call.
    let opaque = f.access_token(true);
    f.idp.reset_stats();
    let response = f.bearer("/bearer-route/get", &opaque);
    assert_kong_error(&response, 401, "Unauthorized");
    let stats = f.idp.stats();
    assert_eq!(stats.token_requests, 0, "{stats:?}");
    assert_eq!(stats.introspection_requests, 0, "{stats:?}");
    f.assert_logs_clean(&[token, opaque]);
}

#[test]
fn opaque_tokens_are_introspected_once_and_cached() {
    let f = Fixture::start();
    let opaque = f.access_token(true);
    f.idp.reset_stats();
    for _ in 0..3 {
        let echo = echoed(&f.bearer("/introspect-route/get", &opaque));
        assert_eq!(echo_header(&echo, "X-Consumer-Username"), Some(KONG_ID));
        assert_eq!(echo_header(&echo, "X-Introspected-Client"), Some(KONG_ID));
        assert_eq!(
            echo_header(&echo, "Authorization"),
            Some(format!("Bearer {opaque}").as_str())
        );
    }
    assert_eq!(
        f.idp.stats().introspection_requests,
        1,
        "cached after one call"
    );
    // An unknown token: the IdP says inactive, 401.
    let response = f.bearer("/introspect-route/get", "no-such-token-0123456789");
    assert_kong_error(&response, 401, "Unauthorized");
    assert_eq!(f.idp.stats().introspection_requests, 2);

    // All three methods on one route: JWT -> bearer (no IdP call), opaque -> introspection
    // (discovered endpoint), Basic -> client_credentials.
    let jwt = f.access_token(false);
    f.idp.reset_stats();
    let echo = echoed(&f.bearer("/all-route/get", &jwt));
    assert_eq!(echo_header(&echo, "X-Consumer-Username"), Some(KONG_ID));
    let stats = f.idp.stats();
    assert_eq!(
        stats.introspection_requests + stats.token_requests,
        0,
        "{stats:?}"
    );
    let echo = echoed(&f.bearer("/all-route/get", &opaque));
    assert_eq!(echo_header(&echo, "X-Consumer-Username"), Some(KONG_ID));
    assert_eq!(f.idp.stats().introspection_requests, 1);
    let basic = http::basic(POST_ID, POST_SECRET);
    let response = http::get(
        &f.gateway.url("/all-route/get"),
        &[("Authorization", &basic)],
    );
    assert_eq!(
        response.status,
        401,
        "post_id must use client_secret_post: {}",
        response.text()
    );
    let basic = http::basic(KONG_ID, KONG_SECRET);
    let echo = echoed(&http::get(
        &f.gateway.url("/all-route/get"),
        &[("Authorization", &basic)],
    ));
    assert!(echo_header(&echo, "Authorization").is_some_and(|v| v.starts_with("Bearer ey")));
    assert_eq!(f.idp.stats().token_requests, 2);
    f.assert_logs_clean(&[jwt, opaque]);
}
