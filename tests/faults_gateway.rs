//! Fault injection through the real gateway binary: stub IdP and echo upstream in-process, HTTP on 127.0.0.1.

mod mint;
mod stub_idp;
mod support;

use std::time::{Duration, Instant};

use stub_idp::upstream::EchoUpstream;
use stub_idp::{Behaviour, Endpoint, StubIdp, CLIENT_ID, CLIENT_SECRET};
use support::http::{self, Response};
use support::Gateway;

/// Background discovery/JWKS refresh every second, so a healed IdP is noticed quickly.
const ENV: [(&str, &str); 1] = [("OIDC_GATEWAY_JWKS_REFRESH_SECS", "1")];
const IDP_UNAVAILABLE: &str = "An invalid response was received from the identity provider";
const IDP_TIMEOUT: &str = "The identity provider is timing out";

/// The reference config (conf/kong.yaml) pointed at the stubs, with `timeout: 500` ms.
fn kong_yaml(idp_base: &str, upstream_port: u16) -> String {
    let issuer = format!("{idp_base}{}", stub_idp::REALM);
    format!(
        r#"_format_version: "3.0"
services:
- name: echo-service
  host: 127.0.0.1
  port: {upstream_port}
  routes:
  - name: oidc-route
    paths:
    - /oidc-route
    plugins:
    - name: openid-connect
      config:
        auth_methods: ["client_credentials"]
        issuer: {issuer}
        token_endpoint: {issuer}/protocol/openid-connect/token
        extra_jwks_uris: ["{issuer}/protocol/openid-connect/certs"]
        consumer_optional: false
        consumer_claim: ["client_id"]
        consumer_by: ["username"]
        timeout: 500
consumers:
- username: kong_id
"#
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn call(gateway: &Gateway, secret: &str) -> Response {
    let authorization = http::basic(CLIENT_ID, secret);
    http::get(
        &gateway.url("/oidc-route/get"),
        &[("Authorization", &authorization)],
    )
}

fn assert_error(response: &Response, status: u16, message: &str) {
    assert_eq!(response.status, status, "body: {}", response.text());
    assert_eq!(response.json()["message"], message);
    assert!(response
        .header("content-type")
        .is_some_and(|v| v.starts_with("application/json")));
}

fn assert_proxied(response: &Response) {
    assert_eq!(response.status, 200, "body: {}", response.text());
    let echoed = response.json();
    assert_eq!(echoed["path"], "/get");
    let headers = &echoed["headers"];
    assert_eq!(headers["x-consumer-username"], CLIENT_ID);
    let bearer = headers["authorization"].as_str().unwrap_or_default();
    assert!(bearer.starts_with("Bearer ey"), "authorization: {bearer}");
}

#[test]
fn idp_faults_answer_502_or_504_and_the_same_client_recovers() {
    let rt = runtime();
    let stub = rt.block_on(StubIdp::start());
    let upstream = rt.block_on(EchoUpstream::start());
    let base = format!("http://127.0.0.1:{}", stub.port());
    let gateway = Gateway::start_with_env(&kong_yaml(&base, upstream.port()), &ENV);

    stub.set(Endpoint::Token, Behaviour::Status(500));
    assert_error(&call(&gateway, CLIENT_SECRET), 502, IDP_UNAVAILABLE);

    stub.set(Endpoint::Token, Behaviour::Delay(Duration::from_secs(2)));
    let started = Instant::now();
    let response = call(&gateway, CLIENT_SECRET);
    let took = started.elapsed();
    assert_error(&response, 504, IDP_TIMEOUT);
    assert!(took < Duration::from_millis(1500), "504 after {took:?}");

    stub.set(Endpoint::Token, Behaviour::Garbage);
    assert_error(&call(&gateway, CLIENT_SECRET), 502, IDP_UNAVAILABLE);

    stub.heal();
    assert_proxied(&call(&gateway, CLIENT_SECRET));

    // The contrast: a bad secret is the client's fault, 401 with the issuer host as realm.
    let response = call(&gateway, "wrong-secret");
    assert_error(&response, 401, "Unauthorized");
    assert_eq!(
        response.header("www-authenticate"),
        Some(r#"Bearer realm="127.0.0.1""#)
    );
    assert_eq!(stub.count(Endpoint::Token), 5);
}

#[test]
fn an_idp_down_at_start_up_is_used_once_it_listens() {
    let rt = runtime();
    let upstream = rt.block_on(EchoUpstream::start());
    let port = support::ports::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let gateway = Gateway::start_with_env(&kong_yaml(&base, upstream.port()), &ENV);

    for _ in 0..2 {
        assert_error(&call(&gateway, CLIENT_SECRET), 502, IDP_UNAVAILABLE);
    }

    let stub = rt.block_on(StubIdp::start_on(port));
    let mut seen = Vec::new();
    let healed = support::poll(Duration::from_secs(8), Duration::from_millis(100), || {
        let response = call(&gateway, CLIENT_SECRET);
        seen.push(response.status);
        (response.status == 200).then_some(response)
    });
    eprintln!("statuses after the IdP came up: {seen:?}");
    let response = healed.unwrap_or_else(|| panic!("never 200; statuses {seen:?}"));
    assert_proxied(&response);
    // Only 502s come before the first 200: valid credentials never see a 401 while the keys
    // are still loading.
    assert!(
        seen.iter().all(|s| [200, 502].contains(s)),
        "statuses before the first 200: {seen:?}"
    );
    assert!(stub.count(Endpoint::Jwks) >= 1);
}
