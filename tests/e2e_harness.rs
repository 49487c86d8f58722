//! Checks of the end-to-end harness itself, without the gateway: the real IdP's tokens, key rotation and restart, httpbin's echo, the log scanner.
//!
//! Needs `tests/setup.sh` first.

mod support;

use support::*;

/// POSTs a client_credentials token request straight to the IdP; returns (status, JSON body).
fn token_request(idp: &RealIdp, headers: &[(&str, &str)], form: &str) -> (u16, serde_json::Value) {
    let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    let resp = http::request("POST", &idp.token_endpoint(), &all, Some(form.as_bytes()))
        .expect("token request");
    (resp.status, resp.json())
}

fn form_basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    http::basic(&enc(id), &enc(secret))
}

#[test]
fn idp_issues_keycloak_like_rs256_access_tokens() {
    let idp = RealIdp::start(IdpOptions {
        token_ttl: Some(120),
        ..Default::default()
    });
    let discovery = http::get(&idp.discovery_url(), &[]).json();
    assert_eq!(discovery["issuer"].as_str(), Some(idp.issuer().as_str()));
    assert_eq!(
        discovery["token_endpoint"].as_str(),
        Some(idp.token_endpoint().as_str())
    );
    assert_eq!(
        discovery["jwks_uri"].as_str(),
        Some(idp.jwks_uri().as_str())
    );

    let auth = form_basic(KONG_ID, KONG_SECRET);
    let (status, body) = token_request(
        &idp,
        &[("Authorization", &auth)],
        "grant_type=client_credentials&scope=openid",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 120);
    let token = body["access_token"].as_str().expect("access_token");
    let (header, claims) = jwt::decode(token);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(
        header["kid"].as_str(),
        idp.kids().first().map(String::as_str)
    );
    let verified = jwt::verify_rs256(token, &idp.jwks(), &idp.issuer()).expect("verifies");
    assert_eq!(verified, claims);
    for (k, v) in [
        ("client_id", KONG_ID),
        ("azp", KONG_ID),
        ("typ", "Bearer"),
        ("aud", "account"),
    ] {
        assert_eq!(claims[k].as_str(), Some(v), "claim {k}: {claims}");
    }
    assert_eq!(claims["scope"], "openid email profile");
    assert_eq!(claims["preferred_username"], "service-account-kong_id");
    assert_eq!(claims["realm_access"]["roles"][2], "default-roles-kong");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        120
    );

    // client_secret_post client, no scope; the weird secret (form-urlencoded in Basic).
    let (status, body) = token_request(
        &idp,
        &[],
        "grant_type=client_credentials&client_id=post_id&client_secret=post-secret-0123456789",
    );
    assert_eq!(status, 200, "{body}");
    let weird = form_basic(WEIRD_ID, WEIRD_SECRET);
    let (status, body) = token_request(
        &idp,
        &[("Authorization", &weird)],
        "grant_type=client_credentials&scope=openid",
    );
    assert_eq!(status, 200, "{body}");
    // Strict methods and wrong secrets.
    let post_as_basic = form_basic(POST_ID, POST_SECRET);
    let (status, _) = token_request(
        &idp,
        &[("Authorization", &post_as_basic)],
        "grant_type=client_credentials",
    );
    assert_eq!(status, 401, "post_id must use client_secret_post");
    let wrong = form_basic(KONG_ID, "nope");
    let (status, body) = token_request(
        &idp,
        &[("Authorization", &wrong)],
        "grant_type=client_credentials",
    );
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");

    let stats = idp.stats();
    assert_eq!(stats.token_requests, 5, "{stats:?}");
    assert_eq!(stats.for_client(KONG_ID), 2, "{stats:?}");
    assert_eq!(stats.token_errors, 2, "{stats:?}");
    idp.reset_stats();
    assert_eq!(idp.stats().token_requests, 0);
}

#[test]
fn idp_key_rotation_restart_and_extra_clients() {
    let extra = vec![(
        "extra_id".to_owned(),
        "extra-secret-0123456789".to_owned(),
        "client_secret_basic".to_owned(),
    )];
    let mut idp = RealIdp::start(IdpOptions {
        extra_clients: extra,
        ..Default::default()
    });
    let port = idp.port();
    let first = idp.kids();
    assert_eq!(first.len(), 1);
    let rotated = idp.rotate_key();
    assert_eq!(idp.kids(), vec![rotated.clone()]);
    assert_ne!(rotated, first[0]);

    idp.restart();
    assert_eq!(idp.port(), port);
    assert_eq!(idp.kids(), vec![rotated.clone()], "restart keeps the key");
    idp.restart_with_new_key();
    assert_eq!(idp.port(), port);
    let fresh = idp.kids();
    assert_eq!(fresh.len(), 1);
    assert_ne!(fresh[0], rotated, "restart_with_new_key changes the key");

    let auth = form_basic("extra_id", "extra-secret-0123456789");
    let (status, body) = token_request(
        &idp,
        &[("Authorization", &auth)],
        "grant_type=client_credentials&scope=openid",
    );
    assert_eq!(status, 200, "{body}");
    idp.stop();
    assert!(!idp.is_running());
    assert!(
        !ports::accepts(port),
        "stopped IdP still accepts connections"
    );
}

#[test]
fn httpbin_echoes_authorization_and_consumer_headers() {
    let bin = Httpbin::start();
    let resp = http::get(
        &format!("{}/get", bin.base_url()),
        &[
            ("Authorization", "Bearer abc.def.ghi"),
            ("X-Consumer-Username", "kong_id"),
        ],
    );
    assert_eq!(resp.status, 200);
    let echo = resp.json();
    assert_eq!(echo["headers"]["Authorization"], "Bearer abc.def.ghi");
    assert_eq!(echo["headers"]["X-Consumer-Username"], "kong_id");
    assert!(
        echo["url"].as_str().unwrap_or("").ends_with("/get"),
        "{echo}"
    );
}

#[test]
fn log_scanner_finds_tokens_and_basic_credentials() {
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4eHh4In0.c2lnbmF0dXJl";
    assert_eq!(
        logscan::find_jwts(&format!("x token={jwt} y")),
        vec![jwt.to_owned()]
    );
    assert!(logscan::find_jwts("eyJhbGciOiJSUzI1NiJ9 only a header").is_empty());
    assert_eq!(
        logscan::find_basic_credentials("auth: Basic a29uZ19pZDpz\n").len(),
        1
    );
    assert!(logscan::find_basic_credentials("scheme Basic <redacted>").is_empty());
    let leak = std::panic::catch_unwind(|| {
        logscan::assert_clean("secret=hunter22", &["hunter22".to_owned()])
    });
    assert!(leak.is_err());
    logscan::assert_clean("all fine", &["hunter22".to_owned()]);
}
