//! End-to-end: the workshop's client_credentials flow through the gateway binary, real IdP (oidc-provider) and real httpbin.
//!
//! Needs `tests/setup.sh` first. Each test starts its own IdP, httpbin and gateway on free ports.

mod support;

use std::sync::{Arc, Barrier};

use support::stack::{assert_kong_error, echoed, upstream_token};
use support::*;

/// A header httpbin echoed back (its names are re-capitalised, so match case-insensitively).
fn echo_header<'a>(echo: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    echo["headers"]
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

fn assert_unauthorized(resp: &http::Response) {
    assert_kong_error(resp, 401, "Unauthorized");
    let challenge = resp.header("www-authenticate").unwrap_or("");
    assert!(
        challenge.starts_with(r#"Bearer realm="127.0.0.1""#),
        "WWW-Authenticate should be Bearer realm=\"<issuer host>\", got {challenge:?}"
    );
}

#[test]
fn reference_call_forwards_bearer_jwt_and_consumer_headers() {
    let mut s = Stack::start(StackOptions::default());
    let resp = s.get_as("/oidc-route/get", KONG_ID, KONG_SECRET);
    let echo = echoed(&resp);
    let token = upstream_token(&echo);
    s.must_not_log(&token);

    let (header, claims) = jwt::decode(&token);
    assert_eq!(header["alg"], "RS256", "token header: {header}");
    assert!(
        header["kid"].as_str().is_some_and(|k| !k.is_empty()),
        "no kid: {header}"
    );
    assert_eq!(claims["client_id"], KONG_ID, "claims: {claims}");
    assert_eq!(claims["azp"], KONG_ID, "claims: {claims}");
    assert_eq!(
        claims["iss"].as_str(),
        Some(s.idp.issuer().as_str()),
        "claims: {claims}"
    );
    jwt::verify_rs256(&token, &s.idp.jwks(), &s.idp.issuer())
        .unwrap_or_else(|e| panic!("upstream token does not verify against the IdP JWKS: {e}"));

    assert_eq!(
        echo_header(&echo, "X-Consumer-Username"),
        Some(KONG_ID),
        "{}",
        echo["headers"]
    );
    assert!(
        echo_header(&echo, "X-Consumer-Id").is_some_and(|v| !v.is_empty()),
        "no X-Consumer-Id upstream: {}",
        echo["headers"]
    );
    let url = echo["url"].as_str().unwrap_or("");
    assert!(
        url.ends_with("/get") && !url.contains("oidc-route"),
        "strip_path: upstream should see /get, httpbin url was {url:?}"
    );

    let stats = s.idp.stats();
    assert_eq!(stats.for_client(KONG_ID), 1, "{stats:?}");
    assert_eq!(
        stats.by_auth_method.get("client_secret_basic"),
        Some(&1),
        "{stats:?}"
    );
    s.assert_logs_clean();
}

#[test]
fn sequential_calls_make_one_token_request() {
    let mut s = Stack::start(StackOptions::default());
    let mut tokens = std::collections::HashSet::new();
    for i in 0..20 {
        let resp = s.get_as("/oidc-route/get", KONG_ID, KONG_SECRET);
        assert_eq!(resp.status, 200, "call {i}: {}", resp.text());
        tokens.insert(upstream_token(&resp.json()));
    }
    for t in &tokens {
        s.must_not_log(t);
    }
    assert_eq!(tokens.len(), 1, "the cached token should be reused");
    let stats = s.idp.stats();
    assert_eq!(
        stats.for_client(KONG_ID),
        1,
        "20 calls must make 1 token request: {stats:?}"
    );
    s.assert_logs_clean();
}

#[test]
fn concurrent_first_calls_make_one_token_request() {
    let (id, secret) = ("burst_id".to_owned(), "burst-secret-0123456789".to_owned());
    let s = Arc::new(Stack::start(StackOptions {
        extra_clients: vec![(id.clone(), secret.clone())],
        ..Default::default()
    }));
    let n = 20;
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (s, barrier, id, secret) = (s.clone(), barrier.clone(), id.clone(), secret.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let resp = s.get_as("/oidc-route/get", &id, &secret);
                (resp.status, resp.text())
            })
        })
        .collect();
    for h in handles {
        let (status, body) = h.join().expect("request thread panicked");
        assert_eq!(status, 200, "concurrent call: {body}");
    }
    let stats = s.idp.stats();
    assert_eq!(
        stats.for_client(&id),
        1,
        "20 concurrent misses must make 1 token request: {stats:?}"
    );
    s.assert_logs_clean();
}

