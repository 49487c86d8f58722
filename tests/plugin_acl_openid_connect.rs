//! End-to-end: openid-connect's `authenticated_groups_claim` feeding acl, against the real IdP
//! (whose tokens carry Keycloak's `realm_access.roles`) and the real httpbin: an allowed group
//! passes with `X-Authenticated-Groups`, a missing one is Kong's 403, a token without the
//! claim is refused, and a mapped consumer's own acls decide when it has some.

mod support;

use support::http::{self, basic};
use support::stack::{assert_kong_error, echoed};
use support::*;

fn route(name: &str, idp: &RealIdp, oidc_extra: &str, acl: &str) -> String {
    format!(
        r#"  - name: {name}
    paths: [/{name}]
    plugins:
    - name: openid-connect
      config:
        auth_methods: [client_credentials]
        issuer: {issuer}
        token_endpoint: {token}
        extra_jwks_uris: ["{jwks}"]
        {oidc_extra}
    - name: acl
      config: {acl}
"#,
        issuer = idp.issuer(),
        token = idp.token_endpoint(),
        jwks = idp.jwks_uri(),
    )
}

#[test]
fn token_groups_decide_acl_and_consumer_acls_win_when_mapped() {
    let idp = RealIdp::start(IdpOptions::default());
    let httpbin = Httpbin::start();
    let groups = "authenticated_groups_claim: [realm_access, roles]";
    let mapped = "consumer_claim: [client_id]\n        consumer_by: [username]";
    let yaml = format!(
        "_format_version: \"3.0\"\nservices:\n- name: httpbin\n  url: http://127.0.0.1:{port}\n  routes:\n{a}{b}{c}{d}consumers:\n- username: {KONG_ID}\n  acls:\n  - group: partners\n",
        port = httpbin.port(),
        a = route("allowed", &idp, groups, "{allow: [default-roles-kong]}"),
        b = route("denied", &idp, groups, "{allow: [admins]}"),
        c = route("no-claim", &idp, "authenticated_groups_claim: [no_such_claim]", "{allow: [default-roles-kong]}"),
        d = route("mapped", &idp, &format!("{mapped}\n        {groups}"), "{allow: [partners]}"),
    );
    let gateway = Gateway::start(&yaml);
    let auth = basic(KONG_ID, KONG_SECRET);
    let headers = [("Authorization", auth.as_str())];

    let response = http::get(&gateway.url("/allowed/get"), &headers);
    let echo = echoed(&response);
    let groups_header = echo["headers"]["X-Authenticated-Groups"]
        .as_str()
        .unwrap_or_default();
    assert!(groups_header.contains("default-roles-kong"), "{echo}");
    assert!(
        echo["headers"].get("X-Consumer-Id").is_none(),
        "no consumer mapped: {echo}"
    );

    let response = http::get(&gateway.url("/denied/get"), &headers);
    assert_kong_error(&response, 403, "You cannot consume this service");

    let response = http::get(&gateway.url("/no-claim/get"), &headers);
    assert!(
        matches!(response.status, 401 | 403),
        "a token without the groups claim must not pass acl: {}",
        response.status
    );

    // A mapped consumer with acls of its own: those decide (Kong's default).
    let response = http::get(&gateway.url("/mapped/get"), &headers);
    let echo = echoed(&response);
    assert_eq!(echo["headers"]["X-Consumer-Username"], KONG_ID);
    assert_eq!(echo["headers"]["X-Consumer-Groups"], "partners");
}
