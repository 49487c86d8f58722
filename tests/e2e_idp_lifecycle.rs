//! End-to-end: the gateway against a real IdP whose tokens expire, whose signing key rotates, and which goes down and comes back.
//!
//! Needs `tests/setup.sh` first. Each test starts its own IdP, httpbin and gateway on free ports.

mod support;

use std::time::{Duration, Instant};

use support::stack::{echoed, upstream_token};
use support::*;

/// The `kid` of the token httpbin received for one call (asserting the call was a 200).
fn upstream_kid(s: &Stack, id: &str, secret: &str) -> String {
    let echo = echoed(&s.get_as("/oidc-route/get", id, secret));
    let (header, _) = jwt::decode(&upstream_token(&echo));
    header["kid"]
        .as_str()
        .expect("kid in upstream token header")
        .to_owned()
}

/// Calls until httpbin receives a token signed with `kid`; every call must be a 200.
fn wait_for_kid(s: &Stack, kid: &str, timeout: Duration) -> Duration {
    let start = Instant::now();
    let mut seen = Vec::new();
    while start.elapsed() < timeout {
        let got = upstream_kid(s, KONG_ID, KONG_SECRET);
        if got == kid {
            return start.elapsed();
        }
        if seen.last() != Some(&got) {
            seen.push(got);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!(
        "upstream never received a token with the new kid {kid} within {timeout:?}; saw {seen:?}"
    );
}

fn refresh_env() -> Vec<(String, String)> {
    vec![("OIDC_GATEWAY_JWKS_REFRESH_SECS".to_owned(), "1".to_owned())]
}

#[test]
fn expired_token_is_fetched_again() {
    let s = Stack::start(StackOptions {
        token_ttl: Some(3),
        ..Default::default()
    });
    let first = upstream_token(&echoed(&s.get_as("/oidc-route/get", KONG_ID, KONG_SECRET)));
    std::thread::sleep(Duration::from_millis(4500));
    let second = upstream_token(&echoed(&s.get_as("/oidc-route/get", KONG_ID, KONG_SECRET)));
    assert_ne!(
        first, second,
        "after expiry the upstream must get a new token"
    );
    let (_, claims) = jwt::decode(&second);
    let exp = claims["exp"].as_u64().expect("exp");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    assert!(
        exp >= now,
        "the gateway forwarded an expired token (exp {exp}, now {now})"
    );
    let stats = s.idp.stats();
    assert_eq!(
        stats.for_client(KONG_ID),
        2,
        "one token per lifetime: {stats:?}"
    );
    s.assert_logs_clean();
}

/// The token lives 300 s, so the only way the upstream sees the new kid within seconds is
/// the gateway noticing that the cached token's key left the JWKS and fetching a new token.
#[test]
fn runtime_key_rotation_drops_the_cached_token_signed_by_the_old_key() {
    let s = Stack::start(StackOptions {
        token_ttl: Some(300),
        gateway_env: refresh_env(),
        ..Default::default()
    });
    let old_kid = upstream_kid(&s, KONG_ID, KONG_SECRET);
    assert_eq!(
        s.idp.kids(),
        vec![old_kid.clone()],
        "token signed with the published key"
    );
    let new_kid = s.idp.rotate_key();
    assert_ne!(new_kid, old_kid);
    assert_eq!(s.idp.kids(), vec![new_kid.clone()], "old key left the JWKS");
    let took = wait_for_kid(&s, &new_kid, Duration::from_secs(8));
    eprintln!("new kid reached the upstream after {took:?}");
    assert_eq!(
        s.idp.stats().for_client(KONG_ID),
        2,
        "one token before and one after the rotation"
    );
    s.assert_logs_clean();
}

#[test]
fn key_change_across_idp_restart_is_followed() {
    let mut s = Stack::start(StackOptions {
        token_ttl: Some(4),
        gateway_env: refresh_env(),
        ..Default::default()
    });
    let old_kid = upstream_kid(&s, KONG_ID, KONG_SECRET);
    s.idp.restart_with_new_key();
    let kids = s.idp.kids();
    assert_eq!(kids.len(), 1, "one key after the restart: {kids:?}");
    assert_ne!(kids[0], old_kid, "restart_with_new_key must change the kid");
    wait_for_kid(&s, &kids[0], Duration::from_secs(15));
    s.assert_logs_clean();
}

#[test]
fn idp_outage_keeps_cached_clients_and_is_502_or_504_for_new_ones() {
    let (fresh, fresh_secret) = ("fresh_id".to_owned(), "fresh-secret-0123456789".to_owned());
    let mut s = Stack::start(StackOptions {
        extra_clients: vec![(fresh.clone(), fresh_secret.clone())],
        ..Default::default()
    });
    let before = s.get_as("/oidc-route/get", KONG_ID, KONG_SECRET);
    assert_eq!(before.status, 200, "{}", before.text());

    s.idp.stop();
    for i in 0..5 {
        let resp = s.get_as("/oidc-route/get", KONG_ID, KONG_SECRET);
        assert_eq!(
            resp.status,
            200,
            "cached client during the outage, call {i}: {}",
            resp.text()
        );
    }
    let down = s.get_as("/oidc-route/get", &fresh, &fresh_secret);
    assert!(
        down.status == 502 || down.status == 504,
        "new client while the IdP is down: expected 502/504 (not 401), got {}: {}",
        down.status,
        down.text()
    );
    assert!(
        down.json()["message"].is_string(),
        "JSON message expected: {}",
        down.text()
    );

    s.idp.restart();
    let recovered = poll(Duration::from_secs(15), Duration::from_millis(250), || {
        let resp = s.get_as("/oidc-route/get", &fresh, &fresh_secret);
        (resp.status == 200).then_some(resp)
    });
    assert!(
        recovered.is_some(),
        "the new client did not get a 200 within 15 s of the IdP's return"
    );
    let cached = s.get_as("/oidc-route/get", KONG_ID, KONG_SECRET);
    assert_eq!(cached.status, 200, "{}", cached.text());
    s.assert_logs_clean();
}