#[test]
fn wrong_secret_is_401_and_never_gets_the_cached_token() {
    let s = Stack::start(StackOptions::default());
    // Before anything is cached.
    assert_unauthorized(&s.get_as("/oidc-route/get", KONG_ID, "wrong-secret"));
    let ok = s.get_as("/oidc-route/get", KONG_ID, KONG_SECRET);
    assert_eq!(
        ok.status,
        200,
        "right secret after a wrong one: {}",
        ok.text()
    );
    // Now kong_id's token is cached: a wrong secret must still not get it.
    for wrong in [
        "wrong-secret",
        "",
        "RVXO9SOJskjw4LeVupjRbIMJIAyyil8",
        "RVXO9SOJskjw4LeVupjRbIMJIAyyil8jX",
    ] {
        assert_unauthorized(&s.get_as("/oidc-route/get", KONG_ID, wrong));
    }
    let again = s.get_as("/oidc-route/get", KONG_ID, KONG_SECRET);
    assert_eq!(
        again.status,
        200,
        "right secret after wrong ones: {}",
        again.text()
    );
    s.assert_logs_clean();
}

#[test]
fn malformed_credentials_are_401_without_idp_call() {
    let s = Stack::start(StackOptions::default());
    // base64("kong_idRVXO...") : credentials without the ':' separator.
    let no_colon = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("{KONG_ID}{KONG_SECRET}"))
    };
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("no Authorization", vec![]),
        (
            "Basic with garbage base64",
            vec![("Authorization", "Basic !!!not-base64***".to_owned())],
        ),
        (
            "Basic without colon",
            vec![("Authorization", format!("Basic {no_colon}"))],
        ),
        (
            "Basic with nothing",
            vec![("Authorization", "Basic ".to_owned())],
        ),
    ];
    for (what, headers) in &cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let resp = s.get("/oidc-route/get", &headers);
        assert_eq!(resp.status, 401, "{what}: {}", resp.text());
        assert_unauthorized(&resp);
    }
    let stats = s.idp.stats();
    assert_eq!(
        stats.token_requests, 0,
        "malformed credentials must not reach the IdP: {stats:?}"
    );
    s.assert_logs_clean();
}

#[test]
fn valid_client_without_consumer_is_403() {
    let s = Stack::start(StackOptions::default());
    let resp = s.get_as("/oidc-route/get", NOBODY_ID, NOBODY_SECRET);
    assert_kong_error(&resp, 403, "Forbidden");
    s.assert_logs_clean();
}

#[test]
fn client_secret_post_route_works() {
    let s = Stack::start(StackOptions::default());
    let resp = s.get_as("/post-route/get", POST_ID, POST_SECRET);
    let echo = echoed(&resp);
    assert_eq!(
        echo_header(&echo, "X-Consumer-Username"),
        Some(POST_ID),
        "{}",
        echo["headers"]
    );
    let (_, claims) = jwt::decode(&upstream_token(&echo));
    assert_eq!(claims["client_id"], POST_ID);
    let stats = s.idp.stats();
    assert_eq!(stats.for_client(POST_ID), 1, "{stats:?}");
    assert_eq!(
        stats.by_auth_method.get("client_secret_post"),
        Some(&1),
        "{stats:?}"
    );
    s.assert_logs_clean();
}

#[test]
fn secret_with_reserved_characters_is_form_urlencoded_to_the_idp() {
    let s = Stack::start(StackOptions::default());
    let resp = s.get_as("/oidc-route/get", WEIRD_ID, WEIRD_SECRET);
    let echo = echoed(&resp);
    assert_eq!(
        echo_header(&echo, "X-Consumer-Username"),
        Some(WEIRD_ID),
        "{}",
        echo["headers"]
    );
    let (_, claims) = jwt::decode(&upstream_token(&echo));
    assert_eq!(claims["client_id"], WEIRD_ID);
    s.assert_logs_clean();
}

#[test]
fn unmatched_route_is_404() {
    let s = Stack::start(StackOptions::default());
    assert_kong_error(
        &s.get("/nope", &[]),
        404,
        "no Route matched with those values",
    );
    let resp = s.get_as("/not-oidc-route/get", KONG_ID, KONG_SECRET);
    assert_kong_error(&resp, 404, "no Route matched with those values");
    assert_eq!(
        s.idp.stats().token_requests,
        0,
        "a 404 must not call the IdP"
    );
}

#[test]
fn logs_hold_no_secrets_after_mixed_traffic() {
    let mut s = Stack::start(StackOptions::default());
    let calls = [
        ("/oidc-route/get", KONG_ID, KONG_SECRET),
        ("/oidc-route/get", KONG_ID, "wrong-secret"),
        ("/oidc-route/get", NOBODY_ID, NOBODY_SECRET),
        ("/oidc-route/get", WEIRD_ID, WEIRD_SECRET),
        ("/post-route/get", POST_ID, POST_SECRET),
        ("/oidc-route/anything?x=1", KONG_ID, KONG_SECRET),
    ];
    for (path, id, secret) in calls {
        let resp = s.get_as(path, id, secret);
        if resp.status == 200 {
            if let Some(auth) = resp.json()["headers"]["Authorization"].as_str() {
                let token = jwt::bearer(auth).to_owned();
                s.must_not_log(&token);
            }
        }
    }
    s.get("/oidc-route/get", &[("Authorization", "Basic !!!")]);
    s.assert_logs_clean();
}
