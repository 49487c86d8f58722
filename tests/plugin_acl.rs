//! End-to-end: acl behind hmac-auth against the real httpbin: allow and deny lists, the
//! `X-Consumer-Groups` header (hidden, forged copies removed), Kong Enterprise's
//! `include_consumer_groups`, the anonymous consumer, and 401 / 403 with Kong's messages
//! without the upstream being reached.

mod support;

use support::hmac::signed_get_headers;
use support::http::{self, Response};
use support::sink::Sink;
use support::stack::{assert_kong_error, echoed};
use support::*;

const FORBIDDEN: &str = "You cannot consume this service";

fn start() -> (Gateway, Httpbin, Sink) {
    let httpbin = Httpbin::start();
    let sink = Sink::start();
    let route = |name: &str, anonymous: bool, acl: &str| {
        let hmac = if anonymous {
            "    - name: hmac-auth\n      config: {anonymous: guest}\n"
        } else {
            "    - name: hmac-auth\n"
        };
        format!("  - name: {name}\n    paths: [/{name}]\n    plugins:\n{hmac}    - name: acl\n      config: {acl}\n")
    };
    let yaml = format!(
        r#"_format_version: "3.0"
consumer_groups:
- name: gold
services:
- name: httpbin
  url: http://127.0.0.1:{port}
  routes:
{allow}{deny}{gold}{anon_allow}{anon_deny}- name: sink
  url: http://127.0.0.1:{sink}
  routes:
  - name: acl-only
    paths: [/acl-only]
    plugins:
    - name: acl
      config: {{allow: [admin]}}
{sink_admin}consumers:
- username: alice
  hmacauth_credentials: [{{username: alice-hmac, secret: alice-secret}}]
  acls: [{{group: admin}}, {{group: users}}]
  groups: [{{name: gold}}]
- username: bob
  hmacauth_credentials: [{{username: bob-hmac, secret: bob-secret}}]
  acls: [{{group: users}}]
- username: carol
  hmacauth_credentials: [{{username: carol-hmac, secret: carol-secret}}]
- username: guest
"#,
        port = httpbin.port(),
        sink = sink.port(),
        allow = route("allow-admin", false, "{allow: [admin]}"),
        deny = route(
            "deny-users",
            false,
            "{deny: [users], hide_groups_header: true}"
        ),
        gold = route(
            "gold",
            false,
            "{allow: [gold], include_consumer_groups: true}"
        ),
        anon_allow = route("anon-allow", true, "{allow: [admin]}"),
        anon_deny = route("anon-deny", true, "{deny: [blocked]}"),
        sink_admin = route("sink-admin", false, "{allow: [admin]}"),
    );
    (Gateway::start(&yaml), httpbin, sink)
}

fn get_as(gateway: &Gateway, user: &str, path: &str, extra: &[(&str, &str)]) -> Response {
    let signed = signed_get_headers(&format!("{user}-hmac"), &format!("{user}-secret"), path);
    let mut headers: Vec<(&str, &str)> = signed
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    headers.extend_from_slice(extra);
    http::get(&gateway.url(path), &headers)
}

fn groups_header(response: &Response) -> Option<String> {
    echoed(response)["headers"]["X-Consumer-Groups"]
        .as_str()
        .map(str::to_owned)
}

#[test]
fn allow_and_deny_lists_with_the_groups_header() {
    let (gateway, _httpbin, _sink) = start();
    let forged = [
        ("X-Consumer-Groups", "admin"),
        ("X-Authenticated-Groups", "admin"),
    ];
    let alice = get_as(&gateway, "alice", "/allow-admin/get", &forged);
    assert_eq!(groups_header(&alice).as_deref(), Some("admin, users"));
    assert_eq!(
        echoed(&alice)["headers"]["X-Authenticated-Groups"],
        serde_json::Value::Null
    );
    assert_kong_error(
        &get_as(&gateway, "bob", "/allow-admin/get", &forged),
        403,
        FORBIDDEN,
    );
    // A consumer without any group, on an allow list: 403 (it did authenticate).
    assert_kong_error(
        &get_as(&gateway, "carol", "/allow-admin/get", &[]),
        403,
        FORBIDDEN,
    );

    // Deny list with hide_groups_header: no header at all, a forged one removed too.
    assert_kong_error(
        &get_as(&gateway, "alice", "/deny-users/get", &[]),
        403,
        FORBIDDEN,
    );
    assert_kong_error(
        &get_as(&gateway, "bob", "/deny-users/get", &[]),
        403,
        FORBIDDEN,
    );
    let carol = get_as(&gateway, "carol", "/deny-users/get", &forged);
    assert_eq!(groups_header(&carol), None);
    assert_eq!(echoed(&carol)["headers"]["X-Consumer-Username"], "carol");

    // include_consumer_groups: alice's consumer group counts.
    let alice = get_as(&gateway, "alice", "/gold/get", &[]);
    assert_eq!(groups_header(&alice).as_deref(), Some("admin, users, gold"));
    assert_kong_error(&get_as(&gateway, "bob", "/gold/get", &[]), 403, FORBIDDEN);
}

#[test]
fn nobody_and_the_anonymous_consumer() {
    let (gateway, _httpbin, sink) = start();
    // No authentication plugin found anyone: 401 Unauthorized.
    assert_kong_error(
        &http::get(&gateway.url("/acl-only/get"), &[]),
        401,
        "Unauthorized",
    );
    assert_kong_error(
        &get_as(&gateway, "bob", "/sink-admin/get", &[]),
        403,
        FORBIDDEN,
    );
    assert_eq!(
        sink.connections(),
        0,
        "a refused request reached the upstream"
    );

    // The anonymous consumer without groups: 401 on an allow list, passes a deny list with
    // an empty groups header (Kong's spec).
    let anonymous = http::get(&gateway.url("/anon-allow/get"), &[]);
    assert_kong_error(&anonymous, 401, "Unauthorized");
    let alice = get_as(&gateway, "alice", "/anon-allow/get", &[]);
    assert_eq!(groups_header(&alice).as_deref(), Some("admin, users"));
    let anonymous = http::get(&gateway.url("/anon-deny/get"), &[]);
    let echo = echoed(&anonymous);
    assert_eq!(echo["headers"]["X-Consumer-Username"], "guest");
    assert_eq!(echo["headers"]["X-Anonymous-Consumer"], "true");
    assert_eq!(echo["headers"]["X-Consumer-Groups"], "");
}
